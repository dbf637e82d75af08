"""report.html in a phone-sized window sorts its finding cards (new-user trial round 35): at
640 px or less the table's column headings -- its only sort controls -- are hidden and each
finding is a card, so 682 findings on a phone stayed in severity order, with no way to put
them in account, rule or resource order."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from helpers.report_cdp import Chromium, Page

pytestmark = pytest.mark.browser

#: the cards' (or rows') resource names, in the order shown
RESOURCES = ("[...document.querySelectorAll('#sg-rows tr.sg-row')]"
             ".map(r => r.querySelector('td.res .mono, td.res').firstChild.textContent)")
SELECT_SHOWN = "document.getElementById('sg-sort').offsetParent !== null"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of a synthetic organization's scan: more findings than one page of 200."""
    from helpers.bench_synth import synth_snapshot
    from scanner.cli import main
    from scanner.snapshot_io import write_snapshot

    tmp = tmp_path_factory.mktemp("phone-sort")
    snap = write_snapshot(tmp / "snap.json.gz", synth_snapshot(4, 30, 2))
    assert main(["scan", "--snapshot", str(snap), "--out", str(tmp / "out"), "--format",
                 "html", "--fail-on", "NONE", "-q"]) == 0
    return tmp / "out" / "report.html"


def _type(page: Page, text: str) -> None:
    for char in text:  # type-ahead on the focused select, as a keyboard does it
        page.send("Input.dispatchKeyEvent", type="keyDown", text=char, key=char,
                  unmodifiedText=char)
        page.send("Input.dispatchKeyEvent", type="keyUp", key=char)


def test_a_phone_sorts_the_cards_with_the_keyboard(chromium: Chromium, report: Path) -> None:
    page = chromium.page()
    try:
        page.set_viewport(390, 800, mobile=True)
        page.navigate(report.as_uri())
        assert page.evaluate("getComputedStyle(document.querySelector('table.findings thead'))"
                             ".display") == "none"  # the headings' buttons are not there
        assert page.evaluate(SELECT_SHOWN) is True
        before = page.evaluate(RESOURCES)
        assert before != sorted(before)  # severity order is not resource order
        page.evaluate("document.getElementById('sg-sort').focus()")
        _type(page, "Res")
        deadline = time.monotonic() + 5
        while page.evaluate("document.getElementById('sg-sort').value") != "sn":
            assert time.monotonic() < deadline, "typing 'Res' did not choose Resource"
            time.sleep(0.05)
        after = page.wait_until(f"(() => {{ const r = {RESOURCES}; return r.every((x, i) => "
                                "i === 0 || r[i - 1] <= x) ? r : null; })()")
        assert after and len(after) == len(before)
        # Reset puts the default order (and the select) back
        page.click("#sg-reset")
        assert page.evaluate("document.getElementById('sg-sort').value") == "s"
        assert page.evaluate(RESOURCES) == before
        assert page.problems() == []
    finally:
        page.close()


def test_a_wide_window_sorts_by_the_headings_and_shows_no_select(
        chromium: Chromium, report: Path) -> None:
    page = chromium.page()
    try:
        page.set_viewport(1280, 900)
        page.navigate(report.as_uri())
        assert page.evaluate(SELECT_SHOWN) is False
        page.click("button.sort[data-sort='a']")  # the Account heading
        # the narrower window (a phone turned, a window made smaller) shows the same order
        assert page.evaluate("document.getElementById('sg-sort').value") == "a"
        assert page.problems() == []
    finally:
        page.close()
