"""The HTML report in a real browser: headless Debian Chromium driven over CDP.

One Chromium for the whole module. Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from helpers.report_cdp import Chromium, Page
from helpers.report_sample import SCRIPT, sample_access, sample_document, sample_drift, \
    sample_graph
from reports.html import write_html

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ROWS = "document.querySelectorAll('#sg-rows tr.sg-row').length"


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    return write_html(sample_document(), path, graph=sample_graph(), drift=sample_drift(),
                      access=sample_access())


@pytest.fixture()
def page(chromium: Chromium, report_file: Path) -> Iterator[Page]:
    p = chromium.page()
    p.set_viewport(1366, 900)
    p.navigate(report_file.as_uri())
    try:
        yield p
    finally:
        p.close()


def test_loads_without_console_errors_and_the_canary_never_runs(page: Page) -> None:
    assert page.evaluate(ROWS) == 7  # FAIL + UNKNOWN by default
    # open every finding so hostile evidence, messages and remediation are rendered too
    for _ in range(7):
        page.evaluate("document.querySelector('#sg-rows tr.sg-row button[aria-expanded=false]')"
                      ".click()")
    assert page.evaluate("document.querySelectorAll('#sg-rows tr.detail').length") == 7
    page.click(".st-chip[data-status=MUTED]")
    page.click(".st-chip[data-status=PASS]")
    assert page.evaluate(ROWS) == 9
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert SCRIPT in page.evaluate("document.getElementById('sg-rows').textContent")
    assert page.problems() == []


def test_typing_in_the_search_box_filters_the_rows(page: Page) -> None:
    page.type_text("#sg-search", "rotation")
    assert page.wait_until(f"{ROWS} === 1")
    assert "secret-rotation-disabled" in page.evaluate("document.getElementById('sg-rows').textContent")
    assert page.evaluate("document.getElementById('sg-count').textContent").startswith("Showing 1 of 1")
    page.type_text("#sg-search", " nothing-matches-this")
    assert page.wait_until(f"{ROWS} === 0")
    assert page.evaluate("document.getElementById('sg-empty').hidden") is False
    assert page.problems() == []


def test_clicking_filters_and_sort_changes_the_rows(page: Page) -> None:
    page.click(".sev-chip[data-severity=HIGH]")  # hide HIGH
    assert page.evaluate(ROWS) == 5
    page.click(".sev-chip[data-severity=HIGH]")
    page.evaluate("(() => { const s = document.getElementById('sg-account');"
                  " s.value = '444444444444'; s.dispatchEvent(new Event('change')); })()")
    assert page.evaluate(ROWS) == 2
    page.click("#sg-reset")
    assert page.evaluate(ROWS) == 7
    first = "document.querySelector('#sg-rows tr.sg-row .sev').textContent"
    assert page.evaluate(first) == "CRITICAL"
    page.click("button.sort[data-sort=s]")  # severity descending
    assert page.evaluate(first) == "INFORMATIONAL"
    assert page.problems() == []


def test_screenshots_at_desktop_and_phone_widths(page: Page) -> None:
    desktop = page.screenshot(ARTIFACTS / "report-desktop.png", full_page=True)
    page.set_viewport(390, 844, mobile=True)
    page.navigate(page.evaluate("location.href"))
    # nothing but the scrollable tables may be wider than a phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone = page.screenshot(ARTIFACTS / "report-phone.png", full_page=True)
    for shot in (desktop, phone):
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    assert page.problems() == []


BIDI = "pay\u202etxt.exe\u2066iso\u2069\x9b2J\x85\x1b[31m\u200bz"
SMUGGLERS = ("\u202e", "\u2066", "\u2069", "\x9b", "\x85", "\x1b", "\u200b")


def test_the_rows_the_script_builds_show_no_bidi_or_control_character(
        chromium: Chromium, tmp_path: Path) -> None:
    """Hostile-input trial: the findings table, built in the browser from the sg-data block,
    kept a raw U+202E (reversing the name after it: `txt.exe` shown as `exe.txt`) and C1
    controls, where the server-rendered parts of the page show U+FFFD."""
    document = sample_document()
    for f in document["findings"]:
        f["resource"]["arn"] += BIDI
        f["resource"]["account_name"] = "acct" + BIDI
        f["message"] = "message " + BIDI
        f["evidence"] = {**(f.get("evidence") or {}), "resource_tags": {"Name" + BIDI: BIDI}}
    path = write_html(document, tmp_path / "report.html")
    p = chromium.page()
    try:
        p.set_viewport(1366, 900)
        p.navigate(path.as_uri())
        shown = p.evaluate(ROWS)
        assert shown > 0
        for _ in range(shown):  # every finding opened: its message, evidence and tags too
            p.evaluate("document.querySelector('#sg-rows tr.sg-row button[aria-expanded=false]')"
                       ".click()")
        text = p.evaluate("document.getElementById('sg-rows').textContent")
        assert "pay\ufffdtxt.exe\ufffdiso\ufffd\ufffd2J\ufffd\ufffd[31m\ufffdz" in text
        assert not [c for c in SMUGGLERS if c in text]
        assert p.problems() == []
    finally:
        p.close()


def test_a_finding_opened_from_the_keyboard_keeps_the_focus_on_its_button(page: Page) -> None:
    """New-user trial round 30, keyboard only: Enter on a row's Details button opened the
    finding, and the focus fell to the page's body (the rows are built anew): a second Enter
    did nothing, and a screen reader was left at the top of the page. The focus stays on the
    row's button, now Hide, and Enter closes the finding again."""
    active = "document.activeElement.closest('tr.sg-row') ? " \
             "document.activeElement.closest('tr.sg-row').getAttribute('data-id') + ' ' + " \
             "document.activeElement.textContent : document.activeElement.tagName"
    page.evaluate("document.querySelectorAll('#sg-rows tr.sg-row button.toggle')[1].focus()")
    row = page.evaluate("document.querySelectorAll('#sg-rows tr.sg-row')[1]"
                        ".getAttribute('data-id')")
    assert page.evaluate(active) == f"{row} Details"
    page.press("Enter")
    assert page.evaluate("document.querySelectorAll('#sg-rows tr.detail').length") == 1
    assert page.evaluate(active) == f"{row} Hide"
    page.press("Enter")
    assert page.evaluate("document.querySelectorAll('#sg-rows tr.detail').length") == 0
    assert page.evaluate(active) == f"{row} Details"
    assert page.problems() == []
