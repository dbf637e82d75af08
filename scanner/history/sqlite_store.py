"""The default history store: one SQLite file (stdlib sqlite3, WAL, one transaction per scan).

Safety rules:

* Before anything is written, the file is checked through a read-only connection
  (``file:...?mode=ro``): SQLite magic, ``PRAGMA application_id`` (ours is ``SGRH``),
  ``PRAGMA user_version`` (the schema version, never newer than this code), the tables the
  version implies, and ``PRAGMA quick_check``. A foreign, corrupted or newer file raises
  InputError naming the path (exit 2) and is left exactly as it was.
* A scan is written in one ``BEGIN IMMEDIATE`` ... ``COMMIT``: a crash or an error mid-write
  leaves the earlier scans, and the file, as they were.
* Schema changes are numbered migrations, applied in one transaction each and listed in the
  ``migrations`` table; ``user_version`` moves with them.
* Payloads are gzip-compressed canonical JSON kept once per distinct content (``blobs``,
  keyed by SHA-256), so a quiet night costs a few kilobytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import signal
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from scanner.errors import InputError, Interrupted
from scanner.history.access_readers import access_json_of
from scanner.history.records import (ReReadMark, ScanRecord, StoredScan, DamagedScan, Tonight,
                                     document_problem, make_record, pick_latest_complete,
                                     snapshot_from_blob, snapshot_from_json, version_problem)
from scanner.history.blobs import decode_blob, decode_blob_elements, encode_blob
from scanner.history.sqlite_schema import (
    APPLICATION_ID, LOCK_TIMEOUT, SCHEMA_VERSION, SQLITE_MAGIC, TABLES, migrate, now_stamp,
    put_blob, rollback, use_wal)
from scanner.model import ScanMeta, Snapshot
from scanner.output_set import deferred_interrupt


log = logging.getLogger("secretgraph.history")


# --------------------------------------------------------------------------- migrations


#: what a folder given as the history is told, by every command that takes --history (scan
#: checks it before scanning; the others when they open the store): one wording (new-user
#: trial round 28 saw "is a folder; name a file" from scan, "is a directory, not a history
#: file" from history and diff)
FOLDER_GIVEN = ("is a folder, not a history file; name the SQLite file (e.g. history.db) or "
                "s3://bucket/prefix")
#: what a history that is no regular file is told (a named pipe, a device such as /dev/null,
#: or a link to one), by every command, before anything is read or scanned: a pipe hung the
#: check that reads the file's header (open() waits for a writer), and /dev/null was taken for
#: a new history, scanned for, and then "disk I/O error", SQLite's -journal left beside its
#: target in /dev (fault-injection trial round 21)
NOT_A_FILE = ("is not a regular file (a named pipe or a device, or a link to one); name the "
              "SQLite file (e.g. history.db) or s3://bucket/prefix")


def path_problem(path: str | os.PathLike[str]) -> str | None:
    """What is wrong with a local history path that exists as no SQLite file could
    (FOLDER_GIVEN, NOT_A_FILE), else None: for the commands that look at the path before the
    store does (scan, before it scans; remediate --apply, which opens it for append before it
    changes anything -- a named pipe hung it there: fault-injection trial round 21)."""
    where = Path(path)
    if where.is_dir():
        return FOLDER_GIVEN
    if where.exists() and not where.is_file():
        return NOT_A_FILE
    return None


# --------------------------------------------------------------------------- the store


class SqliteHistoryStore:
    """History in one SQLite file. Reading never creates the file; the first record() does."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.uri = str(self.path)
        self._checked = False  # the full check passed once; later opens skip quick_check

    # ---- checks (read-only) ---------------------------------------------------------------

    def _fail(self, message: str) -> InputError:
        return InputError(message, path=str(self.path))

    def _damaged(self, scan_id: str, message: str) -> DamagedScan:
        return DamagedScan(message, path=str(self.path), scan_id=scan_id)

    def _damaged_or_version(self, scan_id: str, exc: BaseException) -> InputError:
        """A payload that did not read: of another schema_version (refused), else damaged."""
        problem = version_problem(scan_id, exc)
        if problem is not None:
            return self._fail(problem)
        return self._damaged(scan_id, f"damaged payload for scan {scan_id!r} ({exc})")

    def check(self) -> int:
        """Validate the file without modifying it; returns its schema version (0: new/empty)."""
        if not self.path.exists():
            self._link_leads_somewhere()
            return 0
        if self.path.is_dir():
            raise self._fail(FOLDER_GIVEN)
        if not self.path.is_file():  # exists, through any links, and is no file: not opened
            raise self._fail(NOT_A_FILE)
        try:
            with open(self.path, "rb") as fh:
                header = fh.read(100)
        except OSError as exc:
            raise self._fail(f"cannot read the history file: {exc.strerror or exc}") from None
        if not header:
            return 0  # an empty file: ours to initialise
        if not header.startswith(SQLITE_MAGIC):
            raise self._fail("not a secretgraph history file (not an SQLite database)")
        # The header alone settles foreign and newer files, before SQLite touches anything.
        head_version = int.from_bytes(header[60:64], "big")
        head_app_id = int.from_bytes(header[68:72], "big")
        if head_app_id not in (0, APPLICATION_ID):
            raise self._fail(
                "not a secretgraph history file (an SQLite database of another application)")
        if head_app_id == APPLICATION_ID and head_version > SCHEMA_VERSION:
            raise self._fail(
                f"written by a newer secretgraph (history schema {head_version}; this version "
                f"reads up to {SCHEMA_VERSION}); upgrade secretgraph")
        try:
            ro = self._open_read_only()
        except sqlite3.Error as exc:
            raise self._fail(f"cannot open the history file: {_one_line(exc)}"
                             f"{self._space_hint(exc)}{_damage_hint(exc)}") from None
        try:
            app_id = int(ro.execute("PRAGMA application_id").fetchone()[0])
            version = int(ro.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in ro.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            tables.discard("sqlite_sequence")
            if app_id == 0 and version == 0 and not tables:
                return 0  # an empty SQLite database (e.g. a first write that never committed)
            if app_id != APPLICATION_ID:
                raise self._fail(
                    "not a secretgraph history file (an SQLite database of another application)")
            if version > SCHEMA_VERSION:
                raise self._fail(
                    f"written by a newer secretgraph (history schema {version}; this version "
                    f"reads up to {SCHEMA_VERSION}); upgrade secretgraph")
            missing = TABLES.get(version, set()) - tables
            if version < 1 or missing:
                raise self._fail(
                    f"damaged history file (schema {version}, missing tables "
                    f"{', '.join(sorted(missing)) or 'all'}){DAMAGED_NEXT}")
            if not self._checked:
                problems = [r[0] for r in ro.execute("PRAGMA quick_check").fetchall()]
                if problems != ["ok"]:
                    raise self._fail(f"corrupted history file ({_first_problems(problems)})"
                                     f"{DAMAGED_NEXT}")
                self._checked = True
            return version
        except sqlite3.DatabaseError as exc:
            raise self._fail(f"corrupted history file ({_one_line(exc)}){DAMAGED_NEXT}") \
                from None
        finally:
            ro.close()

    def _link_leads_somewhere(self) -> None:
        """A history not made yet may be a link to where it will be (another disk): a link to
        itself (or a loop of links), or to a file in a folder that does not exist, is no place
        SQLite can make it -- the scan ran in full, then "cannot open the history file: unable
        to open database file", not recorded, and `history list` said a scan would create it
        (fault-injection trial round 21). Refused, naming where the link leads."""
        if not self.path.is_symlink():
            return
        try:
            target = self.path.resolve(strict=False)
        except (OSError, RuntimeError):  # RuntimeError: Python's "Symlink loop"
            raise self._fail("is a link that leads back to itself (a loop of links); name "
                             "the SQLite file (e.g. history.db) or s3://bucket/prefix") from None
        if os.path.islink(target):  # resolve() stops at a loop on some systems
            raise self._fail("is a link that leads back to itself (a loop of links); name "
                             "the SQLite file (e.g. history.db) or s3://bucket/prefix")
        if not target.parent.is_dir():
            raise self._fail(f"is a link to {target}, in a folder that does not exist (a "
                             "disk not mounted?); the history cannot be made there")

    # ---- connections ----------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        """A read-write autocommit connection on a checked, migrated file (created if absent)."""
        self.check()
        try:
            conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=LOCK_TIMEOUT)
        except sqlite3.Error as exc:
            raise self._fail(f"cannot open the history file: {exc}{self._space_hint(exc)}") \
                from None
        try:
            use_wal(conn)
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn)
        except (sqlite3.DatabaseError, ValueError) as exc:  # ValueError: a damaged payload
            conn.close()
            raise self._fail(f"cannot prepare the history file: {exc}") from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect_read(self) -> sqlite3.Connection | None:
        """None when there is no history yet (reading never creates a file). A store this
        process may not write (a read-only file or folder: `history list` and `diff` by an
        auditor) is read through a read-only connection; a current one needs no migration."""
        version = self.check()
        if version == 0:
            return None
        if version == SCHEMA_VERSION and not self._writable():
            return self._connect_read_only()
        return self._connect()

    def _space_hint(self, exc: BaseException) -> str:
        """Why SQLite said "disk I/O error" when the disk is (nearly) full: opening a WAL-mode
        file creates its -wal and -shm files beside it, and SQLite names no ENOSPC then
        (fault-injection trial round 8: 16 KB free beside an 80 KB history, "cannot open the
        history file: disk I/O error" from scan and history list alike)."""
        if "disk i/o error" not in str(exc).lower() and "full" not in str(exc).lower():
            return ""
        import shutil

        try:
            free = shutil.disk_usage(self.path.absolute().parent).free
        except OSError:
            return ""
        if free >= _ROOM_NEEDED:
            return ""
        return (f" (the disk holding it has {free // 1024} KB free: SQLite needs room beside "
                "it for its -wal and -shm files; free some space)")

    def _writable(self) -> bool:
        folder = self.path.absolute().parent
        return os.access(self.path, os.W_OK) and os.access(folder, os.W_OK | os.X_OK)

    def _connect_read_only(self) -> sqlite3.Connection:
        try:
            return self._open_read_only()
        except sqlite3.Error as exc:
            raise self._fail(f"cannot open the history file read-only: "
                             f"{_one_line(exc)}{self._space_hint(exc)}") from None

    def _open_read_only(self) -> sqlite3.Connection:
        """A read-only connection: ``mode=ro``; where SQLite cannot read that way (a WAL-mode
        file without its ``-shm`` in a folder this process may not write: "attempt to write a
        readonly database"), ``immutable=1`` -- nobody can change the file there either --
        unless a write-ahead log holding writes is beside it (``_no_log_left``)."""
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None)
            conn.execute("PRAGMA schema_version").fetchone()
            return conn
        except sqlite3.OperationalError:
            if self._writable():
                raise
        self._no_log_left()
        conn = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)
        conn.execute("PRAGMA schema_version").fetchone()
        return conn

    def _no_log_left(self) -> None:
        """Before the file is read as ``immutable``: a write-ahead log beside it that holds
        frames (a scan killed after its COMMIT, before the log was folded into the file)
        holds committed scans that such a reading ignores -- `history list`, `diff` by an
        auditor read the history as it was before them, without a word (fault-injection
        trial round 21). SQLite documents it, "URI filenames": with immutable, "SQLite
        assumes that the database file cannot be changed, even by a process with higher
        privilege" -- and reads no log. Refused, saying what folds the log back."""
        log = Path(f"{self.path}-wal")
        try:
            frames = log.stat().st_size > _WAL_HEADER
        except OSError:
            return
        if frames:
            raise self._fail(
                f"its write-ahead log {log.name} holds writes not yet in the file (a scan "
                f"stopped before it folded them back), which SQLite reads only where it may "
                f"write, and this process may not write to {self.path.absolute().parent}: run "
                f"`secretgraph history list --history {self.path}` once as a user who may "
                "(it folds the log into the file)")

    def _begin_watching(self, conn: sqlite3.Connection, stop: deferred_interrupt,
                        nothing: str = "nothing was deleted") -> None:
        """BEGIN IMMEDIATE: the write lock, waited for up to LOCK_TIMEOUT (another process
        holding it longer is an InputError naming the file: "database is locked", naming
        nothing, was an internal error), in short waits that
        look at the signals held between them: SQLite's busy wait never calls the progress
        handler, so Ctrl-C while another process held the write lock was ignored for up to
        LOCK_TIMEOUT and then exit 2 (fault-injection trial round 5 for prune, round 6 for a
        scan's record and remediate's re-read marks). A signal stops the wait at once:
        Interrupted, saying ``nothing`` (what was not written)."""
        deadline = time.monotonic() + LOCK_TIMEOUT
        conn.execute("PRAGMA busy_timeout = 50")
        try:
            while True:
                if stop.received:
                    raise _stopped(stop, "interrupted while waiting for another process's "
                                         f"write lock; {nothing} ({self.path} is as it was)")
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY or \
                            time.monotonic() >= deadline:
                        raise self._fail(
                            f"cannot write the history file: {_one_line(exc)} (another "
                            f"process has held its write lock for more than {LOCK_TIMEOUT:g} "
                            "s)") from None
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(LOCK_TIMEOUT * 1000)}")

    @contextlib.contextmanager
    def _write(self, conn: sqlite3.Connection, *, not_done: str, done: str) -> Iterator[None]:
        """One write transaction of ``record`` or ``mark_reread``: SIGINT and SIGTERM held from
        BEGIN to COMMIT, as prune holds them -- one raised right after COMMIT returned was
        taken for a failed write and the scan said "not recorded" with the scan recorded
        (fault trial round 6, slow_commit_ctrlc.sh); the wait for another writer's lock looks
        at them (lock_ctrlc.sh: ignored 30 s; remediate --apply / --undo too). A signal before
        the COMMIT rolls back (``not_done``), one during it is reported after it (``done``)."""
        with _signals_held() as stop:
            conn.set_progress_handler(lambda: 1 if stop.received else 0, 10_000)
            self._begin_watching(conn, stop, not_done)
            try:
                yield
                self._commit_held(conn, stop)
            except sqlite3.DatabaseError as exc:  # a full disk, an I/O error
                rollback(conn)
                if stop.received:
                    raise _stopped(stop, f"interrupted; {not_done} ({self.path} is as it "
                                         "was)") from None
                raise self._fail(f"cannot write the history file: {_one_line(exc)}") from None
            except BaseException:
                rollback(conn)
                raise
            if stop.received:  # came during the COMMIT: it was written, and says so
                raise _stopped(stop, done, recorded=True)

    # ---- HistoryStore ---------------------------------------------------------------------

    def record(self, scan_meta: ScanMeta, snapshot: Snapshot, document: Mapping[str, Any],
               access_json: Mapping[str, Any] | str | None) -> ScanRecord:
        rec = make_record(scan_meta, snapshot, document, recorded_at=now_stamp())
        snap_blob = encode_blob(snapshot)  # streamed account by account (records.encode_blob)
        doc_blob = encode_blob(dict(document))
        access_doc = access_json_of(access_json)
        access_blob = encode_blob(dict(access_doc)) if access_doc is not None else None
        not_recorded = f"the scan {rec.scan_id} was not recorded"
        conn = self._connect()
        try:
            with self._write(conn, not_done=not_recorded,
                             done=f"interrupted after the scan {rec.scan_id} was recorded in "
                                  f"{self.path}"):
                if conn.execute("SELECT 1 FROM scans WHERE scan_id = ?",
                                (rec.scan_id,)).fetchone():
                    raise self._fail(f"scan {rec.scan_id!r} is already recorded")
                snap_digest = put_blob(conn, snap_blob)
                doc_digest = put_blob(conn, doc_blob)
                access_digest = put_blob(conn, access_blob) \
                    if access_blob is not None else None
                conn.execute(
                    "INSERT INTO scans (scan_id, started_at, finished_at, complete,"
                    " recorded_at, tool_version, accounts, regions, counts,"
                    " snapshot_digest, document_digest, access_digest)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (rec.scan_id, rec.started_at, rec.finished_at, int(rec.complete),
                     rec.recorded_at, rec.tool_version, json.dumps(list(rec.accounts)),
                     json.dumps(list(rec.regions)),
                     json.dumps(dict(rec.counts), sort_keys=True),
                     snap_digest, doc_digest, access_digest),
                )
        finally:
            conn.close()
        return rec

    @staticmethod
    def _commit_held(conn: sqlite3.Connection, stop: deferred_interrupt) -> None:
        """COMMIT, unless a signal came before it (then an OperationalError rolls back). The
        progress handler is taken off first: a COMMIT is never stopped half-way by it; a
        signal arriving during the COMMIT is held, and the caller reports it as after."""
        if stop.received:
            raise sqlite3.OperationalError("interrupted")
        conn.set_progress_handler(None, 0)
        conn.execute("COMMIT")

    def list(self) -> list[ScanRecord]:
        conn = self._connect_read()
        if conn is None:
            return []
        try:
            rows = conn.execute(
                "SELECT scan_id, started_at, finished_at, complete, recorded_at, tool_version,"
                " accounts, regions, counts FROM scans ORDER BY seq"
            ).fetchall()
        finally:
            conn.close()
        return [_row_record(row, self.path) for row in rows]

    def _payload(self, scan_id: str, column: str) -> bytes:
        """The stored bytes of one payload of a recorded scan (``column``: its digest column,
        ``snapshot_digest`` or ``document_digest``); no scan, or a payload the file lacks,
        is said as ``load`` says it."""
        assert column in ("snapshot_digest", "document_digest"), column
        conn = self._connect_read()
        if conn is None:
            raise self._fail(f"no scan {scan_id!r}: the history is empty")
        try:
            row = conn.execute(
                f"SELECT s.{column}, b.data FROM scans s"  # noqa: S608 -- a fixed column
                f" LEFT JOIN blobs b ON b.digest = s.{column}"
                " WHERE s.scan_id = ?", (scan_id,)).fetchone()
        finally:
            conn.close()
        if row is None:
            raise self._fail(f"no scan {scan_id!r} in the history")
        if row[1] is None:
            raise self._damaged(scan_id, f"damaged history file: scan {scan_id!r} lacks a "
                                         "payload")
        data: bytes = row[1]  # (not copied: a payload can be hundreds of megabytes)
        return data

    def load_snapshot(self, scan_id: str) -> Snapshot:
        data = self._payload(scan_id, "snapshot_digest")
        try:
            return snapshot_from_json(decode_blob(data))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise self._damaged_or_version(scan_id, exc) from None

    def load_document(self, scan_id: str, *, like: Tonight | None = None
                      ) -> Mapping[str, Any]:
        """A recorded scan's findings document alone: what a scan needs of the newest scan
        when that one is incomplete (its first_seen), and the Security Hub export of the
        scans it compares with -- not the whole scan decoded (organization-scale trial
        round 3: a second whole scan was read for its document). ``like``: as for load."""
        data = self._payload(scan_id, "document_digest")
        try:
            document = decode_blob(data) if like is None else \
                decode_blob_elements(data, like.document_element)
        except (OSError, ValueError) as exc:
            raise self._damaged(scan_id, f"damaged payload for scan {scan_id!r} ({exc})") \
                from None
        problem = document_problem(document)
        if problem is not None:
            raise self._damaged(scan_id, f"damaged payload for scan {scan_id!r} (its findings "
                                         f"document: {problem})")
        return document  # type: ignore[no-any-return]

    def load(self, scan_id: str, *, like: Tonight | None = None) -> StoredScan:
        conn = self._connect_read()
        if conn is None:
            raise self._fail(f"no scan {scan_id!r}: the history is empty")
        try:
            row = conn.execute(
                "SELECT scan_id, started_at, finished_at, complete, recorded_at, tool_version,"
                " accounts, regions, counts, snapshot_digest, document_digest, access_digest"
                " FROM scans WHERE scan_id = ?", (scan_id,)).fetchone()
            if row is None:
                raise self._fail(f"no scan {scan_id!r} in the history")
            blobs = {}
            for digest in row[9:12]:
                if digest is None:
                    continue
                got = conn.execute("SELECT data FROM blobs WHERE digest = ?",
                                   (digest,)).fetchone()
                if got is None:
                    raise self._damaged(scan_id, f"damaged history file: scan {scan_id!r} "
                                                 "lacks a payload")
                blobs[digest] = got[0]
        finally:
            conn.close()
        try:
            snapshot = snapshot_from_blob(blobs.pop(row[9]) if like is not None
                                          else blobs[row[9]], like)
            if like is None:
                document = decode_blob(blobs[row[10]])
                access = decode_blob(blobs[row[11]]) if row[11] is not None else None
            else:  # element by element, an element equal to tonight's kept as tonight's
                document = decode_blob_elements(blobs.pop(row[10]), like.document_element)
                access = decode_blob_elements(blobs.pop(row[11]), like.access_element) \
                    if row[11] is not None else None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise self._damaged_or_version(scan_id, exc) from None
        problem = document_problem(document)
        if problem is not None:
            raise self._damaged(scan_id, f"damaged payload for scan {scan_id!r} (its findings "
                                         f"document: {problem})")
        if access is not None and not isinstance(access, Mapping):
            raise self._damaged(scan_id, f"damaged payload for scan {scan_id!r} (not an "
                                         "access report)")
        return StoredScan(record=_row_record(row[:9], self.path), snapshot=snapshot, document=document,
                          access=access)

    def missing_payloads(self) -> dict[str, str]:
        """The scans one of whose payloads is not in the file, or not the bytes recorded
        (its SHA-256 is not its content address): scan id -> why. Every scan, for ``history
        list`` (scanner.history.damage); each payload is read once, row by row (the file's
        size at disk speed; nothing is decoded)."""
        conn = self._connect_read()
        if conn is None:
            return {}
        try:
            scans = conn.execute(
                "SELECT scan_id, snapshot_digest, document_digest, access_digest FROM scans"
            ).fetchall()
            bad: dict[str, str] = {}
            for (digest,) in conn.execute("SELECT digest FROM blobs").fetchall():
                row = conn.execute("SELECT data FROM blobs WHERE digest = ?",
                                   (digest,)).fetchone()
                if row is None or hashlib.sha256(row[0]).hexdigest() != digest:
                    bad[digest] = "not the bytes recorded"
            present = {d for (d,) in conn.execute("SELECT digest FROM blobs")}
        except sqlite3.DatabaseError:  # an older layout: its payloads are inline
            return {}
        finally:
            conn.close()
        out: dict[str, str] = {}
        for scan_id, *digests in scans:
            for name, digest in zip(("snapshot", "findings document", "access report"),
                                    digests):
                if digest is None:
                    continue
                if digest not in present:
                    out[scan_id] = f"damaged history file: scan {scan_id!r} lacks a payload"
                elif digest in bad:
                    out[scan_id] = f"damaged payload for scan {scan_id!r} (its {name} is " \
                        "not the bytes recorded: its SHA-256 is not its content address)"
                else:
                    continue
                break
        return out

    def latest_complete(self, before: str | None = None) -> ScanRecord | None:
        return pick_latest_complete(self.list(), before)

    def mark_reread(self, marks: Sequence[ReReadMark]) -> None:
        if not marks:
            return
        nothing = "no re-read was marked"
        conn = self._connect()
        try:
            # as record: the lock waited for with an eye on Ctrl-C and SIGTERM (remediate
            # --apply / --undo ignored them up to 30 s: fault trial round 6), and a signal
            # during the COMMIT reported as after it
            with self._write(conn, not_done=nothing,
                             done=f"interrupted after {len(marks)} re-read(s) were marked in "
                                  f"{self.path}"):
                conn.executemany(
                    "INSERT INTO reread_marks (resource, marked_at, source, account_id,"
                    " region) VALUES (?,?,?,?,?)",
                    [(m.resource, m.marked_at, m.source, m.account_id, m.region)
                     for m in marks])
        finally:
            conn.close()

    def reread_marks(self, since: str | None = None) -> tuple[ReReadMark, ...]:
        conn = self._connect_read()
        if conn is None:
            return ()
        try:
            rows = conn.execute(
                "SELECT resource, marked_at, source, account_id, region FROM reread_marks"
                " WHERE marked_at >= ? ORDER BY marked_at, seq", (since or "",)).fetchall()
        finally:
            conn.close()
        return tuple(ReReadMark(resource=r, marked_at=at, source=src, account_id=a, region=g)
                     for r, at, src, a, g in rows)

    # ---- prune (secretgraph history prune) ------------------------------------------------

    def file_size(self) -> int:
        """The bytes the history takes on disk: the file and its write-ahead log."""
        total = 0
        for path in (self.path, Path(f"{self.path}-wal")):
            with contextlib.suppress(FileNotFoundError):  # no log (or no file yet): 0 bytes
                total += path.stat().st_size
        return total

    def free_bytes(self) -> int:
        """The bytes of pages the file holds free (deleted data VACUUM would give back)."""
        conn = self._connect_read()
        if conn is None:
            return 0
        try:
            pages = conn.execute("PRAGMA freelist_count").fetchone()[0]
            size = conn.execute("PRAGMA page_size").fetchone()[0]
        except sqlite3.Error:
            return 0
        finally:
            conn.close()
        return int(pages) * int(size)

    def prune(self, remove: Sequence[str], *,
              needed: Callable[[Sequence[ScanRecord]], frozenset[str]],
              vacuum: bool = True) -> "PruneResult":
        """Delete the scans ``remove`` names, then every payload no kept scan references, in
        one transaction (BEGIN IMMEDIATE: another writer's lock is waited for as a scan's
        write waits, up to LOCK_TIMEOUT); then VACUUM, so the file shrinks.

        The scans are listed again under the write lock and ``needed(records)`` (scanner.
        history.prune.needed_scans) is asked again: a scan recorded since ``remove`` was
        planned can make an older one the scan the next night needs, and that one is kept.
        Only scans named in ``remove`` are ever deleted (what the user was shown).

        Ctrl-C or SIGTERM during the transaction rolls it back: the file is as it was
        (Interrupted, "nothing was deleted"). During VACUUM it stops the VACUUM, which SQLite
        rolls back: the scans stay deleted (committed), the file is not compacted, and the
        message says so."""
        wal_busy = False
        conn = self._connect()
        try:
            # SQLite's default here (secure_delete=1) overwrites every deleted payload, and
            # with foreign keys on, the multi-row DELETE FROM blobs keeps what it overwrites
            # in a statement journal in the temporary directory: as large as the payloads
            # deleted (fault-injection trial round 5: a 20 MB $SQLITE_TMPDIR failed a prune
            # of a 300 MB history with "database or disk is full"). SQLite's documentation of
            # PRAGMA secure_delete: "When secure_delete is set to "fast", SQLite will
            # overwrite deleted content with zeros only if doing so does not increase the
            # amount of I/O" -- freed overflow pages are not rewritten, so not journalled.
            # The deleted data leaves the file when VACUUM rewrites it (not with
            # --no-vacuum: docs/history.md says so).
            conn.execute("PRAGMA secure_delete = FAST")
            with _signals_held() as stop:
                conn.set_progress_handler(lambda: 1 if stop.received else 0, 10_000)
                removed, gone, kept, blobs, freed, before = self._prune_in_transaction(
                    conn, remove, needed, stop)
                done = f"{len(removed)} scan(s) were deleted (committed)"
                if vacuum:
                    try:
                        if stop.received:
                            raise sqlite3.OperationalError("interrupted")
                        conn.execute("VACUUM")
                        # the copy VACUUM wrote went through the write-ahead log: back into
                        # the file, and the log emptied, or the space is not given back
                        # it answers (busy, log frames, frames checkpointed): busy when
                        # another connection reads the history (a read transaction open)
                        # -- the log then keeps the copy, and the history is for now
                        # larger, not smaller (fault-injection trial round 5: "296.5 MB ->
                        # 594.7 MB (0 bytes freed)"). SQLite's documentation of PRAGMA
                        # wal_checkpoint: "The first column is usually 0 but will be 1 if a
                        # RESTART or FULL or TRUNCATE checkpoint was blocked from completing,
                        # for example because another thread or process was actively using
                        # the database."
                        row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                        wal_busy = bool(row and row[0])
                    except sqlite3.OperationalError as exc:
                        if stop.received:
                            raise _stopped(stop, f"interrupted while compacting {self.path}: "
                                                 f"{done}; the file was not compacted (run "
                                                 "prune again to compact it)") from None
                        where = "" if getattr(exc, "sqlite_errorcode", None) != \
                            sqlite3.SQLITE_FULL else f", beside the file and in {_temp_dir()}"
                        raise self._fail(f"{done}, but the file could not be compacted: "
                                         f"{_one_line(exc)} (VACUUM needs the write lock and "
                                         "free disk space up to twice the file's size"
                                         f"{where}; run prune again)") from None
                if stop.received:  # came after the last statement: the prune is whole, and says so
                    raise _stopped(stop, f"interrupted after the prune of {self.path} was "
                                         f"complete: {done}")
        finally:
            conn.close()
        return PruneResult(scans=removed, gone=gone, kept=kept, blobs=blobs,
                           payload_bytes=freed, size_before=before,
                           size_after=self.file_size(), vacuumed=vacuum,
                           wal_busy=wal_busy)

    def _prune_in_transaction(self, conn: sqlite3.Connection, remove: Sequence[str],
                              needed: Callable[[Sequence[ScanRecord]], frozenset[str]],
                              stop: deferred_interrupt
                              ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...],
                                         int, int, int]:
        self._begin_watching(conn, stop)
        # the size before, under the lock: another prune that held it may have shrunk the
        # file meanwhile (fault-injection trial round 5: a prune that lost the race printed
        # "180.0 KB -> 96.0 KB (84.0 KB freed)", freeing nothing)
        before = self.file_size()
        try:
            rows = conn.execute(
                "SELECT scan_id, started_at, finished_at, complete, recorded_at, tool_version,"
                " accounts, regions, counts FROM scans ORDER BY seq").fetchall()
            records = [_row_record(row, self.path) for row in rows]
            keep = needed(records)
            wanted = set(remove)
            doomed = tuple(r.scan_id for r in records
                           if r.scan_id in wanted and r.scan_id not in keep)
            kept = tuple(r.scan_id for r in records if r.scan_id in wanted and r.scan_id in keep)
            # listed, but no longer there: another prune deleted them first (not "kept")
            present = {r.scan_id for r in records}
            gone = tuple(i for i in remove if i not in present)
            conn.executemany("DELETE FROM scans WHERE scan_id = ?", [(i,) for i in doomed])
            # a payload is shared by digest: only those no remaining scan references go
            orphans = ("SELECT digest FROM blobs WHERE digest NOT IN (SELECT snapshot_digest"
                       " FROM scans UNION SELECT document_digest FROM scans UNION SELECT"
                       " access_digest FROM scans WHERE access_digest IS NOT NULL)")
            blobs, freed = conn.execute(
                f"SELECT count(*), coalesce(sum(length(data)), 0) FROM blobs"
                f" WHERE digest IN ({orphans})").fetchone()
            conn.execute(f"DELETE FROM blobs WHERE digest IN ({orphans})")
            if stop.received:
                raise sqlite3.OperationalError("interrupted")
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            rollback(conn)
            if stop.received:
                raise _stopped(stop, f"interrupted; nothing was deleted ({self.path} is as it "
                                     "was)") from None
            full = ""
            if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
                # SQLite's temporary files (statement journals, VACUUM's copy) go to another
                # disk than the history: "database or disk is full" may be either (fault-
                # injection trial round 5: a small $SQLITE_TMPDIR, plenty beside the file).
                # SQLite's documentation of temporary files lists where they go on unix:
                # the SQLITE_TMPDIR environment variable, then TMPDIR, then /var/tmp,
                # /usr/tmp, /tmp (_temp_dir).
                full = (f" (the disk of {self.path} or the temporary directory ($SQLITE_TMPDIR, "
                        f"$TMPDIR or /var/tmp, /tmp: {_temp_dir()}) is full)")
            raise self._fail(f"cannot prune the history file: {_one_line(exc)}; nothing was "
                             f"deleted{full}") from None
        except BaseException:
            rollback(conn)
            raise
        return doomed, gone, kept, int(blobs), int(freed), before


@dataclass(frozen=True, kw_only=True)
class PruneResult:
    """What a prune did: the scans deleted, the payloads (blobs) deleted and their stored
    bytes, and the history's size on disk before (under the write lock) and after. Of the
    scans asked for and not deleted: ``gone``, no longer recorded (another prune deleted
    them first); ``kept``, still recorded and needed by a later command. ``wal_busy``: the
    write-ahead log could not be emptied after VACUUM (another connection was reading), so
    the compacted copy is still in the log and the history is larger for now."""

    scans: tuple[str, ...]
    gone: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    blobs: int
    payload_bytes: int
    size_before: int
    size_after: int
    vacuumed: bool
    wal_busy: bool = False


def _signals_held() -> deferred_interrupt:
    """SIGINT and SIGTERM recorded, not raised, while the prune writes
    (scanner.output_set.deferred_interrupt, as while the reports move into --out): the SQLite
    progress handler then stops the statement (a Python signal handler cannot run inside a
    long SQLite call such as VACUUM, and an exception raised at a random point could leave
    the transaction open). Off the main thread nothing is installed, and a signal ignored
    when the prune begins (a background job of a script ignores SIGINT) stays ignored."""
    return deferred_interrupt()


class InterruptedAfterWrite(Interrupted):
    """Ctrl-C or SIGTERM that came while a write was being committed: what it wrote is in the
    history (``recorded``), and the line says so."""

    recorded = True


def _stopped(held: deferred_interrupt, message: str, *, recorded: bool = False
             ) -> BaseException:
    """The interruption to raise once the signal held was handled: Interrupted with
    ``message`` (InterruptedAfterWrite when ``recorded``: the write was committed); for
    SIGTERM, after the handler it was held from has run (the CLI's records it, and then exits
    143 saying "terminated")."""
    if held.signum == signal.SIGTERM:
        handler = held.handler_before(signal.SIGTERM)
        if callable(handler):
            try:
                handler(signal.SIGTERM, None)
            except KeyboardInterrupt:
                pass
    return InterruptedAfterWrite(message) if recorded else Interrupted(message)


def _row_record(row: Any, path: Path) -> ScanRecord:
    """A row of the scans table as its record. A row whose accounts, regions or counts are not
    the JSON this version writes there (a bit flip, a hand edit) is an InputError naming the
    file and the scan, with how to remove the row (fault-injection trial round 18: "internal
    error: JSONDecodeError" from history list, diff and every nightly scan)."""
    scan_id, started, finished, complete, recorded, version, accounts, regions, counts = row
    fields: dict[str, Any] = {"scan_id": scan_id, "started_at": started,
                              "finished_at": finished, "complete": complete,
                              "recorded_at": recorded, "tool_version": version}
    try:
        for name, text in (("accounts", accounts), ("regions", regions), ("counts", counts)):
            try:
                fields[name] = json.loads(text)
            except (TypeError, ValueError):
                fields[name] = None
            if fields[name] is None:  # the columns are NOT NULL: this version writes JSON
                raise ValueError(f"scan {scan_id!r}: its {name} column {text!r:.60} is not "
                                 "the JSON written there")
        return ScanRecord.from_json(fields)
    except ValueError as exc:
        raise InputError(
            f"damaged history file: {exc}; nothing was changed (to remove that scan, with no "
            f"scan running: sqlite3 {path} \"DELETE FROM scans WHERE scan_id = '{scan_id}'\"; "
            "docs/history.md, 'A damaged scan')", path=str(path)) from None


def _temp_dir() -> str:
    """Where SQLite puts its temporary files (unix): $SQLITE_TMPDIR, else $TMPDIR, else the
    first of /var/tmp, /usr/tmp, /tmp that exists."""
    for name in ("SQLITE_TMPDIR", "TMPDIR"):
        if os.environ.get(name):
            return str(os.environ[name])
    return next((d for d in ("/var/tmp", "/usr/tmp", "/tmp") if os.path.isdir(d)), "/tmp")


#: free space under which a "disk I/O error" on opening is said to be the full disk: the -shm
#: file alone is 32 KB, and a WAL grows by pages of the transaction it writes
_ROOM_NEEDED = 1024 * 1024


#: bytes of a write-ahead log's header: a longer log holds frames (SQLite's file format,
#: "WAL File Format": "a 32-byte header followed by zero or more WAL frames")
_WAL_HEADER = 32


#: problems of a corrupted file an error names (quick_check answers every damaged cell)
SHOWN_PROBLEMS = 3


def _first_problems(rows: list[str]) -> str:
    """quick_check's answer as the first SHOWN_PROBLEMS problems and how many more: it answers
    every damaged cell of every page, under a "*** in database main ***" heading, and the
    whole of it was the error's one line -- several kilobytes in a nightly log
    (fault-injection trial round 19)."""
    problems = [line.strip() for row in rows for line in str(row).splitlines()
                if line.strip() and not line.strip().startswith("***")]
    shown = "; ".join(problems[:SHOWN_PROBLEMS]) or "quick_check failed"
    more = len(problems) - SHOWN_PROBLEMS
    return shown + (f"; and {more} more problem{'s' if more != 1 else ''}" if more > 0 else "")


def _one_line(value: object) -> str:
    """SQLite's message on one line (quick_check's has a newline after its "*** in database
    main ***" heading, which the terminal would show as U+FFFD)."""
    return " ".join(str(value).split())


#: what to do with a damaged history file: it is never repaired or replaced in place, so
#: every nightly scan stopped on it with SQLite's words alone ("database disk image is
#: malformed") and no way on (fault-injection trial round 27: a truncated file)
DAMAGED_NEXT = (" -- it is left as it is: restore it from a copy, or name a new file with "
                "--history (a new history starts there)")


def _damage_hint(exc: BaseException) -> str:
    """``DAMAGED_NEXT`` when SQLite's error says the file is damaged, else ""."""
    text = str(exc).lower()
    return DAMAGED_NEXT if "malformed" in text or "not a database" in text else ""
