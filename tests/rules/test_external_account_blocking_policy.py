"""secret-policy-external-account names the guardrail that currently blocks a grant.

Ground-truth trial round 9: partner/feed granted an outside account that the RCP SecPerimeter
denied; the finding said "currently blocked by scp" (evidence ``blocked_by: ["scp"]``) with no
policy named -- only ``access --why`` said "RCP SecPerimeter ... Deny applies". The gate is
named ``scp`` for SCPs and RCPs alike (the findings' contract, kept in ``blocked_by``); the
message now says which kind and which policy, and the evidence lists them
(``denied_by_policies``), as secret-cross-account-access-broken does.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import pytest

from helpers.access_estate import (CENTRAL, MEMBER, MEMBER2, ORG_ID, control, estate,
                                   key_policy_for, secret_policy_for, text)
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Finding, Status
from scanner.graph.builder import build_graph
from scanner.model import ControlPolicy

PARTNER = "222200002222"
PARTNER_ROOT = f"arn:aws:iam::{PARTNER}:root"

#: the data perimeter: no one outside the organization reads a secret of CENTRAL
PERIMETER = ControlPolicy(
    policy_id="p-secperim1", name="SecPerimeter", policy_type="RESOURCE_CONTROL_POLICY",
    targets=(CENTRAL,), content=text({
        "Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}}}))


def _finding(*, key_grants_partner: bool, rcps: tuple[ControlPolicy, ...] = (PERIMETER,)
             ) -> Finding:
    everywhere = ("r-root", CENTRAL, MEMBER, MEMBER2)
    full_scp = control("p-full", "SERVICE_CONTROL_POLICY", everywhere,
                       {"Effect": "Allow", "Action": "*", "Resource": "*"})
    full_rcp = control("p-rfull", "RESOURCE_CONTROL_POLICY", everywhere,
                       {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
    snap = estate(secret_policy=secret_policy_for(PARTNER_ROOT),
                  key_policy=key_policy_for(PARTNER_ROOT if key_grants_partner
                                            else f"arn:aws:iam::{MEMBER}:root"),
                  scps=(full_scp, full_rcp, *rcps), management="444444444444")
    assert snap.organization is not None
    snap = replace(snap, organization=replace(
        snap.organization, rcps_read=True,
        policy_types_enabled=("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")))
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get("secret-policy-external-account")
    assert rule is not None
    [fail] = [f for f in evaluate(graph, snap, access, Ruleset(rules=(rule,)),
                                  parse_config({}, path="(test)"),
                                  datetime(2026, 11, 29, tzinfo=timezone.utc))
              if f.status is Status.FAIL]
    assert fail.principal == PARTNER_ROOT
    return fail


def _evidence(f: Finding) -> dict[str, Any]:
    return {k: f.evidence.get(k) for k in ("blocked_by", "denied_by_policies")}


@pytest.mark.parametrize("target", [CENTRAL, "r-root"], ids=["account", "root"])
def test_a_grant_an_rcp_blocks_names_the_rcp(target: str) -> None:
    """Ground-truth trial round 9: "currently blocked by scp", no policy named -- wherever the
    RCP is attached on the secret's path."""
    fail = _finding(key_grants_partner=True, rcps=(replace(PERIMETER, targets=(target,)),))
    assert "; currently blocked by scp (RCP SecPerimeter (p-secperim1))" in fail.message, \
        fail.message
    assert _evidence(fail) == {"blocked_by": ["scp"],
                               "denied_by_policies": ["RCP SecPerimeter (p-secperim1)"]}


def test_the_key_policy_and_the_rcp_both_named() -> None:
    """Ground-truth trial round 9: each blocking gate is named, the guardrail with its
    policy."""
    fail = _finding(key_grants_partner=False)
    assert "; currently blocked by key_policy, scp (RCP SecPerimeter (p-secperim1))" \
        in fail.message, fail.message
    assert _evidence(fail) == {"blocked_by": ["key_policy", "scp"],
                               "denied_by_policies": ["RCP SecPerimeter (p-secperim1)"]}


def test_a_grant_the_key_policy_alone_blocks_names_no_guardrail() -> None:
    """Ground-truth trial round 9 (the other side): no guardrail blocks, none is named and the
    evidence has no denied_by_policies."""
    fail = _finding(key_grants_partner=False, rcps=())
    assert fail.message.endswith("; currently blocked by key_policy"), fail.message
    assert _evidence(fail) == {"blocked_by": ["key_policy"], "denied_by_policies": None}
