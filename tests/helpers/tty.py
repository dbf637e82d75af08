"""Run the CLI the way a user does: in a real terminal (a pseudo-terminal of a given width),
optionally pressing Ctrl-C once the screen shows something."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import struct
import sys
import time
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class TtyRun:
    exit_code: int
    screen: str  # everything written to the terminal (stdout and stderr), escapes included
    interrupted: bool  # Ctrl-C was pressed

    @property
    def text(self) -> str:
        """The output without terminal escape sequences and carriage returns."""
        return plain(self.screen).replace("\r", "")

    @property
    def shown(self) -> str:
        """The output as the terminal leaves it: a carriage return starts its line again (a
        progress bar's frames are drawn over one another, not side by side)."""
        return "\n".join(line.rsplit("\r", 1)[-1]
                         for line in plain(self.screen).replace("\r\n", "\n").split("\n"))

    def last_message(self, prefix: str) -> str:
        """The last line starting with ``prefix`` and the lines after it, joined: a message
        the terminal's width broke between words, as one line."""
        lines = self.text.rstrip().splitlines()
        at = max(i for i, line in enumerate(lines) if line.startswith(prefix))
        return " ".join(line.strip() for line in lines[at:])


def plain(screen: str) -> str:
    """``screen`` without its terminal escape sequences (colours, cursor movements)."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)


def run_in_tty(args: Sequence[str], *, env: dict[str, str] | None = None, cols: int = 80,
               rows: int = 40, ctrl_c_when: str | None = None, timeout: float = 300.0,
               cwd: str | None = None, stdout_path: str | None = None,
               python: Sequence[str] = ("-m", "scanner")) -> TtyRun:
    """``python -m scanner ARGS`` on a terminal ``cols`` wide (stdout into ``stdout_path``
    instead, as ``> FILE`` does); with ``ctrl_c_when`` (a regular expression), Ctrl-C is typed
    once the output (escapes removed) matches it."""
    import fcntl
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # the child: the terminal's size first, then the CLI
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            if cwd:
                os.chdir(cwd)
            if stdout_path:
                os.dup2(os.open(stdout_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 1)
            environment = dict(env if env is not None else os.environ)
            environment["COLUMNS"] = str(cols)
            environment["LINES"] = str(rows)
            # as an interactive shell starts a foreground job: Ctrl-C at its default, also when
            # this test run was itself started in the background (an asynchronous command of a
            # non-interactive shell inherits SIGINT ignored, and Python keeps it ignored)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.execve(sys.executable, [sys.executable, *python, *args], environment)
        finally:
            os._exit(127)
    output = b""
    pressed = False
    deadline = time.monotonic() + timeout
    trigger = re.compile(ctrl_c_when) if ctrl_c_when else None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        if trigger is not None and not pressed and trigger.search(
                plain(output.decode("utf-8", errors="replace"))):
            os.write(fd, b"\x03")  # Ctrl-C, through the terminal's line discipline
            pressed = True
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return TtyRun(exit_code=os.waitstatus_to_exitcode(status),
                  screen=output.decode("utf-8", errors="replace"), interrupted=pressed)
