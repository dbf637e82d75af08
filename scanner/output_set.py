"""Writing a scan's outputs as one set: staged beside ``--out``, moved into place together.

    with OutputSet(out_dir) as outputs:          # UsageError (exit 2) for an unusable --out
        write everything into outputs.staging    # a failure or Ctrl-C here: --out untouched
        outputs.commit()                         # the files replace the previous set

* The staging folder is a hidden sibling of ``--out`` (same file system, so every move is a
  rename). It is removed on every way out: success, error, Ctrl-C.
* ``commit()`` moves each staged file into ``--out`` (``os.replace``: each file is replaced
  atomically), keeping each previous version in the staging folder until every move is done:
  a move that fails (a folder in the way of ``report.html``, a file that cannot be replaced)
  puts the previous versions back, so ``--out`` never holds two scans' files (OutputError,
  exit 2). It also removes the files of a previous set that the new set does not have (moved
  aside with the previous versions), so a rescan into the same folder never leaves a
  41-account ``report.html`` beside a 1-account ``findings.json``. Files that are not outputs
  of a scan (a remediation plan, journals, the user's own files -- also one named like a
  report: only what the hidden ``.secretgraph-outputs`` manifest of the last set names is
  removed) are left alone.
* One set at a time: ``commit()`` holds an exclusive flock on ``.<name>.lock`` beside
  ``--out``, removed as it is released (waited for up to OUT_LOCK_WAIT, then OutputError
  naming it and its holder): two
  scans into one --out each moved their files in, leaving two scans' files (fault trial
  round 6). Each process holds a flock on its own staging folder too, and then marks it as
  secretgraph's (``STAGING_MARKER``); a marked one nobody holds is a killed process's
  leftover: under the commit lock, last night's files it kept in ``.previous`` are put back
  (one line says so) and it is removed (``_recover_leftovers``). An unmarked folder (the
  user's, an older secretgraph's, one not yet locked) is never touched (fault trial round 7).
* Ctrl-C and SIGTERM are held back while the files move (``deferred_interrupt``); one that came
  meanwhile has the moves undone once they are done, then stops the command: ``--out`` is as
  it was, as its "nothing was written" line says (fault-injection trial round 4: SIGTERM
  raised mid-move left two scans' files and deleted last night's). Any other exception during
  the moves puts the previous set back too.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType, TracebackType
from contextlib import contextmanager
from typing import IO, Any, Callable, Iterator

from scanner.errors import OutputError, UsageError

log = logging.getLogger("secretgraph.output")

#: Every file name a scan may write into --out (the report writers' files and the snapshot).
SNAPSHOT_NAMES = ("snapshot.json.gz", "snapshot.json")
#: the hidden file in --out naming the files the last scan (or `report`) wrote there: only those
#: are "files of an earlier scan" that a rescan removes (bad-input trial round 1: a folder
#: holding pytest's junit.xml and another tool's report.html lost both to `scan --format json`)
MANIFEST = ".secretgraph-outputs"


def _previous_outputs(out_dir: Path) -> frozenset[str] | None:
    """The names the manifest in ``out_dir`` lists, or None: no manifest (or one that cannot
    be read) -- then a folder holding a scan's snapshot is taken for a set written before
    manifests existed (all its output names are ours), any other folder for the user's own."""
    data: Any = None
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = None  # no manifest
    except (OSError, ValueError):
        # damaged or unreadable: judged as no manifest (the snapshot test below); the commit
        # then replaces it, or says why it cannot (exit 2, naming the file)
        data = None
    files = data.get("files") if isinstance(data, dict) else None
    if isinstance(files, list) and all(isinstance(f, str) for f in files):
        return frozenset(files)
    if any((out_dir / n).is_file() for n in SNAPSHOT_NAMES):
        return output_names()
    return None


def output_names() -> frozenset[str]:
    from reports import WRITERS

    return frozenset(w.filename for w in WRITERS.values()) | frozenset(SNAPSHOT_NAMES)


def refused_write(exc: OSError, staging: Path, out_dir: "Path | str") -> str:
    """The line for a report writer's write into ``staging`` that the system refused (a full
    disk), the set in ``out_dir`` left as it was: the file when the error names it, else the
    staging folder the reports were written into (fault trial round 6: "(OSError: [Errno 28]
    No space left on device)" named neither). One wording for ``scan`` and ``report`` (fault-
    injection trial round 18: ``report`` said "internal error: OSError ...")."""
    where = f"a report, {exc.filename}" if exc.filename else \
        f"the reports into {staging} (the staging folder beside --out)"
    return (f"could not write {where}: {exc.strerror or exc}; the previous outputs in "
            f"{out_dir} are unchanged")


def check_out_dir(out_dir: Path, *, flag: str = "--out") -> None:
    """UsageError when ``out_dir`` cannot be an output folder (a file, or not writable);
    ``flag``: the option named in it (collect's ``--parts``). ``-`` is refused rather than
    made a folder of that name: a user who writes it means standard output, which an output
    set (several files committed together) cannot be (new-user trial round 23)."""
    if str(out_dir) == "-":
        raise UsageError(f"{flag} -: an output folder is needed, not standard output (the "
                         "findings and reports are files in it); to print them afterwards, run "
                         "'secretgraph report --in DIR --format table', or read "
                         "DIR/findings.json")
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{flag} {out_dir}: exists and is not a directory")
    parent = _existing_parent(out_dir)
    if not parent.is_dir():
        raise UsageError(f"{flag} {out_dir}: {parent} is not a directory")
    target = out_dir if out_dir.is_dir() else parent
    if not os.access(target, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {out_dir}: {target} is not writable")


def check_in_folder(folder: Path, *, needs: tuple[str, ...] = (), flag: str = "--in",
                    other: str = "") -> None:
    """UsageError (exit 2) when ``folder``, a scan's output folder named by ``flag``, is
    missing, not a folder, or lacks one of ``needs`` (``findings.json``, ``snapshot`` for
    either of SNAPSHOT_NAMES). One wording for every command that reads a scan's folder
    (access, baseline, report, export securityhub, remediate): remediate said "nosuch: not a
    directory (expected a scan --out directory)" of a folder that does not exist, and
    "onlysnap/findings.json: file not found", where the others said "--in nosuch: no such
    folder" (new-user trial round 35). ``other``: what else the command takes instead
    (``--findings FILE``), said with "not a folder"."""
    if not folder.is_dir():
        raise UsageError(f"{flag} {folder}: " + (
            "no such folder" if not folder.exists() else
            f"not a folder (pass a scan's --out{', or ' + other if other else ''})"))
    for need in needs:
        names = SNAPSHOT_NAMES if need == "snapshot" else (need,)
        # exists, not is_file: a named pipe (or a folder) in its place is the reader's to
        # say ("a pipe with nothing to read"), not "no findings.json"
        if not any((folder / name).exists() for name in names):
            raise UsageError(f"{flag} {folder}: no {names[0]} in this folder (pass the --out "
                             "folder of a scan)")


def _existing_parent(path: Path) -> Path:
    path = path.absolute()
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


class OutputSet:
    """See the module docstring."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.staging: Path = Path()
        self.written: list[Path] = []
        self._staging_fd: int | None = None
        self._named: set[Path] = set()  # folders left alone, named once
        # the folder the files land in (--out may be a symlink) and the folder beside it
        self._real = Path(os.path.realpath(self.out_dir))
        self._beside = self._real.parent

    @property
    def lock_path(self) -> Path:
        """The lock file of commits into this --out: ``.<name>.lock`` beside it (kept)."""
        return self._beside / f".{self._real.name}.lock"

    def __enter__(self) -> "OutputSet":
        check_out_dir(self.out_dir)
        # beside the folder the files land in: --out may be a symlink (or under one) to
        # another file system, where a rename from beside the link fails (review of the
        # thirteenth session's merges: every scan into a --out linked to /dev/shm ended
        # "Invalid cross-device link" after all its work)
        beside = self._beside
        try:
            beside.mkdir(parents=True, exist_ok=True)
            self.staging = Path(tempfile.mkdtemp(prefix=f".{self._real.name}.staging-",
                                                 dir=beside))
        except OSError as exc:
            # the staging folder goes beside --out: name the folder that refused it
            raise UsageError(f"--out {self.out_dir}: cannot write in {beside} (outputs are "
                             f"staged beside --out: {exc.strerror or exc})") from None
        # the staging folder is held (flock) while this process lives: one nobody holds is a
        # leftover of a process that was killed (fault trial round 6)
        self._staging_fd = _hold(self.staging)
        if self._staging_fd is not None:
            # marked as ours only once held: a folder between its mkdtemp and its flock, or one
            # an older secretgraph (no flock) writes into, or the user's own folder named like
            # one, has no marker and is never taken for a leftover (fault trial round 7 #4/#5,
            # review round 4 #3: each was deleted by the next scan)
            try:
                (self.staging / STAGING_MARKER).write_text(f"{os.getpid()}\n",
                                                           encoding="utf-8")
            except OSError as exc:
                # a folder we just made and cannot write in: the reports would fail the same
                # way after all the work; an unmarked folder a killed scan left would never be
                # recovered
                self.__exit__(None, None, None)  # the folder made above goes again
                raise OutputError(f"--out {self.out_dir}: cannot write "
                                  f"{self.staging / STAGING_MARKER} ({exc.strerror or exc}); "
                                  "nothing was written, the previous outputs are as they "
                                  "were") from None
        # a leftover of a scan killed while it moved its reports into --out is put right now,
        # unless another process is committing (then this set's commit does it); no lock
        # file is made for that where there is no other staging folder
        lock = self._lock(wait=False) if self._others() else None
        if lock is not None:
            try:
                self._recover_leftovers()
            finally:
                lock.close()
        return self

    def carry_over(self, name: str) -> None:
        """Copy ``--out/name`` into the staging folder, for a writer that reads the previous
        version of its file (the ASFF writer keeps CreatedAt of findings it exported before)."""
        previous = self.out_dir / name
        if previous.is_file():
            shutil.copyfile(previous, self.staging / name)

    def commit(self, *, remove_stale: bool = True,
               still_current: Callable[[], None] | None = None) -> list[Path]:
        """Move the staged files into place; returns their final paths. ``remove_stale``:
        also remove the outputs of a previous set that this set does not have (a scan); off
        when only some formats are re-rendered (`secretgraph report`). ``still_current``:
        called under the commit lock before anything moves, raises (OutputError) when the
        set in --out is no longer the one the staged files were made from (`report --in X
        --out X`, a scan committed meanwhile: fault trial round 7 #1)."""
        # one set at a time: two scans into the same --out each moved its files in, and the
        # folder held two scans' files (fault trial round 6, two_nights_same_out.sh); held
        # until the set is in place or put back (released with the file, even when killed)
        lock = self._lock(wait=True)
        try:
            self._recover_leftovers()
            if still_current is not None:
                still_current()
            return self._commit(remove_stale)
        finally:
            if lock is not None:
                lock.close()

    def _commit(self, remove_stale: bool) -> list[Path]:
        staged = sorted(p for p in self.staging.iterdir()
                        if p.is_file() and p.name not in _CONTROL)
        names = {p.name for p in staged}
        # what the folder holds of earlier sets: named by its manifest (None: the user's own)
        earlier = _previous_outputs(self.out_dir) or frozenset()
        stale_names = sorted((output_names() & earlier) - names) if remove_stale else []
        manifest = self.staging / MANIFEST
        try:
            manifest.write_text(json.dumps({
                "written_by": "secretgraph",
                "files": sorted(names if remove_stale else (names | (earlier & output_names())))},
                indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"--out {self.out_dir}: cannot write {manifest} "
                              f"({exc.strerror or exc}); nothing was written, the previous "
                              "outputs are as they were") from None
        for path in staged:  # what a rename cannot replace, found before anything moves
            target = self.out_dir / path.name
            if target.is_dir() or (target.exists() and not target.is_file()):
                raise OutputError(f"--out {self.out_dir}: {target} is in the way (not a "
                                  "file); nothing was written, the previous outputs are as "
                                  "they were")
            if (target.is_file() or target.is_symlink()) and path.name not in earlier:
                # the user's own file (another tool's report.html): left alone, as the stale
                # files are -- it was replaced, and lost with the staging folder (fault trial
                # round 6). Refused rather than renamed aside: the folder stays as its owner
                # left it, and the one line says what to do
                raise OutputError(f"--out {self.out_dir}: {target} is not a file of an "
                                  f"earlier scan (the {MANIFEST} file there does not name "
                                  "it): it is left alone; move it away or choose another "
                                  "--out; nothing was written, the previous outputs are as "
                                  "they were")
        # what a killed commit may have moved in (_recover_leftovers): "fresh", the names
        # with no earlier version in --out (found under the commit lock, before any move),
        # are the only files a recovery removes -- whatever else it finds there is last
        # night's, put back by an earlier recovery that stopped half-way (fault trial round
        # 7 #2: its retry deleted them)
        fresh = sorted(n for n in names if not (self.out_dir / n).exists()
                       and not (self.out_dir / n).is_symlink())
        try:
            (self.staging / _STAGED).write_text(
                json.dumps({"files": sorted(names), "fresh": fresh}), encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"--out {self.out_dir}: cannot write {self.staging / _STAGED} "
                              f"({exc.strerror or exc}); nothing was written, the previous "
                              "outputs are as they were") from None
        with deferred_interrupt() as held:
            self.out_dir.mkdir(exist_ok=True)
            previous = self.staging / ".previous"
            previous.mkdir()
            moved: list[tuple[Path, Path | None]] = []  # (target, its previous version)
            try:
                for path in staged:
                    target = self.out_dir / path.name
                    kept: Path | None = None
                    if target.exists():
                        kept = previous / path.name
                        os.replace(target, kept)
                    moved.append((target, kept))
                    os.replace(path, target)
                # a previous set's files this set does not have: kept too until the end, so a
                # stop puts them back with the others
                for stale in stale_names:
                    target = self.out_dir / stale
                    if target.is_file() or target.is_symlink():
                        os.replace(target, previous / stale)
                        moved.append((target, previous / stale))
                target = self.out_dir / MANIFEST  # last: the set it names is in place
                kept = None
                if target.is_file():
                    kept = previous / MANIFEST
                    os.replace(target, kept)
                moved.append((target, kept))
                os.replace(manifest, target)
            except BaseException as exc:
                # any way out of the moves (a Ctrl-C held back is not one) puts the previous
                # set back: a SIGTERM raised mid-move left two scans' files mixed and last
                # night's versions deleted with the staging folder (fault-injection trial
                # round 4)
                _roll_back(moved)
                if isinstance(exc, OSError):
                    raise OutputError(f"--out {self.out_dir}: cannot write "
                                      f"{exc.filename or ''} ({exc.strerror or exc}); nothing "
                                      "was written, the previous outputs are as they "
                                      "were") from None
                raise
            if held.received:
                # Ctrl-C or SIGTERM came during the moves: held back until they were done,
                # then undone, so the stop it asks for leaves --out as it was (and the line
                # "nothing was written" is true); the signal is raised as the block ends
                _roll_back(moved)
            else:
                self.written.extend(target for target, _ in moved[:len(staged)])
        return list(self.written)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.staging != Path():
            shutil.rmtree(self.staging, ignore_errors=True)
        if self._staging_fd is not None:
            os.close(self._staging_fd)
            self._staging_fd = None

    def _lock(self, *, wait: bool, quiet: bool = False,
              doer: str = "this scan") -> "_Held | None":
        """The exclusive lock of commits into --out (flock on ``lock_path``), as remediate
        --apply locks ``<plan>.lock``. Held by another process: with ``wait``, waited for up
        to OUT_LOCK_WAIT seconds (one line says so), then OutputError naming the lock and
        its holder; without, None. None too where no lock can be had (a folder we may not
        write: the commit goes on as before locks). The holder removes the file as it
        releases it (no file is left beside --out: a Lambda's /tmp gained one a night), so a
        lock won on a file no longer at ``lock_path`` is tried again on the new one."""
        path = self.lock_path
        deadline = time.monotonic() + OUT_LOCK_WAIT
        said = False
        while True:
            writable = True
            try:
                fh = open(path, "a+", encoding="utf-8")
            except OSError as exc:
                # another user's lock file (mode 444 for us): flock(2) works on a descriptor
                # opened read-only (it needs an open file, of any mode), so it still locks --
                # scans went on with no lock at all (fault trial round 7 #6)
                try:
                    fh = open(path, "r", encoding="utf-8")
                    writable = False
                except OSError:
                    if not quiet:
                        log.warning("no lock for the outputs in %s (%s: %s): nothing stops "
                                    "another scan from writing there at the same time",
                                    self.out_dir, path, exc.strerror or exc)
                    return None
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                fh.close()
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    if quiet:
                        return None
                    log.warning("no lock for the outputs in %s (%s: %s)", self.out_dir,
                                path, exc.strerror or exc)
                    return None
                if not wait:
                    return None
                holder = _holder(path)
                if time.monotonic() >= deadline:
                    raise OutputError(f"--out {self.out_dir}: another process{holder} has "
                                      "been writing its reports into it for more than "
                                      f"{OUT_LOCK_WAIT:g} s (its lock {path} is held); "
                                      f"nothing was written by {doer}, run it again once "
                                      "that one is done") from None
                if not said:
                    log.warning("--out %s: waiting for another process%s to finish writing "
                                "its reports into it (its lock %s is held; up to %g s)",
                                self.out_dir, holder, path, OUT_LOCK_WAIT)
                    said = True
                time.sleep(0.05)
                continue
            if _same_file(fh, path):
                break
            fh.close()  # its holder removed it as it left: the lock is the new file's
        if writable:
            try:  # who holds it, for the line another process may print
                fh.seek(0)
                fh.truncate()
                fh.write(f"{os.getpid()}\n")
                fh.flush()
            except OSError as exc:  # the lock holds without it; only a waiter's line lacks it
                log.debug("could not write the holder's pid into %s: %s", path, exc)
        # one opened read-only is not ours: left where it is, as its owner made it
        return _Held(fh, path, remove=writable)

    def _others(self) -> list[Path]:
        """The staging folders of this --out but this one's: names compared character for
        character (the name given to a glob pattern, `--out nightly[1]` never found its own
        leftovers and took `.nightly1.staging-*` for one: fault trial round 7 #3)."""
        prefix = f".{self._real.name}.staging-"
        try:
            names = sorted(os.listdir(self._beside))
        except OSError:
            return []
        return [self._beside / n for n in names
                if n.startswith(prefix) and self._beside / n != self.staging]

    def _recover_leftovers(self) -> None:
        """Staging folders of this --out that no living process holds (killed: SIGKILL, the
        OOM killer, a power cut), found under the commit lock. One whose moves had begun
        holds last night's versions in ``.previous``: they are put back (and the killed
        scan's files that had no earlier version removed), so --out holds last night's set
        whole again, and one line says so; one that cannot be put back is kept, and one line
        names it. The others hold only a killed scan's unfinished files: removed."""
        for leftover in self._others():
            if not leftover.is_dir() or leftover.is_symlink():
                continue
            if not (leftover / STAGING_MARKER).is_file():
                # not made (or not yet held) by this secretgraph: the user's folder, an older
                # secretgraph's (it takes no flock), one a scan has just made: left alone
                # (fault trial round 7 #4/#5); one holding last night's files is named
                if (leftover / ".previous").is_dir() and leftover not in self._named:
                    self._named.add(leftover)
                    log.warning("--out %s: %s holds a .previous folder but was not made by "
                                "this secretgraph (or is still being made): it is left alone",
                                self.out_dir, leftover)
                continue
            if _held(leftover):
                continue
            kept = leftover / ".previous"
            if not kept.is_dir() or not (leftover / MANIFEST).is_file():
                # no move was made (nothing kept), or every move was (its manifest, moved
                # last, is in --out): what it holds is superseded
                shutil.rmtree(leftover, ignore_errors=True)
                continue
            try:
                self.out_dir.mkdir(exist_ok=True)
                last_night = sorted(kept.iterdir())
                # moved in by the killed scan (no longer in the leftover), with no earlier
                # version: not last night's. Not "absent from .previous": a recovery stopped
                # half-way has put some of last night's back (fault trial round 7 #2)
                fresh = [name for name in _fresh_names(leftover)
                         if not (leftover / name).exists() and not (kept / name).exists()]
                for path in last_night:
                    os.replace(path, self.out_dir / path.name)
                for name in fresh:
                    (self.out_dir / name).unlink(missing_ok=True)
            except OSError as exc:
                log.error("--out %s: a scan stopped while moving its reports into it left two "
                          "scans' files; last night's versions are kept in %s (they could not "
                          "be put back: %s: %s)", self.out_dir, kept, exc.filename or "",
                          exc.strerror or exc)
                continue
            shutil.rmtree(leftover, ignore_errors=True)
            log.warning("--out %s: a scan stopped while moving its reports into it had left "
                        "two scans' files; last night's set was put back from %s",
                        self.out_dir, leftover)


#: seconds a commit waits for another process's commit into the same --out (normally done in
#: milliseconds; a slow disk or a paused process takes longer)
OUT_LOCK_WAIT = 30.0
#: the names of the files a commit moves into --out (``files``) and of those with no earlier
#: version there (``fresh``), written in the staging folder before the first move: a
#: leftover's record of what its killed scan may have put there
_STAGED = ".staged"
#: in each staging folder of this secretgraph, written once its flock is held: "made and held by
#: secretgraph (pid N)"; a folder without it is never taken for a leftover
STAGING_MARKER = ".secretgraph-staging"
#: the staging folder's own files, never moved into --out
_CONTROL = frozenset({STAGING_MARKER, _STAGED, MANIFEST})


@contextmanager
def reading(folder: Path) -> Iterator[None]:
    """The commit lock of the set in ``folder`` (an --out of earlier scans), held while a
    command reads it, so that it reads one set whole: `report --in X` read findings.json of
    a scan moving its set in and the snapshot of last night's ("not the same scan", exit 2),
    or last night's whole and committed its report beside the new set (fault trial round 7
    #1). Waits for a commit in progress as a scan does; reads with no lock where none can be
    had (a folder this user may not write: nothing commits there either)."""
    lock = OutputSet(folder)._lock(wait=True, quiet=True, doer="this command") \
        if Path(folder).is_dir() else None
    try:
        yield
    finally:
        if lock is not None:
            lock.close()


def reading_file_of_a_set(path: Path) -> "contextlib.AbstractContextManager[None]":
    """``reading`` the folder of ``path`` when that folder is the --out of a scan (its
    manifest, or a scan's snapshot, is there), else nothing: a file a user copied elsewhere
    is read as it is, and no lock file is left beside it."""
    folder = Path(path).parent
    if folder.is_dir() and _previous_outputs(folder) is not None:
        return reading(folder)
    return contextlib.nullcontext()


class _Held:
    """A lock file held: ``close()`` removes it, then lets it go."""

    def __init__(self, fh: IO[str], path: Path, *, remove: bool = True) -> None:
        self._fh = fh
        self._path = path
        self._remove = remove

    def close(self) -> None:
        try:
            if self._remove and _same_file(self._fh, self._path):
                self._path.unlink()
        except OSError:
            pass  # left: the next holder uses it
        # the holder's pid line may still be in the file's buffer, its flush refused (a full
        # disk): close() lets the descriptor, and so the lock, go all the same, and the line
        # is a courtesy -- a command that had read the folder ended "internal error: OSError:
        # [Errno 28] No space left on device" here (fault-injection trial round 18)
        with contextlib.suppress(OSError):
            self._fh.close()


def _same_file(fh: IO[str], path: Path) -> bool:
    """Whether ``fh`` is the file now at ``path``."""
    try:
        mine, there = os.fstat(fh.fileno()), os.stat(path)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (there.st_dev, there.st_ino)


def _fresh_names(staging: Path) -> list[str]:
    """The names a commit moved (or was to move) into --out where it had no earlier version,
    as its ``.staged`` record says (none when it cannot be read: nothing is removed)."""
    try:
        record = json.loads((staging / _STAGED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    names = record.get("fresh") if isinstance(record, dict) else None
    return [n for n in names if isinstance(n, str) and "/" not in n and n not in ("", ".", "..")
            and n not in _CONTROL] if isinstance(names, list) else []


def _hold(folder: Path) -> int | None:
    """An open descriptor of ``folder`` holding an exclusive flock (None where that fails)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _held(folder: Path) -> bool:
    """Whether a living process holds ``folder`` (its staging folder); unsure counts as held."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


def _holder(path: Path) -> str:
    """`` (pid N)`` of the lock's holder as its file says, or nothing."""
    try:
        pid = path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


def _roll_back(moved: list[tuple[Path, Path | None]]) -> None:
    """Undo ``commit``'s moves: each new file removed, each previous version put back."""
    for target, kept in reversed(moved):
        try:
            if kept is not None:
                os.replace(kept, target)
            else:
                target.unlink(missing_ok=True)
        except OSError:
            pass  # best effort: the error that stopped the commit is what is reported


class deferred_interrupt:
    """Hold SIGINT (Ctrl-C) and SIGTERM (systemd stop, timeout, kill) back for the duration of
    the block (main thread only), then deliver the first one received to the handler it was
    held from (Ctrl-C: KeyboardInterrupt; the CLI's SIGTERM handler: Terminated) when the
    block ends without an error. ``received`` says whether one came, so the block can undo
    what it did before it is delivered. A signal ignored when the block begins (a ``&``
    background job of a script ignores SIGINT) stays ignored."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    @property
    def received(self) -> bool:
        return self.signum is not None

    def handler_before(self, signum: int) -> Any:
        """The handler ``signum`` was held from (None: it was not held)."""
        return self._previous.get(signum)

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum

    def __enter__(self) -> "deferred_interrupt":
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                if signal.getsignal(signum) is not signal.SIG_IGN:
                    self._previous[signum] = signal.signal(signum, self._handler)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        if self.signum is None or exc is not None:
            return
        handler = self._previous.get(self.signum)
        if callable(handler):
            handler(self.signum, None)  # raises (KeyboardInterrupt, Terminated)
        elif handler == signal.SIG_DFL:
            signal.raise_signal(self.signum)  # the default action: the process ends
        else:  # a handler not installed from Python
            raise KeyboardInterrupt
