"""Without --journal, the journal goes beside the plan (an undo's beside the journal it
undoes): a folder that cannot take it is refused before anything is read from AWS or asked,
saying nothing was changed and to give --journal FILE. Safe-fixes trial round 11: a reviewed
plan kept on a read-only file system was applied up to its journal -- identities checked,
every resource re-read, the question answered -- and stopped with "error:
.../remediation-journal-....jsonl: Read-only file system" alone."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient

from helpers.remediate_estate import REMEDIATION_ROLE, Scanned
from scanner.cli import main


def _read_only(monkeypatch: pytest.MonkeyPatch, folder: Path) -> list[str]:
    """``folder`` as a read-only file system answers access(2); the AWS calls made after."""
    real_access = os.access
    real_call = BaseClient._make_api_call
    calls: list[str] = []

    def access(path: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
        if Path(path) == folder and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    def call(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        calls.append(op)
        return real_call(self, op, params)
    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    return calls


def test_an_apply_whose_plan_folder_cannot_take_the_journal_is_refused_before_it_begins(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    reviewed = tmp_path / "reviewed"
    scanned.plan_into(reviewed / "plan.json", "enable-key-rotation")
    capsys.readouterr()
    calls = _read_only(monkeypatch, reviewed)

    rc = main(["remediate", "--plan", str(reviewed / "plan.json"), "--apply", "--yes",
               "--remediation-role-name", REMEDIATION_ROLE])

    err = capsys.readouterr().err
    assert rc == 2, err
    assert f"{reviewed} is not writable" in err, err
    assert "give --journal FILE" in err and "nothing was changed" in err, err
    assert calls == [], "nothing is asked of AWS"


def test_an_undo_whose_journal_folder_cannot_take_its_journal_is_refused_before_it_begins(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    plan = tmp_path / "plan.json"
    journals = tmp_path / "journals"
    scanned.plan_into(plan, "enable-key-rotation")
    assert main(["remediate", "--plan", str(plan), "--apply", "--yes", "-q",
                 "--remediation-role-name", REMEDIATION_ROLE, "--journal",
                 str(journals / "apply.jsonl")]) == 0
    capsys.readouterr()
    calls = _read_only(monkeypatch, journals)

    rc = main(["remediate", "--undo", str(journals / "apply.jsonl"), "--yes",
               "--remediation-role-name", REMEDIATION_ROLE])

    err = capsys.readouterr().err
    assert rc == 2, err
    assert f"{journals} is not writable" in err, err
    assert "give --journal FILE" in err and "nothing was changed" in err, err
    assert calls == [], "nothing is asked of AWS"
