"""A plan or a journal with a member of the wrong type is refused with one line naming the
member, exit 2, before any AWS call (safe-fixes trial round 12).

Both are read against one description of their shape, scanner/schemas/remediation.schema.json.
Before it, a plan's change with ``"desired_state": "x"`` was refused as "malformed change
(ValueError: dictionary update sequence element #0 has length 1; 2 is required)", naming no
member; and a journal line whose ``before`` was not an object (a journal of an earlier version,
which has no digests, edited by hand) stopped --undo with "internal error: AttributeError".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from helpers.remediate_records import PUBLIC, UNRELATED, finding, snapshot
from scanner.changes import RemediationConfig
from scanner.cli import main
from scanner.errors import InputError
from scanner.remediate.journal import JournalWriter, read_journal
from scanner.remediate.planfile import Plan, read_plan, write_plan
from scanner.remediate.planner import Selection, build_plan


def _plan() -> Plan:
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [UNRELATED, PUBLIC]})
    return build_plan([finding("secret-policy-public", "restrict-public-secret-policy")], snap,
                      RemediationConfig(), Selection())


Edit = Callable[[dict[str, Any]], None]

PLAN_EDITS: list[tuple[Edit, str]] = [
    (lambda d: d["changes"][0].__setitem__("desired_state", "x"),
     r"field changes\[0\]\.desired_state: expected object, not string"),
    (lambda d: d["changes"][0]["calls"][0].__setitem__("params", 5),
     r"field changes\[0\]\.calls\[0\]\.params: expected object, not integer"),
    (lambda d: d["changes"][0].__setitem__("reversible", "no"),
     r"field changes\[0\]\.reversible: expected boolean, not string"),
    (lambda d: d["changes"][0]["policy_diff"].__setitem__("statements", 5),
     r"field changes\[0\]\.policy_diff\.statements: expected array, not integer"),
    (lambda d: d["changes"][0].__setitem__("finding_ids", [5]),
     r"field changes\[0\]\.finding_ids\[0\]: expected string, not integer"),
    (lambda d: d["changes"][0].pop("calls"),
     r"field changes\[0\]: 'calls' is a required property"),
]


@pytest.mark.parametrize("edit,message", PLAN_EDITS)
def test_a_plan_member_of_the_wrong_type_is_refused_naming_it(
        tmp_path: Path, edit: Edit, message: str) -> None:
    path = write_plan(tmp_path / "plan.json", _plan())
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))

    with pytest.raises(InputError, match=f"plan.json: {message}; the plan was changed after "
                                         "it was written .*: plan again from the scan"):
        read_plan(path)


def _journal(tmp_path: Path, plan: Plan) -> list[dict[str, Any]]:
    """An apply journal of the plan's change, as an earlier version wrote it: no digests
    (read_journal takes such a journal, whose lines nothing else checks)."""
    (change,) = plan.changes
    path = tmp_path / "written.jsonl"
    writer = JournalWriter(path, mode="apply", plan_id=plan.plan_id,
                           estate=plan.estate.to_json())
    writer.started(change, change.pre_state)
    writer.change(change, status="applied", before=change.pre_state,
                  after=change.desired_state)
    writer.close({"applied": 1})
    records = [json.loads(line) for line in path.read_text().splitlines()]
    for record in records:
        record.pop("digest")
    return records


JOURNAL_EDITS: list[tuple[Edit, str]] = [
    (lambda r: r.__setitem__("before", "x"), r"field record 3\.before: expected object or "
                                             "null, not string"),
    (lambda r: r.__setitem__("after", [1]), r"field record 3\.after: expected object or "
                                            "null, not array"),
    (lambda r: r.__setitem__("status", "aplied"), r"field record 3\.status: 'aplied' is not "
                                                  "one of"),
    (lambda r: r["change"].__setitem__("reversible", "no"),
     r"field record 3\.change\.reversible: expected boolean, not string"),
    (lambda r: r["change"].__setitem__("desired_state", "x"),
     r"field record 3\.change\.desired_state: expected object, not string"),
]


@pytest.mark.parametrize("edit,message", JOURNAL_EDITS)
def test_a_journal_line_member_of_the_wrong_type_is_refused_naming_it(
        tmp_path: Path, edit: Edit, message: str) -> None:
    records = _journal(tmp_path, _plan())
    edit(records[2])  # the applied line
    path = tmp_path / "journal.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))

    with pytest.raises(InputError, match=f"journal.jsonl: {message}.*; the journal was changed "
                                         "after it was written"):
        read_journal(path)


def test_undo_of_a_journal_whose_before_is_not_an_object_is_one_line_exit_2(
        tmp_path: Path, no_aws: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """It was 'internal error: AttributeError: 'str' object has no attribute 'items''."""
    records = _journal(tmp_path, _plan())
    records[2]["before"] = "x"
    path = tmp_path / "journal.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))

    rc = main(["remediate", "--undo", str(path), "--yes"])

    err = capsys.readouterr().err
    assert rc == 2
    assert err.strip().count("\n") == 0, err
    assert "field record 3.before: expected object or null, not string" in err
    assert "internal error" not in err
    assert no_aws == []


def test_a_plan_and_a_journal_as_written_are_of_their_shape(tmp_path: Path) -> None:
    plan = _plan()
    assert read_plan(write_plan(tmp_path / "plan.json", plan)) == plan
    path = tmp_path / "journal.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _journal(tmp_path, plan)))
    assert [e.status for e in read_journal(path).entries] == ["applied"]
