"""Properties of the gate combination (hypothesis): more allow never narrows, more deny never
widens, and an explicit Deny in any gate always denies."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.access.gates import GateInputs, KeyFacts, combine
from scanner.access.identity import IdentityResult
from scanner.access.scp import GuardrailResult
from scanner.policy.evaluate import PolicyResult
from scanner.policy.tri import Tri

RANK = {"DENIED": 0, "CONDITIONAL": 1, "ALLOWED": 2}
TRI_RANK = {Tri.FALSE: 0, Tri.UNKNOWN: 1, Tri.TRUE: 2}
tris = st.sampled_from(list(Tri))


@st.composite
def policy_results(draw: Any) -> PolicyResult:
    allow = draw(tris)
    direct = draw(tris)
    if TRI_RANK[direct] > TRI_RANK[allow]:  # a direct match is also a match
        direct = allow
    session = draw(tris)
    if TRI_RANK[session] > TRI_RANK[direct]:  # a session match is a direct match
        session = direct
    return PolicyResult(allow=allow, allow_direct=direct, deny=draw(tris),
                        allow_session=session)


@st.composite
def identity_results(draw: Any) -> IdentityResult:
    return IdentityResult(allow=draw(tris), deny=draw(tris), boundary_allow=draw(tris))


@st.composite
def inputs(draw: Any) -> GateInputs:
    return GateInputs(
        cross_account=draw(st.booleans()),
        resource=draw(st.none() | policy_results()),
        key=KeyFacts(aws_managed=draw(st.booleans()), usable=draw(tris),
                     policy_result=draw(st.none() | policy_results())),
        id_secret=draw(identity_results()),
        id_key=draw(st.none() | identity_results()),
        scp=GuardrailResult(status="X", allow=draw(tris), deny=draw(tris)),
        is_user=draw(st.booleans()),
    )


def _raise(t: Tri) -> Tri:
    return {Tri.FALSE: Tri.UNKNOWN, Tri.UNKNOWN: Tri.TRUE, Tri.TRUE: Tri.TRUE}[t]


def _more_allow(g: GateInputs, which: int) -> GateInputs:
    if which == 0 and g.resource is not None:
        r = g.resource
        return replace(g, resource=replace(r, allow=_raise(r.allow),
                                           allow_direct=_raise(r.allow_direct),
                                           allow_session=_raise(r.allow_session)))
    if which == 1 and g.key.policy_result is not None:
        k = g.key.policy_result
        return replace(g, key=replace(g.key, policy_result=replace(
            k, allow=_raise(k.allow), allow_direct=_raise(k.allow_direct),
            allow_session=_raise(k.allow_session))))
    if which == 2:
        return replace(g, id_secret=replace(g.id_secret, allow=_raise(g.id_secret.allow)))
    if which == 3:
        return replace(g, scp=replace(g.scp, allow=_raise(g.scp.allow)))
    return g


def _more_deny(g: GateInputs, which: int) -> GateInputs:
    if which == 0 and g.resource is not None:
        return replace(g, resource=replace(g.resource, deny=_raise(g.resource.deny)))
    if which == 1 and g.key.policy_result is not None:
        k = g.key.policy_result
        return replace(g, key=replace(g.key, policy_result=replace(k, deny=_raise(k.deny))))
    if which == 2:
        return replace(g, id_secret=replace(g.id_secret, deny=_raise(g.id_secret.deny)))
    if which == 3:
        return replace(g, scp=replace(g.scp, deny=_raise(g.scp.deny)))
    return g


@settings(max_examples=150, deadline=None)
@given(inputs(), st.integers(0, 3))
def test_more_allow_never_narrows(g: GateInputs, which: int) -> None:
    assert RANK[combine(_more_allow(g, which)).decision] >= RANK[combine(g).decision]


@settings(max_examples=150, deadline=None)
@given(inputs(), st.integers(0, 3))
def test_more_deny_never_widens(g: GateInputs, which: int) -> None:
    assert RANK[combine(_more_deny(g, which)).decision] <= RANK[combine(g).decision]


@settings(max_examples=100, deadline=None)
@given(inputs(), st.integers(0, 3))
def test_an_explicit_deny_in_any_gate_denies(g: GateInputs, which: int) -> None:
    denied = g
    for _ in range(2):
        denied = _more_deny(denied, which)
    if which == 1 and (g.key.policy_result is None or g.key.aws_managed):
        return  # no key policy evaluated: nothing to deny with
    if which == 0 and g.resource is None:
        return
    assert combine(denied).decision == "DENIED"


PB_SESSION = "IAM UG, Permissions boundaries: a resource-based policy granting to the role ARN " \
    "is capped by the boundary, one granting to the assumed-role session ARN is not"


@settings(max_examples=150, deadline=None)
@given(inputs())
def test_a_possible_session_grant_past_a_boundary_is_never_a_confident_denial(
        g: GateInputs) -> None:
    """PB_SESSION: same account, a role, a resource policy that may name its session (a
    session ARN or "*": allow_session UNKNOWN), a boundary that does not allow, no Deny, the
    key and guardrails open: the answer depends on the session name -- CONDITIONAL."""
    rp = PolicyResult(allow=Tri.TRUE, allow_direct=Tri.TRUE, deny=Tri.FALSE,
                      allow_session=Tri.UNKNOWN)
    ids = IdentityResult(allow=Tri.FALSE, deny=Tri.FALSE, boundary_allow=Tri.FALSE)
    g = replace(g, cross_account=False, is_user=False, resource=rp, id_secret=ids,
                id_key=None, key=KeyFacts(aws_managed=True, usable=Tri.TRUE, policy_result=None),
                scp=GuardrailResult(status="ALLOWED", allow=Tri.TRUE, deny=Tri.FALSE))
    assert combine(g).decision == "CONDITIONAL"
    # the same grant to the role ARN only (no session): capped, DENIED
    capped = replace(g, resource=replace(rp, allow_session=Tri.FALSE))
    assert combine(capped).decision == "DENIED"
    # a user named directly is not capped at all
    assert combine(replace(capped, is_user=True)).decision == "ALLOWED"


IDENTITY_STATEMENTS = [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
    {"Effect": "Allow", "Action": "secretsmanager:*",
     "Resource": "arn:aws:secretsmanager:*:111111111111:secret:other/*"},
    {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(IDENTITY_STATEMENTS), max_size=3), st.booleans(),
       st.sampled_from(["secretsmanager:GetSecretValue", "secretsmanager:*", "*"]))
def test_an_identity_deny_applies_whatever_the_allows(allows: list[dict[str, Any]],
                                                      in_group: bool, deny_action: str) -> None:
    """IAM UG, Policy evaluation logic: an explicit Deny in any identity policy (own or
    group) overrides every Allow -- also when no Allow matches the request at all."""
    from helpers.access_estate import SECRET_ARN, doc, estate, role

    from scanner.access.identity import IdentityEvaluator, PrincipalIndex
    from scanner.model import IamGroup, IamSnapshot
    from scanner.policy.request import Request

    arn = "arn:aws:iam::111111111111:user/ops"
    deny = {"Effect": "Deny", "Action": deny_action, "Resource": "*"}
    own = doc(*allows) if in_group else doc(*allows, deny)
    user = replace(role(arn, own if own["Statement"] else None),
                   group_names=("g",) if in_group else ())
    groups = (IamGroup(arn="arn:aws:iam::111111111111:group/g", name="g",
                       account_id="111111111111", inline_policies={"d": doc(deny)}),) \
        if in_group else ()
    snap = estate(secret_policy=None)
    snap = replace(snap, accounts=tuple(
        replace(a, iam=IamSnapshot(principals=(user,), groups=groups))
        if a.account_id == "111111111111" else a for a in snap.accounts))
    principal = PrincipalIndex(snap).by_arn[arn]
    req = Request(principal_arn=arn, principal_account="111111111111",
                  action="secretsmanager:GetSecretValue", resource=SECRET_ARN,
                  principal_type="user")
    result = IdentityEvaluator().evaluate(principal, req.action, SECRET_ARN, lambda: req)
    assert result.deny is Tri.TRUE
