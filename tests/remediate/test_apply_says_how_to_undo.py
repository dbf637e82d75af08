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


def test_on_a_terminal_the_undo_command_is_a_line_of_its_own_to_paste(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """new-user trial round 36: at 80 columns the command was broken between words over three
    lines ("to take it back: secretgraph remediate --undo" / the journal / the flags): pasted,
    the shell ran `secretgraph remediate --undo` alone, then the journal's path."""
    import shlex

    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    monkeypatch.setattr("scanner.commands.remediate.stream_columns", lambda *a: 80)
    journal = tmp_path / ("a-journal-name-long-enough-to-need-a-line-of-its-own-" + "x" * 20
                          + ".jsonl")
    assert _apply(scanned, "enable-key-rotation,cancel-key-deletion", journal) == 0
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("to take it back (cancel-key-deletion cannot be undone):")
    command = lines[at + 1]
    assert command == (f"  secretgraph remediate --undo {journal} --remediation-role-name "
                       f"{REMEDIATION_ROLE}"), lines[at:]
    assert lines[at + 2:] == []
    # pasted as it is, it takes back what it can
    assert main(shlex.split(command)[1:] + ["--yes"]) == 0
    assert "enable-key-rotation" in capsys.readouterr().out
