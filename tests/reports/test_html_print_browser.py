"""report.html on paper and on a desktop screen, in headless Chromium (new-user trial round 31):
printed to PDF, the findings table ran past the page's right edge (Account and Region were not
on the page, a scroll box on screen is clipped on paper) and each message was cut at three
lines; at 1280 px the By account table's Muted column was behind a scroll bar."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers.report_cdp import Chromium, Page
from helpers.report_sample import CENTRAL, ROLE_B, SECRET_A, sample_document, sample_graph
from reports.html import write_html

pytestmark = pytest.mark.browser

#: Letter paper less Chromium's default margins, in CSS pixels (--print-to-pdf's page)
PAPER_WIDTH = 740

#: each element wider than the box that holds it (a scroll box, a section, a preformatted
#: block): what a printed page would cut at its edge
CUT = """[...document.querySelectorAll('.scroll, section, pre')]
  .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map(e => (e.id || e.parentElement.id || e.parentElement.className) + ' ' + e.scrollWidth
            + ' > ' + e.clientWidth)"""


def _long_message_document() -> dict[str, Any]:
    """The sample findings, one with a message of many lines naming ARNs (as the demo's
    overbroad-actions finding lists every action granted)."""
    doc = sample_document()
    for finding in doc["findings"]:
        if finding["resource"]["arn"] == SECRET_A and finding["status"] == "FAIL":
            finding["message"] = (f"statement 0 (AllowRead) grants {ROLE_B}: " + ", ".join(
                f"secretsmanager:Action{n}" for n in range(40)) + f" in account {CENTRAL}")
    return doc


@pytest.fixture()
def report_page(chromium: Chromium, tmp_path: Path) -> Iterator[Any]:
    pages: list[Page] = []

    def opener(width: int, *, media: str = "screen") -> Page:
        path = write_html(_long_message_document(), tmp_path / "report.html",
                          graph=sample_graph())
        page = chromium.page()
        pages.append(page)
        page.set_viewport(width, 1000)
        page.navigate(path.as_uri())
        page.send("Emulation.setEmulatedMedia", media=media)
        return page

    try:
        yield opener
    finally:
        for page in pages:
            page.close()


def test_printed_nothing_is_wider_than_the_page(report_page: Any) -> None:
    page = report_page(PAPER_WIDTH, media="print")
    assert page.evaluate(CUT) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PAPER_WIDTH
    # every cell of the findings table is on the page: Account and Region included
    right = page.evaluate("document.getElementById('findings').getBoundingClientRect().right")
    cells = page.evaluate("[...document.querySelectorAll('#sg-rows td')].filter(td => "
                          "td.offsetParent !== null).map(td => td.getBoundingClientRect().right)")
    assert cells and max(cells) <= right + 1


def test_printed_every_message_is_whole_and_no_button_is_printed(report_page: Any) -> None:
    page = report_page(PAPER_WIDTH, media="print")
    cut_short = page.evaluate("[...document.querySelectorAll('#sg-rows td.res .sub')]"
                              ".filter(e => e.scrollHeight > e.clientHeight + 1).length")
    assert cut_short == 0
    text = page.evaluate("document.getElementById('sg-rows').innerText")
    assert "secretsmanager:Action39 in account" in text
    assert page.evaluate("[...document.querySelectorAll('#sg-rows .toggle')]"
                         ".filter(b => b.offsetParent !== null).length") == 0


def test_on_screen_the_message_is_still_cut_at_three_lines(report_page: Any) -> None:
    """The table stays compact on screen (Details shows the whole finding)."""
    page = report_page(1280)
    assert page.evaluate("[...document.querySelectorAll('#sg-rows td.res .sub')]"
                         ".filter(e => e.scrollHeight > e.clientHeight + 1).length") >= 1


@pytest.mark.parametrize("width", [1280, 1101, 1000])
def test_at_desktop_widths_by_account_shows_every_column(report_page: Any, width: int) -> None:
    page = report_page(width)
    box = page.evaluate("(() => { const s = document.querySelector('.grid2 .panel .scroll');"
                        " return [s.scrollWidth, s.clientWidth]; })()")
    assert box[0] <= box[1], f"By account is {box[0]} px wide in a {box[1]} px panel"
    muted = page.evaluate("(() => { const th = [...document.querySelectorAll('.grid2 .panel "
                          "th')].find(t => t.textContent === 'Muted'); const r = "
                          "th.getBoundingClientRect(); const p = th.closest('.panel')"
                          ".getBoundingClientRect(); return r.right <= p.right + 1; })()")
    assert muted is True


def test_printed_every_matching_finding_is_on_paper_not_the_first_200(
        chromium: Chromium, tmp_path: Path) -> None:
    """New-user trial round 35: a scan with 682 findings printed (to PDF) 200 of them -- the
    screen's first page of rows, its "Show 200 more" button left out of print -- under
    "Showing 200 of 682 matching". Printing now lays out every row the filters match, and the
    screen keeps its page of 200 afterwards."""
    import base64

    from helpers.bench_synth import synth_snapshot
    from scanner.cli import main
    from scanner.snapshot_io import write_snapshot

    snap = write_snapshot(tmp_path / "snap.json.gz", synth_snapshot(4, 30, 2))
    assert main(["scan", "--snapshot", str(snap), "--out", str(tmp_path / "out"), "--format",
                 "json,html", "--fail-on", "NONE", "-q"]) == 0
    total = len([f for f in json.loads((tmp_path / "out" / "findings.json").read_text(
        encoding="utf-8"))["findings"] if f["status"] != "PASS"])
    assert total > 200
    page = chromium.page()
    try:
        page.set_viewport(1280, 1000)
        page.navigate((tmp_path / "out" / "report.html").as_uri())
        rows = "document.querySelectorAll('#sg-rows tr.sg-row').length"
        assert page.evaluate(rows) == 200
        # what the page holds while it is printed (a listener added after the report's own)
        page.evaluate("window.addEventListener('beforeprint', () => { window.__printed = ["
                      + rows + ", document.getElementById('sg-count').textContent]; })")
        pdf = base64.b64decode(page.send("Page.printToPDF")["data"])
        assert pdf.startswith(b"%PDF")
        printed, count = page.evaluate("window.__printed")
        assert printed == total
        assert count.startswith(f"Showing {total} of {total} matching")
        page.wait_until(rows + " === 200")  # after printing: the screen's page again
        assert page.evaluate(rows) == 200
        # a narrowed table prints what it shows: the filters are kept
        page.type_text("#sg-search", "account-0")
        matching = page.wait_until("(() => { const m = document.getElementById('sg-count')"
                                   ".textContent.match(/of (\\d+) matching/); return m && "
                                   "+m[1] < " + str(total) + " ? +m[1] : 0; })()")
        assert matching
        page.send("Page.printToPDF")
        assert page.evaluate("window.__printed")[0] == min(matching, total)
        assert page.problems() == []
    finally:
        page.close()
