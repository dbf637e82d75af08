"""An apply or undo whose journal stops taking lines once changes were made (a full disk), or
that is stopped after its last change (while the journal's end line and the re-read marks are
written), says what it changed and where the journal is, and exits 1 (Ctrl-C: 130) -- exit 2
is "nothing changed" (DESIGN.md, docs/remediation.md). Safe-fixes trial round 11: the apply
whose end line could not be written exited 2 with two changes made; the undo's journal full
midway exited 2 as well; and an undo stopped after its last change said only 'interrupted',
where an apply stopped there names its journal."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from helpers.remediate_estate import REMEDIATION_ROLE, Scanned
from scanner.cli import main
from scanner.remediate.journal import JournalError, JournalWriter

_REAL_WRITE = JournalWriter._write


def _journal_fails(monkeypatch: pytest.MonkeyPatch, when: Callable[[Any], bool],
                   fault: Callable[[JournalWriter], BaseException]) -> None:
    def write(self: JournalWriter, record: Any) -> None:
        if when(record):
            raise fault(self)
        _REAL_WRITE(self, record)
    monkeypatch.setattr(JournalWriter, "_write", write)


def _disk_full(writer: JournalWriter) -> BaseException:
    return JournalError("cannot write the journal: No space left on device",
                        path=str(writer.path))


def _ctrl_c(writer: JournalWriter) -> BaseException:
    return KeyboardInterrupt()


def _end_line(record: Any) -> bool:
    return bool(record.get("type") == "end")


def _applied(scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Two reversible changes applied; their journal."""
    plan = tmp_path / "plan.json"
    journal = tmp_path / "journal.jsonl"
    assert main(["remediate", "--in", str(scanned.scan_dir), "--config",
                 str(scanned.config_path), "--plan-out", str(plan), "--rule",
                 "enable-key-rotation,add-peering-route"]) == 0
    assert _apply(scanned, plan, journal) == 0
    capsys.readouterr()
    return journal


def _apply(scanned: Scanned, plan: Path, journal: Path) -> int:
    return main(["remediate", "--in", str(scanned.scan_dir), "--plan", str(plan), "--apply",
                 "--yes", "--remediation-role-name", REMEDIATION_ROLE, "--journal",
                 str(journal)])


def _undo(journal: Path, undo: Path) -> int:
    return main(["remediate", "--undo", str(journal), "--yes", "--remediation-role-name",
                 REMEDIATION_ROLE, "--journal", str(undo)])


def test_an_apply_whose_end_line_cannot_be_written_exits_1_its_changes_made(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    plan = tmp_path / "plan.json"
    journal = tmp_path / "journal.jsonl"
    assert main(["remediate", "--in", str(scanned.scan_dir), "--config",
                 str(scanned.config_path), "--plan-out", str(plan), "--rule",
                 "enable-key-rotation,add-peering-route"]) == 0
    _journal_fails(monkeypatch, _end_line, _disk_full)

    rc = _apply(scanned, plan, journal)

    out, err = capsys.readouterr()
    assert rc == 1, err
    assert sum(line.startswith("applied  ") for line in out.splitlines()) == 2, out
    assert f"the journal {journal} records every change made so far" in out, out
    assert "No space left on device" in err, err


def test_an_undo_whose_journal_fills_midway_exits_1_a_change_undone(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    journal = _applied(scanned, tmp_path, capsys)
    undone: list[Any] = []

    def second_outcome(record: Any) -> bool:
        if record.get("status") == "undone":
            undone.append(record)
        return len(undone) == 2
    _journal_fails(monkeypatch, second_outcome, _disk_full)

    rc = _undo(journal, tmp_path / "undo.jsonl")

    out, err = capsys.readouterr()
    assert rc == 1, err
    assert f"run secretgraph remediate --undo {journal}" in out, out


@pytest.mark.parametrize(("fault", "code", "why"), [(_disk_full, 1, "the journal could not be "
                                                     "written"), (_ctrl_c, 130, "Ctrl-C")],
                         ids=["journal full", "Ctrl-C"])
def test_an_undo_stopped_after_its_last_change_names_its_journal(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, fault: Callable[[JournalWriter], BaseException],
        code: int, why: str) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    journal = _applied(scanned, tmp_path, capsys)
    undo = tmp_path / "undo.jsonl"
    _journal_fails(monkeypatch, _end_line, fault)

    rc = _undo(journal, undo)

    out, err = capsys.readouterr()
    assert rc == code, err
    assert sum(line.startswith("undone   ") for line in out.splitlines()) == 2, out
    assert f"stopped ({why}): the journal {undo} records every change made so far; run " \
        f"secretgraph remediate --undo {journal} --remediation-role-name {REMEDIATION_ROLE} " \
        "again" in out, out
