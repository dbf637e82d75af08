"""The SQLite history file's schema: what marks a file as ours (``APPLICATION_ID``), the
numbered migrations and the tables each version must have, the one way a write takes the lock
(``use_wal``, ``LOCK_TIMEOUT``) and gives it back after a failure (``rollback``), and how a
payload is kept once per content (``put_blob``). scanner.history.sqlite_store reads and writes
scans through it."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from datetime import datetime, timezone
from typing import Callable

from scanner.history.blobs import decode_blob
from scanner.history.records import count_findings

log = logging.getLogger("secretgraph.history")


#: PRAGMA application_id of a secretgraph history file: the bytes "SGRH".
APPLICATION_ID = int.from_bytes(b"SGRH", "big")


SQLITE_MAGIC = b"SQLite format 3\x00"


def now_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _migration_1(conn: sqlite3.Connection) -> None:
    """The first layout: payloads inline in the scans row."""
    conn.execute(
        "CREATE TABLE scans (seq INTEGER PRIMARY KEY AUTOINCREMENT, scan_id TEXT NOT NULL UNIQUE,"
        " started_at TEXT NOT NULL, finished_at TEXT, complete INTEGER NOT NULL,"
        " recorded_at TEXT NOT NULL, snapshot BLOB NOT NULL, document BLOB NOT NULL, access BLOB)"
    )


def _migration_2(conn: sqlite3.Connection) -> None:
    """Payloads move to a content-addressed blobs table; rows gain counts and scan metadata."""
    conn.execute("CREATE TABLE blobs (digest TEXT PRIMARY KEY, data BLOB NOT NULL)")
    conn.execute(
        "CREATE TABLE scans_v2 (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " scan_id TEXT NOT NULL UNIQUE, started_at TEXT NOT NULL, finished_at TEXT,"
        " complete INTEGER NOT NULL, recorded_at TEXT NOT NULL,"
        " tool_version TEXT NOT NULL DEFAULT '0.0.0', accounts TEXT NOT NULL DEFAULT '[]',"
        " regions TEXT NOT NULL DEFAULT '[]', counts TEXT NOT NULL DEFAULT '{}',"
        " snapshot_digest TEXT NOT NULL REFERENCES blobs(digest),"
        " document_digest TEXT NOT NULL REFERENCES blobs(digest),"
        " access_digest TEXT REFERENCES blobs(digest))"
    )
    rows = conn.execute(
        "SELECT seq, scan_id, started_at, finished_at, complete, recorded_at, snapshot, document,"
        " access FROM scans ORDER BY seq"
    ).fetchall()
    for seq, scan_id, started, finished, complete, recorded, snap, doc, access in rows:
        meta = (decode_blob(snap) or {}).get("meta") or {}
        counts = count_findings(decode_blob(doc))
        conn.execute(
            "INSERT INTO scans_v2 (seq, scan_id, started_at, finished_at, complete, recorded_at,"
            " tool_version, accounts, regions, counts, snapshot_digest, document_digest,"
            " access_digest) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (seq, scan_id, started, finished, complete, recorded,
             str(meta.get("tool_version") or "0.0.0"), json.dumps(meta.get("accounts") or []),
             json.dumps(meta.get("regions") or []), json.dumps(counts, sort_keys=True),
             put_blob(conn, snap), put_blob(conn, doc),
             put_blob(conn, access) if access is not None else None),
        )
    conn.execute("DROP TABLE scans")
    conn.execute("ALTER TABLE scans_v2 RENAME TO scans")
    conn.execute("CREATE INDEX scans_started ON scans (started_at, seq)")


def _migration_3(conn: sqlite3.Connection) -> None:
    """Re-read marks: resources whose policy changed outside a scan (remediate --apply)."""
    conn.execute(
        "CREATE TABLE reread_marks (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " resource TEXT NOT NULL, marked_at TEXT NOT NULL, source TEXT NOT NULL,"
        " account_id TEXT, region TEXT)"
    )
    conn.execute("CREATE INDEX reread_marks_at ON reread_marks (marked_at)")


#: version -> (description, step). Append only; never edit a shipped step.
MIGRATIONS: dict[int, tuple[str, Callable[[sqlite3.Connection], None]]] = {
    1: ("scans table with inline payloads", _migration_1),
    2: ("content-addressed blobs; counts and metadata per scan", _migration_2),
    3: ("re-read marks for incremental collection", _migration_3),
}


SCHEMA_VERSION = max(MIGRATIONS)


#: seconds a write waits for another process's lock on the file (SQLite's busy timeout)
LOCK_TIMEOUT = 30.0


#: tables each schema version must have (a file missing them is damaged).
TABLES = {1: {"scans", "migrations"}, 2: {"scans", "migrations", "blobs"},
           3: {"scans", "migrations", "blobs", "reread_marks"}}


def put_blob(conn: sqlite3.Connection, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    conn.execute("INSERT OR IGNORE INTO blobs (digest, data) VALUES (?, ?)", (digest, data))
    return digest


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> None:
    """Bring an open autocommit connection up to `target`, one transaction per migration.

    The version is read again inside each step's write transaction (after BEGIN IMMEDIATE):
    another process may have migrated the file between a read outside the lock and the lock
    (two scans starting on a new history at once), and then the step is not made again
    (fault-injection trial round 4: the second writer re-ran migration 1 on the migrated file,
    "table migrations already exists", and its scan was not recorded). The read before the
    lock only spares a current file the write lock."""
    if int(conn.execute("PRAGMA user_version").fetchone()[0]) >= target:
        return
    while True:
        conn.execute("BEGIN IMMEDIATE")  # waits for another writer (the busy timeout)
        try:
            current = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if current >= target:  # migrated meanwhile by the writer that held the lock
                conn.execute("COMMIT")
                return
            version = current + 1
            description, step = MIGRATIONS[version]
            if version == 1:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(
                    "CREATE TABLE migrations (version INTEGER PRIMARY KEY,"
                    " applied_at TEXT NOT NULL, description TEXT NOT NULL)"
                )
            step(conn)
            conn.execute(
                "INSERT INTO migrations (version, applied_at, description) VALUES (?, ?, ?)",
                (version, now_stamp(), description),
            )
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)
            raise


def use_wal(conn: sqlite3.Connection) -> None:
    """PRAGMA journal_mode = WAL, waiting up to LOCK_TIMEOUT for another writer's lock. A new
    file (rollback journal) changes mode only with the file to itself, and SQLite answers
    "database is locked" at once there, without its busy timeout (fault-injection trial
    round 4: two scans starting on a new history while a third process held its write lock
    both failed to record at once). A file already in WAL mode needs no lock for it."""
    deadline = time.monotonic() + LOCK_TIMEOUT
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY or \
                    time.monotonic() >= deadline:
                raise
        time.sleep(0.05)


def rollback(conn: sqlite3.Connection) -> None:
    """ROLLBACK after a failed write. SQLite may have rolled the transaction back itself (a
    full disk: SQLITE_FULL), and then ROLLBACK fails with "no transaction is active" -- which
    must not replace the error that says why (fault-injection trial: "internal error: cannot
    rollback - no transaction is active" hid "database or disk is full")."""
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error as exc:  # the caller re-raises the error that says why
        log.debug("history rollback after a failed write: %s", exc)
