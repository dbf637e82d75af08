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


def fit_line(line: str, width: int | None, *, more: str = "    ",
             hang: int | None = None) -> str:
    """``line`` wrapped to ``width`` between words, continuation lines indented ``more`` deeper
    than the line; as it is without a width (a file or a pipe) or when it fits. A word wider
    than the line is left whole (a path, a URL, a command to copy), but an ARN, which is
    broken after one of its ':' or '/'.

    ``hang``: the column the continuation lines start at instead -- under the text a label
    or a marker stands before (``diff``: a finding's words after ``new      ``, a statement's
    after ``+ ``); an ARN's rest is then two columns deeper, not four."""
    if width is None or len(line) <= width:
        return line
    if line.startswith("\n"):  # a blank line before it: kept before it, not in its indent
        # (a "\n" in the indent put a blank line inside the wrapped text: remediate's "no
        # change planned for this selection" at 80 columns -- new-user trial)
        body = line.lstrip("\n")
        return line[:len(line) - len(body)] + fit_line(body, width, more=more, hang=hang)
    indent = line[:len(line) - len(line.lstrip())]
    subsequent = indent + more if hang is None else " " * hang
    lines = textwrap.wrap(line.strip(), width=max(40, width), initial_indent=indent,
                          subsequent_indent=subsequent, break_long_words=False,
                          break_on_hyphens=False)
    # a word that fits the width but not after its indent loses indent rather than run past
    # the edge, where the terminal cut it (nightly operations trial: a 75-character KMS key ARN
    # under 6 spaces in `secretgraph diff` at 80 columns); an ARN is broken instead
    fitted: list[str] = []
    for i, text in enumerate(lines):
        word = text.lstrip()
        # "(arn:...)" too, and a suppression entry's id, an ARN glob inside (new-user trial
        # round 23: suppression-expired's resource, 150 columns at 80 in `diff`)
        arn = (_is_arn(word) or word.startswith("suppression:")) and " " not in word
        if len(text) > width >= len(word) and not arn:
            # (an ARN is broken under its indent instead, below: moved left it read as a line
            # of its own, and a longer ARN in the same list was broken -- two layouts side by
            # side, new-user trial 18)
            text = " " * (width - len(word)) + word
        elif len(text) > width and arn:
            # an ARN wider than the line: broken after a ':' or '/' of it, the rest indented
            # (it ran past the edge, 150 columns at 80: new-user trial 16); a file or a pipe
            # keeps it whole, as the JSON outputs do
            head = text[:len(text) - len(word)]
            # the ARN's own continuation: deeper than its first part
            rest = head + ("    " if hang is None else "  ")
            marker = fitted[-1] if i == 1 and len(fitted) == 1 else ""
            if hang is not None and marker.strip() and len(marker) < hang \
                    and hang + 20 <= width:
                # the marker the text hangs under ('+', '-', 'FAIL') left alone on the line
                # before: the ARN's first part follows it at the hang column (new-user trial
                # 20: diff's '    +' on a line of its own, the ARN broken under it; round 32:
                # baseline check's 'FAIL')
                fitted.pop()
                head = marker.ljust(hang)
            fitted.extend(_break_arn(word, head, rest, width))
            continue
        fitted.append(text)
    return "\n".join(fitted) or line


def _is_arn(word: str) -> bool:
    """An ARN, alone or opening a bracket or quote (``(arn:...``)."""
    return word.lstrip("([{'\"").startswith("arn:")


def _after_separator(part: str) -> int:
    """Where an ARN's ``part`` may be broken: after its last ':' or '/' (0: it has none)."""
    return max(part.rfind(":"), part.rfind("/")) + 1


def _break_arn(arn: str, first: str, rest: str, width: int) -> list[str]:
    """``arn`` in lines of at most ``width`` columns, the first indented ``first``, the next
    ``rest``; each broken after the last ':' or '/' that fits (cut at the width where none
    does)."""
    out: list[str] = []
    indent = first
    while len(indent) + len(arn) > width:
        room = max(20, width - len(indent))
        cut = _after_separator(arn[:room]) or room
        out.append(indent + arn[:cut])
        arn, indent = arn[cut:], rest
    out.append(indent + arn)
    return out


def fit_parts(parts: Sequence[str], width: int | None) -> str:
    """``parts`` joined by "; " on one line, or, with a ``width`` (a terminal), broken between
    parts into lines of at most ``width`` characters where the parts allow it, continuation
    lines indented by two spaces. Logs and pipes (no width) keep the one line to grep. Each
    part is made one line (``one_line``) first: parts carry values from the audited accounts
    and the snapshot (an organization id, a folder name), and a control character or newline
    among them must not rewrite the terminal or forge a line (hostile-input trial round 10)."""
    parts = [one_line(p) for p in parts]
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


#: The characters no output shows as they are (one definition: the terminal, the HTML report,
#: CSV, JUnit, drift lines, the remediation plans), because they reorder or hide text --
#: "Trojan Source", CVE-2021-42574 -- or draw nothing at all, so two different names look
#: alike. Decided by Unicode properties, not picked by hand:
#: * General_Category Cf (format characters) -- Unicode 14/15 UnicodeData.txt;
#: * Bidi_Control (PropList.txt): U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069;
#: * Default_Ignorable_Code_Point (DerivedCoreProperties.txt): soft hyphen, combining grapheme
#:   joiner, Hangul fillers, Khmer inherent vowels, Mongolian variation selectors and vowel
#:   separator, zero-width space/joiners, word joiner and invisible operators, variation
#:   selectors, BOM, tag characters and the rest of U+E0000-U+E0FFF.
#: The C0/C1 controls (Cc) are added by each pattern below, some keeping tab or newline.
#: (first, last) code points; U+200D and U+FE0E/U+FE0F are not here: see EMOJI_GLUE.
INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD),
    (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200C), (0x200E, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F),
    (0x3164, 0x3164), (0xFE00, 0xFE0D), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFFB),
    (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF))


def _class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(f"\\U{a:08x}" + (f"-\\U{b:08x}" if b != a else "") for a, b in ranges)


#: the always-replaced characters as the body of a regular expression's ``[...]``
INVISIBLE = _class(INVISIBLE_RANGES)
#: characters an emoji ZWJ sequence joins (Extended_Pictographic, approximately by block:
#: Latin-1 (C) and (R), arrows, technical, geometric shapes, dingbats, miscellaneous symbols
#: and the U+1Fxxx emoji blocks, skin tones included)
_PICTOGRAPHIC = _class(((0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049),
                        (0x2122, 0x2122), (0x2139, 0x2139), (0x2190, 0x21FF), (0x2300, 0x23FF),
                        (0x24C2, 0x24C2), (0x25A0, 0x27BF), (0x2900, 0x297F), (0x2B00, 0x2BFF),
                        (0x3030, 0x3030), (0x303D, 0x303D), (0x3297, 0x3297), (0x3299, 0x3299),
                        (0x1F000, 0x1FAFF)))
#: The emoji glue: ZERO WIDTH JOINER and the text/emoji presentation selectors U+FE0E/U+FE0F
#: (Default_Ignorable too) draw one picture out of an emoji sequence ("Unicode Technical
#: Standard #51: ... an emoji zwj sequence", "emoji presentation selector"). They are kept
#: where they do that -- a joiner between two pictographs (after a selector or a skin tone
#: too), a selector after a pictograph or before the keycap U+20E3 -- and replaced anywhere
#: else (between letters a joiner only hides itself). Tag characters are always replaced,
#: so a subdivision flag (England, Scotland, Wales) shows as a black flag and U+FFFDs: the
#: tags are also how text is smuggled past a reader (ASCII smuggling).
EMOJI_GLUE = (f"\u200d(?<![{_PICTOGRAPHIC}\ufe0f]\u200d)|\u200d(?![{_PICTOGRAPHIC}])"
              f"|[\ufe0e\ufe0f](?<![{_PICTOGRAPHIC}][\ufe0e\ufe0f])(?!\u20e3)")
#: every invisible character, in context: the one pattern every output uses (with its own
#: choice of controls: ``invisible_pattern``)
INVISIBLE_RE = f"[{INVISIBLE}]|{EMOJI_GLUE}"
#: the line and paragraph separators: a line break in many terminals, so a name holding one
#: could forge a line of the terminal's text (in JSON, CSV and HTML they are plain text)
LINE_SEPARATORS = "\u2028\u2029"


def invisible_pattern(controls: str) -> re.Pattern[str]:
    """The characters to replace: ``controls`` (the body of a ``[...]``: the control
    characters this output cannot carry) and the invisible ones (INVISIBLE_RE)."""
    return re.compile(f"[{controls}{INVISIBLE}]|{EMOJI_GLUE}")  # one class: faster


#: every control character (escape sequences, carriage returns, tabs), with and without the
#: newline, the line separators and the invisible characters
_CONTROLS = invisible_pattern(f"\\x00-\\x1f\\x7f-\\x9f{LINE_SEPARATORS}")
_CONTROLS_BUT_NEWLINE = invisible_pattern(
    f"\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f{LINE_SEPARATORS}")


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
    every character is one column wide) -- an ARN after the last ':' or '/' that fits, as
    ``fit_line`` breaks one (new-user trial 19: the table's detail line ended '...:ke' and the
    next began 'y/mrk-...')."""
    words = text.split()
    long_arn = any(len(w) > width and _is_arn(w) for w in words)
    if not long_arn and (text.isascii() or all(char_width(ch) == 1 for ch in text)):
        return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=hyphens)
    lines: list[str] = []
    line = ""
    for word in words:
        arn = _is_arn(word)  # (its rest, once broken, is still the ARN's)
        while display_width(word) > width:
            if line:
                lines.append(line)
                line = ""
            head = cut_to_width(word, width)
            if arn:
                head = head[:_after_separator(head) or len(head)]
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
