"""Safe-fixes trial round 14: --undo of an apply journal from which a change's lines were
removed by hand undid the changes left and said nothing of the one taken out -- it stayed
made, the undo reported done. Each line's digest holds only that line, so the order of the
lines (their ``seq``) and the end line's counts are checked too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers.remediate_records import KEY_ARN, PUBLIC, finding, snapshot
from scanner.changes import RemediationConfig
from scanner.errors import InputError
from scanner.remediate.journal import JournalWriter, read_journal
from scanner.remediate.planfile import Plan
from scanner.remediate.planner import Selection, build_plan


def _two_change_plan() -> Plan:
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [PUBLIC]})
    plan = build_plan([finding("secret-policy-public", "restrict-public-secret-policy"),
                       finding("kms-key-rotation-disabled", "enable-key-rotation", arn=KEY_ARN,
                               rtype="KmsKey")], snap, RemediationConfig(), Selection())
    assert len(plan.changes) == 2
    return plan


def _applied_journal(path: Path, plan: Plan) -> list[str]:
    """An apply journal of ``plan`` with every change applied, as --apply writes it; its
    lines."""
    writer = JournalWriter(path, mode="apply", plan_id=plan.plan_id,
                           estate=plan.estate.to_json(), source="plan.json")
    for change in plan.changes:
        writer.started(change, dict(change.pre_state))
        writer.change(change, status="applied", before=dict(change.pre_state),
                      after=dict(change.desired_state))
    writer.close({"applied": len(plan.changes)})
    return path.read_text(encoding="utf-8").splitlines()


def _status(line: str) -> Any:
    return json.loads(line).get("status")


def test_the_intact_journal_is_read(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    _applied_journal(journal, _two_change_plan())

    assert [e.status for e in read_journal(journal).entries] == ["applied", "applied"]


def test_a_change_whose_lines_were_removed_is_refused_naming_the_gap(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    header, started1, applied1, started2, applied2, end = _applied_journal(
        journal, _two_change_plan())
    assert (_status(started1), _status(applied1)) == ("started", "applied")
    journal.write_text("\n".join([header, started2, applied2, end]) + "\n", encoding="utf-8")

    with pytest.raises(InputError, match=r"record 2: line seq 3 where seq 1 was due: lines "
                                         r"were removed from the journal, or moved") as err:
        read_journal(journal)
    assert "undo from an intact copy of the journal" in str(err.value)


def test_lines_moved_are_refused(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    header, started1, applied1, started2, applied2, end = _applied_journal(
        journal, _two_change_plan())
    journal.write_text("\n".join([header, started2, applied2, started1, applied1, end]) + "\n",
                       encoding="utf-8")

    with pytest.raises(InputError, match="record 2: line seq 3 where seq 1 was due"):
        read_journal(journal)


def test_the_last_change_removed_before_the_end_line_is_refused_by_its_counts(
        tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    header, started1, applied1, _started2, _applied2, end = _applied_journal(
        journal, _two_change_plan())
    journal.write_text("\n".join([header, started1, applied1, end]) + "\n", encoding="utf-8")

    with pytest.raises(InputError, match=r"the end line counts applied 2, the lines above it "
                                         r"applied 1: lines were removed from the journal"):
        read_journal(journal)
