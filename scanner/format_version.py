"""The one reading of a document's format version field (a snapshot's, findings.json's, a
plan's, a journal's, the export ledger's): an integer equal to the version expected. JSON's
``true`` is not version 1, although Python's ``True == 1`` (``bool`` is an ``int``): a
hand-edited ``"version": true`` was taken for version 1 by the export ledger, the plan and
the journal readers, refused by the snapshot and findings readers (fault-injection trial
round 18)."""

from __future__ import annotations


def shown(value: object) -> str:
    """A version field as its JSON text (``true``, ``null``, ``"1"``, ``1.0``), for the error
    naming it: Python's repr said ``True`` and ``None``, words of no file (docs round 14)."""
    import json

    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def is_version(value: object, expected: int) -> bool:
    """``value`` is the format version ``expected``: an int (not a bool) equal to it."""
    return type(value) is int and value == expected
