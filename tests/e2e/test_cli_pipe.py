"""A reader that goes away early (`secretgraph rules list | head -1`) is not an error: no
"internal error" line, no traceback; the exit status is 141 (128 + SIGPIPE), as for other
command-line tools."""

from __future__ import annotations

import os
import sys

import pytest

from scanner.cli import main


def test_a_closed_pipe_stops_quietly(monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone: every write now fails with EPIPE
    with capsys.disabled(), open(write_end, "w", buffering=1, encoding="utf-8") as closed:
        monkeypatch.setattr(sys, "stdout", closed)
        code = main(["rules", "list"])
        monkeypatch.undo()
    assert code == 141
    assert "internal error" not in capsys.readouterr().err



_LONG_WRITE = """
import sys
from scanner import cli

def run(args):
    sys.stdout.write("a line of the answer\\n" * 200_000)  # 4.2 MB, one write
    return 0

_parser, modules = cli.build_parser()
modules["rules"].run = run
code = cli.main(["rules", "list"])
print(f"exit {code}", file=sys.stderr)
"""


def test_a_reader_that_goes_away_during_one_long_write_is_a_closed_pipe_too() -> None:
    """`secretgraph access --in DIR | head -1` at 1,000 accounts (4 MB written at once)
    exited 0: the reader left while the write waited on the full pipe, the kernel took part
    of it, and Python's buffered stdout returned as if all was written, the rest dropped
    without an error (user trial round 25). It is a closed pipe like any other: 141."""
    import subprocess

    writer = subprocess.Popen([sys.executable, "-c", _LONG_WRITE], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    assert writer.stdout is not None
    import time

    time.sleep(0.5)
    writer.stdout.read(10)  # returns once the writer has begun its one long write
    writer.stdout.close()  # the reader goes away, as `head` does
    _out, err = writer.communicate(timeout=60)
    said = err.decode()
    assert "exit 141" in said, said
    assert "internal error" not in said and "Traceback" not in said, said
