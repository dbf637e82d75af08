"""Single files a command writes (``--output-file``, ``--plan-out``, ``--journal``): checked
before any work, their folder created like ``--out``'s; one line and exit 2 otherwise."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import stat
import sys
from pathlib import Path
from typing import Sequence

from scanner.errors import Interrupted, OutputError, UsageError


def out_folder(text: str) -> Path:
    """An output folder argument (``--out``): an empty one (``--out ''``, an unset shell
    variable) would write into the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty: give a folder (it is created if needed)")
    return Path(text)


def external_id(text: str) -> str:
    """An ``--external-id`` argument STS accepts (an empty one is not "no external id")."""
    from scanner.aws.session import external_id_problem

    problem = external_id_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def endpoint_url(text: str) -> str:
    """An ``--endpoint-url`` argument botocore takes (``http://127.0.0.1:5000``): refused at
    the command line, naming the flag, where botocore's "ValueError: Invalid endpoint" was an
    internal error once the command had started (new-user trial: ``--endpoint-url
    localhost:4566``, the scheme left out). An empty one stays "none", as before."""
    from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

    if text and not (is_valid_endpoint_url(text) or is_valid_ipv6_endpoint_url(text)):
        raise argparse.ArgumentTypeError(f"{text!r} is not an endpoint URL: give "
                                         "http(s)://HOST[:PORT], e.g. http://127.0.0.1:5000")
    return text


def output_file(path: str | Path, flag: str) -> Path:
    """``path`` ready to be written: not a folder, under folders (created when missing)."""
    if not str(path).strip():
        raise UsageError(f"{flag}: empty path; name a file")
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{flag} {p}: is a folder; name a file")
    existing = p.absolute().parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{flag} {p}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {p}: {existing} is not writable")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # /proc and the like: writable by the mode bits, yet no folder
        raise UsageError(f"{flag} {p}: cannot create {p.parent} "
                         f"({exc.strerror or exc})") from None
    return p


def write_output(path: str | Path, text: str, flag: str, *, done: str = "") -> Path:
    """``text`` written to the file ``path`` names, whole or not at all; OutputError (one line
    naming the flag and the file, exit 2) when it cannot be, the file left as it was (a full
    disk: ``diff --output-file /dev/full`` was an internal error naming no file, and a ledger
    written in place was cut in half -- fault-injection trial round 4). ``done`` says what was
    done before, and stands.

    The text goes to a temporary file beside the file, renamed over it once on the disk
    (reports._common.replacing, as the report writers): the file keeps its mode (a private
    ledger stays private), and a link to it stays a link (the file it names is replaced). A
    file that is not a regular one (/dev/stdout, a pipe, a device) cannot be replaced: it is
    written as it is."""
    from reports._common import replacing

    p = Path(path)
    try:
        if p.exists() and not p.is_file():
            with p.open("w", encoding="utf-8") as out:
                out.write(text)
            return p
        target = Path(os.path.realpath(p)) if p.is_symlink() else p
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else None
        with replacing(target) as out:
            if mode is not None:
                os.chmod(out.fileno(), mode)
            out.write(text)
    except OSError as exc:
        raise OutputError(f"{flag} {p}: cannot write it: {exc.strerror or exc}"
                          f"{'; ' + done if done else ''}") from None
    return p


def replace_together(files: Sequence[tuple[Path, str]], flag: str, named: Path,
                     kept: str) -> None:
    """Files that belong together (a plan and its .md and .html: a reviewer approves one, the
    apply reads the other) replaced all or none: each written to a temporary file beside it (``reports._common.unique_beside``) and
    flushed to the disk, then, once every one is, renamed over its file, signals held back
    (scanner.output_set.deferred_interrupt); a rename that fails, or a signal that came
    meanwhile, puts the previous versions back. OutputError (one line: ``flag named``, the file
    that could not be written, ``kept`` saying what is as it was; exit 2) with every file as it
    was and no temporary file left (fault-injection trial round 4: on a nearly full disk the
    plan was replaced, its .md cut off, its .html yesterday's)."""
    from reports._common import unique_beside
    from scanner.output_set import deferred_interrupt

    temps: list[tuple[Path, Path]] = []  # (temporary file, the file it replaces)
    backups: list[Path] = []
    try:
        for path, text in files:
            tmp = unique_beside(path, ".tmp")
            temps.append((tmp, path))
            try:
                with tmp.open("x", encoding="utf-8") as out:
                    if path.is_file():  # the file keeps its mode
                        os.chmod(out.fileno(), stat.S_IMODE(path.stat().st_mode))
                    out.write(text)
                    out.flush()
                    os.fsync(out.fileno())
            except OSError as exc:
                raise OutputError(f"{flag} {named}: cannot write {path}: "
                                  f"{exc.strerror or exc}; nothing was saved ({kept})") from None
        with deferred_interrupt() as held:
            moved: list[tuple[Path, Path | None]] = []  # (file, its previous version)

            def put_back() -> None:
                for path, previous in reversed(moved):
                    with contextlib.suppress(OSError):
                        if previous is not None:
                            os.replace(previous, path)
                        else:
                            path.unlink(missing_ok=True)

            try:
                kept_as: dict[Path, Path] = {}
                for _, path in temps:  # the previous versions kept, before anything moves
                    if path.exists():
                        backup = unique_beside(path, ".previous")
                        backups.append(backup)
                        try:
                            os.link(path, backup)  # no room needed
                        except OSError:  # a file system without hard links
                            shutil.copy2(path, backup)
                        kept_as[path] = backup
                for tmp, path in temps:
                    moved.append((path, kept_as.get(path)))
                    os.replace(tmp, path)
            except BaseException as exc:
                put_back()
                if isinstance(exc, OSError):
                    raise OutputError(f"{flag} {named}: cannot write "
                                      f"{exc.filename or named}: {exc.strerror or exc}; "
                                      f"nothing was saved ({kept})") from None
                raise
            if held.received:  # stopped meanwhile: the files as they were, then the signal
                put_back()
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM (the CLI says "terminated" for it)
        raise Interrupted(f"interrupted; nothing was saved ({kept})") from None
    finally:
        for tmp, _ in temps:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        for backup in backups:
            with contextlib.suppress(OSError):
                backup.unlink(missing_ok=True)


def terminal_width() -> int | None:
    """The terminal's columns ($COLUMNS first) when stdout is one; None (tables as wide as
    they are) when it is a file or a pipe (scanner.textfit.stream_columns)."""
    from scanner.textfit import stream_columns

    return stream_columns(sys.stdout)


def ask_yes(question: str, untouched: str) -> bool:
    """'yes' typed at the terminal; the question on stderr (stdout may be a file: `--apply >
    apply.log`). Ctrl-C at the question: Interrupted "interrupted at the confirmation;
    ``untouched``" (remediate --apply, history prune)."""
    from scanner.errors import Interrupted

    try:
        # wrapped to the terminal's width like the lines before it, "Type 'yes' to
        # continue: " kept whole at the end (new-user trial: the question of an apply ran
        # past column 80)
        from scanner.textfit import fit_line, stream_columns

        width = stream_columns(sys.stderr)
        asked = fit_line(question, width, more="  ")
        ask = "Type 'yes' to continue: "
        fits = width is None or len(asked.rsplit("\n", 1)[-1]) + len(ask) < width
        print(f"{asked}{' ' if fits else chr(10)}{ask}", end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        print(file=sys.stderr)
        raise Interrupted(f"interrupted at the confirmation; {untouched}") from None
    return answer.strip().lower() == "yes"
