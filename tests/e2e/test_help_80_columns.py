"""Every command's --help at 80 columns: no line runs past the width, and help text is wrapped
at spaces only -- a rule id or glob split at its hyphen ('secret-' / 'rotation-*') is copied as a
broken glob (new-user trial 7)."""

from __future__ import annotations

import re

import pytest

from scanner.cli import _subparsers, build_parser

#: a word of help text that a hyphen split would leave at a line's end ("'secret-")
_HYPHEN_CUT = re.compile(r"[A-Za-z0-9'(]-$")


def _helps(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("COLUMNS", "80")
    parser, _ = build_parser()
    return {p.prog: p.format_help() for p in (parser, *_subparsers(parser))}


def test_help_fits_80_columns_and_never_splits_a_hyphenated_word(
        monkeypatch: pytest.MonkeyPatch) -> None:
    helps = _helps(monkeypatch)
    assert "secretgraph scan" in helps
    for prog, text in helps.items():
        for line in text.splitlines():
            assert len(line) <= 80, (prog, line)
            assert not _HYPHEN_CUT.search(line.rstrip()), (prog, line)
    assert "'secret-rotation-*'" in helps["secretgraph scan"]


def test_every_flag_and_argument_says_what_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """New-user trial 18: `rules validate --help` showed `PATH` with no word, and `diff`,
    `access` and `rules list` showed `--format {table,json}` alone -- what json is (the drift,
    the access report), and the default, left to guess. Every option and positional argument of
    every command has a help text (a sub-command's list is its own help)."""
    import argparse

    monkeypatch.setenv("COLUMNS", "80")
    parser, _ = build_parser()
    bare = []
    for p in (parser, *_subparsers(parser)):
        for action in p._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            if action.help is argparse.SUPPRESS:
                continue
            if not (action.help or "").strip():
                bare.append(f"{p.prog} {'/'.join(action.option_strings) or action.dest}")
    assert bare == []
