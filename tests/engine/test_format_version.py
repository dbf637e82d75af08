"""A document's format version is an integer: JSON's ``true`` is no version, although Python
takes ``True == 1``. Every reader of a versioned document asks scanner.format_version (fault-
injection trial round 18: an export ledger with ``"version": true`` was read as version 1; so
were a plan and a journal, while the snapshot and findings readers refused it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reports.hub_ledger import LEDGER_FORMAT, ExportLedger
from scanner.errors import InputError
from scanner.format_version import is_version
from scanner.remediate.journal import JOURNAL_KIND, read_journal
from scanner.snapshot_io import SchemaVersionError, check_schema_version


@pytest.mark.parametrize("value, expected, answer", [
    (1, 1, True), (2, 2, True), (True, 1, False), (1.0, 1, False), ("1", 1, False),
    (None, 1, False), (2, 1, False),
])
def test_a_version_is_an_int_equal_to_the_one_expected(value: object, expected: int,
                                                        answer: bool) -> None:
    assert is_version(value, expected) is answer


def test_an_export_ledger_of_version_true_is_not_read() -> None:
    good = {"format": LEDGER_FORMAT, "version": 1, "delivered_through": None, "suppressed": []}
    assert ExportLedger.from_json(good) == ExportLedger()
    with pytest.raises(ValueError, match="unknown ledger version true$"):
        ExportLedger.from_json({**good, "version": True})


def test_a_journal_of_version_true_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text(json.dumps({"kind": JOURNAL_KIND, "version": True}) + "\n")
    with pytest.raises(InputError, match="journal version true is not 1"):
        read_journal(path)


def test_a_snapshot_of_schema_version_true_is_not_read() -> None:
    with pytest.raises(SchemaVersionError, match="snapshot schema_version true: not a version"):
        check_schema_version({"schema_version": True})


@pytest.mark.parametrize("value, written", [
    (True, "true"), (None, "null"), ("1", '"1"'), (1.0, "1.0"), (3, "3")])
def test_a_refused_version_is_named_as_the_json_file_writes_it(
        tmp_path: Path, value: object, written: str) -> None:
    """The refusals named Python's repr -- "journal version True is not 1", "plan version None
    ...", "'1' is not one of [1, 2]" -- for a file whose text says true, null or "1" (docs
    round 14): each names the value as the file holds it."""
    from scanner.remediate.inputs import load_findings
    from scanner.remediate.planfile import read_plan

    journal = tmp_path / "j.jsonl"
    journal.write_text(json.dumps({"kind": JOURNAL_KIND, "version": value}) + "\n")
    with pytest.raises(InputError) as info:
        read_journal(journal)
    assert f"journal version {written} is not 1" in str(info.value)
    with pytest.raises(ValueError, match=f"unknown ledger version {re.escape(written)}$"):
        ExportLedger.from_json({"format": LEDGER_FORMAT, "version": value,
                                "delivered_through": None, "suppressed": []})
    with pytest.raises(SchemaVersionError, match=f"schema_version {re.escape(written)}:"):
        check_schema_version({"schema_version": value})
    plan = tmp_path / "remediation-plan.json"
    plan.write_text(json.dumps({"kind": "secretgraph-remediation-plan", "version": value}))
    with pytest.raises(InputError) as info:
        read_plan(plan)
    assert f"plan version {written} is not" in str(info.value)
    findings = tmp_path / "findings.json"
    findings.write_text(json.dumps({"schema_version": value, "findings": []}))
    with pytest.raises(InputError) as info:
        load_findings(findings)
    assert f"{written} is not one of [1, 2]" in str(info.value)
