"""`remediate --apply` and `--undo` on an 80-column terminal: the line per change (`applied
<change> <remediation> <arn>`), the journal line, the re-read line and the question are
wrapped between words like the plan printed above them; a file or a pipe keeps each one line
(`--apply > apply.log`, grep). New-user trial: `applied  chg-... add-peering-route
arn:aws:ec2:us-east-1:...:route-table/rtb-...` ran to column 116, the journal line to 118."""

from __future__ import annotations

import argparse
import io
import sys

import pytest

from scanner.commands import _outputs
from scanner.commands import remediate as command
from scanner.remediate import runs

ARN = "arn:aws:ec2:us-east-1:987956713411:route-table/rtb-b6e6be05025573c0f"
LINE = f"applied  chg-87b53fff0c2eda6f add-peering-route {ARN}"
JOURNAL = ("journal: r1/remediation-journal-plan-9736b0c73387bd52785e-"
           "20261205T220743Z.jsonl (applied 3)")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def eighty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")


def _words(text: str) -> list[str]:
    return text.split()


def test_a_change_line_is_wrapped_on_a_terminal_and_whole_in_a_file(eighty: None) -> None:
    screen = Terminal()
    runs.say(screen, LINE)
    lines = screen.getvalue().splitlines()
    assert len(lines) == 2 and max(len(x) for x in lines) <= 80
    assert lines[0].startswith("applied  chg-87b53fff0c2eda6f") and lines[1].strip() == ARN
    assert _words(screen.getvalue()) == _words(LINE)
    log = io.StringIO()  # `--apply > apply.log`: one line per change, as before
    runs.say(log, LINE)
    assert log.getvalue() == LINE + "\n"


def test_the_journal_line_and_the_question_fit_the_terminal(
        eighty: None, monkeypatch: pytest.MonkeyPatch) -> None:
    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    command._summary(argparse.Namespace(quiet=False), True, JOURNAL)
    lines = screen.getvalue().splitlines()
    assert len(lines) == 2 and max(len(x) for x in lines) <= 80
    assert _words(screen.getvalue()) == _words(JOURNAL)

    errors = Terminal()
    monkeypatch.setattr(sys, "stderr", errors)
    monkeypatch.setattr(sys, "stdin", io.StringIO("yes\n"))
    question = "Apply 3 change(s) of plan plan-0597ff4d274c1af33cf2 to 2 account(s)?"
    assert _outputs.ask_yes(question, "nothing was changed") is True
    asked = errors.getvalue()
    assert asked.endswith("Type 'yes' to continue: ")
    assert max(len(x) for x in asked.split("\n")) <= 80
    assert _words(asked) == _words(question + " Type 'yes' to continue:")
    assert asked.splitlines()[-1] == "Type 'yes' to continue: "
