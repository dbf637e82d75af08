"""Fitting text lines to a terminal's width: one definition for the commands that print long
lines (diff, remediate)."""

from __future__ import annotations

import textwrap


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
