"""An apply that stops on a failed change says how many of the plan's changes it did not
attempt, as a stopped undo does ("N older change(s) not undone") -- it said "later changes not
attempted", also after the plan's last change (safe-fixes trial round 15: EnableKeyRotation
denied, change 2 of 8, and the run ended "journal: J (applied 1, failed 1)": the six changes
left were in no line)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from helpers.remediate_estate import REMEDIATION_ROLE, Scanned
from scanner.cli import main
from scanner.remediate.journal import read_journal

_REAL = BaseClient._make_api_call


def _refuse(operation: str) -> Any:
    def call(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        if op == operation:
            raise ClientError({"Error": {"Code": "AccessDeniedException",
                                         "Message": "not allowed"}}, op)
        return _REAL(self, op, params)
    return call


def _apply(scanned: Scanned, journal: Path, *more: str) -> int:
    return main(["remediate", "--in", str(scanned.scan_dir), "--config",
                 str(scanned.config_path), "--apply", "--yes", "--remediation-role-name",
                 REMEDIATION_ROLE, "--journal", str(journal), *more])


def test_the_stop_line_counts_the_changes_not_attempted(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    monkeypatch.setattr(BaseClient, "_make_api_call", _refuse("EnableKeyRotation"))
    journal = tmp_path / "journal.jsonl"

    rc = _apply(scanned, journal)

    out = capsys.readouterr().out
    plan = json.loads((scanned.scan_dir / "remediation-plan.json").read_text())
    planned = [c["change_id"] for c in plan["changes"]]
    failed = read_journal(journal).entries[-1].change.change_id
    left = len(planned) - planned.index(failed) - 1
    assert rc == 1 and left > 0, out
    assert (f"stopping: {failed} failed; {left} later change(s) of the plan not attempted"
            in out.splitlines()), out


def test_a_plan_stopped_on_its_last_change_names_none_left(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    monkeypatch.setattr(BaseClient, "_make_api_call", _refuse("EnableKeyRotation"))
    journal = tmp_path / "journal.jsonl"

    rc = _apply(scanned, journal, "--rule", "enable-key-rotation")

    out = capsys.readouterr().out
    failed = read_journal(journal).entries[-1].change.change_id
    assert rc == 1
    assert f"stopping: {failed} failed; it was the plan's last change" in out.splitlines(), out
