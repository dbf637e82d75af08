"""A finding's Security Hub CreatedAt stays put across rescans into the same --out: the
previous export's CreatedAt for the same Id when there is one, the finding's first_seen
otherwise; when both are known (a scan with --history into a folder holding an export) the
earlier of the two. FirstObservedAt is CreatedAt; UpdatedAt and LastObservedAt are the scan's
finish time (docs/reports.md, "ASFF and Security Hub")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers.report_sample import sample_access, sample_document, sample_graph

from reports import write_reports

FIRST_FINISHED = "2026-11-29T01:04:10.000Z"  # sample_document()'s finish: the first CreatedAt


class _Analysis:
    def __init__(self, *, started: str | None = None, first_seen: str | None = None) -> None:
        self.document = sample_document()
        if started is not None:
            self.document["scan"]["started_at"] = self.document["scan"]["finished_at"] = started
        if first_seen is not None:
            for f in self.document["findings"]:
                f["first_seen"] = first_seen
        self.graph = sample_graph()
        self.access = sample_access()

    def first_seen(self) -> dict[str, str]:
        """What the scan pipeline hands write_reports (scanner.scan_history.FirstSeenIndex)."""
        return {f["id"]: f["first_seen"] for f in self.document["findings"]
                if f.get("first_seen")}


def _asff(folder: Path) -> dict[str, dict[str, Any]]:
    return {f["Id"]: f for f in json.loads(
        (folder / "findings.asff.json").read_text(encoding="utf-8"))}


def _rescan(folder: Path, analysis: _Analysis) -> dict[str, dict[str, Any]]:
    write_reports(analysis, folder, ["asff"], previous_created_at=analysis.first_seen())
    return _asff(folder)


def test_a_rescan_without_history_keeps_the_previous_exports_created_at(
        tmp_path: Path) -> None:
    """Review of today's merges, round 3 (createdat.sh): two scans of the same estate into the
    same --out without --history -- "32 of 32 findings changed CreatedAt". The scan hands the
    writer each finding's first_seen, which without a history is this scan's start, and it
    won over the previous export's CreatedAt (a setdefault that never applied)."""
    write_reports(_Analysis(), tmp_path, ["asff"])
    before = _asff(tmp_path)
    assert {f["CreatedAt"] for f in before.values()} == {FIRST_FINISHED}
    later = "2026-12-24T01:00:00Z"
    after = _rescan(tmp_path, _Analysis(started=later, first_seen=later))
    assert set(after) == set(before)
    for fid, f in after.items():
        assert f["CreatedAt"] == f["FirstObservedAt"] == before[fid]["CreatedAt"], fid
        assert f["UpdatedAt"] == f["LastObservedAt"] == "2026-12-24T01:00:00.000Z", fid


def test_first_seen_in_the_history_before_the_previous_export_wins(tmp_path: Path) -> None:
    """Review of today's merges, round 3: with --history the two sources can disagree -- a
    folder whose export was written by a scan without the history, then scanned with it. The
    earlier of the two is CreatedAt: the history saw the finding before that export did."""
    write_reports(_Analysis(), tmp_path, ["asff"])  # CreatedAt 2026-11-29T01:04:10
    history_first_seen = "2026-11-01T00:00:00Z"
    after = _rescan(tmp_path, _Analysis(started="2026-12-24T01:00:00Z",
                                        first_seen=history_first_seen))
    assert {(f["CreatedAt"], f["FirstObservedAt"]) for f in after.values()} == \
        {("2026-11-01T00:00:00.000Z", "2026-11-01T00:00:00.000Z")}


def test_a_finding_the_previous_export_lacks_takes_its_first_seen(tmp_path: Path) -> None:
    """Review of today's merges, round 3: the previous export's CreatedAt applies to the same
    Id only; a finding new since then is created when it was first seen."""
    write_reports(_Analysis(), tmp_path, ["asff"])
    kept = json.loads((tmp_path / "findings.asff.json").read_text(encoding="utf-8"))
    dropped = kept.pop(0)["Id"]
    (tmp_path / "findings.asff.json").write_text(json.dumps(kept), encoding="utf-8")
    later = "2026-12-24T01:00:00Z"
    after = _rescan(tmp_path, _Analysis(started=later, first_seen=later))
    assert after[dropped]["CreatedAt"] == "2026-12-24T01:00:00.000Z"
    assert {f["CreatedAt"] for fid, f in after.items() if fid != dropped} == {FIRST_FINISHED}


def test_export_securityhub_previous_takes_the_earlier_created_at_too() -> None:
    """Review of today's merges, round 3: `export securityhub --previous` chose CreatedAt as
    the scan's export did before the fix (the previous export's, whatever first_seen said);
    it takes the earlier of the two as the scan's findings.asff.json does, so the two agree:
    a finding the history saw before the previous export keeps its first_seen, one the
    previous export saw before this scan's first_seen keeps that export's CreatedAt."""
    from reports.asff import build_asff
    from reports.hub_payload import Previous, build_payload

    previous = build_asff(sample_document())  # CreatedAt 2026-11-29T01:04:10
    early, late = "2026-11-01T00:00:00Z", "2026-12-24T01:00:00Z"
    for first_seen, expected in ((early, "2026-11-01T00:00:00.000Z"),
                                 (late, FIRST_FINISHED)):
        doc = _Analysis(started=late, first_seen=first_seen).document
        prepared, _, _ = build_payload({**doc, "findings": []}, doc["findings"],
                                       previous=Previous(asff=previous))
        current = [p.finding() for p in prepared
                   if p.finding()["RecordState"] == "ACTIVE"]
        assert current and {(f["CreatedAt"], f["FirstObservedAt"]) for f in current} == \
            {(expected, expected)}, first_seen
