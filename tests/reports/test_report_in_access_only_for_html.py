"""`report --in DIR` re-runs the access analysis only for the HTML report, the one format that
shows readers: at 1,000 accounts the analysis is about 30 s CPU and 1.3 GB, and `report --in
DIR --format csv` (or asff, junit, ocsf, jsonl) paid it for nothing. The snapshot itself is
read only for the formats that show what it holds (html; asff, whose resources come from the
graph): the terminal table at 1,000 accounts peaked at 3.2 GB, a gigabyte of it the snapshot
and its graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

from helpers.scanfactory import secret, snapshot


@pytest.fixture
def scan_dir(tmp_path: Path) -> Path:
    snap = write_snapshot(tmp_path / "s.json.gz", snapshot("night-1", "2026-11-28T01:00:00Z", [
        secret("api", kms_key_id=None), secret("db")]))
    out = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(snap), "--out", str(out), "-q",
                 "--format", "json"]) in (0, 1)
    return out


def _analyses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    import scanner.access as access_pkg

    calls: list[int] = []
    real = access_pkg.analyze_access

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(access_pkg, "analyze_access", counted)
    return calls


@pytest.mark.parametrize("formats", ["csv", "asff,junit", "ocsf,jsonl"])
def test_formats_without_readers_do_not_analyse_access(
        scan_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, formats: str) -> None:
    calls = _analyses(monkeypatch)
    assert main(["report", "--in", str(scan_dir), "--out", str(tmp_path / "r"), "-q",
                 "--format", formats]) == 0
    assert calls == []


def test_the_html_report_still_shows_the_readers(
        scan_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _analyses(monkeypatch)
    assert main(["report", "--in", str(scan_dir), "--out", str(tmp_path / "r"), "-q",
                 "--format", "html,csv"]) == 0
    assert calls == [1]
    assert (tmp_path / "r" / "report.html").exists()


@pytest.mark.parametrize("formats", ["csv", "junit,ocsf,jsonl"])
def test_formats_without_the_graph_do_not_read_the_snapshot(
        scan_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, formats: str) -> None:
    import scanner.snapshot_io as snapshot_io

    def unread(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the snapshot was read")

    monkeypatch.setattr(snapshot_io, "read_snapshot", unread)
    assert main(["report", "--in", str(scan_dir), "--out", str(tmp_path / "r"), "-q",
                 "--format", formats]) == 0
