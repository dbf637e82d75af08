"""Hypothesis: generated policies and requests; wherever the three-valued evaluator is definite
the solver agrees, and every witness the solver produces replays through the evaluator as
ALLOWED."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy_text
from scanner.policy.smt.questions import check_policy

ROLE = "arn:aws:iam::222222222222:role/App"
SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf"

#: (key, operator family, candidate policy values, candidate request values)
KEYS: list[tuple[str, list[str], list[str], list[str]]] = [
    ("aws:SourceIp", ["IpAddress", "NotIpAddress"], ["10.0.0.0/8", "10.1.0.0/16", "192.0.2.7",
                                                     "2001:db8::/32"],
     ["10.1.2.3", "10.200.0.1", "192.0.2.7", "2001:db8::1"]),
    ("aws:SourceVpce", ["StringEquals", "StringNotEquals", "StringLike", "StringNotLike",
                        "StringEqualsIgnoreCase"], ["vpce-1", "vpce-*", "VPCE-2", "vpce-?"],
     ["vpce-1", "vpce-2", "vpce-12", "other"]),
    ("aws:PrincipalTag/team", ["StringEquals", "StringLike", "StringNotEquals"],
     ["ops", "dev*", "${aws:PrincipalTag/owner}"], ["ops", "dev", "devops"]),
    ("aws:PrincipalTag/owner", ["StringEquals", "StringNotEqualsIgnoreCase"], ["ops", "Dev"],
     ["ops", "dev"]),
    ("aws:CurrentTime", ["DateGreaterThan", "DateLessThan", "DateEquals",
                         "DateGreaterThanEquals"],
     ["2024-01-01T00:00:00Z", "2030-06-01T12:00:00Z", "1700000000"],
     ["2025-01-01T00:00:00Z", "2023-01-01T00:00:00Z", "2030-06-01T12:00:00Z"]),
    ("aws:MultiFactorAuthAge", ["NumericLessThan", "NumericGreaterThanEquals", "NumericEquals"],
     ["3600", "0", "12.5"], ["100", "3600", "99999"]),
    ("aws:SecureTransport", ["Bool"], ["true", "false"], ["true", "false"]),
    ("aws:PrincipalArn", ["ArnLike", "ArnNotLike", "ArnEquals"],
     ["arn:aws:iam::222222222222:role/*", "arn:aws:iam::*:role/App", "*"], [ROLE]),
    ("aws:CalledVia", ["ForAnyValue:StringEquals", "ForAllValues:StringEquals",
                       "ForAnyValue:StringLike", "ForAllValues:StringNotEquals"],
     ["secretsmanager.amazonaws.com", "athena.amazonaws.com", "*.amazonaws.com"],
     ["secretsmanager.amazonaws.com", "athena.amazonaws.com"]),
    ("aws:PrincipalOrgID", ["StringEquals", "StringNotEquals"], ["o-abc", "o-other"],
     ["o-abc", "o-zzz"]),
]


@st.composite
def clause(draw: Any) -> tuple[str, str, Any]:
    key, ops, pvals, _ = draw(st.sampled_from(KEYS))
    op = draw(st.sampled_from(ops))
    if draw(st.booleans()) and not op.startswith("For") and op != "Null":
        op += "IfExists"
    if draw(st.integers(0, 7)) == 0:
        return "Null", key, draw(st.sampled_from(["true", "false"]))
    vals = draw(st.lists(st.sampled_from(pvals), min_size=1, max_size=2, unique=True))
    return op, key, vals


@st.composite
def statement(draw: Any) -> dict:
    s: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
        "Action": draw(st.sampled_from(["secretsmanager:GetSecretValue", "secretsmanager:*",
                                        "*", "kms:Decrypt"])),
        "Resource": draw(st.sampled_from(["*", SECRET, "arn:aws:secretsmanager:*:*:secret:x*"])),
        "Principal": draw(st.sampled_from(["*", {"AWS": "222222222222"}, {"AWS": ROLE},
                                           {"AWS": "333333333333"}])),
    }
    cond: dict[str, dict[str, Any]] = {}
    for op, key, vals in draw(st.lists(clause(), max_size=3)):
        cond.setdefault(op, {})[key] = vals
    if cond:
        s["Condition"] = cond
    return s


@st.composite
def request(draw: Any) -> Request:
    ctx: dict[str, tuple[str, ...]] = {"aws:principalarn": (ROLE,)}
    absent: set[str] = set()
    for key, _, _, rvals in KEYS:
        k = key.lower()
        if k == "aws:principalarn":
            continue
        state = draw(st.sampled_from(["known", "absent", "unknown"]))
        if state == "known":
            n = 2 if k == "aws:calledvia" and draw(st.booleans()) else 1
            ctx[k] = tuple(draw(st.lists(st.sampled_from(rvals), min_size=n, max_size=n)))
        elif state == "absent":
            absent.add(k)
    return Request(principal_arn=ROLE, principal_account="222222222222",
                   action="secretsmanager:GetSecretValue", resource=SECRET, context=ctx,
                   absent=frozenset(absent))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(statement(), min_size=1, max_size=4), request())
def test_solver_agrees_with_the_evaluator_where_it_is_definite(stmts: list[dict],
                                                               req: Request) -> None:
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": stmts}))
    ev = evaluate_policy(policy, req, PolicyKind.RESOURCE).decision.value
    chk = check_policy(policy, req, PolicyKind.RESOURCE, timeout_s=30)
    if ev != "CONDITIONAL":
        assert chk.decision in (ev, "UNKNOWN"), f"evaluator {ev}, solver {chk.decision}"
        if chk.decision == "UNKNOWN":
            assert chk.not_encoded, "an UNKNOWN solver answer names what is not encoded"
    if chk.decision in ("CONDITIONAL", "ALLOWED") and chk.witness is not None:
        replay = evaluate_policy(policy, chk.witness, PolicyKind.RESOURCE).decision.value
        assert replay == "ALLOWED", (chk.witness, replay)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([PolicyKind.IDENTITY, PolicyKind.SCP]),
       st.lists(statement(), min_size=1, max_size=4), request())
def test_identity_policies_boundaries_and_scps_agree_too(kind: PolicyKind, stmts: list[dict],
                                                         req: Request) -> None:
    """The same property for the documents without a Principal element: identity policies
    (and boundaries, evaluated the same way) and SCPs."""
    for s in stmts:
        s.pop("Principal", None)
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": stmts}))
    ev = evaluate_policy(policy, req, kind).decision.value
    chk = check_policy(policy, req, kind, timeout_s=30)
    if ev != "CONDITIONAL":
        assert chk.decision in (ev, "UNKNOWN"), f"{kind.value}: evaluator {ev}, solver " \
                                                f"{chk.decision}"
        if chk.decision == "UNKNOWN":
            assert chk.not_encoded, "an UNKNOWN solver answer names what is not encoded"
    if chk.decision in ("CONDITIONAL", "ALLOWED") and chk.witness is not None:
        replay = evaluate_policy(policy, chk.witness, kind).decision.value
        assert replay == "ALLOWED", (chk.witness, replay)
