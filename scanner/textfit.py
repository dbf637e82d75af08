"""Fitting text lines to a terminal's width: one definition of "the terminal's width" for the
commands and the scan's summary, of wrapping a long line (access, diff, remediate) and of
breaking the scan's summary between its parts."""

from __future__ import annotations

import re
import shutil
import sys
import textwrap
import unicodedata
from typing import Sequence, TextIO


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


def fit_parts(parts: Sequence[str], width: int | None) -> str:
    """``parts`` joined by "; " on one line, or, with a ``width`` (a terminal), broken between
    parts into lines of at most ``width`` characters where the parts allow it, continuation
    lines indented by two spaces. Logs and pipes (no width) keep the one line to grep."""
    if width is None:
        return "; ".join(parts)
    lines: list[str] = []
    current = ""
    for i, part in enumerate(parts):
        piece = part + (";" if i < len(parts) - 1 else "")
        if not current:
            current = ("  " if lines else "") + piece
        elif len(current) + 1 + len(piece) <= width:
            current += " " + piece
        else:
            lines.append(current)
            current = "  " + piece
        if len(current) > width:  # one part wider than the terminal: broken between words
            *whole, current = fit_line(current, width, more="  ").split("\n")
            lines.extend(whole)
    if current:
        lines.append(current)
    return "\n".join(lines)


def fit_text(text: str, width: int | None) -> str:
    """Every line of ``text`` through ``fit_line``."""
    return "\n".join(fit_line(line, width) for line in text.split("\n"))


#: every control character (escape sequences, carriage returns, tabs), with and without the
#: newline
#: and the invisible characters that reorder or hide text (bidirectional overrides and
#: isolates: "Trojan Source", CVE-2021-42574; zero-width space, word joiner, BOM)
INVISIBLE = "".join(chr(c) for c in (0x200b, 0x200e, 0x200f, *range(0x202a, 0x202f),
                                     *range(0x2060, 0x2065), *range(0x2066, 0x206a), 0xfeff))
#: the line and paragraph separators: a line break in many terminals, so a name holding one
#: could forge a line of the terminal's text (in JSON, CSV and HTML they are plain text)
LINE_SEPARATORS = "\u2028\u2029"
_CONTROLS = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{INVISIBLE}{LINE_SEPARATORS}]")
_CONTROLS_BUT_NEWLINE = re.compile(
    f"[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f{INVISIBLE}{LINE_SEPARATORS}]")


def terminal_safe(text: str, *, newlines: bool = True) -> str:
    """Text for a terminal with every control character shown as U+FFFD (the newline too
    unless ``newlines``): the names, tags, Sids and principals in it come from the audited
    accounts, and an escape sequence or carriage return among them must not recolour or
    rewrite the screen; a single value (a Sid: scanner.policy.parse.statement_label) loses
    its newlines too, so it cannot forge a line."""
    return (_CONTROLS_BUT_NEWLINE if newlines else _CONTROLS).sub("\ufffd", text)


def one_line(value: object) -> str:
    """One value from the audited accounts (a name, an ARN, a reason) as it goes INTO a line
    of text: ``terminal_safe`` without newlines, so no newline, carriage return or line
    separator in it can forge a line -- cleaning the text after the values are joined keeps
    the newlines between lines and so the newlines inside a value too."""
    return _CONTROLS.sub("\ufffd", str(value))


# --------------------------------------------------------------------------- display width


def char_width(ch: str) -> int:
    """The columns a terminal gives one character: 2 for wide and full-width ones (CJK, most
    emoji: East Asian Width W or F), 0 for combining marks and format characters (the
    zero-width joiner of an emoji sequence), else 1."""
    if ch.isascii():
        return 1
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """The columns ``text`` (one line) takes on a terminal: ``len`` counts a CJK character or
    an emoji as one, and a table measured so ran past 80 columns."""
    if text.isascii():
        return len(text)
    return sum(char_width(ch) for ch in text)


def cut_to_width(text: str, width: int) -> str:
    """The longest start of ``text`` that fits ``width`` columns (at least one character, so
    a cut always moves on)."""
    if text.isascii():
        return text[:max(width, 1)]
    used = 0
    for i, ch in enumerate(text):
        used += char_width(ch)
        if used > width:
            return text[:max(i, 1)]
    return text


def pad_to_width(text: str, width: int) -> str:
    """``text`` with spaces after it up to ``width`` columns (``str.ljust`` by display width)."""
    return text + " " * max(0, width - display_width(text))


def wrap_to_width(text: str, width: int, *, hyphens: bool = True) -> list[str]:
    """``text`` in lines of at most ``width`` columns, broken between words (and after hyphens
    unless ``hyphens`` is False), a longer word cut (textwrap.wrap, break_long_words, when
    every character is one column wide)."""
    if text.isascii() or all(char_width(ch) == 1 for ch in text):
        return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=hyphens)
    lines: list[str] = []
    line = ""
    for word in text.split():
        while display_width(word) > width:
            if line:
                lines.append(line)
                line = ""
            head = cut_to_width(word, width)
            lines.append(head)
            word = word[len(head):]
        if not word:
            continue
        joined = f"{line} {word}" if line else word
        if display_width(joined) <= width:
            line = joined
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines
