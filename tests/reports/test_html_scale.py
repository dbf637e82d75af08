"""The HTML report at organization scale in headless Chromium: 5 and 200 accounts built by the
real pipeline from bench/synth.py's organization. No horizontal overflow beyond the viewport,
no overlapping labels (element bounding boxes), every verdict readable without hovering, the
access filters and the rotation-path picker work. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from helpers.bench_synth import synth_snapshot
from helpers.report_cdp import Chromium, Page
from reports.html import write_html

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"


def _report(tmp: Path, accounts: int) -> Path:
    from scanner.engine import load_config, load_ruleset
    from scanner.pipeline import Inputs, analyze

    snap = synth_snapshot(accounts, 2, 2)
    analysis = analyze(snap, Inputs(ruleset=load_ruleset(), config=load_config(None)))
    return write_html(analysis.document, tmp / f"report-{accounts}.html", graph=analysis.graph,
                      access=analysis.access)


@pytest.fixture(scope="module", params=[5, 200], ids=lambda n: f"{n}-accounts")
def scale_report(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    return request.param, _report(tmp_path_factory.mktemp("scale"), request.param)


@pytest.fixture()
def page(chromium: Chromium, scale_report: tuple[int, Path]) -> Iterator[Page]:
    p = chromium.page()
    p.set_viewport(1366, 900)
    p.navigate(scale_report[1].as_uri())
    try:
        yield p
    finally:
        p.close()


#: containers whose children are labels side by side: none may overlap another
OVERLAP_JS = """(() => {
  const groups = ['.ag-head', 'details.ag[open] > summary.ag-row', 'summary.ag-row', '.ag-v',
                  '.legend', '.badges', '.sg-group > summary', 'details.fw > summary',
                  '.cards', '.chips', 'nav', '.hub-h', 'ol.path:not([hidden]) > li'];
  const bad = [];
  const seen = new Set();
  for (const sel of groups) {
    for (const box of document.querySelectorAll(sel)) {
      if (seen.has(box)) continue;
      seen.add(box);
      const kids = Array.from(box.children).filter(k => {
        const r = k.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
      for (let i = 0; i < kids.length; i++) {
        const a = kids[i].getBoundingClientRect();
        for (let j = i + 1; j < kids.length; j++) {
          const b = kids[j].getBoundingClientRect();
          const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
          const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
          if (w > 1 && h > 1) bad.push(sel + ': ' + kids[i].textContent.slice(0, 40) + ' / ' +
                                       kids[j].textContent.slice(0, 40));
        }
      }
      if (bad.length > 20) return bad;
    }
  }
  return bad;
})()"""

#: every verdict on screen says what it is in words (no hover, no colour alone)
VERDICTS_JS = """(() => {
  const words = /(broken|allowed|conditional|ok|pending|unknown|not read|fail|pass|no resources|\\d+)/i;
  const bad = [];
  let shown = 0;
  for (const v of document.querySelectorAll('.verdict')) {
    const r = v.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    shown += 1;
    const sym = v.querySelector('.sym');
    const text = v.textContent.replace(sym ? sym.textContent : '', '').trim();
    if (!sym || !sym.textContent.trim() || !words.test(text)) bad.push(v.outerHTML.slice(0, 80));
    if (v.closest('[title]') === v) bad.push('verdict only in a title: ' + v.outerHTML.slice(0, 60));
  }
  return {shown: shown, bad: bad};
})()"""


def _open_everything(page: Page) -> None:
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")


def test_no_overflow_no_overlap_and_readable_verdicts(page: Page,
                                                      scale_report: tuple[int, Path]) -> None:
    accounts, _ = scale_report
    groups = page.evaluate("document.querySelectorAll('#sg-access details.ag').length")
    assert groups >= min(accounts, 5)
    _open_everything(page)
    for width, height, mobile in ((1366, 900, False), (390, 844, True)):
        page.set_viewport(width, height, mobile=mobile)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), \
            f"horizontal overflow at {width}px"
        assert page.evaluate(OVERLAP_JS) == [], f"overlapping labels at {width}px"
        verdicts = page.evaluate(VERDICTS_JS)
        assert verdicts["bad"] == [] and verdicts["shown"] > 0
    # the closed view too: each reader row shows its verdict counts in words
    page.set_viewport(1366, 900)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")
    rows = page.evaluate("Array.from(document.querySelectorAll('summary.ag-row .ag-v'))"
                         ".map(v => v.textContent.trim())")
    assert rows and all(any(w in r for w in ("broken", "allowed", "conditional")) for r in rows)
    assert page.evaluate(OVERLAP_JS) == []
    shot = page.screenshot(ARTIFACTS / f"report-scale-{accounts}-desktop.png", full_page=True)
    page.set_viewport(390, 844, mobile=True)
    phone = page.screenshot(ARTIFACTS / f"report-scale-{accounts}-phone.png", full_page=True)
    for s in (shot, phone):
        assert s.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.problems() == []


def test_access_filters_show_only_matching_readers(page: Page) -> None:
    flags = page.evaluate("Array.from(document.querySelectorAll('#sg-access details.ag'))"
                          ".map(d => d.getAttribute('data-flags'))")
    page.click(".af[data-filter=broken]")
    visible = page.evaluate("Array.from(document.querySelectorAll('#sg-access details.ag'))"
                            ".filter(d => !d.hidden).map(d => d.getAttribute('data-flags'))")
    assert len(visible) == sum("broken" in f.split() for f in flags)
    assert all("broken" in f.split() for f in visible)
    page.click(".af[data-filter=outside]")
    outside = page.evaluate("document.querySelectorAll('#sg-access details.ag:not([hidden])')"
                            ".length")
    assert outside == sum("outside" in f.split() for f in flags)
    assert page.evaluate("document.getElementById('sg-access-empty').hidden") == (outside > 0)
    page.click(".af[data-filter='']")
    assert page.evaluate("document.querySelectorAll('#sg-access details.ag:not([hidden])')"
                         ".length") == len(flags)
    assert page.problems() == []


def test_rotation_path_picker_traces_the_selected_secret(page: Page) -> None:
    options = page.evaluate("Array.from(document.querySelectorAll('#sg-path option'))"
                            ".map(o => [o.value, o.getAttribute('data-label')])")
    assert options
    visible = "Array.from(document.querySelectorAll('#sg-paths ol.path')).filter(o => !o.hidden)"
    assert page.evaluate(f"{visible}.length") == 1
    value, label = options[-1]
    page.evaluate("(() => { const s = document.getElementById('sg-path'); s.value = %r;"
                  " s.selectedIndex = s.options.length - 1;"
                  " s.dispatchEvent(new Event('change')); })()" % value)
    shown = page.evaluate(f"{visible}.map(o => [o.id, o.querySelector('.sg-path-secret')"
                          ".textContent])")
    assert shown == [[value, label]]
    kinds = page.evaluate(f"Array.from({visible}[0].querySelectorAll('.hk'))"
                          ".map(e => e.textContent)")
    assert kinds[:3] == ["Secret", "Rotation Lambda", "Network"]
    assert page.problems() == []
