"""A ``suppression-expired`` finding is judged by every scan: the engine produces it from the
scan's own suppression file (or, with none, there is no entry that can expire), so drift and the
Security Hub archive resolve it when a later scan no longer reports it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from reports.asff import archive_resolved, build_asff
from scanner.engine.suppressions import EXPIRED_RULE_ID
from scanner.history.diff import diff_scans
from scanner.pipeline import ScanOptions, analyze, load_inputs

from helpers.scanfactory import secret, snapshot, stored

ENTRY = ("suppressions:\n  - rule: secret-rotation-disabled\n"
         "    resource: 'arn:aws:secretsmanager:*:*:secret:legacy/*'\n"
         "    reason: legacy, cannot rotate\n    expires: {expires}\n")
NIGHTS = ("2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z", "2026-11-30T01:00:00Z")


def _night(tmp_path: Path, n: int, expires: str | None) -> tuple[Any, dict[str, Any]]:
    snap = snapshot(f"n{n}", NIGHTS[n], [secret("legacy/db", rotation=False)])
    path = None
    if expires is not None:
        path = tmp_path / f"suppressions-{n}.yaml"
        path.write_text(ENTRY.format(expires=expires))
    now = dt.datetime.fromisoformat(NIGHTS[n].replace("Z", "+00:00"))
    doc = analyze(snap, load_inputs(ScanOptions(suppressions_path=path)), now=now).document
    return snap, doc


def _expired(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["rule_id"] == EXPIRED_RULE_ID]


def test_a_renewed_suppression_resolves_its_expired_finding_in_drift_and_security_hub(
        tmp_path: Path) -> None:
    """New-user trial round 6: night 1 valid, night 2 expired, night 3 renewed. Night 2 listed
    the expired entry as new "(rule not evaluated by the previous scan)" -- the previous scan
    read the same file --, night 3 resolved nothing (drift: "Not assessed ... rule
    suppression-expired was not evaluated by the scan") and export --previous never archived
    it, so Security Hub kept it ACTIVE FAILED."""
    n1 = _night(tmp_path, 0, "2026-11-28")
    n2 = _night(tmp_path, 1, "2026-11-28")  # the day after its last day
    n3 = _night(tmp_path, 2, "2099-01-31")  # renewed
    assert _expired(n1[1]) == [] and len(_expired(n2[1])) == 1 and _expired(n3[1]) == []
    assert EXPIRED_RULE_ID in n3[1]["scan"]["rules"]

    expired = diff_scans(stored(*n1), stored(*n2))
    [new] = expired.findings_new
    assert new.rule_id == EXPIRED_RULE_ID and new.changes == ()

    renewed = diff_scans(stored(*n2), stored(*n3))
    assert [f.rule_id for f in renewed.findings_resolved] == [EXPIRED_RULE_ID]
    assert [n for n in renewed.not_assessed if n.scope == "finding"] == []

    [archived] = archive_resolved(build_asff(n2[1]), build_asff(n3[1]), n3[1])
    assert archived["GeneratorId"] == f"secretgraph/{EXPIRED_RULE_ID}"
    assert (archived["RecordState"], archived["Compliance"]["Status"]) == ("ARCHIVED", "PASSED")


def test_a_scan_without_suppressions_resolves_last_nights_expired_entry(tmp_path: Path) -> None:
    """New-user trial round 6: a scan given no suppression file has no entry that can expire;
    it assessed the rule like every scan does, so the expired entry is resolved, not left
    "not assessed" for ever."""
    n2 = _night(tmp_path, 1, "2026-11-28")
    n3 = _night(tmp_path, 2, None)
    renewed = diff_scans(stored(*n2), stored(*n3))
    assert [f.rule_id for f in renewed.findings_resolved] == [EXPIRED_RULE_ID]
    assert len(archive_resolved(build_asff(n2[1]), build_asff(n3[1]), n3[1])) == 1


def test_a_document_written_before_scan_rules_listed_the_rule_still_resolves_it(
        tmp_path: Path) -> None:
    """New-user trial round 6: the history holds documents whose ``scan.rules`` lacks
    suppression-expired (every scan evaluated it all the same)."""
    n1 = _night(tmp_path, 0, "2026-11-28")
    n2 = _night(tmp_path, 1, "2026-11-28")
    n3 = _night(tmp_path, 2, "2099-01-31")
    for _, doc in (n1, n3):
        doc["scan"]["rules"] = [r for r in doc["scan"]["rules"] if r != EXPIRED_RULE_ID]
    [new] = diff_scans(stored(*n1), stored(*n2)).findings_new
    assert new.changes == ()
    assert [f.rule_id for f in diff_scans(stored(*n2), stored(*n3)).findings_resolved] == [
        EXPIRED_RULE_ID]


def test_a_scan_leaving_out_low_severities_does_not_resolve_it(tmp_path: Path) -> None:
    """The severity scope still holds: --severity HIGH says nothing about a LOW finding."""
    n2 = _night(tmp_path, 1, "2026-11-28")
    snap, doc = _night(tmp_path, 2, "2026-11-28")
    doc["findings"] = [f for f in doc["findings"] if f["severity"] == "HIGH"]
    doc["scan"]["scope"] = {"severities": ["HIGH"]}
    drift = diff_scans(stored(*n2), stored(snap, doc))
    assert drift.findings_resolved == ()


def test_an_entry_for_a_region_glob_is_reported_in_global_and_still_archived(
        tmp_path: Path) -> None:
    """An entry's Region may be a glob ("us-*", as docs/configuration.md shows): the expired
    finding was reported in Region "us-*" -- a ProductArn Security Hub refuses -- and never
    archived ("region us-* was not scanned"). It is reported in global (review of the day's
    merges)."""
    glob_entry = ENTRY + "    region: 'us-*'\n"

    def night(n: int, expires: str) -> tuple[Any, dict[str, Any]]:
        snap = snapshot(f"g{n}", NIGHTS[n], [secret("legacy/db", rotation=False)])
        path = tmp_path / f"glob-{n}.yaml"
        path.write_text(glob_entry.format(expires=expires))
        now = dt.datetime.fromisoformat(NIGHTS[n].replace("Z", "+00:00"))
        return snap, analyze(snap, load_inputs(ScanOptions(suppressions_path=path)),
                             now=now).document

    n2, n3 = night(1, "2026-11-28"), night(2, "2099-01-31")
    [expired] = _expired(n2[1])
    assert expired["resource"]["region"] == "global"
    [archived] = archive_resolved(build_asff(n2[1]), build_asff(n3[1]), n3[1])
    assert archived["GeneratorId"].endswith(EXPIRED_RULE_ID) or EXPIRED_RULE_ID in str(archived)
