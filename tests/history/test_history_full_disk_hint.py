"""A history file on a nearly full disk: SQLite cannot create the -wal and -shm files a
WAL-mode file needs beside it and says only "disk I/O error" (fault-injection trial round 8:
16 KB free beside an 80 KB history made `scan --history` and `history list` fail with
"cannot open the history file: disk I/O error"). The line now says the disk is the cause."""

from __future__ import annotations

import shutil
import sqlite3
from collections import namedtuple
from pathlib import Path

import pytest

from helpers.scanfactory import document, secret, snapshot
from scanner.cli import main
from scanner.history import open_store

Usage = namedtuple("Usage", "total used free")


def _history(tmp_path: Path) -> Path:
    path = tmp_path / "h.db"
    store = open_store(str(path))
    snap = snapshot("n1", "2026-12-01T02:00:00Z", [secret("db")])
    store.record(snap.meta, snap, document(snap), None)
    return path


def _io_error(*args: object, **kwargs: object) -> sqlite3.Connection:
    raise sqlite3.OperationalError("disk I/O error")


@pytest.mark.parametrize("free,says_disk", [(16 * 1024, True), (50 * 1024 ** 3, False)])
def test_a_disk_io_error_on_a_nearly_full_disk_says_the_disk_is_full(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        free: int, says_disk: bool) -> None:
    path = _history(tmp_path)
    monkeypatch.setattr(sqlite3, "connect", _io_error)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: Usage(10 ** 9, 10 ** 9 - free, free))
    capsys.readouterr()
    assert main(["history", "list", "--history", str(path)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "cannot open the history file" in line and "disk I/O error" in line
    hint = "the disk holding it has 16 KB free: SQLite needs room beside it for its -wal"
    assert (hint in line) is says_disk  # plenty of room: the error is something else
