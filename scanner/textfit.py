"""Fitting text lines to a terminal's width: one definition of "the terminal's width" for the
commands and the scan's summary, and of wrapping a long line (diff, remediate)."""

from __future__ import annotations

import shutil
import sys
import textwrap
from typing import TextIO


def stream_columns(stream: TextIO | None = None) -> int | None:
    """The terminal's columns ($COLUMNS first) when ``stream`` (default stdout) is one; None
    (lines as long as they are) for a file or a pipe."""
    try:
        if not (stream or sys.stdout).isatty():
            return None
    except (AttributeError, ValueError):
        return None
    return shutil.get_terminal_size((100, 24)).columns


def fit_line(line: str, width: int | None, *, more: str = "    ") -> str:
    """``line`` wrapped to ``width`` between words (an ARN or other long word is never cut),
    continuation lines indented ``more`` deeper than the line; as it is without a width (a
    file or a pipe) or when it fits."""
    if width is None or len(line) <= width:
        return line
    indent = line[:len(line) - len(line.lstrip())]
    return "\n".join(textwrap.wrap(line.strip(), width=max(40, width), initial_indent=indent,
                                   subsequent_indent=indent + more, break_long_words=False,
                                   break_on_hyphens=False)) or line
