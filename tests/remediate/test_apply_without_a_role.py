"""`remediate --apply` without --remediation-role-name, on a plan that changes accounts other
than the caller's own: the refusal comes before the plan is shown and says what to give. A new
user's first --apply on the demo estate printed the whole plan (300 lines at 80 columns) and
then, under it, "no --remediation-role-name given: cannot assume a role in account ..." -- and
nothing of which role that is or where its policy comes from (new-user trial round 26)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.remediate_estate import CENTRAL, REMEDIATION_ROLE, Scanned
from scanner.cli import main


def _apply(scanned: Scanned, journal: Path, *role: str) -> int:
    return main(["remediate", "--in", str(scanned.scan_dir), "--config",
                 str(scanned.config_path), "--rule", "enable-key-rotation", "--apply", "--yes",
                 "--journal", str(journal), *role])


def test_a_plan_for_another_account_is_refused_before_it_is_shown_naming_the_flag(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    journal = tmp_path / "journal.jsonl"
    assert _apply(scanned, journal) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no plan above the error
    assert err == (
        "secretgraph remediate: error: the plan changes account(s) 111111111111, which your "
        "credentials (account 123456789012) reach only through a role: give "
        "--remediation-role-name NAME, the write role in each of them (`secretgraph "
        "iam-policy --for remediation-role` prints its policy); nothing was changed\n")
    assert not journal.exists()
    # with the role, the same command applies
    assert _apply(scanned, journal, "--remediation-role-name", REMEDIATION_ROLE) == 0
    assert f"arn:aws:kms:us-east-1:{CENTRAL}:key/" in capsys.readouterr().out


def test_an_undo_without_the_role_is_refused_before_anything_is_asked(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    journal = tmp_path / "journal.jsonl"
    assert _apply(scanned, journal, "--remediation-role-name", REMEDIATION_ROLE) == 0
    capsys.readouterr()
    assert main(["remediate", "--undo", str(journal), "--yes"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "give --remediation-role-name NAME" in err and "nothing was changed" in err
