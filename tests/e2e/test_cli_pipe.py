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
