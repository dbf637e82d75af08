"""Ctrl-C while a command prints to a terminal (report --in DIR --format table: 1.26 M lines
at 1,000 accounts) cut its output in the middle of a line, and the one line that says so was
appended to it: '... (aws/secretsmanager cannotsecretgraph report: interrupted' (new-user
trial round 22, LOW). The cut line is ended first, on standard output, when that is a
terminal; a file or a pipe gets nothing added."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

import scanner.commands.report as report_command
from scanner.cli import main


class _Terminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def _cut(text: str) -> Any:
    def run(args: Any) -> int:
        sys.stdout.write(text)
        raise KeyboardInterrupt

    return run


@pytest.mark.parametrize("tty", [True, False])
def test_the_line_cut_by_ctrl_c_is_ended_on_a_terminal(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tty: bool) -> None:
    out = _Terminal(tty)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(report_command, "run", _cut("FAIL row one\n        (aws/secretsmanager cannot"))
    assert main(["report", "--in", "nowhere"]) == 130
    assert "secretgraph report: interrupted" in capsys.readouterr().err
    expected = "FAIL row one\n        (aws/secretsmanager cannot" + ("\n" if tty else "")
    assert out.getvalue() == expected


def test_a_whole_line_is_left_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _Terminal(True)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(report_command, "run", _cut("FAIL row one\n"))
    assert main(["report", "--in", "nowhere"]) == 130
    assert out.getvalue() == "FAIL row one\n"
