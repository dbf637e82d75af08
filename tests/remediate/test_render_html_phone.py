"""remediation-plan.html on a phone (new-user trial round 29: opened at 375 px, the plan was laid
out 980 px wide and shrunk to a third -- its page set no viewport -- and its Not planned table
ran off the side of the page). The page is laid out at the phone's width; a change's block and
the Not planned table scroll sideways in their own box, the page does not."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from helpers.remediate_records import finding, snapshot
from helpers.report_cdp import Chromium
from scanner.changes import RemediationConfig
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.render import render_plan_html

pytestmark = pytest.mark.browser

PHONE = 375


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    browser = Chromium()
    try:
        yield browser
    finally:
        browser.close()


def test_the_plan_is_laid_out_at_the_phone_s_width_and_only_its_boxes_scroll(
        chromium: Chromium, tmp_path: Path) -> None:
    plan = build_plan([finding("secret-uses-aws-managed-key", "move-secret-to-cmk"),
                       finding("secret-rotation-disabled", "enable-secret-rotation")],
                      snapshot(kms_key_id=None), RemediationConfig(), Selection())
    assert plan.changes and plan.skipped, "a change and a finding not planned"
    page_file = tmp_path / "remediation-plan.html"
    page_file.write_text(render_plan_html(plan), encoding="utf-8")

    page = chromium.page()
    try:
        page.set_viewport(PHONE, 800, mobile=True)
        page.navigate(page_file.as_uri())
        assert page.evaluate("window.innerWidth") == PHONE
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
        # what is wider than the phone scrolls in its own box
        assert page.evaluate("""[...document.querySelectorAll('pre, table')].every(e =>
            e.getBoundingClientRect().right <= innerWidth + 1
            || [e, e.parentElement].some(b => getComputedStyle(b).overflowX === 'auto'))""")
        assert page.problems() == []
    finally:
        page.close()


def test_printed_every_line_of_the_plan_is_on_the_paper(
        chromium: Chromium, tmp_path: Path) -> None:
    """New-user trial round 31: printed to PDF for a change review, each change's block was cut
    at the paper's right edge -- a scroll box is clipped on paper -- so the API call's
    parameters and the ARNs of what it resolves ended mid-word ('"RouteT', 'vpc-peering-
    connection/pcx-c67d8fc5794bf'). On paper a block's long lines wrap and nothing scrolls."""
    plan = build_plan([finding("secret-uses-aws-managed-key", "move-secret-to-cmk"),
                       finding("secret-rotation-disabled", "enable-secret-rotation")],
                      snapshot(kms_key_id=None), RemediationConfig(), Selection())
    page_file = tmp_path / "remediation-plan.html"
    page_file.write_text(render_plan_html(plan), encoding="utf-8")

    page = chromium.page()
    try:
        page.set_viewport(500, 800)  # a narrow sheet: the plan's 100-column lines do not fit
        page.navigate(page_file.as_uri())
        page.send("Emulation.setEmulatedMedia", media="print")
        cut = page.evaluate("""[...document.querySelectorAll('pre, .scroll, table')]
            .filter(e => e.scrollWidth > e.clientWidth + 1
                         || e.getBoundingClientRect().right > innerWidth + 1)
            .map(e => e.tagName + ' ' + e.scrollWidth + ' > ' + e.clientWidth)""")
        assert cut == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 500
        page.send("Emulation.setEmulatedMedia", media="screen")  # on screen: a scroll box
        assert page.evaluate("getComputedStyle(document.querySelector('pre')).whiteSpace") \
            == "pre"
    finally:
        page.close()
