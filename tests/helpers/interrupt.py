"""A real secretgraph process, signalled while it works: start it with its own $TMPDIR, wait
until its temporary folder appears (it is collecting), then send the signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence


def start(args: Sequence[str], tmp: Path) -> "subprocess.Popen[str]":
    """``python -m scanner ARGS`` with TMPDIR=tmp; SIGINT at its default as in a terminal,
    also when the test run itself was started in the background (it would then inherit
    SIGINT ignored)."""
    return subprocess.Popen(
        [sys.executable, "-m", "scanner", *args], env=dict(os.environ, TMPDIR=str(tmp)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def signal_while_working(proc: "subprocess.Popen[str]", tmp: Path, folder: str,
                         sig: signal.Signals) -> tuple[str, str]:
    """Once a folder matching ``folder`` (a glob) is in ``tmp``, half a second later, send
    ``sig``; the process's (stdout, stderr)."""
    deadline = time.monotonic() + 60
    while not list(tmp.glob(folder)):  # working now
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(sig)
    return proc.communicate(timeout=60)
