"""Hypothesis, every gate at once: generated resource policies, key policies, identity
policies, permissions boundaries and SCPs, for a member role (cross account), a role and a
user of the secret's own account. Wherever the access analysis is definite the solver agrees;
every witness, rebuilt from its JSON form, replays through the evaluator as ALLOWED; a proof
is never contradicted by the evaluator on concrete request contexts."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from helpers.access_estate import (
    APP_ROLE,
    CENTRAL,
    CENTRAL_ROLE,
    KEY_ARN,
    MEMBER,
    MEMBER2,
    ORG_ID,
    REGION,
    SECRET_ARN,
    doc,
    estate,
    text,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scanner.access import AccessSettings, analyze_access
from scanner.access.scp import Guardrails
from scanner.graph.builder import build_graph
from scanner.model import ControlPolicy, IamPrincipal, ManagedPolicy
from scanner.policy.request import Request
from scanner.policy.smt import pair
from scanner.policy.smt.questions import Prover, check_pair
from scanner.policy.smt.solve import PROVEN_NONE, WITNESS

GSV = "secretsmanager:GetSecretValue"
VIA = f"secretsmanager.{REGION}.amazonaws.com"
CENTRAL_USER = f"arn:aws:iam::{CENTRAL}:user/alice"
BOUNDARY = f"arn:aws:iam::{CENTRAL}:policy/boundary"
SESSION = f"arn:aws:sts::{CENTRAL}:assumed-role/CentralApp/build"
FULL = json.dumps(doc({"Effect": "Allow", "Action": "*", "Resource": "*"}))

CONDITIONS = [
    {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/25"}},
    {"StringEquals": {"aws:SourceVpce": "vpce-1"}},
    {"StringNotEqualsIfExists": {"aws:SourceVpce": "vpce-1"}},
    {"StringEquals": {"aws:PrincipalTag/team": "payments"}},
    {"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}},
    {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}},
    {"Bool": {"aws:SecureTransport": "false"}},
    {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
]
GRANTEES = ["*", f"arn:aws:iam::{MEMBER}:root", APP_ROLE, CENTRAL_ROLE,
            f"arn:aws:iam::{CENTRAL}:root", CENTRAL_USER, SESSION]


@st.composite
def condition(draw: Any) -> dict[str, Any] | None:
    picked = draw(st.lists(st.sampled_from(CONDITIONS), max_size=2))
    out: dict[str, dict[str, Any]] = {}
    for c in picked:
        for op, body in c.items():
            out.setdefault(op, {}).update(body)
    return out or None


def stmt(effect: str, action: Any, resource: str, cond: dict[str, Any] | None,
         principal: Any = None) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": effect, "Action": action, "Resource": resource}
    if principal is not None:
        s["Principal"] = {"AWS": principal} if principal != "*" else "*"
    if cond:
        s["Condition"] = cond
    return s


@st.composite
def resource_policy(draw: Any) -> str:
    stmts = [stmt("Allow", GSV, "*", draw(condition()),
                  draw(st.lists(st.sampled_from(GRANTEES), min_size=1, max_size=2)))]
    if draw(st.booleans()):
        stmts.append(stmt("Deny", "secretsmanager:*", "*", draw(condition()), "*"))
    return text(*stmts)


@st.composite
def key_policy(draw: Any) -> str:
    grant = stmt("Allow", "kms:Decrypt", "*", {"StringEquals": {"kms:ViaService": VIA}},
                 draw(st.lists(st.sampled_from(GRANTEES), min_size=1, max_size=2)))
    extra = draw(condition())
    if extra:
        grant["Condition"].update(extra)
    return text(stmt("Allow", "kms:*", "*", None, f"arn:aws:iam::{CENTRAL}:root"), grant)


@st.composite
def identity(draw: Any) -> dict[str, Any]:
    resource = draw(st.sampled_from([
        "*", f"arn:aws:secretsmanager:*:{CENTRAL}:secret:app/*",
        f"arn:aws:secretsmanager:*:{CENTRAL}:secret:other/*"]))
    stmts = [stmt("Allow", GSV, resource, draw(condition())),
             stmt("Allow", "kms:Decrypt", draw(st.sampled_from([KEY_ARN, "*"])),
                  draw(condition()))]
    if draw(st.booleans()):
        stmts.append(stmt("Deny", "*", "*", draw(condition())))
    return doc(*stmts)


@st.composite
def boundary(draw: Any) -> ManagedPolicy | None:
    if draw(st.booleans()):
        return None
    actions = draw(st.sampled_from([[GSV, "kms:Decrypt"], ["kms:Decrypt"], ["secretsmanager:*",
                                                                            "kms:*"]]))
    return ManagedPolicy(arn=BOUNDARY, name="boundary", account_id=CENTRAL,
                         document=doc(stmt("Allow", actions, "*", draw(condition()))))


@st.composite
def scps(draw: Any) -> tuple[ControlPolicy, ...] | None:
    if draw(st.booleans()):
        return None
    out = [ControlPolicy(policy_id="p-full", name="FullAWSAccess",
                         policy_type="SERVICE_CONTROL_POLICY", content=FULL,
                         targets=("r-root", CENTRAL, MEMBER, MEMBER2))]
    cond = draw(condition())
    if cond is not None:
        out.append(ControlPolicy(policy_id="p-guard", name="guard",
                                 policy_type="SERVICE_CONTROL_POLICY",
                                 content=text(stmt("Deny", GSV, "*", cond)),
                                 targets=("r-root",)))
    return tuple(out)


@st.composite
def sample(draw: Any) -> dict[str, tuple[str, ...]]:
    ctx = {"aws:sourceip": (draw(st.sampled_from(["203.0.113.9", "203.0.113.200",
                                                  "10.1.2.3"])),),
           "aws:currenttime": (draw(st.sampled_from(["2026-06-01T00:00:00Z",
                                                     "2028-06-01T00:00:00Z"])),)}
    vpce = draw(st.sampled_from([None, "vpce-1", "vpce-2"]))
    if vpce:
        ctx["aws:sourcevpce"] = (vpce,)
    return ctx


def _request(w: dict[str, Any], r: dict[str, Any]) -> Request:
    return Request(principal_arn=w["principal"], principal_account=w["principal_account"],
                   principal_type=w["principal_type"], action=r["action"],
                   resource=r["resource"], has_permissions_boundary=w["permissions_boundary"],
                   context={k: tuple(v) for k, v in r["context"].items()},
                   absent=frozenset(r["absent"]))


def _with(req: Request, ctx: dict[str, tuple[str, ...]]) -> Request:
    return replace(req, context={**req.context, **ctx},
                   absent=req.absent | ({"aws:sourcevpce"} - set(ctx)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([APP_ROLE, CENTRAL_ROLE, CENTRAL_USER]), resource_policy(),
       key_policy(), identity(), boundary(), scps(), st.booleans(),
       st.lists(sample(), min_size=3, max_size=3))
def test_every_gate_solver_and_evaluator_agree(who: str, rp: str, kp: str,
                                               ident: dict[str, Any],
                                               bound: ManagedPolicy | None,
                                               guard: tuple[ControlPolicy, ...] | None,
                                               tagged: bool, samples: list[Any]) -> None:
    account = who.split(":")[4]
    name = who.rsplit("/", 1)[-1]
    principal = IamPrincipal(arn=who, name=name, account_id=account,
                             principal_type="user" if ":user/" in who else "role",
                             inline_policies={"read": ident},
                             tags={"team": "payments"} if tagged else {},
                             permissions_boundary_arn=BOUNDARY if bound else None)
    snap = estate(secret_policy=rp, key_policy=kp, principals=(principal,),
                  managed=(bound,) if bound else (), scps=guard, management="999999999990")
    settings_ = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    graph = build_graph(snap)
    report = analyze_access(graph, snap, settings_)
    paths = [p for p in report.secrets[SECRET_ARN].paths if p.principal == who]
    evaluator = paths[0].decision if paths else "DENIED"
    prover = Prover(graph, snap, settings_, timeout_s=30)
    sv = prover.views[SECRET_ARN]
    iam = prover.index.by_arn[who]
    verdict = check_pair(sv, iam, settings_, Guardrails(snap.organization), timeout_s=30)
    if evaluator in ("ALLOWED", "DENIED"):
        assert verdict.decision in (evaluator, "UNKNOWN"), (evaluator, verdict)
        if verdict.decision == "UNKNOWN":
            assert verdict.not_encoded, verdict
    answer = prover.principal(SECRET_ARN, who)
    event(f"evaluator {evaluator}, solver {verdict.decision}, answer {answer.status}")
    assert not (answer.status == PROVEN_NONE and evaluator == "ALLOWED"), answer
    assert not (answer.status == WITNESS and evaluator == "DENIED"), answer
    w = answer.witness
    if answer.status == WITNESS:
        assert w is not None
        again = pair.replay(sv, iam, settings_, snap.organization,
                            _request(w, w["requests"]["secret"]),
                            _request(w, w["requests"]["key"]))
        assert again.decision == "ALLOWED", (answer, again.reasons)
    if answer.status == PROVEN_NONE:
        from scanner.policy.smt.questions import _pair_requests

        sm, kms = _pair_requests(sv, iam.facts, settings_)
        assert kms is not None
        for ctx in samples:
            seen = pair.replay(sv, iam, settings_, snap.organization, _with(sm, ctx),
                               _with(kms, ctx))
            assert seen.decision != "ALLOWED", (answer, ctx, seen.reasons)
