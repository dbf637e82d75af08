"""`remediate --apply -q` / `--undo -q`: no plan, notes or change lines -- but the lines that
say something went wrong (a failed change, the stop, the journal to undo from) still show, on
standard error (fault-injection trial round 4: a failed or interrupted apply with -q printed no
error at all, exit 1 or 143, and the one note it printed was one -q should hide)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from helpers.remediate_estate import REMEDIATION_ROLE, Scanned
from scanner.cli import main
from scanner.remediate.journal import read_journal

_REAL = BaseClient._make_api_call


def _apply(scanned: Scanned, rule: str, journal: Path, *quiet: str) -> int:
    return main(["remediate", "--in", str(scanned.scan_dir), "--config",
                 str(scanned.config_path), "--rule", rule, "--apply", "--yes",
                 "--remediation-role-name", REMEDIATION_ROLE, "--journal", str(journal),
                 *quiet])


def _refuse(operation: str) -> Any:
    def call(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        if op == operation:
            raise ClientError({"Error": {"Code": "AccessDeniedException",
                                         "Message": "not allowed"}}, op)
        return _REAL(self, op, params)
    return call


def test_a_failed_apply_with_q_says_what_failed_and_names_the_journal_on_stderr(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault-injection trial round 4 (repro quiet_apply.sh): EnableKeyRotation refused, `-q`:
    exit 1 and nothing at all on stdout or stderr -- without -q the run said "FAILED chg-...
    AccessDeniedException", "stopping: ... later changes not attempted" and "journal: ...
    (failed 1)". `--help` of -q: "only errors"."""
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    monkeypatch.setattr(BaseClient, "_make_api_call", _refuse("EnableKeyRotation"))
    journal = tmp_path / "journal.jsonl"
    rc = _apply(scanned, "enable-key-rotation", journal, "-q")
    out, err = capsys.readouterr()
    assert rc == 1
    assert out == ""
    change = read_journal(journal).entries[-1].change
    lines = err.splitlines()
    assert any(line.startswith(f"FAILED   {change.change_id} enable-key-rotation ")
               and "AccessDeniedException: not allowed" in line for line in lines), err
    assert f"stopping: {change.change_id} failed; it was the plan's last change" in lines, err
    assert any(line.startswith(f"journal: {journal} (") and "failed 1" in line
               for line in lines), err
    assert "note:" not in err, "-q hides notes"
    assert "applied " not in err and "no-op" not in err, "-q hides change lines"


def test_a_failed_apply_without_q_prints_its_lines_on_stdout_as_before(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Without -q the FAILED and stopping lines stay with the change lines on stdout
    (`--apply > apply.log` keeps the whole story); the note stays on stderr."""
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    monkeypatch.setattr(BaseClient, "_make_api_call", _refuse("EnableKeyRotation"))
    rc = _apply(scanned, "enable-key-rotation", tmp_path / "journal.jsonl")
    out, err = capsys.readouterr()
    assert rc == 1
    assert "\nFAILED   chg-" in out and "\nstopping: chg-" in out
    assert "FAILED" not in err and "stopping" not in err


def test_an_apply_terminated_with_q_names_the_change_in_flight_and_the_journal(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault-injection trial round 4 (repro quiet_apply.sh): SIGTERM during a change's call,
    `-q`: only "note: no history store ..." (a note -q should hide) and "terminated" -- no
    journal, no change in flight. docs/remediation.md: on 130/143 "the line before says which
    change was in flight and names the journal"."""
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)

    def call(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        answer = _REAL(self, op, params)
        if op == "PutKeyPolicy":
            os.kill(os.getpid(), signal.SIGTERM)  # main()'s handler: Terminated, here
        return answer
    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    journal = tmp_path / "journal.jsonl"
    rc = _apply(scanned, "grant-key-decrypt", journal, "-q")
    out, err = capsys.readouterr()
    assert rc == 143
    assert out == ""
    flight = read_journal(journal).entries[-1]
    assert flight.status == "started"
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith(
        f"stopped (SIGTERM): {flight.change.change_id} ({flight.change.resource_arn}) was "
        "being applied and may be partly made; ")
    assert f"the journal {journal} records every change made so far; secretgraph " \
        f"remediate --undo {journal} --remediation-role-name {REMEDIATION_ROLE} takes back " \
        "what landed" in lines[0]  # with the flags it was applied with (safe-fixes round 9)
    assert lines[1] == "secretgraph remediate: terminated"


def test_a_failed_undo_with_q_says_what_failed_on_stderr(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault-injection trial round 4: the same for `--undo -q` (its FAILED and stopping lines
    went to the discarded stdout too)."""
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    journal = tmp_path / "journal.jsonl"
    assert _apply(scanned, "enable-key-rotation", journal, "-q") == 0
    capsys.readouterr()
    monkeypatch.setattr(BaseClient, "_make_api_call", _refuse("DisableKeyRotation"))
    undo = tmp_path / "undo.jsonl"
    rc = main(["remediate", "--undo", str(journal), "--yes", "--remediation-role-name",
               REMEDIATION_ROLE, "--journal", str(undo), "-q"])
    out, err = capsys.readouterr()
    assert rc == 1
    assert out == ""
    change = read_journal(journal).entries[-1].change
    lines = err.splitlines()
    assert any(line.startswith(f"FAILED   {change.change_id} enable-key-rotation ")
               for line in lines), err
    assert f"stopping: {change.change_id} failed" in lines, err
    assert any(line.startswith(f"undo journal: {undo} (") for line in lines), err
    assert "note:" not in err
