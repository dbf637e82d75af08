"""One definition of the characters no output shows as they are (scanner.textfit): every
control (Cc) and format (Cf) character, every Bidi_Control and Default_Ignorable_Code_Point
character is replaced with U+FFFD in the terminal, the HTML report, CSV, drift lines and the
remediation plans -- except the joiner and variation selectors inside an emoji sequence, which
draw one picture (docs/reports.md, "Hostile input")."""

from __future__ import annotations

import unicodedata

import pytest
from helpers.report_sample import sample_access, sample_document, sample_graph

from reports._common import strip_controls
from reports.html import render_html
from scanner.history.drift import clean_line
from scanner.remediate.render import html_text, markdown_text
from scanner.textfit import one_line, terminal_safe

#: Unicode 15.1 PropList.txt, Bidi_Control
BIDI_CONTROL = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
#: Unicode 15.1 DerivedCoreProperties.txt, Default_Ignorable_Code_Point
DEFAULT_IGNORABLE = (
    0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, *range(0x180B, 0x1810),
    *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070), 0x3164,
    *range(0xFE00, 0xFE10), 0xFEFF, 0xFFA0, *range(0xFFF0, 0xFFF9), *range(0x1BCA0, 0x1BCA4),
    *range(0x1D173, 0x1D17B), *range(0xE0000, 0xE1000))
#: the joiner and the emoji/text presentation selectors: kept inside an emoji sequence only
EMOJI_GLUE = (0x200D, 0xFE0E, 0xFE0F)


def _hidden() -> list[str]:
    """Every character the outputs replace (between two letters, outside any emoji)."""
    cf = [c for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    return [chr(c) for c in sorted({*BIDI_CONTROL, *DEFAULT_IGNORABLE, *cf})]


CLEANERS = {
    "terminal": terminal_safe,
    "one line": one_line,
    "html/csv/junit (strip_controls)": strip_controls,
    "plan markdown": markdown_text,
    "plan html": html_text,
}


@pytest.mark.parametrize("name", sorted(CLEANERS))
def test_every_bidi_control_and_default_ignorable_character_is_replaced(name: str) -> None:
    """Hostile-input trial round 8: U+061C ARABIC LETTER MARK (a Bidi_Control character)
    made `app<U+061C>-1-2-3-QmpSlF` render as `app3-2-1--QmpSlF` in the HTML report, and
    U+200C/U+200D, U+180E, U+00AD, U+3164 and the tag characters U+E0000-U+E007F were kept:
    the list was hand-picked, not the Unicode properties."""
    clean = CLEANERS[name]
    kept = [f"U+{ord(ch):04X}" for ch in _hidden() if ch in clean(f"a{ch}b")]
    assert kept == [], kept
    assert clean("app\u061c-1-2-3-QmpSlF") == "app\ufffd-1-2-3-QmpSlF"


def test_drift_lines_show_every_hidden_character_as_its_escape() -> None:
    kept = [f"U+{ord(ch):04X}" for ch in _hidden() if ch in clean_line(f"a{ch}b")]
    assert kept == []
    assert clean_line("app\u061c-1") == "app\\u061c-1"
    assert clean_line("a\U000E0041b") == "a\\U000e0041b"


EMOJI = ("\U0001F468\u200d\U0001F469\u200d\U0001F467",  # family: joiners
         "\u2764\ufe0f\u200d\U0001F525",  # heart on fire: selector, then joiner
         "\U0001F469\U0001F3FD\u200d\U0001F4BB",  # technologist, skin tone, joiner
         "1\ufe0f\u20e3", "\u2764\ufe0f", "\u2603\ufe0e")  # keycap, emoji / text selectors


@pytest.mark.parametrize("name", sorted(CLEANERS))
def test_emoji_sequences_keep_their_joiners_and_selectors(name: str) -> None:
    """The report showed emoji sequences whole before round 8; they still are. A joiner or a
    selector anywhere else (between letters, at either end) is replaced."""
    clean = CLEANERS[name]
    for emoji in EMOJI:
        assert clean(f"db-{emoji}-1") == f"db-{emoji}-1", emoji
    for lone in ("a\u200db", "\u200d\U0001F525", "\U0001F525\u200d", "a\ufe0f", "\ufe0fx"):
        assert "\u200d" not in clean(lone) and "\ufe0f" not in clean(lone), lone


def test_the_html_report_shows_an_arabic_letter_mark_as_u_fffd() -> None:
    """Hostile-input trial round 8 (hostile_snapshot.py): the secret `app<U+061C>-1-2-3-QmpSlF`
    read `app3-2-1--QmpSlF` in the report's table and cards."""
    doc = sample_document()
    doc["findings"][0]["message"] = "app\u061c-1-2-3-QmpSlF \u200c\u3164\U000E0041"
    html = render_html(doc, graph=sample_graph(), access=sample_access())
    assert not any(ch in html for ch in "\u061c\u200c\u3164\U000E0041")
    assert "app\ufffd-1-2-3-QmpSlF" in html
