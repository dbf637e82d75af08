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
* Ctrl-C and SIGTERM are held back while the files move (``deferred_interrupt``); one that came
  meanwhile has the moves undone once they are done, then stops the command: ``--out`` is as
  it was, as its "nothing was written" line says (fault-injection trial round 4: SIGTERM
  raised mid-move left two scans' files and deleted last night's). Any other exception during
  the moves puts the previous set back too.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from scanner.errors import OutputError, UsageError

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


def check_out_dir(out_dir: Path) -> None:
    """UsageError when ``out_dir`` cannot be an output folder (a file, or not writable)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: exists and is not a directory")
    parent = _existing_parent(out_dir)
    if not parent.is_dir():
        raise UsageError(f"--out {out_dir}: {parent} is not a directory")
    target = out_dir if out_dir.is_dir() else parent
    if not os.access(target, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out_dir}: {target} is not writable")


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

    def __enter__(self) -> "OutputSet":
        check_out_dir(self.out_dir)
        # beside the folder the files land in: --out may be a symlink (or under one) to
        # another file system, where a rename from beside the link fails (review of the
        # thirteenth session's merges: every scan into a --out linked to /dev/shm ended
        # "Invalid cross-device link" after all its work)
        beside = Path(os.path.realpath(self.out_dir)).parent
        try:
            beside.mkdir(parents=True, exist_ok=True)
            self.staging = Path(tempfile.mkdtemp(prefix=f".{self.out_dir.name}.staging-",
                                                 dir=beside))
        except OSError as exc:
            # the staging folder goes beside --out: name the folder that refused it
            raise UsageError(f"--out {self.out_dir}: cannot write in {beside} (outputs are "
                             f"staged beside --out: {exc.strerror or exc})") from None
        return self

    def carry_over(self, name: str) -> None:
        """Copy ``--out/name`` into the staging folder, for a writer that reads the previous
        version of its file (the ASFF writer keeps CreatedAt of findings it exported before)."""
        previous = self.out_dir / name
        if previous.is_file():
            shutil.copyfile(previous, self.staging / name)

    def commit(self, *, remove_stale: bool = True) -> list[Path]:
        """Move the staged files into place; returns their final paths. ``remove_stale``:
        also remove the outputs of a previous set that this set does not have (a scan); off
        when only some formats are re-rendered (`secretgraph report`)."""
        staged = sorted(p for p in self.staging.iterdir() if p.is_file())
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
