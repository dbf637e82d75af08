"""Hypothesis: a proof of "nobody outside the zone reads this secret" is never contradicted by
the evaluator on concrete outside requests, and every witness replays ALLOWED."""

from __future__ import annotations

from typing import Any

from helpers.access_estate import CENTRAL, ORG_ID, REGION, SECRET_ARN, estate, text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.access import AccessSettings
from scanner.access.context import PrincipalFacts, build_request, principal_context
from scanner.graph.builder import build_graph
from scanner.policy import PolicyKind, evaluate_policy
from scanner.policy.smt.questions import Prover
from scanner.policy.smt.solve import PROVEN_NONE, WITNESS

GSV = "secretsmanager:GetSecretValue"
OPEN_KEY = text({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
                 "Condition": {"StringEquals": {
                     "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}})
OUTSIDE = ["999999999999", "444455556666"]

CONDITIONS = [
    {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}},
    {"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}},
    {"StringEquals": {"aws:PrincipalAccount": OUTSIDE[0]}},
    {"StringNotEquals": {"aws:PrincipalAccount": [CENTRAL, "222222222222"]}},
    {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"StringLike": {"aws:PrincipalTag/team": "pay*"}},
    {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}},
    {"Null": {"aws:SourceVpce": "false"}},
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci-*"}},
    {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci-*"}},
    {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}},
]


@st.composite
def secret_policy(draw: Any) -> str:
    stmts = []
    for _ in range(draw(st.integers(1, 3))):
        s: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
                             "Principal": draw(st.sampled_from(
                                 ["*", {"AWS": f"arn:aws:iam::{OUTSIDE[0]}:root"},
                                  {"AWS": "222222222222"}])),
                             "Action": draw(st.sampled_from([GSV, "secretsmanager:*"])),
                             "Resource": "*"}
        conds: dict[str, dict[str, Any]] = {}
        for c in draw(st.lists(st.sampled_from(CONDITIONS), max_size=2)):
            for op, body in c.items():
                conds.setdefault(op, {}).update(body)
        if conds:
            s["Condition"] = conds
        stmts.append(s)
    return text(*stmts)


@st.composite
def outside_request_facts(draw: Any) -> tuple[PrincipalFacts, dict[str, tuple[str, ...]]]:
    account = draw(st.sampled_from(OUTSIDE))
    name = draw(st.sampled_from(["ci-build", "app", "payments"]))
    tags = draw(st.sampled_from([{}, {"team": "payments"}, {"team": "ops"}]))
    facts = PrincipalFacts(arn=f"arn:aws:iam::{account}:role/{name}", account_id=account,
                           principal_type="role", name=name, tags=tags)
    ctx: dict[str, tuple[str, ...]] = {
        "aws:sourceip": (draw(st.sampled_from(["203.0.113.9", "10.1.2.3", "198.51.100.1"])),),
        "aws:currenttime": (draw(st.sampled_from(["2025-06-01T00:00:00Z",
                                                  "2027-06-01T00:00:00Z"])),)}
    vpce = draw(st.sampled_from([None, "vpce-1", "vpce-2"]))
    if vpce:
        ctx["aws:sourcevpce"] = (vpce,)
    return facts, ctx


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret_policy(), st.lists(outside_request_facts(), min_size=3, max_size=3))
def test_proofs_hold_on_concrete_outside_requests(policy_text: str, samples: list[Any]) -> None:
    snap = estate(secret_policy=policy_text, key_policy=OPEN_KEY)
    settings_ = AccessSettings.from_snapshot(snap)
    prover = Prover(build_graph(snap), snap, settings_, timeout_s=30)
    answer = prover.secret(SECRET_ARN).read
    sv = prover.views[SECRET_ARN]
    if answer.status == WITNESS:
        assert answer.replay["secret"] == answer.replay["key"] == "ALLOWED"
    if answer.status != PROVEN_NONE:
        return
    for facts, extra in samples:
        pctx = principal_context(facts, settings_)
        absent = {"aws:sourcevpce"} - set(extra)
        sm = build_request(facts, pctx, sv.rctx_sm, action=GSV, resource=SECRET_ARN)
        sm = type(sm)(**{**{f: getattr(sm, f) for f in sm.__slots__},  # type: ignore[attr-defined]
                         "context": {**sm.context, **extra},
                         "absent": sm.absent | frozenset(absent)})
        kms = build_request(facts, pctx, sv.rctx_kms, action="kms:Decrypt",
                            resource=sv.key_arn or "")
        assert sv.policy is not None and sv.key_policy is not None
        both = (evaluate_policy(sv.policy, sm, PolicyKind.RESOURCE).decision.value,
                evaluate_policy(sv.key_policy, kms, PolicyKind.RESOURCE).decision.value)
        assert both != ("ALLOWED", "ALLOWED"), (policy_text, facts, extra, answer)
