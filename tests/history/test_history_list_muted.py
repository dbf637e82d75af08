"""`history list` shows the findings each night's suppressions muted (new-user trial round 36):
a nightly reader saw a night's fail count drop and could not tell a fix from a new suppression
entry, and at 80 columns the narrow layout (a real 32-character scan id) ran past the edge."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

from helpers.scanfactory import secret, snapshot

SUPPRESSIONS = """\
suppressions:
  - rule: secret-rotation-disabled
    reason: legacy app retires in Q1
    expires: 2099-12-31
"""


def _two_nights(tmp_path: Path) -> str:
    """Both nights fail secret-key-unusable (the factory's secret names a key the snapshot does
    not hold) and secret-rotation-disabled; night 2 mutes the second with a suppression file."""
    hist = str(tmp_path / "h.db")
    sup = tmp_path / "suppressions.yaml"
    sup.write_text(SUPPRESSIONS)
    for night, extra in (("1", []), ("2", ["--suppressions", str(sup)])):
        sid = f"scan-2026-12-0{night}T020000Z-0000000{night}"
        snap_file = tmp_path / f"snap{night}.json.gz"
        write_snapshot(snap_file, snapshot(sid, f"2026-12-0{night}T02:00:00Z",
                                           [secret("db", rotation=False)]))
        assert main(["scan", "--snapshot", str(snap_file), "--out", str(tmp_path / night),
                     "--history", hist, "-q", "--fail-on", "NONE", *extra]) == 0
    return hist


def test_history_list_has_a_muted_column(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    hist = _two_nights(tmp_path)
    capsys.readouterr()
    assert main(["history", "list", "--history", hist]) == 0  # not a terminal: the wide table
    out = capsys.readouterr().out.splitlines()
    head = out[0].split()
    assert head[-4:] == ["fail", "unknown", "muted", "gaps"], head
    fail, muted = head.index("fail"), head.index("muted")
    rows = [line.split() for line in out[2:]]
    assert [(r[fail], r[muted]) for r in rows] == [("2", "0"), ("1", "1")]


def test_the_narrow_layout_fits_80_columns_with_real_scan_ids(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    hist = _two_nights(tmp_path)
    capsys.readouterr()
    monkeypatch.setattr("scanner.commands.history.terminal_width", lambda: 80)
    assert main(["history", "list", "--history", hist]) == 0
    out = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in out) <= 80, out
    head = out[0].split()
    assert head == ["scan", "complete", "acct", "rgn", "crit", "high", "fail", "unkn", "mute",
                    "gaps"], head
    rows = [line.split() for line in out[1:]]
    assert [(r[0], r[6], r[8]) for r in rows] == [
        ("scan-2026-12-01T020000Z-00000001", "2", "0"),
        ("scan-2026-12-02T020000Z-00000002", "1", "1")]
