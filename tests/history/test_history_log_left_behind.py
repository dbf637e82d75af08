"""A history whose write-ahead log holds committed scans not yet folded into the file -- a
scan killed after its COMMIT and before the log was checkpointed, the ``-wal`` file left
beside the history -- is never read without them (fault-injection trial round 21).

Where the reader may not write the folder and the ``-shm`` file is gone, SQLite can open the
file only as ``immutable``, which ignores the log: `history list`, `diff` and `access
--history` run by an auditor read the history as it was before the last scans, without a
word (the newest scan missing, a diff against an older one). That is refused now, one line
saying what to run; with the ``-shm`` file, or a folder the reader may write, SQLite reads the
log as ever. (Root ignores file modes: the refusal is simulated, as in test_sqlite_store.)"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers.scanfactory import document, snapshot
from scanner.cli import main
from scanner.history.sqlite_store import SqliteHistoryStore


def _scan(store: SqliteHistoryStore, scan_id: str, started: str) -> None:
    snap = snapshot(scan_id, started)
    store.record(snap.meta, snap, document(snap, []), None)


def _killed_after_commit(path: Path, scan_id: str) -> None:
    """The last scan's write as a scan killed after its COMMIT leaves it: in the log alone
    (the process ends without closing the history, so nothing folds the log back)."""
    tests = Path(__file__).resolve().parents[1]
    assert subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(tests)!r})
        from scanner.history import sqlite_store
        from helpers.scanfactory import document, snapshot
        def killed(conn, stop):  # right after the COMMIT
            conn.execute("COMMIT")
            os._exit(9)
        sqlite_store.SqliteHistoryStore._commit_held = staticmethod(killed)
        snap = snapshot({scan_id!r}, "2026-11-29T01:00:00Z")
        sqlite_store.SqliteHistoryStore({str(path)!r}).record(
            snap.meta, snap, document(snap, []), None)
        """)], check=False, timeout=120).returncode == 9
    assert Path(f"{path}-wal").stat().st_size > 0
    os.unlink(f"{path}-shm")  # what a copy of the files, or a clean-up, may leave


@pytest.fixture()
def history(tmp_path: Path) -> Path:
    path = tmp_path / "h.db"
    _scan(SqliteHistoryStore(path), "s1", "2026-11-27T01:00:00Z")
    _scan(SqliteHistoryStore(path), "s2", "2026-11-28T01:00:00Z")
    _killed_after_commit(path, "s3")
    return path


def _reader_may_not_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder the reader may not write: no -shm can be made there, so SQLite answers the
    read-only open as it does for such a reader."""
    monkeypatch.setattr(SqliteHistoryStore, "_writable", lambda self: False)
    connect = sqlite3.connect

    def refused(database: str, *args: object, **kwargs: object) -> sqlite3.Connection:
        if "mode=ro" in str(database) and "immutable=1" not in str(database):
            raise sqlite3.OperationalError("unable to open database file")
        return connect(database, *args, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(sqlite3, "connect", refused)


def test_a_log_of_committed_scans_is_not_read_past_by_a_reader_who_may_not_write(
        history: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    log = Path(f"{history}-wal").read_bytes()
    _reader_may_not_write(monkeypatch)
    assert main(["history", "list", "--history", str(history)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert f"{history}:" in line and f"{history.name}-wal" in line, line
    assert "secretgraph history list --history" in line, line  # what to run, and by whom
    assert Path(f"{history}-wal").read_bytes() == log  # nothing changed


def test_a_reader_who_may_write_reads_the_log(history: Path) -> None:
    assert [r.scan_id for r in SqliteHistoryStore(history).list()] == ["s1", "s2", "s3"]
