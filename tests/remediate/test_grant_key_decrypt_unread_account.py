"""grant-key-decrypt never widens a key to an account's root for a read its roles already
have: an organization member whose IAM was not read, granted whole by the secret, while the
key policy lets in any ROLE of it (Principal "*", ArnLike aws:PrincipalArn role/*). Its
stand-in (docs/access.md "account:<id>") is any principal of the account: the key gate is
CONDITIONAL for it, not DENIED, so the key is not the gate to fix.

IAM conformance trial round 10 (member_keycond_broken.py): the stand-in was judged as the
root user, DENIED by the key; secret-cross-account-access-broken FAILed and the plan granted
kms:Decrypt to arn:aws:iam::222222222222:root -- widening a key deliberately limited to roles.
"""

from __future__ import annotations

import json
from dataclasses import replace

from helpers.access_estate import CENTRAL, MEMBER, MEMBER2, KEY_ARN, SECRET_ARN, estate, text

from scanner.changes import RemediationConfig
from scanner.findings import Finding, Status
from scanner.model import Snapshot
from scanner.pipeline import ScanOptions, analyze, load_inputs
from scanner.remediate.planner import Selection, build_plan

RULE = "secret-cross-account-access-broken"
MEMBER_ROOT = f"arn:aws:iam::{MEMBER}:root"


def _snapshot() -> Snapshot:
    secret_policy = text({"Effect": "Allow", "Principal": {"AWS": MEMBER_ROOT},
                          "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    key_policy = text(
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "MemberRoles", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
         "Resource": "*",
         "Condition": {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{MEMBER}:role/*"}}})
    return estate(secret_policy=secret_policy, key_policy=key_policy,
                  iam_accounts=(CENTRAL, MEMBER2))


def _findings(snap: Snapshot) -> list[Finding]:
    return [f for f in analyze(snap, load_inputs(ScanOptions())).findings if f.rule_id == RULE]


def _root_grants(plan: object) -> list[str]:
    out = []
    for change in getattr(plan, "changes"):
        if change.remediation_id != "grant-key-decrypt":
            continue
        out.append(json.dumps(change.to_json()))
    return [c for c in out if MEMBER_ROOT in c]


def test_the_unread_members_read_limited_to_its_roles_is_not_reported_broken() -> None:
    """IAM conformance trial round 10: no FAIL, so nothing to plan."""
    snap = _snapshot()
    findings = _findings(snap)
    assert [f for f in findings if f.status is Status.FAIL] == []
    plan = build_plan(findings, snap, RemediationConfig(), Selection(rules=(RULE,)))
    assert _root_grants(plan) == []


def test_a_finding_from_before_does_not_plan_a_root_grant() -> None:
    """IAM conformance trial round 10: the FAIL an earlier scan reported (the stand-in DENIED
    by the key) is planned against the access analysis of the estate, whose key gate for the
    stand-in is CONDITIONAL: refused ("not known to block"), no statement for the root."""
    snap = _snapshot()
    (current,) = [f for f in _findings(snap) if f.resource.arn == SECRET_ARN]
    gates = {"resource_policy": "ALLOWED", "key_policy": "DENIED",
             "identity_policy": "UNKNOWN", "scp": "UNKNOWN"}
    stale = replace(current, status=Status.FAIL, principal=MEMBER_ROOT, missing=(),
                    evidence={"key_arn": KEY_ARN, "principal_arns": [MEMBER_ROOT],
                              "gates": {MEMBER_ROOT: gates}},
                    remediation={"id": "repair-cross-account-access"})
    plan = build_plan([stale], snap, RemediationConfig(), Selection(rules=(RULE,)))
    assert _root_grants(plan) == []
    (skipped,) = [s for s in plan.skipped if s.finding_id == stale.id]
    assert "key_policy CONDITIONAL" in skipped.reason, skipped.reason
