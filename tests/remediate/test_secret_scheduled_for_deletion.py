"""A secret scheduled for deletion since the scan (or since the apply) is changed by neither
--apply nor --undo: Secrets Manager refuses to change a secret marked for deletion ("You can't
perform this operation on the secret because it was marked for deletion"), so a run that goes
ahead stops partway. The apply refused it already for the changes that read the secret with
DescribeSecret (rotation, its key); safe-fixes trial round 11: a change to its resource policy
went ahead (moto makes it, AWS refuses it), and --undo re-read a secret scheduled for deletion
since the apply, undid one change and stopped on the next, "fix what stopped it"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.remediate_estate import CENTRAL, REGION, REMEDIATION_ROLE, Scanned, \
    account_session
from scanner.cli import main


def _apply(scanned: Scanned, plan: Path, journal: Path) -> int:
    return main(["remediate", "--in", str(scanned.scan_dir), "--plan", str(plan), "--apply",
                 "--yes", "--remediation-role-name", REMEDIATION_ROLE, "--journal",
                 str(journal)])


def _policy(secret: str) -> object:
    sm = account_session(CENTRAL).client("secretsmanager", region_name=REGION)
    return json.loads(sm.get_resource_policy(SecretId=secret)["ResourcePolicy"])


def _schedule_deletion(secret: str) -> None:
    account_session(CENTRAL).client("secretsmanager", region_name=REGION).delete_secret(
        SecretId=secret, RecoveryWindowInDays=7)


def test_a_secret_policy_is_not_changed_once_the_secret_is_scheduled_for_deletion(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    plan = tmp_path / "plan.json"
    scanned.plan_into(plan, "restrict-public-secret-policy")
    capsys.readouterr()
    secret = scanned.estate.shared_secret
    before = _policy(secret)
    _schedule_deletion(secret)

    rc = _apply(scanned, plan, tmp_path / "journal.jsonl")

    err = capsys.readouterr().err
    assert rc == 2, err
    assert "nothing was changed" in err and "scheduled for deletion since the scan" in err, err
    assert _policy(secret) == before


def test_an_undo_touches_nothing_once_a_secret_it_would_change_is_scheduled_for_deletion(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    plan = tmp_path / "plan.json"
    journal = tmp_path / "journal.jsonl"
    scanned.plan_into(plan, "restrict-public-secret-policy,move-secret-to-cmk")
    assert _apply(scanned, plan, journal) == 0
    capsys.readouterr()
    after = _policy(scanned.estate.shared_secret)
    _schedule_deletion(scanned.estate.plain_secret)  # the secret move-secret-to-cmk moved

    rc = main(["remediate", "--undo", str(journal), "--yes", "--remediation-role-name",
               REMEDIATION_ROLE, "--journal", str(tmp_path / "undo.jsonl")])

    err = capsys.readouterr().err
    assert rc == 2 and not (tmp_path / "undo.jsonl").exists(), err
    assert "nothing was changed" in err, err
    assert "app/plain" in err and "scheduled for deletion since the apply" in err, err
    assert "RestoreSecret" in err and "run the same --undo again" in err, err
    assert _policy(scanned.estate.shared_secret) == after  # the other change left as well
