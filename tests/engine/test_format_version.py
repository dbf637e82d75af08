"""A document's format version is an integer: JSON's ``true`` is no version, although Python
takes ``True == 1``. Every reader of a versioned document asks scanner.format_version (fault-
injection trial round 18: an export ledger with ``"version": true`` was read as version 1; so
were a plan and a journal, while the snapshot and findings readers refused it)."""

from __future__ import annotations

import json
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
    with pytest.raises(ValueError, match="unknown ledger version True"):
        ExportLedger.from_json({**good, "version": True})


def test_a_journal_of_version_true_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text(json.dumps({"kind": JOURNAL_KIND, "version": True}) + "\n")
    with pytest.raises(InputError, match="journal version True is not 1"):
        read_journal(path)


def test_a_snapshot_of_schema_version_true_is_not_read() -> None:
    with pytest.raises(SchemaVersionError):
        check_schema_version({"schema_version": True})
