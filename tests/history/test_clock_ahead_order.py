"""A scan made on a clock hours ahead (fault-injection trial round 27, left by the lead).

The history was sorted by start time. A scan run by hand from a machine whose clock was 20
hours ahead (less than the day after which ``future_scans`` sets a scan apart) was recorded
before the next night's scan but sorted after it: the night after that took it for "the
previous scan" and diffed against a scan two days old -- the next night's changes were told
again (or their undoing lost), ``secretgraph diff`` compared the two scans backwards and
`history list` showed them out of order. "The previous scan" is now the last one recorded
before: the history lists its scans in the order they were recorded, on SQLite and S3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

from helpers.scanfactory import secret, snapshot

BUCKET = "sg-clock-ahead"

# recorded in this order; "lap" ran on 2026-11-21 at 13:00, its clock 20 hours ahead
NIGHTS = (("n1", "2026-11-21T01:00:00Z"), ("lap", "2026-11-22T09:00:00Z"),
          ("n2", "2026-11-22T01:00:00Z"), ("n3", "2026-11-23T01:00:00Z"))


def _scan(tmp_path: Path, history: str, scan_id: str, started: str) -> tuple[int, str]:
    snap = snapshot(scan_id, started, [secret("db"), secret(f"only-{scan_id}")])
    path = write_snapshot(tmp_path / f"{scan_id}.json.gz", snap)
    code = main(["scan", "--snapshot", str(path), "--history", history,
                 "--out", str(tmp_path / f"out-{scan_id}")])
    return code, str(path)


def _nights(tmp_path: Path, history: str, capsys: pytest.CaptureFixture[str]) -> str:
    """The four scans recorded; what the last one (n3) printed."""
    for scan_id, started in NIGHTS:
        capsys.readouterr()
        code, _ = _scan(tmp_path, history, scan_id, started)
        assert code in (0, 1)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.out


def _assert_in_recording_order(history: str, out: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    # n3's drift is against n2, the scan recorded just before it -- not "lap", two days old
    assert "Drift n2 (" in out and "-> n3 (" in out
    assert "only-lap" not in out  # the hand-run scan's secret is not told again
    assert main(["history", "list", "--history", history, "--format", "json"]) == 0
    assert [s["scan_id"] for s in json.loads(capsys.readouterr().out)["scans"]] == \
        ["n1", "lap", "n2", "n3"]
    # `diff` without ids: the last two scans recorded, the older one first
    assert main(["diff", "--history", history]) in (0, 1)
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("Drift n2 (") and "-> n3 (" in first


def test_sqlite_the_previous_scan_is_the_last_one_recorded(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = str(tmp_path / "h.db")
    _assert_in_recording_order(history, _nights(tmp_path, history, capsys), capsys)


def test_s3_the_previous_scan_is_the_last_one_recorded(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], s3: Any) -> None:
    history = f"s3://{BUCKET}/nightly"
    _assert_in_recording_order(history, _nights(tmp_path, history, capsys), capsys)
    index = json.loads(s3.get_object(Bucket=BUCKET, Key="nightly/index.json")["Body"].read())
    assert [s["scan_id"] for s in index["scans"]] == ["n1", "lap", "n2", "n3"]
