"""move-secret-to-cmk on a secret whose rotation was on at the scan plans UpdateSecret then
RotateSecret. RotateSecret turns rotation on (Secrets Manager API Reference,
CancelRotateSecret: "To turn on automatic rotation again, call RotateSecret"), so when someone
turned it off since the scan, the apply would undo their change -- a change the plan did not
show against the secret as it now is. The rotation the plan's calls depend on is part of the
state the plan starts from: drift, refused, nothing changed (safe-fixes trial round 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.remediate_estate import CENTRAL, REGION, Scanned, account_session
from scanner.changes import with_secret
from scanner.errors import InputError
from scanner.remediate.engine import apply_plan
from scanner.remediate.planfile import Plan, estate_of
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.sessions import ClientsFactory


def _rotating_at_the_scan(s: Scanned) -> Plan:
    """The plain secret with rotation on, in moto and in the scan's record of it."""
    sm = account_session(CENTRAL).client("secretsmanager", region_name=REGION)
    secret = s.estate.plain_secret
    sm.rotate_secret(SecretId=secret, RotationLambdaARN=s.estate.rotation_lambda,
                     RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    snapshot = with_secret(s.snapshot, secret, rotation_enabled=True,
                           rotation_lambda_arn=s.estate.rotation_lambda)
    plan = build_plan(s.findings, snapshot, s.config, Selection(rules=("move-secret-to-cmk",)))
    (change,) = [c for c in plan.changes if c.remediation_id == "move-secret-to-cmk"]
    assert [c.operation for c in change.calls] == ["UpdateSecret", "RotateSecret"]
    return plan


def test_rotation_turned_off_since_the_scan_refuses_the_move_and_changes_nothing(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    plan = _rotating_at_the_scan(scanned)
    sm = account_session(CENTRAL).client("secretsmanager", region_name=REGION)
    sm.cancel_rotate_secret(SecretId=scanned.estate.plain_secret)  # someone, since the scan

    with pytest.raises(InputError) as refused:
        apply_plan(plan, clients, journal_path=str(tmp_path / "j.jsonl"), plan_path="plan.json",
                   max_age_hours=24, current_estate=estate_of(scanned.snapshot))

    assert "rotation_enabled changed since the scan" in str(refused.value), refused.value
    now = sm.describe_secret(SecretId=scanned.estate.plain_secret)
    assert now.get("RotationEnabled") is False  # their change stands
    assert now.get("KmsKeyId") is None  # and the move was not made


def test_with_rotation_as_at_the_scan_the_move_is_made(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    plan = _rotating_at_the_scan(scanned)

    result = apply_plan(plan, clients, journal_path=str(tmp_path / "j.jsonl"),
                        plan_path="plan.json", max_age_hours=24,
                        current_estate=estate_of(scanned.snapshot))

    assert result.ok, result
    now = account_session(CENTRAL).client("secretsmanager", region_name=REGION).describe_secret(
        SecretId=scanned.estate.plain_secret)
    assert now.get("KmsKeyId") == scanned.estate.cmk_arn and now.get("RotationEnabled") is True


def test_a_target_key_disabled_since_the_scan_refuses_the_move_and_changes_nothing(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    """The plan moves the secret onto a key that was Enabled at the scan (it refuses any
    other); moved onto a key someone disabled since, the secret could no longer be read or
    rotated -- the key's state is part of the state the plan starts from."""
    plan = build_plan(scanned.findings, scanned.snapshot, scanned.config,
                      Selection(rules=("move-secret-to-cmk",)))
    kms = account_session(CENTRAL).client("kms", region_name=REGION)
    kms.disable_key(KeyId=scanned.estate.cmk_arn.rsplit("/", 1)[1])  # someone, since the scan

    with pytest.raises(InputError) as refused:
        apply_plan(plan, clients, journal_path=str(tmp_path / "j.jsonl"), plan_path="plan.json",
                   max_age_hours=24, current_estate=estate_of(scanned.snapshot))

    assert "target_key_state changed since the scan" in str(refused.value), refused.value
    sm = account_session(CENTRAL).client("secretsmanager", region_name=REGION)
    assert sm.describe_secret(SecretId=scanned.estate.plain_secret).get("KmsKeyId") is None


def test_a_target_key_policy_edited_since_the_scan_refuses_the_move_and_changes_nothing(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    """Safe-fixes trial round 10: the secret's readers after the move are whoever the key's
    policy lets decrypt, and the plan predicted them from the policy at the scan. Someone
    removed the statement that lets the account's IAM policies grant the key since: the move
    went ahead, and the secret's readers (its own account's too) were locked out of it."""
    import json

    plan = build_plan(scanned.findings, scanned.snapshot, scanned.config,
                      Selection(rules=("move-secret-to-cmk",)))
    (move,) = [c for c in plan.changes if c.remediation_id == "move-secret-to-cmk"]
    assert move.pre_state["target_key_policy_as_planned"] is True
    kms = account_session(CENTRAL).client("kms", region_name=REGION)
    key = scanned.estate.cmk_arn
    doc = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    doc["Statement"] = [{"Sid": "OnlyAdmin", "Effect": "Allow", "Action": "kms:*",
                         "Resource": "*",
                         "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:role/Admin"}}]
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(doc),
                       BypassPolicyLockoutSafetyCheck=True)  # someone, since the scan

    with pytest.raises(InputError) as refused:
        apply_plan(plan, clients, journal_path=str(tmp_path / "j.jsonl"), plan_path="plan.json",
                   max_age_hours=24, current_estate=estate_of(scanned.snapshot))

    assert "target_key_policy_as_planned changed since the scan" in str(refused.value), \
        refused.value
    sm = account_session(CENTRAL).client("secretsmanager", region_name=REGION)
    assert sm.describe_secret(SecretId=scanned.estate.plain_secret).get("KmsKeyId") is None


def test_the_key_policy_its_companion_leads_to_is_as_planned(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    """A key-policy change of the plan to that key (the grant-key-decrypt companion that keeps
    the secret's readers, one for another secret) leaves the key with a policy the plan knows:
    the move is made after it, and a second apply is a no-op."""
    plan = build_plan(scanned.findings, scanned.snapshot, scanned.config,
                      Selection(rules=("move-secret-to-cmk", "grant-key-decrypt")))
    (move,) = [c for c in plan.changes if c.remediation_id == "move-secret-to-cmk"]
    edits = [c for c in plan.changes if c.target == f"key-policy:{move.details['key_arn']}"]
    assert edits, [c.remediation_id for c in plan.changes]
    assert len(move.details["key_policy_digests"]) == 1 + len(edits)

    first = apply_plan(plan, clients, journal_path=str(tmp_path / "j1.jsonl"),
                       plan_path="plan.json", max_age_hours=24,
                       current_estate=estate_of(scanned.snapshot))
    again = apply_plan(plan, clients, journal_path=str(tmp_path / "j2.jsonl"),
                       plan_path="plan.json", max_age_hours=24,
                       current_estate=estate_of(scanned.snapshot))

    assert first.ok and first.counts.get("applied") == len(plan.changes), first
    assert again.counts == {"noop": len(plan.changes)}, again
