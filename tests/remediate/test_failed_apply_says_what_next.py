"""An apply that stopped on a failed change ends with what to do next, as a stopped one (Ctrl-C)
and a finished one do: fix the cause and run the same --apply again (what is made is a no-op
then), and how to take back what it made -- it ended with the journal line alone (safe-fixes
trial round 9: 'journal: J (applied 3, failed 1)', exit 1, and no word of either)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from helpers.remediate_estate import REMEDIATION_ROLE, Scanned
from scanner.cli import main

_REAL = BaseClient._make_api_call
_READS = ("Describe", "Get", "List", "AssumeRole")


def _second_write_refused() -> Any:
    made: list[str] = []

    def call(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        if not op.startswith(_READS):
            made.append(op)
            if len(made) == 2:
                raise ClientError({"Error": {"Code": "AccessDeniedException",
                                             "Message": "not allowed"}}, op)
        return _REAL(self, op, params)
    return call


def _apply(scanned: Scanned, journal: Path, *more: str) -> int:
    return main(["remediate", "--in", str(scanned.scan_dir), "--config",
                 str(scanned.config_path), "--apply", "--yes",
                 "--remediation-role-name", REMEDIATION_ROLE, "--journal", str(journal), *more])


def test_a_failed_apply_says_to_fix_the_cause_and_run_again_or_undo(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    monkeypatch.setattr(BaseClient, "_make_api_call", _second_write_refused())
    journal = tmp_path / "journal.jsonl"

    rc = _apply(scanned, journal)

    out = capsys.readouterr().out
    assert rc == 1, out
    last = out.rstrip().splitlines()[-1]
    assert "run the same --apply again" in last, out
    assert (f"secretgraph remediate --undo {journal} --remediation-role-name "
            f"{REMEDIATION_ROLE}") in last, out


def test_with_q_it_is_said_on_stderr(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    monkeypatch.setattr(BaseClient, "_make_api_call", _second_write_refused())
    journal = tmp_path / "journal.jsonl"

    rc = _apply(scanned, journal, "-q")

    out, err = capsys.readouterr()
    assert rc == 1 and out == ""
    assert "run the same --apply again" in err and f"--undo {journal}" in err, err


def test_an_apply_stopped_by_ctrl_c_names_the_undo_with_the_flags_it_was_applied_with(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The stop line's --undo command is the one to copy at that moment: without the role
    it was applied with, the undo ran with the caller's own credentials (and was refused as
    acting in the wrong accounts); a finished apply's hint already carries the flags."""
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    made: list[str] = []

    def call(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        answer = _REAL(self, op, params)
        if not op.startswith(_READS):
            made.append(op)
            if len(made) == 2:
                raise KeyboardInterrupt
        return answer

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    journal = tmp_path / "journal.jsonl"

    rc = _apply(scanned, journal)

    out = capsys.readouterr().out
    assert rc == 130, out
    (stop,) = [line for line in out.splitlines() if line.startswith("stopped (Ctrl-C)")]
    assert (f"secretgraph remediate --undo {journal} --remediation-role-name "
            f"{REMEDIATION_ROLE} takes back what landed") in stop, stop
