"""--undo of move-secret-to-cmk puts the secret back on aws/secretsmanager: UpdateSecret of
the secret's KmsKeyId, nothing else. The state of the key it moved to (its KeyState, its
policy being one the plan knew) and the rotation that RotateSecret keeps on are conditions of
the apply -- part of the state the plan starts from and leads to, unchanged by the change --
not something the undo puts back. Safe-fixes trial round 13: the key disabled since the apply
(the secret unreadable: exactly when the move is to be taken back), or its policy edited by
another plan, refused the whole undo as 'target_key_state changed since the apply', saying to
put the resource back as the apply left it -- re-enable the key, revert the other edit --
before the secret could be moved back. What the change itself set, changed since by someone
else, still refuses the undo."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from helpers.remediate_estate import CENTRAL, REGION, Scanned, account_session
from scanner.errors import InputError
from scanner.remediate.engine import apply_plan
from scanner.remediate.undo import undo_journal
from scanner.remediate.journal import read_journal
from scanner.remediate.planfile import estate_of
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.sessions import ClientsFactory


def _moved(s: Scanned, clients: ClientsFactory, tmp_path: Path, *,
           companion: bool = True) -> Path:
    """The plain secret moved onto the account's CMK by an apply (after the grant-key-decrypt
    companion that lets its readers decrypt with that key; without it, the move alone); the
    apply's journal."""
    plan = build_plan(s.findings, s.snapshot, s.config, Selection(rules=("move-secret-to-cmk",)))
    assert [c.remediation_id for c in plan.changes] == ["grant-key-decrypt",
                                                        "move-secret-to-cmk"]
    if not companion:
        plan = replace(plan, changes=plan.changes[1:])
    journal = tmp_path / "journal.jsonl"
    result = apply_plan(plan, clients, journal_path=str(journal), plan_path="plan.json",
                        max_age_hours=24, current_estate=estate_of(s.snapshot))
    assert result.ok and result.counts == {"applied": len(plan.changes)}, result
    return journal


def _secret_key(s: Scanned) -> str | None:
    sm = account_session(CENTRAL).client("secretsmanager", region_name=REGION)
    key: str | None = sm.describe_secret(SecretId=s.estate.plain_secret).get("KmsKeyId")
    return key


def _undo(journal: Path, clients: ClientsFactory, tmp_path: Path) -> dict[str, int]:
    result = undo_journal(read_journal(journal), clients,
                          undo_journal_path=str(tmp_path / "undo.jsonl"))
    assert result.ok, result
    return result.counts


def test_the_target_key_disabled_since_the_apply_does_not_stop_the_secret_moving_back(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    journal = _moved(scanned, clients, tmp_path)
    kms = account_session(CENTRAL).client("kms", region_name=REGION)
    kms.disable_key(KeyId=scanned.estate.cmk_arn.rsplit("/", 1)[1])  # someone, since the apply

    assert _undo(journal, clients, tmp_path) == {"undone": 2}

    assert _secret_key(scanned) is None  # back on aws/secretsmanager
    assert kms.describe_key(KeyId=scanned.estate.cmk_arn)["KeyMetadata"]["KeyState"] \
        == "Disabled"  # their change stands


def test_the_target_key_policy_edited_since_the_apply_does_not_stop_the_secret_moving_back(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    journal = _moved(scanned, clients, tmp_path, companion=False)
    kms = account_session(CENTRAL).client("kms", region_name=REGION)
    key = scanned.estate.cmk_arn
    doc = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    doc["Statement"].append({"Sid": "AnotherPlan", "Effect": "Allow", "Action": "kms:Decrypt",
                             "Resource": "*",
                             "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:role/Reader"}})
    edited = json.dumps(doc)
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=edited)  # since the apply

    assert _undo(journal, clients, tmp_path) == {"undone": 1}

    assert _secret_key(scanned) is None
    assert json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]) == doc


def test_the_secret_moved_to_yet_another_key_since_the_apply_still_refuses_the_undo(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    journal = _moved(scanned, clients, tmp_path)
    kms = account_session(CENTRAL).client("kms", region_name=REGION)
    other = kms.create_key(Description="someone's")["KeyMetadata"]["Arn"]
    sm = account_session(CENTRAL).client("secretsmanager", region_name=REGION)
    sm.update_secret(SecretId=scanned.estate.plain_secret, KmsKeyId=other)  # since the apply

    with pytest.raises(InputError, match="kms_key_id changed since the apply"):
        undo_journal(read_journal(journal), clients,
                     undo_journal_path=str(tmp_path / "undo.jsonl"))

    assert _secret_key(scanned) == other  # their change stands
