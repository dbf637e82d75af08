"""Opening a file a person names for secretgraph to read (a config, suppressions, a baseline,
a rule, a snapshot, findings.json, a plan, a journal, an ASFF export, a ledger) without waiting
on it: ``open()`` of a named pipe waits until a program opens it for writing, so `--config
FIFO` (or a findings.json, a plan ... that is one) hung the command before it read anything,
a nightly scan until it was killed (fault-injection trial round 23; the history's own check,
scanner.history.sqlite_store.NOT_A_FILE, is round 21's).

The file is opened without waiting (O_NONBLOCK), then read as usual: a pipe a program is
writing to (``--config <(make-config)``, /dev/stdin) is read to its end; a named pipe no
program has open for writing reads as empty at once, and ``read_bytes`` says so (as it says
of a pipe read to its end already) -- an OSError naming the path, which each reader reports
as it reports any file it cannot read.
The functions raise what ``Path.read_bytes``, ``read_text`` and ``open`` raise."""

from __future__ import annotations

import errno
import fcntl
import io
import os
import stat
from pathlib import Path
from typing import BinaryIO

#: what a named pipe no program writes to is said to be
NO_WRITER = "a pipe with nothing to read (no program is writing to it)"


def _open_fd(path: str | os.PathLike[str]) -> tuple[int, bool]:
    """The descriptor of ``path`` open for reading, in blocking mode again, and whether it is
    a pipe."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):  # open() refuses a folder; os.open takes it
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(Path(path)))
        is_pipe = stat.S_ISFIFO(mode)
    except BaseException:
        os.close(fd)
        raise
    return fd, is_pipe


def open_binary(path: str | os.PathLike[str]) -> BinaryIO:
    """``open(path, "rb")``, which never waits for a named pipe's writer."""
    fd, _ = _open_fd(path)
    return os.fdopen(fd, "rb")


def open_text(path: str | os.PathLike[str]) -> io.TextIOWrapper:
    """``open(path, encoding="utf-8")``, which never waits for a named pipe's writer."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8")  # type: ignore[arg-type]


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """``Path(path).read_bytes()``; a named pipe no program writes to is an OSError (ENODATA)
    naming it, not a wait."""
    fd, is_pipe = _open_fd(path)
    with os.fdopen(fd, "rb") as fh:
        data = fh.read()
    if is_pipe and not data:
        raise OSError(errno.ENODATA, NO_WRITER, str(Path(path)))
    return data


def read_text(path: str | os.PathLike[str]) -> str:
    """``Path(path).read_text(encoding="utf-8")`` (its newlines, \\r\\n and \\r, read as
    \\n), as ``read_bytes`` reads it."""
    return read_bytes(path).decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def check_named_file(path: str | os.PathLike[str] | None, flag: str, hint: str = "") -> None:
    """UsageError (exit 2) ``--FLAG PATH: no such file[; hint]`` when a file named by a flag
    does not exist: `report --drift`, `export --findings/--asff/--previous` and `remediate
    --findings` said "nosuch.json: file not found", naming neither the flag nor what makes the
    file, where `--in` says "--in nosuch: no such folder" (new-user trial round 35). Any other
    problem (a folder, a pipe, unreadable) is left to the reader of the file."""
    if path is None or os.path.lexists(path):
        return
    from scanner.errors import UsageError

    raise UsageError(f"{flag} {path}: no such file" + (f" ({hint})" if hint else ""))
