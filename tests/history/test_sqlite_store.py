"""The SQLite history file: round trip, atomic writes, migrations, refusing foreign files."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from scanner.cli import main
from scanner.errors import InputError
from scanner.history import open_store
from scanner.history import sqlite_schema, sqlite_store
from scanner.history.records import snapshot_to_json
from scanner.history.blobs import encode_blob
from scanner.history.sqlite_store import SqliteHistoryStore
from scanner.history.sqlite_schema import APPLICATION_ID, SCHEMA_VERSION

from helpers.scanfactory import CENTRAL, access, document, finding, secret, secret_arn, snapshot


def _scan(store: SqliteHistoryStore, scan_id: str, started: str, *, complete: bool = True) -> None:
    cov = () if complete else ()
    snap = snapshot(scan_id, started, [secret("db")], not_assumed=() if complete else ("222222222222",),
                    coverage=cov)
    doc = document(snap, [finding("secret-rotation-disabled", secret_arn("db"))])
    store.record(snap.meta, snap, doc, access({secret_arn("db"): [("arn:aws:iam::222222222222:role/app", "allow")]}))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_round_trip_lists_loads_and_picks_latest_complete(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "h.db"))
    assert store.list() == []
    assert not (tmp_path / "h.db").exists(), "reading must not create the file"
    _scan(store, "s1", "2026-11-27T01:00:00Z")
    _scan(store, "s2", "2026-11-28T01:00:00Z", complete=False)
    _scan(store, "s3", "2026-11-29T01:00:00Z")
    records = store.list()
    assert [r.scan_id for r in records] == ["s1", "s2", "s3"]
    assert [r.complete for r in records] == [True, False, True]
    assert records[0].counts["fail"] == 1 and records[0].counts["high"] == 1
    loaded = store.load("s2")
    assert loaded.snapshot.meta.scan_id == "s2"
    assert loaded.document["findings"][0]["rule_id"] == "secret-rotation-disabled"
    assert loaded.access is not None and secret_arn("db") in loaded.access["secrets"]
    assert store.latest_complete().scan_id == "s3"  # type: ignore[union-attr]
    assert store.latest_complete(before="s3").scan_id == "s1"  # type: ignore[union-attr]
    assert store.latest_complete(before="s1") is None


def test_file_carries_application_id_schema_version_and_wal(tmp_path: Path) -> None:
    store = SqliteHistoryStore(tmp_path / "h.db")
    _scan(store, "s1", "2026-11-27T01:00:00Z")
    conn = sqlite3.connect(tmp_path / "h.db")
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    versions = [r[0] for r in conn.execute("SELECT version FROM migrations ORDER BY version")]
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    conn.close()


def test_same_scan_id_twice_is_refused_and_first_kept(tmp_path: Path) -> None:
    store = SqliteHistoryStore(tmp_path / "h.db")
    _scan(store, "s1", "2026-11-27T01:00:00Z")
    with pytest.raises(InputError, match="already recorded"):
        _scan(store, "s1", "2026-11-28T01:00:00Z")
    assert [r.started_at for r in store.list()] == ["2026-11-27T01:00:00Z"]


def test_error_after_first_insert_rolls_back_the_whole_scan(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    store = SqliteHistoryStore(tmp_path / "h.db")
    _scan(store, "s1", "2026-11-27T01:00:00Z")
    real_put = sqlite_store.put_blob
    calls = {"n": 0}

    def put_then_crash(conn: sqlite3.Connection, data: bytes) -> str:
        calls["n"] += 1
        digest = real_put(conn, data)
        if calls["n"] == 1:
            raise RuntimeError("simulated crash after the first insert")
        return digest

    monkeypatch.setattr(sqlite_store, "put_blob", put_then_crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        _scan(store, "s2", "2026-11-28T01:00:00Z")
    monkeypatch.setattr(sqlite_store, "put_blob", real_put)
    assert [r.scan_id for r in store.list()] == ["s1"]
    conn = sqlite3.connect(tmp_path / "h.db")
    n_blobs = conn.execute("SELECT count(*) FROM blobs").fetchone()[0]
    conn.close()
    assert n_blobs == 3, "the half-written scan's blob must have been rolled back"
    _scan(store, "s2", "2026-11-28T01:00:00Z")
    assert [r.scan_id for r in store.list()] == ["s1", "s2"]


def test_process_killed_mid_write_leaves_earlier_scans_intact(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    store = SqliteHistoryStore(path)
    _scan(store, "s1", "2026-11-27T01:00:00Z")
    script = textwrap.dedent(f"""
        import os
        from scanner.history import sqlite_store
        from helpers.scanfactory import snapshot, document, secret
        real = sqlite_store.put_blob
        def die(conn, data):
            real(conn, data)
            os._exit(9)  # the process dies inside the transaction, no cleanup at all
        sqlite_store.put_blob = die
        snap = snapshot("s2", "2026-11-28T01:00:00Z", [secret("db")])
        sqlite_store.SqliteHistoryStore({str(path)!r}).record(snap.meta, snap, document(snap), None)
    """)
    tests_dir = str(Path(__file__).resolve().parents[1])  # tests/helpers is a package there
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (tests_dir, os.environ.get("PYTHONPATH", "")) if p))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, env=env)
    assert proc.returncode == 9, proc.stderr
    records = SqliteHistoryStore(path).list()
    assert [r.scan_id for r in records] == ["s1"]
    assert SqliteHistoryStore(path).load("s1").snapshot.meta.scan_id == "s1"


def _make_v1_file(path: Path) -> None:
    """A history file as the first schema wrote it: payloads inline in the scans row."""
    conn = sqlite3.connect(path, isolation_level=None)
    sqlite_schema.migrate(conn, target=1)
    for scan_id, started in (("old1", "2026-01-01T01:00:00Z"), ("old2", "2026-01-02T01:00:00Z")):
        snap = snapshot(scan_id, started, [secret("db", rotation=scan_id == "old1")])
        doc = document(snap, [finding("secret-rotation-disabled", secret_arn("db"),
                                      severity="MEDIUM")])
        conn.execute(
            "INSERT INTO scans (scan_id, started_at, finished_at, complete, recorded_at, snapshot,"
            " document, access) VALUES (?,?,?,?,?,?,?,?)",
            (scan_id, started, started, 1, started, encode_blob(snapshot_to_json(snap)),
             encode_blob(doc), None))
    conn.close()


def test_older_schema_is_migrated_with_its_scans(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _make_v1_file(path)
    store = SqliteHistoryStore(path)
    assert store.check() == 1
    records = store.list()  # migrates
    assert [r.scan_id for r in records] == ["old1", "old2"]
    assert records[0].counts["medium"] == 1, "counts are backfilled from the stored findings"
    assert records[0].accounts == (CENTRAL, "222222222222")
    assert store.load("old2").snapshot.accounts[0].regions[0].secrets[0].rotation_enabled is False
    assert store.load("old2").access is None
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert [r[0] for r in conn.execute("SELECT version FROM migrations")] == \
        list(range(1, SCHEMA_VERSION + 1))
    conn.close()
    _scan(store, "new", "2026-11-29T01:00:00Z")
    assert [r.scan_id for r in store.list()] == ["old1", "old2", "new"]


@pytest.mark.parametrize("kind", ["text", "foreign-sqlite", "corrupted", "newer"])
def test_foreign_or_corrupted_file_exits_2_and_is_not_modified(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    path = tmp_path / "h.db"
    if kind == "text":
        path.write_text("this is somebody's notes file\n")
    elif kind == "foreign-sqlite":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE invoices (id INTEGER, amount REAL)")
        conn.execute("INSERT INTO invoices VALUES (1, 9.5)")
        conn.commit()
        conn.close()
    elif kind == "corrupted":
        _scan(SqliteHistoryStore(path), "s1", "2026-11-27T01:00:00Z")
        for extra in ("-wal", "-shm"):
            Path(str(path) + extra).unlink(missing_ok=True)
        data = bytearray(path.read_bytes())
        for i in range(100, len(data), 7):  # keep the header, mangle the pages
            data[i] = (data[i] * 31 + 17) % 256
        path.write_bytes(bytes(data))
    else:
        _scan(SqliteHistoryStore(path), "s1", "2026-11-27T01:00:00Z")
        conn = sqlite3.connect(path)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.commit()
        conn.close()
        for extra in ("-wal", "-shm"):
            Path(str(path) + extra).unlink(missing_ok=True)
    before = _digest(path)
    listing = sorted(os.listdir(tmp_path))

    with pytest.raises(InputError) as err:
        _scan(SqliteHistoryStore(path), "s9", "2026-11-30T01:00:00Z")
    assert str(path) in str(err.value)
    with pytest.raises(InputError):
        open_store(str(path))  # validated on opening, before any scan

    assert main(["history", "list", "--history", str(path)]) == 2
    assert main(["diff", "--history", str(path)]) == 2
    stderr = capsys.readouterr().err
    assert str(path) in stderr and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 2  # one line per command
    assert "\ufffd" not in stderr  # SQLite's multi-line messages are joined, not mangled
    assert _digest(path) == before, "the file must be left byte-for-byte as it was"
    assert sorted(os.listdir(tmp_path)) == listing or kind == "corrupted"


def test_a_corrupted_history_is_a_short_line_naming_the_first_problems(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """SQLite's quick_check answers every damaged cell of every page (here some 100): the error
    of scan, history and diff carried them all, one line of several kilobytes in the nightly
    log (fault-injection trial round 19). The first three and how many more."""
    path = tmp_path / "h.db"
    _scan(SqliteHistoryStore(path), "s1", "2026-11-27T01:00:00Z")
    for extra in ("-wal", "-shm"):
        Path(str(path) + extra).unlink(missing_ok=True)
    data = bytearray(path.read_bytes())
    for i in range(4096, len(data), 7):  # keep the first page (the schema), mangle the rest
        data[i] = 0x5A
    path.write_bytes(bytes(data))

    assert main(["history", "list", "--history", str(path)]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "corrupted history file (" in line and "*** in database" not in line
    assert len(line) < 500, line
    assert line.count(";") == 3 and " more problem" in line, line


def test_empty_file_is_initialised_on_first_record(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    path.write_bytes(b"")
    store = SqliteHistoryStore(path)
    assert store.list() == []
    _scan(store, "s1", "2026-11-27T01:00:00Z")
    assert [r.scan_id for r in store.list()] == ["s1"]


def test_identical_payloads_are_stored_once(tmp_path: Path) -> None:
    store = SqliteHistoryStore(tmp_path / "h.db")
    snap = snapshot("same", "2026-11-27T01:00:00Z", [secret("db")])
    acc = access({})
    store.record(snap.meta, snap, document(snap), acc)
    snap2 = snapshot("same2", "2026-11-27T01:00:00Z", [secret("db")])
    doc2 = {**document(snap2), "scan": document(snap)["scan"]}
    store.record(snap2.meta, snap2, doc2, acc)
    conn = sqlite3.connect(tmp_path / "h.db")
    # two snapshots (ids differ) + one shared document... + one shared access report
    assert conn.execute("SELECT count(*) FROM blobs").fetchone()[0] == 4
    conn.close()
    assert json.loads(json.dumps(store.load("same2").document))["scan"]["id"] == "same"


def test_store_uri_schemes(tmp_path: Path) -> None:
    from scanner.errors import UsageError
    from scanner.history.s3_store import S3HistoryStore

    assert isinstance(open_store(f"sqlite:{tmp_path / 'a.db'}"), SqliteHistoryStore)
    assert isinstance(open_store(str(tmp_path / "b.db")), SqliteHistoryStore)
    s3 = open_store("s3://bucket/some/prefix/", s3_client=object(), validate=False)
    assert isinstance(s3, S3HistoryStore) and (s3.bucket, s3.prefix) == ("bucket", "some/prefix/")
    with pytest.raises(UsageError, match="unknown scheme 'ftp'"):
        open_store("ftp://host/history")
    with pytest.raises(InputError) as folder:
        open_store(str(tmp_path))
    assert str(folder.value).endswith(f"{tmp_path}: {sqlite_store.FOLDER_GIVEN}"), folder.value


def test_a_store_this_process_may_not_write_is_read_read_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`history list` / `diff` on a healthy file in a folder the auditor may not write said
    "corrupted history file (attempt to write a readonly database)": reading opened the file
    read-write (WAL mode, migrations). (Root ignores file modes: the refusal is simulated.)"""
    path = tmp_path / "h.db"
    _scan(SqliteHistoryStore(path), "s1", "2026-11-27T01:00:00Z")
    _scan(SqliteHistoryStore(path), "s2", "2026-11-28T01:00:00Z")
    before = _digest(path)
    monkeypatch.setattr(SqliteHistoryStore, "_writable", lambda self: False)
    store = SqliteHistoryStore(path)
    assert [r.scan_id for r in store.list()] == ["s1", "s2"]
    assert store.load("s2").record.scan_id == "s2"
    assert main(["history", "list", "--history", str(path)]) == 0
    assert "s2" in capsys.readouterr().out
    assert _digest(path) == before


def test_a_full_disk_is_one_line_naming_the_history_and_earlier_scans_stay(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault-injection trial: on a full disk SQLite rolls the transaction back itself, and our
    ROLLBACK then failed ("cannot rollback - no transaction is active"), an internal error
    that hid "database or disk is full". The file's page limit stands in for the disk."""
    path = tmp_path / "h.db"
    store = SqliteHistoryStore(path)
    _scan(store, "r1", "2026-11-01T00:00:00Z")
    connect = SqliteHistoryStore._connect

    def full(self: SqliteHistoryStore) -> sqlite3.Connection:
        conn = connect(self)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        return conn
    monkeypatch.setattr(SqliteHistoryStore, "_connect", full)
    big = [secret(f"s{i}") for i in range(300)]
    snap = snapshot("r2", "2026-11-02T00:00:00Z", big)
    with pytest.raises(InputError) as raised:
        store.record(snap.meta, snap, document(snap, []), None)
    assert str(raised.value) == f"{path}: cannot write the history file: database or disk is full"
    monkeypatch.undo()
    assert [r.scan_id for r in store.list()] == ["r1"]


def test_a_payload_cut_short_is_one_line_naming_the_history_and_the_scan(
        tmp_path: Path) -> None:
    """Fault-injection trial: a payload blob cut short (the file's own integrity check still
    said ok) stopped every nightly scan with "internal error: EOFError", naming nothing."""
    path = tmp_path / "h.db"
    store = SqliteHistoryStore(path)
    _scan(store, "r1", "2026-11-01T00:00:00Z")
    conn = sqlite3.connect(path)
    digest = conn.execute("SELECT document_digest FROM scans").fetchone()[0]
    data = conn.execute("SELECT data FROM blobs WHERE digest = ?", (digest,)).fetchone()[0]
    conn.execute("UPDATE blobs SET data = ? WHERE digest = ?", (data[: len(data) // 2], digest))
    conn.commit()
    conn.close()
    with pytest.raises(InputError) as raised:
        store.load("r1")
    assert str(raised.value).startswith(f"{path}: damaged payload for scan 'r1' (EOFError: ")


class _PausingConnection(sqlite3.Connection):
    """A connection that, before its first BEGIN IMMEDIATE, waits at a barrier: each of two
    writers has read whatever it reads before taking the write lock when the other starts."""

    barrier: "threading.Barrier | None" = None

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        if sql == "BEGIN IMMEDIATE" and not getattr(self, "_paused", False):
            self._paused = True
            assert _PausingConnection.barrier is not None
            _PausingConnection.barrier.wait(timeout=30)
        return super().execute(sql, *args)


@pytest.mark.parametrize("start", ["new", "older schema"])
def test_two_scans_recording_at_once_into_a_new_or_older_history_are_both_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start: str) -> None:
    """Fault-injection trial round 4 (repro migrate_race.py, concurrent_new_history.sh): two
    scans starting on a new (or older-schema) history at once -- one failed to record, "cannot
    prepare the history file: table migrations already exists" ("table blobs already exists"):
    migrate() read user_version before taking the write lock, so the second writer re-ran the
    migrations the first had just made. The second must wait for the lock and then see the
    migrated file (docs/history.md: "Opening an older file migrates it in place, one
    transaction per step")."""
    path = tmp_path / "h.db"
    if start == "older schema":
        _make_v1_file(path)
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        kwargs.setdefault("factory", _PausingConnection)
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(_PausingConnection, "barrier", threading.Barrier(2))
    monkeypatch.setattr(sqlite_store.sqlite3, "connect", connect)
    errors: list[BaseException] = []

    def record(scan_id: str, started: str) -> None:
        try:
            _scan(SqliteHistoryStore(path), scan_id, started)
        except BaseException as exc:  # noqa: BLE001 -- the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=record, args=("a", "2026-11-27T01:00:00Z")),
               threading.Thread(target=record, args=("b", "2026-11-28T01:00:00Z"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    monkeypatch.undo()
    assert errors == []
    old = ["old1", "old2"] if start == "older schema" else []
    # both recorded, after the older file's scans (in the order they were recorded: either)
    listed = [r.scan_id for r in SqliteHistoryStore(path).list()]
    assert listed[:len(old)] == old and sorted(listed[len(old):]) == ["a", "b"]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert [r[0] for r in conn.execute("SELECT version FROM migrations ORDER BY version")] == \
        list(range(1, SCHEMA_VERSION + 1)), "each migration applied once"
    conn.close()


def test_migrate_reads_the_version_under_the_write_lock(tmp_path: Path) -> None:
    """Fault-injection trial round 4 (repro migrate_race.py, deterministic): process B reads
    user_version 0, process A then migrates the file, B goes on -- B re-ran migration 1 on the
    migrated file ("OperationalError table migrations already exists"). B must read the version
    again once it holds the write lock, and find nothing left to do."""
    path = tmp_path / "race.db"
    a = sqlite3.connect(path, isolation_level=None, timeout=30)
    b = sqlite3.connect(path, isolation_level=None, timeout=30)
    for conn in (a, b):
        conn.execute("PRAGMA journal_mode = WAL")

    class MigratedMeanwhile:
        """B's connection: right after B's first read of user_version, A migrates."""

        def __init__(self) -> None:
            self.done = False

        def execute(self, sql: str, *args: Any) -> Any:
            cursor = b.execute(sql, *args)
            if sql.startswith("PRAGMA user_version") and not self.done:
                self.done = True
                rows = cursor.fetchall()
                sqlite_schema.migrate(a)
                return iter_cursor(rows)
            return cursor

    class iter_cursor:
        def __init__(self, rows: list[Any]) -> None:
            self.rows = rows

        def fetchone(self) -> Any:
            return self.rows[0]

    sqlite_schema.migrate(MigratedMeanwhile())  # type: ignore[arg-type]
    assert b.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert [r[0] for r in b.execute("SELECT version FROM migrations ORDER BY version")] == \
        list(range(1, SCHEMA_VERSION + 1))
    assert not b.in_transaction and not a.in_transaction
    a.close()
    b.close()


def test_a_new_history_whose_write_lock_another_process_holds_is_waited_for(
        tmp_path: Path) -> None:
    """Fault-injection trial round 4 (repro migrate_race.sh: a third process holds the write
    lock of a new history for a few seconds while two scans start recording): both scans
    failed at once, "cannot prepare the history file: database is locked" -- switching a new
    file to WAL needs the file to itself and SQLite does not wait for that (no busy handler
    there). A scan waits for the lock (LOCK_TIMEOUT), as it does for a scan being recorded."""
    path = tmp_path / "h.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(1.0, lambda: holder.execute("ROLLBACK"))
    release.start()
    try:
        _scan(SqliteHistoryStore(path), "s1", "2026-11-27T01:00:00Z")
    finally:
        release.join()
        holder.close()
    assert [r.scan_id for r in SqliteHistoryStore(path).list()] == ["s1"]


def test_a_truncated_history_says_what_to_do_and_is_left_as_it_is(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Fault-injection trial round 27: a history file cut short (a copy interrupted, a full
    disk elsewhere) stopped every nightly scan with SQLite's words alone, "database disk image
    is malformed". The line says what to do; the file is not touched."""
    path = tmp_path / "h.db"
    store = SqliteHistoryStore(path)
    for n in range(1, 4):
        _scan(store, f"s{n}", f"2026-11-2{n}T01:00:00Z")
    for extra in ("-wal", "-shm"):
        Path(str(path) + extra).unlink(missing_ok=True)
    size = path.stat().st_size
    assert size > 8192
    with open(path, "r+b") as fh:
        fh.truncate(size // 2)
    before = _digest(path)

    assert main(["history", "list", "--history", str(path)]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert str(path) in line and ("malformed" in line or "corrupted" in line), line
    assert "restore it from a copy, or name a new file with --history" in line, line
    assert _digest(path) == before
