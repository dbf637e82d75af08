"""`secretgraph history list` in an 80-column terminal; a stored snapshot and its history."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.access_estate import estate
from helpers.tty import run_in_tty

from scanner.cli import main
from scanner.snapshot_io import write_snapshot


def test_history_list_fits_80_columns_and_keeps_every_count(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    history = tmp_path / "h.db"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "out"), "-q",
                 "--history", str(history)]) in (0, 1)
    run = run_in_tty(["history", "list", "--history", str(history)], cols=80, timeout=120)
    assert run.exit_code == 0, run.text
    lines = run.text.splitlines()
    assert lines[0].split() == ["scan", "complete", "accts", "crit", "high", "fail", "unkn",
                                "gaps"]
    [row] = lines[1:]
    assert row.split()[1:] == ["yes", "3", "0", "0", "1", "1", "0"]  # the estate's counts
    assert [line for line in lines if len(line) > 80] == []


def test_a_snapshot_already_in_the_history_is_refused_before_any_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Re-evaluating a recorded snapshot into the same store wrote the reports, then failed
    to record (exit 2, documented as 'nothing was scanned')."""
    snapshot = write_snapshot(tmp_path / "snapshot.json.gz", estate(secret_policy=None))
    history = str(tmp_path / "h.db")
    args = ["scan", "--snapshot", str(snapshot), "--history", history, "-q", "--out"]
    assert main([*args, str(tmp_path / "first")]) in (0, 1)
    capsys.readouterr()
    assert main([*args, str(tmp_path / "again")]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "is already recorded there; re-evaluate it without --history" in line
    assert not (tmp_path / "again").exists()
    assert main(["scan", "--snapshot", str(snapshot), "-q", "--out",
                 str(tmp_path / "again")]) in (0, 1)


def test_a_history_locked_by_another_process_is_one_line_saying_what_was_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Hostile-input trial: with BEGIN EXCLUSIVE held on the history, a scan printed
    `internal error: OperationalError: database is locked` after 30 s, naming no file and not
    saying that its reports had been replaced but the scan not recorded."""
    import sqlite3

    from scanner.history import sqlite_store

    from dataclasses import replace

    first, snapshot = tmp_path / "first.json.gz", tmp_path / "snapshot.json.gz"
    night = estate(secret_policy=None)
    write_snapshot(first, night)
    write_snapshot(snapshot, replace(night, meta=replace(night.meta, scan_id="night-2")))
    history, out = tmp_path / "h.db", tmp_path / "out"
    assert main(["scan", "--snapshot", str(first), "--out", str(tmp_path / "first"), "-q",
                 "--history", str(history)]) in (0, 1)
    capsys.readouterr()
    monkeypatch.setattr(sqlite_store, "LOCK_TIMEOUT", 0.2, raising=False)
    holder = sqlite3.connect(history, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code = main(["scan", "--snapshot", str(snapshot), "--out", str(out), "-q",
                     "--history", str(history)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err == [
        f"secretgraph scan: error: {history}: cannot write the history file: database is "
        "locked (another process has held its write lock for more than 0.2 s); the reports "
        f"were written to {out}, the scan was not recorded in the history"]
    assert (out / "findings.json").is_file()
    assert main(["history", "list", "--history", str(history), "--format", "json"]) == 0
    assert capsys.readouterr().out.count('"scan_id"') == 1
