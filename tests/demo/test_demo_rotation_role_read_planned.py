"""secret-rotation-role-cannot-read whose only denying gate is the key policy (not an explicit
Deny, the key usable) has a fix as safe as grant-key-decrypt's: a key-policy statement for the
rotation function's role, only for that secret, only through Secrets Manager -- kms:Decrypt
and the kms:GenerateDataKey rotation needs to write its new version (Secrets Manager User
Guide, "Lambda rotation function execution role permissions"). It was "grant-rotation-role-read
has no automated remediator" on the demo's rotation-role-no-decrypt, whose key policy only
delegates to IAM (safe-fixes trial round 17). A role another gate denies stays a person's."""

from __future__ import annotations

import json
from pathlib import Path

from scanner.demo.estate import DemoEstate
from scanner.demo.run import CONFIG, scan_estate
from scanner.findings import Status
from scanner.pipeline import ScanOptions, load_inputs
from scanner.remediate.config import load_config
from scanner.remediate.planner import Selection, build_plan

RULE = "secret-rotation-role-cannot-read"


def test_the_rotation_role_denied_by_the_key_policy_alone_is_granted_on_the_key(
        estate: DemoEstate, tmp_path: Path) -> None:
    scanned, _ = scan_estate(estate, tmp_path / "scan", quiet=True)
    (finding,) = [f for f in scanned.findings if f.rule_id == RULE and f.status is Status.FAIL]
    assert finding.evidence["denied_by"] == ["key_policy"]
    role = finding.evidence["execution_role"]

    plan = build_plan(scanned.findings, scanned.snapshot, load_config(CONFIG),
                      Selection(rules=(RULE,)),
                      inputs=load_inputs(ScanOptions(config_path=CONFIG)))

    assert not plan.skipped, plan.skipped
    (change,) = plan.changes
    assert change.remediation_id == "grant-key-decrypt" and change.finding_ids == (finding.id,)
    assert change.policy_diff is not None
    (added,) = [s.after for s in change.policy_diff.statements if s.op == "added"]
    assert added["Principal"] == {"AWS": role}
    assert added["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert added["Condition"]["StringEquals"]["kms:EncryptionContext:SecretARN"] == \
        finding.resource.arn
    effect = change.effect or {}
    assert finding.id in {f["id"] for f in effect.get("findings_resolved") or ()}, effect
    assert not effect.get("readers_lost") and not effect.get("findings_created"), effect
    # the finding's row says so too: automated for this one
    assert json.loads(json.dumps(finding.remediation)).get("automated") is True
