"""``scan --prove`` does not let an RCP close an exposure finding (ground-truth round 12, D4).

The exposure rules judge the resource policy: secret-policy-external-account reports a grant
"even when another gate currently blocks it" -- and the ``scp`` gate stands for SCPs and RCPs
alike -- and secret-policy-public reports a public Allow that the policy itself does not take
back. Without ``--prove`` an RCP data perimeter (Deny unless aws:PrincipalOrgID is ours or
aws:PrincipalIsAWSService) left both FAIL; with ``--prove`` the solver's question included the
RCPs, proved that no outside request gets through, and both became PASS. The solver's question
for the rules is now the policy alone (its statements and its own Deny statements), as the
rules' text says; the RCP still shows in the finding as the gate that currently blocks.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from helpers.access_estate import (CENTRAL, MEMBER, MEMBER2, ORG_ID, SECRET_ARN, control,
                                   estate, key_policy_for, secret_policy_for, text)
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Finding, Status
from scanner.graph.builder import build_graph

PARTNER = "222200002222"
PARTNER_ROOT = f"arn:aws:iam::{PARTNER}:root"
EVERYWHERE = ("r-root", CENTRAL, MEMBER, MEMBER2)

#: the AWS data-perimeter RCP at the root: no caller outside the organization, AWS services
#: excepted (Organizations User Guide, RCP examples)
PERIMETER = control("p-dataperim", "RESOURCE_CONTROL_POLICY", ("r-root",), {
    "Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*",
    "Action": ["secretsmanager:*", "kms:*"], "Resource": "*",
    "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID},
                  "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}})

PUBLIC = text({"Sid": "Everyone", "Effect": "Allow", "Principal": "*",
               "Action": "secretsmanager:GetSecretValue", "Resource": "*"})


def _findings(rule_id: str, secret_policy: str, *, prove: bool) -> list[Finding]:
    full_scp = control("p-full", "SERVICE_CONTROL_POLICY", EVERYWHERE,
                       {"Effect": "Allow", "Action": "*", "Resource": "*"})
    full_rcp = control("p-rfull", "RESOURCE_CONTROL_POLICY", EVERYWHERE,
                       {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
    snap = estate(secret_policy=secret_policy, key_policy=key_policy_for(PARTNER_ROOT),
                  scps=(full_scp, full_rcp, PERIMETER), management="444444444444")
    assert snap.organization is not None
    snap = replace(snap, organization=replace(
        snap.organization, rcps_read=True,
        policy_types_enabled=("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")))
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get(rule_id)
    assert rule is not None
    config = parse_config({"prove": prove, "prove_timeout": 120, "emit_pass": True},
                          path="(test)")
    return [f for f in evaluate(graph, snap, access, Ruleset(rules=(rule,)), config,
                                datetime(2026, 11, 29, tzinfo=timezone.utc))
            if f.resource.arn == SECRET_ARN]


@pytest.mark.parametrize("prove", [False, True], ids=["evaluator", "prove"])
def test_an_external_grant_an_rcp_blocks_fails_with_and_without_prove(prove: bool) -> None:
    [f] = _findings("secret-policy-external-account", secret_policy_for(PARTNER_ROOT),
                    prove=prove)
    assert f.status is Status.FAIL, (f.status, f.message)
    assert f.principal == PARTNER_ROOT
    assert "; currently blocked by scp (RCP p-dataperim)" in f.message, f.message
    assert f.evidence.get("blocked_by") == ["scp"]
    if prove:
        # the solver's question is the policy's: the grant gets through it (no RCP asked)
        proof = f.evidence["proof"]
        assert proof["evaluator"] == "ALLOWED" and proof["status"] == "WITNESS", proof
        assert not any("RCP" in k for k in f.evidence["proof"].get("replay", {})), \
            f.evidence["proof"]


@pytest.mark.parametrize("prove", [False, True], ids=["evaluator", "prove"])
def test_a_public_grant_an_rcp_blocks_fails_with_and_without_prove(prove: bool) -> None:
    [f] = _findings("secret-policy-public", PUBLIC, prove=prove)
    assert f.status is Status.FAIL, (f.status, f.message)
    if prove:
        proof = f.evidence["proof"]
        assert proof["evaluator"] == "ALLOWED" and proof["status"] == "WITNESS", proof


@pytest.mark.parametrize("prove", [False, True], ids=["evaluator", "prove"])
def test_the_policys_own_perimeter_deny_still_passes_with_and_without_prove(
        prove: bool) -> None:
    """The other side: the same perimeter written as a Deny of the secret policy itself takes
    the grant back, with --prove or without (exposure.taken_back)."""
    own = text({"Effect": "Allow", "Principal": {"AWS": PARTNER_ROOT},
                "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
               {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*",
                "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID},
                              "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}})
    [f] = _findings("secret-policy-external-account", own, prove=prove)
    assert f.status is Status.PASS, (f.status, f.message)
