"""`secretgraph diff`'s notes on standard error (which scans are compared) are broken between
words on a terminal, as every other note and warning is; a file or a pipe gets one line each.
The note of a scan passed over ran to 210 columns at 80 (new-user trial round 23: an ad-hoc
one-account scan recorded after the nightly ones)."""

from __future__ import annotations

import argparse

import pytest

from scanner.commands import diff

NOTE = ("note: passed over scan scan-2026-12-06T143944Z-fe0554f2 (it did not scan account(s) "
        "007659653593, 854227472528, 985804439964 and 1 more); compared with "
        "scan-2026-12-06T141152Z-13214306, as `scan --history` does")


def test_a_note_fits_the_terminal(monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(diff, "stream_columns", lambda stream=None: 80)
    diff._note(argparse.Namespace(quiet=False), NOTE)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) > 1 and max(len(line) for line in lines) <= 80, lines
    assert " ".join(line.strip() for line in lines) == NOTE


def test_a_note_is_one_line_in_a_file_or_a_pipe(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(diff, "stream_columns", lambda stream=None: None)
    diff._note(argparse.Namespace(quiet=False), NOTE)
    assert capsys.readouterr().err.splitlines() == [NOTE]
