"""grant-key-decrypt lets principals decrypt one secret through Secrets Manager: its key-policy
statement is conditioned on kms:EncryptionContext:SecretARN of that secret ("Secrets Manager
uses the ARN of the secret as the encryption context", Secrets Manager User Guide, "Secret
encryption and decryption"). A secret deleted since the scan -- or deleted and re-created
under the same name, which gives it a new ARN (a new six-character suffix) -- makes that
statement grant nothing anyone asked for: the apply wrote it and said "applied" while the
finding stayed (safe-fixes trials, left alone since round 13). The secret is part of the
state the change starts from: gone, re-created or scheduled for deletion since the scan is
drift, refused before any change, the key policy as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.remediate_estate import CENTRAL, REGION, Scanned, account_session
from scanner.errors import InputError
from scanner.remediate.engine import apply_plan
from scanner.remediate.planfile import Plan, estate_of
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.sessions import ClientsFactory


def _grant_plan(s: Scanned) -> Plan:
    plan = build_plan(s.findings, s.snapshot, s.config, Selection(rules=("grant-key-decrypt",)))
    (change,) = [c for c in plan.changes if c.remediation_id == "grant-key-decrypt"]
    assert change.details["secret_arn"] == s.estate.shared_secret
    return plan


def _key_policy(s: Scanned) -> str:
    kms = account_session(CENTRAL).client("kms", region_name=REGION)
    return str(kms.get_key_policy(KeyId=s.estate.cmk_arn, PolicyName="default")["Policy"])


def _apply(plan: Plan, s: Scanned, clients: ClientsFactory, tmp_path: Path) -> object:
    return apply_plan(plan, clients, journal_path=str(tmp_path / "j.jsonl"),
                      plan_path="plan.json", max_age_hours=24,
                      current_estate=estate_of(s.snapshot))


def test_a_secret_re_created_since_the_scan_refuses_the_grant_and_changes_nothing(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    plan = _grant_plan(scanned)
    before = _key_policy(scanned)
    sm = account_session(CENTRAL).client("secretsmanager", region_name=REGION)
    sm.delete_secret(SecretId=scanned.estate.shared_secret, ForceDeleteWithoutRecovery=True)
    again = sm.create_secret(Name="app/shared", SecretString="v2",
                             KmsKeyId=scanned.estate.cmk_arn)["ARN"]
    assert again != scanned.estate.shared_secret  # same name, another ARN

    with pytest.raises(InputError) as refused:
        _apply(plan, scanned, clients, tmp_path)

    said = str(refused.value)
    assert "secret_exists changed since the scan" in said, said
    assert "nothing was changed" in said and "rescan and plan again" in said, said
    # no apply deletes or re-creates a secret: an earlier apply's journal is no lead
    assert "--undo" not in said and "earlier apply" not in said, said
    assert _key_policy(scanned) == before


def test_a_secret_scheduled_for_deletion_since_the_scan_refuses_the_grant(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    plan = _grant_plan(scanned)
    before = _key_policy(scanned)
    account_session(CENTRAL).client("secretsmanager", region_name=REGION).delete_secret(
        SecretId=scanned.estate.shared_secret, RecoveryWindowInDays=7)

    with pytest.raises(InputError) as refused:
        _apply(plan, scanned, clients, tmp_path)

    assert "secret_exists changed since the scan" in str(refused.value), refused.value
    assert _key_policy(scanned) == before


def test_with_the_secret_as_at_the_scan_the_grant_is_written_and_undone(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    from scanner.remediate.journal import read_journal
    from scanner.remediate.undo import undo_journal

    plan = _grant_plan(scanned)
    before = _key_policy(scanned)

    result = _apply(plan, scanned, clients, tmp_path)

    assert result.ok, result  # type: ignore[attr-defined]
    assert "SecretARN" in _key_policy(scanned) and _key_policy(scanned) != before
    # the secret deleted after the apply does not hold the key policy's undo back: the
    # condition is the apply's, the undo puts the key policy back whatever became of it
    account_session(CENTRAL).client("secretsmanager", region_name=REGION).delete_secret(
        SecretId=scanned.estate.shared_secret, ForceDeleteWithoutRecovery=True)
    undone = undo_journal(read_journal(tmp_path / "j.jsonl"), clients,
                          undo_journal_path=str(tmp_path / "undo.jsonl"))
    assert undone.ok, undone
    assert _key_policy(scanned) == before
