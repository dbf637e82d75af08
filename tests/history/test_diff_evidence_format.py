"""Drift across a release that changed what findings' rows say: a finding whose evidence alone
differs between two scans that wrote evidence in different formats (findings.json
``scan.evidence_format``) is not listed as changed; one "not assessed" line counts them. Between
scans of one format an evidence change of a failing finding is listed, as before (the
sixteenth session's note: upgrading listed ~280,000 "changed (evidence)" rows at 1,000
accounts)."""

from __future__ import annotations

from typing import Any

from helpers.scanfactory import document, finding, secret, secret_arn, snapshot

from scanner.engine.output import EVIDENCE_FORMAT
from scanner.history.assessed import assess
from scanner.history.diff_findings import diff_findings, evidence_format
from scanner.history.drift import NotAssessed

DB = secret_arn("db")
RULE = "secret-rotation-disabled"
SNAP = snapshot("b", "2026-12-06T01:00:00Z", [secret("db")])


def _doc(evidence: dict[str, Any], fmt: int | None) -> dict[str, Any]:
    doc = document(SNAP, [finding(RULE, DB, evidence=evidence)])
    if fmt is not None:
        doc["scan"]["evidence_format"] = fmt
    return doc


def _diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[Any, list[NotAssessed]]:
    not_assessed: list[NotAssessed] = []
    _, _, changed = diff_findings(old, new, assess(SNAP), not_assessed)
    return changed, not_assessed


def test_evidence_changed_by_a_new_format_is_not_a_change() -> None:
    changed, not_assessed = _diff(_doc({"facts": ["a", "a again"]}, None),
                                  _doc({"facts": ["a"]}, EVIDENCE_FORMAT))

    assert changed == []
    [na] = not_assessed
    assert (na.subject, na.count, na.scan) == ("1 finding(s)", 1, "both")
    assert f"evidence_format 1 -> {EVIDENCE_FORMAT}" in na.reason


def test_evidence_changed_within_one_format_is_listed() -> None:
    changed, not_assessed = _diff(_doc({"facts": ["a"]}, EVIDENCE_FORMAT),
                                  _doc({"facts": ["b"]}, EVIDENCE_FORMAT))

    assert [c.resource_arn for c in changed] == [DB] and not_assessed == []


def test_a_status_change_is_listed_whatever_the_formats() -> None:
    old = _doc({"facts": ["a"]}, None)
    new = document(SNAP, [finding(RULE, DB, status="UNKNOWN", evidence={"facts": ["b"]})])
    new["scan"]["evidence_format"] = EVIDENCE_FORMAT
    _, not_assessed = _diff(old, new)

    assert [n.reason.split(":")[0] for n in not_assessed] == ["was FAIL, now UNKNOWN"]


def test_the_format_of_a_document_written_before_it_existed_is_1() -> None:
    assert evidence_format({"scan": {}}) == 1
    assert evidence_format({"scan": {"evidence_format": True}}) == 1
    assert evidence_format({"scan": {"evidence_format": 2}}) == 2
