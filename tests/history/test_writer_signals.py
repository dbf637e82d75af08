"""Ctrl-C and SIGTERM while a scan (or remediate --apply) writes the SQLite history: the wait
for another process's write lock stops at once, and the line says what the history holds --
the scan recorded, or not -- as it is (fault trial round 6)."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from scanner.errors import Interrupted
from scanner.history import sqlite_store
from scanner.history.records import ReReadMark
from scanner.history.sqlite_store import SqliteHistoryStore

from helpers.scanfactory import access, document, finding, secret, secret_arn, snapshot


def _record(store: SqliteHistoryStore, scan_id: str, started: str) -> None:
    snap = snapshot(scan_id, started, [secret("db")])
    doc = document(snap, [finding("secret-rotation-disabled", secret_arn("db"))])
    store.record(snap.meta, snap, doc, access({secret_arn("db"): [
        ("arn:aws:iam::222222222222:role/app", "allow")]}))


def _ids(store: SqliteHistoryStore) -> list[str]:
    return [r.scan_id for r in store.list()]


@pytest.fixture()
def sigterm_handler() -> Iterator[list[int]]:
    """SIGTERM handled as the CLI does (it records the signal and raises Terminated)."""
    from scanner.errors import Terminated

    got: list[int] = []

    def stop(signum: int, frame: Any) -> None:
        got.append(signum)
        raise Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield got
    finally:
        signal.signal(signal.SIGTERM, previous)


class _SignalAt:
    """A connection that sends ``sig`` to this process when a statement starting with
    ``when`` is executed -- after it ran (``after``) or just before."""

    def __init__(self, conn: sqlite3.Connection, sig: int, when: str, after: bool) -> None:
        self._conn, self._sig, self._when, self._after = conn, sig, when, after

    def execute(self, sql: str, *args: Any) -> Any:
        hit = sql.lstrip().upper().startswith(self._when)
        if hit and not self._after:
            os.kill(os.getpid(), self._sig)
        result = self._conn.execute(sql, *args)
        if hit and self._after:
            os.kill(os.getpid(), self._sig)
            time.sleep(0.05)  # a Python handler would run here, right after COMMIT returned
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _signal_at(monkeypatch: pytest.MonkeyPatch, sig: int, when: str, *, after: bool) -> None:
    real = SqliteHistoryStore._connect

    def connect(self: SqliteHistoryStore) -> Any:
        return _SignalAt(real(self), sig, when, after)

    monkeypatch.setattr(SqliteHistoryStore, "_connect", connect)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_the_commit_of_a_scan_says_it_was_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sigterm_handler: list[int],
        sig: signal.Signals) -> None:
    """Fault trial round 6 (slow_commit_ctrlc.sh): Ctrl-C during the history's COMMIT (a slow
    fdatasync) was raised right after COMMIT returned; the store rolled back nothing, and the
    scan said "the scan was not recorded" -- it was. The signal is held over BEGIN..COMMIT
    and, arriving after the COMMIT, is reported as what it is: recorded."""
    store = SqliteHistoryStore(tmp_path / "h.db")
    _record(store, "n1", "2026-11-27T01:00:00Z")
    _signal_at(monkeypatch, sig, "COMMIT", after=True)
    with pytest.raises(KeyboardInterrupt) as caught:
        _record(store, "n2", "2026-11-28T01:00:00Z")
    monkeypatch.undo()
    assert isinstance(caught.value, Interrupted), repr(caught.value)
    assert getattr(caught.value, "recorded", None) is True
    assert "the scan n2 was recorded" in caught.value.message
    assert _ids(store) == ["n1", "n2"]
    assert sigterm_handler == ([signal.SIGTERM] if sig == signal.SIGTERM else [])


def test_a_signal_before_the_commit_of_a_scan_records_nothing_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault trial round 6: a signal while the scan's rows are written rolls them back."""
    store = SqliteHistoryStore(tmp_path / "h.db")
    _record(store, "n1", "2026-11-27T01:00:00Z")
    _signal_at(monkeypatch, signal.SIGINT, "INSERT INTO SCANS", after=False)
    with pytest.raises(KeyboardInterrupt) as caught:
        _record(store, "n2", "2026-11-28T01:00:00Z")
    monkeypatch.undo()
    assert isinstance(caught.value, Interrupted), repr(caught.value)
    assert not getattr(caught.value, "recorded", False)
    assert "the scan n2 was not recorded" in caught.value.message
    assert _ids(store) == ["n1"]


def test_ctrl_c_in_a_scan_that_was_recorded_during_it_says_both_were_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault trial round 6 (slow_commit_ctrlc.sh): the scan's line said "the reports were
    written to OUT, the scan was not recorded in the history" after a Ctrl-C during the
    COMMIT, with the scan recorded: the next night diffed against it unexpectedly."""
    from helpers.bench_synth import synth_snapshot

    from scanner.pipeline import ScanOptions, run_scan
    from scanner.snapshot_io import write_snapshot

    snap = tmp_path / "snap.json.gz"
    write_snapshot(snap, synth_snapshot(2, 2, 1))
    out, history = tmp_path / "out", tmp_path / "h.db"
    _signal_at(monkeypatch, signal.SIGINT, "COMMIT", after=True)
    with pytest.raises(KeyboardInterrupt) as caught:
        run_scan(ScanOptions(snapshot_in=snap, out_dir=out, formats=("json",),
                             history=str(history)))
    monkeypatch.undo()
    assert isinstance(caught.value, Interrupted), repr(caught.value)
    assert caught.value.message == (f"interrupted; the reports were written to {out}, the "
                                    f"scan was recorded in the history {history}")
    assert len(SqliteHistoryStore(history).list()) == 1


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_a_scan_waits_for_another_writers_lock_stops_it_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sigterm_handler: list[int],
        sig: signal.Signals) -> None:
    """Fault trial round 6 (lock_ctrlc.sh): Ctrl-C while `scan --history` waited for another
    process's write lock was ignored for up to 30 s (SQLite's busy wait runs no Python signal
    handler), then "database is locked", exit 2 -- docs/history.md said this was fixed, for
    prune only. The scan's write waits as prune's does: stopped at once, not recorded."""
    store = SqliteHistoryStore(tmp_path / "h.db")
    _record(store, "n1", "2026-11-27T01:00:00Z")
    monkeypatch.setattr(sqlite_store, "LOCK_TIMEOUT", 5.0)
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.3, os.kill, (os.getpid(), sig))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt) as caught:
            _record(store, "n2", "2026-11-28T01:00:00Z")
        assert time.monotonic() - started < 2.0
    finally:
        timer.cancel()
        holder.execute("ROLLBACK")
        holder.close()
    assert isinstance(caught.value, Interrupted), repr(caught.value)
    assert "while waiting for another process's write lock" in caught.value.message
    assert "the scan n2 was not recorded" in caught.value.message
    assert _ids(store) == ["n1"]


def test_a_signal_while_remediate_marks_rereads_under_another_writers_lock_stops_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault trial round 6: remediate --apply / --undo record re-read marks with the same
    wait; Ctrl-C stops it at once and nothing is marked."""
    store = SqliteHistoryStore(tmp_path / "h.db")
    _record(store, "n1", "2026-11-27T01:00:00Z")
    monkeypatch.setattr(sqlite_store, "LOCK_TIMEOUT", 5.0)
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt) as caught:
            store.mark_reread([ReReadMark(resource=secret_arn("db"),
                                          marked_at="2026-11-28T02:00:00Z", source="apply")])
        assert time.monotonic() - started < 2.0
    finally:
        timer.cancel()
        holder.execute("ROLLBACK")
        holder.close()
    assert isinstance(caught.value, Interrupted), repr(caught.value)
    assert "no re-read was marked" in caught.value.message
    assert store.reread_marks() == ()
