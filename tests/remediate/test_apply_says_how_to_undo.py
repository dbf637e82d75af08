"""After an apply, how to take it back (new-user trial 18): the plan marks each change "undo:
yes" or "undo: no", and the apply ended with "journal: FILE (applied N)" -- which command
reverts it, and with which role, was left to docs/remediation.md. The apply now ends with the
command, the flags it needs, and the changes it cannot take back."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.remediate_estate import REMEDIATION_ROLE, Scanned
from scanner.cli import main


def _apply(scanned: Scanned, rules: str, journal: Path) -> int:
    return main(["remediate", "--in", str(scanned.scan_dir), "--config",
                 str(scanned.config_path), "--rule", rules, "--apply", "--yes",
                 "--remediation-role-name", REMEDIATION_ROLE, "--journal", str(journal)])


def test_an_apply_ends_with_the_undo_command(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    journal = tmp_path / "journal.jsonl"
    assert _apply(scanned, "enable-key-rotation,cancel-key-deletion", journal) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"journal: {journal} (applied 2)" in out, out
    assert (f"to take it back: secretgraph remediate --undo {journal} "
            f"--remediation-role-name {REMEDIATION_ROLE}") in out, out
    assert "cancel-key-deletion cannot be undone" in out
    # the undo it names works, and takes back the one it can
    assert main(["remediate", "--undo", str(journal), "--yes", "--remediation-role-name",
                 REMEDIATION_ROLE]) == 0
    undone = " ".join(capsys.readouterr().out.split())
    assert "not reversible" in undone and "enable-key-rotation" in undone


def test_a_quiet_apply_prints_no_hint(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    journal = tmp_path / "journal.jsonl"
    assert main(["remediate", "--in", str(scanned.scan_dir), "--config",
                 str(scanned.config_path), "--rule", "enable-key-rotation", "--apply", "--yes",
                 "--remediation-role-name", REMEDIATION_ROLE, "--journal", str(journal),
                 "-q"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "--undo" not in err
