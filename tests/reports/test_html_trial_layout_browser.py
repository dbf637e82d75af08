"""The HTML report in headless Chromium, as a new user reads it (new-user trial round 6): the
Pass filter when PASS results are summarised per rule, and the Network section's spoke tables
at desktop and phone widths."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import networkx as nx
import pytest

from helpers.report_cdp import Chromium, Page
from helpers.report_sample import KEY, sample_access, sample_document, sample_graph
from reports.html import write_html
from scanner.graph.schema import NodeKind

pytestmark = pytest.mark.browser

ROWS = "document.querySelectorAll('#sg-rows tr.sg-row').length"
VISIBLE = "(s => { const e = document.querySelector(s); return !!e && e.offsetParent !== null; })"


def summarised_document() -> dict[str, Any]:
    """The sample findings with their PASS results counted per rule (scan without
    --emit-pass): 40 resources passed one rule (listed), 250 another (too many to list), and a
    third rule had nothing that passed."""
    doc = sample_document()
    doc["findings"] = [f for f in doc["findings"] if f["status"] != "PASS"]
    doc["passed"] = {"itemised": False, "resources_max": 100, "by_rule": [
        {"rule_id": "kms-key-rotation-disabled", "title": "KMS key rotation disabled",
         "severity": "LOW", "count": 1, "resources": [KEY]},
        {"rule_id": "secret-rotation-disabled", "title": "Rotation is disabled",
         "severity": "MEDIUM", "count": 250},
        {"rule_id": "secret-policy-public", "title": "Secret policy is public",
         "severity": "CRITICAL", "count": 0, "resources": []},
    ]}
    return doc


@pytest.fixture()
def open_page(chromium: Chromium) -> Iterator[Any]:
    pages: list[Page] = []

    def opener(path: Path, width: int = 1280, mobile: bool = False) -> Page:
        p = chromium.page()
        pages.append(p)
        p.set_viewport(width, 1000, mobile=mobile)
        p.navigate(path.as_uri())
        return p

    try:
        yield opener
    finally:
        for p in pages:
            p.close()


def _only_pass(page: Page) -> None:
    for status in ("FAIL", "UNKNOWN"):
        page.click(f".st-chip[data-status={status}]")
    page.click(".st-chip[data-status=PASS]")


def test_the_pass_filter_shows_the_per_rule_pass_summary_when_pass_is_not_itemised(
        open_page: Any, tmp_path: Path) -> None:
    """New-user trial round 6: with PASS results summarised (the default), pressing Pass said
    "No finding matches these filters." and "Showing 0 of 0 matching" while the summary counted
    608 PASS -- an empty table that reads as "nothing passed". The Pass filter shows each
    rule's PASS count and its resources where the document lists them, and says that
    --emit-pass (emit_pass: true) itemises them."""
    path = write_html(summarised_document(), tmp_path / "report.html", graph=sample_graph())
    page = open_page(path)
    assert page.evaluate(f"{VISIBLE}('#sg-passed')") is False  # FAIL and UNKNOWN by default
    _only_pass(page)
    assert page.evaluate(f"{VISIBLE}('#sg-passed')") is True
    assert page.evaluate(f"{VISIBLE}('#sg-empty')") is False
    assert page.evaluate(f"{VISIBLE}('#sg-table')") is False  # no empty findings table
    text = page.evaluate("document.getElementById('sg-passed').innerText")
    assert "--emit-pass" in text and "emit_pass: true" in text
    rows = page.evaluate("Array.from(document.querySelectorAll('#sg-passed tr.pass-row'))"
                         ".filter(r => r.offsetParent !== null).map(r => r.innerText)")
    assert len(rows) == 2  # the rule with nothing that passed is not a row
    assert any("secret-rotation-disabled" in r and "250" in r for r in rows)
    assert any("kms-key-rotation-disabled" in r and "1" in r for r in rows)
    assert "more than 100" in text  # 250: counted, not listed
    page.evaluate("document.querySelector('#sg-passed tr.pass-row details').open = true")
    assert KEY in page.evaluate("document.getElementById('sg-passed').innerText")
    count = page.evaluate("document.getElementById('sg-count').textContent")
    assert "251 PASS" in count and "0 of 0" not in count
    # the rule filter narrows the summary as it narrows the table
    page.evaluate("(() => { const s = document.getElementById('sg-rule');"
                  " s.value = 'secret-rotation-disabled'; s.dispatchEvent(new Event('change')); })()")
    assert page.evaluate("Array.from(document.querySelectorAll('#sg-passed tr.pass-row'))"
                         ".filter(r => r.offsetParent !== null).length") == 1
    assert page.problems() == []


def test_with_pass_itemised_the_pass_filter_lists_rows_and_no_summary(
        open_page: Any, tmp_path: Path) -> None:
    """New-user trial round 6: --emit-pass itemises PASS results; the Pass filter lists them
    in the table as before and shows no per-rule summary."""
    doc = sample_document()
    path = write_html(doc, tmp_path / "report.html", graph=sample_graph())
    page = open_page(path)
    _only_pass(page)
    assert page.evaluate(ROWS) == 1
    assert page.evaluate("document.getElementById('sg-passed')") is None
    assert page.problems() == []


LONG_NAMES = {"vpc-a": "demo-misconfig-route-missing-payments",
              "vpc-b": "demo-misconfig-route-blackhole-ledger",
              "vpc-c": "demo-misconfig-peering-pending-sandbox"}


def long_named_graph() -> nx.MultiDiGraph:
    """The sample estate with spoke VPC names as long as the demo's."""
    g = sample_graph()
    for _, attrs in g.nodes(data=True):
        if attrs.get("kind") == NodeKind.VPC and attrs.get("vpc_id") in LONG_NAMES:
            attrs["tags"] = {"Name": LONG_NAMES[attrs["vpc_id"]]}
    return g


SPOKE_TABLES = """(() => Array.from(document.querySelectorAll('#network .sg-group')).map(g => {
    g.open = true;
    const box = g.querySelector('div.scroll');
    const r = box.getBoundingClientRect();
    return {scroll: box.scrollWidth, client: box.clientWidth,
            overflow: getComputedStyle(box).overflowX,
            cut: Array.from(box.querySelectorAll('th, td')).filter(c => c.offsetParent !== null
                && c.getBoundingClientRect().right > r.right + 1).map(c => c.textContent.trim())};
}))()"""


@pytest.mark.parametrize("width", [1280, 1920])
def test_spoke_tables_fit_their_card_at_desktop_widths(open_page: Any, tmp_path: Path,
                                                       width: int) -> None:
    """New-user trial round 6: at 1280 and 1920 px the spoke tables were wider than their card
    (scrollWidth 1010-1053 in 932): "Hub route" and "Spoke route", the columns that say why a
    peering is broken, were outside the visible box and "blackhole" read "bla..."."""
    path = write_html(sample_document(), tmp_path / "report.html", graph=long_named_graph(),
                      access=sample_access())
    page = open_page(path, width)
    tables = page.evaluate(SPOKE_TABLES)
    assert len(tables) >= 2
    for t in tables:
        assert t["scroll"] <= t["client"] + 1, t
        assert t["cut"] == [], t
    routes = page.evaluate("Array.from(document.querySelectorAll('#network .route'))"
                           ".map(e => e.textContent.trim())")
    assert "blackhole" in routes and "missing" in routes
    assert page.problems() == []


def test_spoke_tables_stack_or_scroll_visibly_on_a_phone(open_page: Any, tmp_path: Path) -> None:
    """New-user trial round 6: at 390 px a spoke row's route states stay readable -- nothing is
    clipped: either the row fits its card or its box scrolls, and the page itself is no wider
    than the phone."""
    path = write_html(sample_document(), tmp_path / "report.html", graph=long_named_graph(),
                      access=sample_access())
    page = open_page(path, 390, mobile=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    for t in page.evaluate(SPOKE_TABLES):
        assert t["overflow"] in ("auto", "scroll"), t
        assert t["cut"] == [] or t["scroll"] > t["client"], t
    labels = page.evaluate("Array.from(document.querySelectorAll('#network .sg-group td'))"
                           ".filter(td => td.offsetParent !== null)"
                           ".map(td => getComputedStyle(td, '::before').content)")
    assert any("Hub route" in label for label in labels)  # stacked cells name their column
    assert page.problems() == []


def test_a_capped_findings_table_counts_against_the_scan_not_only_the_page(
        open_page: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """New-user trial round 17: a report of 34,398 findings, its table capped at 20,000 rows
    (HTML_ROWS_MAX), said "Showing 200 of 20000 matching (20000 total)" under a summary of
    34,397 FAIL and 1 UNKNOWN: the page's rows called the total. A capped table's count says
    how many of the scan's findings the page holds and where the rest are; an uncapped one
    keeps "(N total)"."""
    import copy

    from reports import html

    doc = sample_document()
    base = [f for f in doc["findings"] if f["status"] == "FAIL"][0]
    for i in range(120):
        f = copy.deepcopy(base)
        f["id"], f["rule_id"] = f"sgf-big-{i:04d}", "big-rule"
        f["resource"]["arn"] = f"{f['resource']['arn']}-{i:04d}"
        doc["findings"].append(f)
    total = len(doc["findings"])
    monkeypatch.setattr(html, "HTML_ROWS_MAX", 60)
    page = open_page(write_html(doc, tmp_path / "capped.html"))
    count = page.evaluate("document.getElementById('sg-count').textContent")
    held = page.evaluate("JSON.parse(document.getElementById('sg-data').textContent)"
                         ".findings.length")
    assert held <= 60
    assert f"({held} of the {total} findings in this page; every one in findings.json)" in count
    assert "total)" not in count
    monkeypatch.setattr(html, "HTML_ROWS_MAX", 20_000)
    page = open_page(write_html(doc, tmp_path / "whole.html"))
    assert page.evaluate("document.getElementById('sg-count').textContent").endswith(
        f"({total} total)")
    assert page.problems() == []
