"""The nightly path `scan --history` reads of the history only what it needs, when it needs
it (organization-scale trial round 3: at 100 accounts the first night peaked at 570 MB and
later nights at 950 MB against 250 MB without --history; at 1,000 accounts 5.2 GB and
9.1 GB)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers.access_estate import estate

from scanner.cli import main
from scanner.history.sqlite_store import SqliteHistoryStore
from scanner.model import CoverageEntry, Snapshot
from scanner.snapshot_io import write_snapshot


def _night(tmp_path: Path, scan_id: str, started: str, *, gap: bool = False,
           base: Snapshot | None = None) -> Path:
    snap = base or estate(secret_policy=None)
    coverage = (CoverageEntry(account_id="999999999999", region="global", service="sts",
                              operation="AssumeRole", error_code="AccessDenied",
                              error_kind="denied", message="no"),) if gap else ()
    snap = replace(snap, meta=replace(snap.meta, scan_id=scan_id, started_at=started),
                   coverage=coverage)
    return write_snapshot(tmp_path / f"{scan_id}.json.gz", snap)


def _scan(tmp_path: Path, snapshot: Path, history: Path, out: str) -> int:
    return main(["scan", "--snapshot", str(snapshot), "--history", str(history), "-q",
                 "--out", str(tmp_path / out)])


class _Reads:
    """Counts what the SQLite store decodes: whole scans, snapshots, documents."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, str]] = []
        for name in ("load", "load_snapshot", "load_document"):
            original = getattr(SqliteHistoryStore, name, None)
            if original is None:
                continue

            def counted(store: Any, scan_id: str, *args: Any, _name: str = name,
                        _original: Any = original, **kw: Any) -> Any:
                self.calls.append((_name, scan_id))
                return _original(store, scan_id, *args, **kw)

            monkeypatch.setattr(SqliteHistoryStore, name, counted)


def test_a_recorded_scan_id_and_a_bad_snapshot_are_refused_before_the_previous_scan_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Organization-scale trial round 3: the previous scan was decoded whole (497 MB at 100
    accounts) before tonight's snapshot was read, so a snapshot already recorded, or one
    that is not a snapshot, was refused only after that."""
    history = tmp_path / "h.db"
    first = _night(tmp_path, "n1", "2026-11-20T02:00:00Z")
    assert _scan(tmp_path, first, history, "o1") in (0, 1)
    reads = _Reads(monkeypatch)
    assert _scan(tmp_path, first, history, "again") == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert _scan(tmp_path, bad, history, "bad") == 2
    assert reads.calls == []


def test_an_incomplete_newest_scan_is_read_for_its_findings_document_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Organization-scale trial round 3: after an incomplete night a second whole scan was
    decoded (snapshot, document, access report) just for its document's first_seen."""
    history = tmp_path / "h.db"
    assert _scan(tmp_path, _night(tmp_path, "n1", "2026-11-20T02:00:00Z"), history,
                 "o1") in (0, 1)
    assert _scan(tmp_path, _night(tmp_path, "n2", "2026-11-21T02:00:00Z", gap=True),
                 history, "o2") in (0, 1, 3)
    reads = _Reads(monkeypatch)
    assert _scan(tmp_path, _night(tmp_path, "n3", "2026-11-22T02:00:00Z"), history,
                 "o3") in (0, 1)
    assert sorted(reads.calls) == [("load", "n1"), ("load_document", "n2")]
    rows = json.loads((tmp_path / "o3" / "findings.json").read_text())["findings"]
    failing = [f for f in rows if f["status"] == "FAIL"]
    assert failing and all(f["first_seen"] == "2026-11-20T02:00:00Z" for f in failing)


def test_the_access_report_json_is_never_built_whole_on_a_night(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Organization-scale trial round 3: the access report's JSON was built twice, for the
    diff and again for the history record (74 MB and 0.7 s each at 100 accounts); built
    once, it was still held whole beside the typed report through the drift (fifteenth
    session: +232 MB at 300 accounts). Now streamed once: its entries are built when read."""
    import scanner.history.access_json as access_json
    from scanner.access.report import AccessReport

    history = tmp_path / "h.db"
    assert _scan(tmp_path, _night(tmp_path, "n1", "2026-11-20T02:00:00Z"), history,
                 "o1") in (0, 1)
    built: list[int] = []
    streamed: list[int] = []
    original = AccessReport.to_dict
    original_streamed = access_json.streamed_access_json

    def counted(self: AccessReport) -> dict[str, Any]:
        built.append(1)
        return original(self)

    def counted_streamed(report: AccessReport) -> dict[str, Any]:
        streamed.append(1)
        return original_streamed(report)

    monkeypatch.setattr(AccessReport, "to_dict", counted)
    monkeypatch.setattr(access_json, "streamed_access_json", counted_streamed)
    assert _scan(tmp_path, _night(tmp_path, "n2", "2026-11-21T02:00:00Z"), history,
                 "o2") in (0, 1)
    assert built == [] and streamed == [1]
    store = SqliteHistoryStore(history)
    assert [r.scan_id for r in store.list()] == ["n1", "n2"]
    n1, n2 = store.load("n1").access, store.load("n2").access
    assert n1 is not None and n2 is not None and n2["secrets"] == n1["secrets"]  # same estate
