"""The HTML drift says what changed, as the terminal does (new-user trial round 8): a changed
finding its old -> new severity, status and evidence fields; a changed resource its fields and
its policy statements as lines (``+ Sid Oops: {...}``), not ``fields []`` and a JSON dump;
everything escaped; on a phone nothing that matters is cut."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers.report_sample import IMG, SCRIPT, SECRET_A, sample_document
from reports.html import render_html, write_html
from reports.html.viewmodel import build_drift
from scanner.history.drift import (Drift, FieldChange, FindingChange, NotAssessed,
                                   PolicyChange, ResourceChange, ScanRef, render_drift_text)
from scanner.history.policy_diff import StatementChange

KEY = "arn:aws:kms:us-east-1:111111111111:key/3ab69868-acf9-47e5-a6c9-885067dc016f"
ROLE = "arn:aws:iam::222222222222:role/ApplicationRole"
OOPS = {"Sid": "Oops" + SCRIPT, "Effect": "Allow", "Principal": "*",
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}


def night_drift() -> dict[str, Any]:
    """The trial's second night: a severity lowered by config, an evidence change (SCPs
    enabled), a secret whose rotation was switched off and whose policy gained a public
    statement with a hostile Sid, and an account not assessed."""
    return Drift(
        old=ScanRef(scan_id="scan-a", started_at="2026-12-04T03:33:59Z", complete=True),
        new=ScanRef(scan_id="scan-b", started_at="2026-12-05T03:34:08Z", complete=True),
        findings_changed=(
            FindingChange(id="sgf-1", rule_id="kms-key-rotation-disabled", title="t",
                          severity="LOW", status="FAIL", resource_arn=KEY,
                          old_status="FAIL", old_severity="MEDIUM", changes=("severity",)),
            FindingChange(id="sgf-2", rule_id="secret-cross-account-access-broken",
                          title="t", severity="MEDIUM", status="FAIL", resource_arn=SECRET_A,
                          principal=ROLE, old_status="FAIL", old_severity="MEDIUM",
                          changes=("evidence",), evidence_changes=(
                              FieldChange(field="gates.scp", old="NOT_APPLICABLE",
                                          new="ALLOWED"),
                              FieldChange(field="facts", old=["x " + IMG], new=["y"]))),
        ),
        resources_changed=(ResourceChange(
            kind="secret", id=SECRET_A, account_id="111111111111", region="us-east-1",
            change="changed",
            fields=(FieldChange(field="rotation_enabled", old=True, new=False,
                                note="rotation switched off"),),
            policies=(PolicyChange(field="resource_policy", statements=(
                StatementChange(change="added", sid=OOPS["Sid"], old=None, new=OOPS),)),)),),
        not_assessed=(NotAssessed(scope="account", subject="444444444444",
                                  reason="AssumeRole denied " + IMG, scan="new"),),
    ).to_json()


def _section(html: str, ident: str) -> str:
    start = html.index(f'<section id="{ident}"')
    return html[start:html.index("</section>", start)]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def _table(view: Any, title: str) -> Any:
    (table,) = [t for t in view.tables if t.title == title]
    return table


def test_a_changed_finding_says_what_changed_old_to_new() -> None:
    """New-user trial round 8: the HTML row had id, rule_id, title, severity, status,
    resource_arn, principal, old_status (the first eight keys) -- no old severity, no changes,
    while the terminal said "(severity MEDIUM -> LOW)"."""
    view = build_drift(night_drift())
    assert view is not None
    table = _table(view, "findings · changed")
    assert "what changed" in table.columns
    cells = [dict(zip(table.columns, row)) for row in table.rows]
    assert cells[0]["what changed"] == "severity MEDIUM -> LOW"
    assert cells[1]["what changed"].startswith("evidence: gates.scp NOT_APPLICABLE -> ALLOWED")
    assert cells[1]["principal"] == ROLE


def test_a_changed_resource_reads_as_its_field_and_statement_lines() -> None:
    """New-user trial round 8: "Resources - Changed" showed ``fields []`` and a policies cell
    of ``[{"field":"resource_policy","statements":[{"change":"added",...}]}]`` where the
    terminal showed ``+ Sid Oops: {...}``."""
    drift = night_drift()
    view = build_drift(drift)
    assert view is not None
    table = _table(view, "resources · changed")
    (row,) = table.rows
    changes = "\n".join(dict(zip(table.columns, row))["changes"])  # a line each
    assert "rotation_enabled: true -> false  (rotation switched off)" in changes
    assert "resource_policy:" in changes and f"+ Sid Oops{SCRIPT}: " in changes
    assert '"Principal": "*"' in changes
    assert '"statements"' not in changes and "[]" not in str(row)
    # the same words as the terminal's
    terminal = render_drift_text(drift)
    assert "rotation_enabled: true -> false  (rotation switched off)" in terminal

    section = _section(render_html(sample_document(), drift=drift), "drift")
    text = _text(section)
    assert "severity MEDIUM -> LOW" in text and f"+ Sid Oops{SCRIPT}" in text
    assert "evidence: gates.scp NOT_APPLICABLE -> ALLOWED" in text
    assert SCRIPT not in section and IMG not in section  # escaped, as everywhere


def test_not_assessed_reads_as_scan_scope_subject_reason() -> None:
    """New-user trial round 8: the drift's last table is in words too (no ``subjects`` list
    as JSON)."""
    view = build_drift(night_drift())
    assert view is not None
    table = _table(view, "not assessed")
    assert table.columns == ["scan", "what", "reason"]
    assert table.rows == [["new scan", "account 444444444444", "AssumeRole denied " + IMG]]


# --------------------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from helpers.report_cdp import Chromium

    browser = Chromium()
    try:
        yield browser
    finally:
        browser.close()


CUT = """(() => Array.from(document.querySelectorAll('#drift details.drift')).map(d => {
    d.open = true;
    const box = d.querySelector('div.scroll');
    if (!box) return null;
    const r = box.getBoundingClientRect();
    return {title: d.querySelector('summary').textContent.trim(),
            scroll: box.scrollWidth, client: box.clientWidth,
            cut: Array.from(box.querySelectorAll('td')).filter(c => c.offsetParent !== null
                && c.getBoundingClientRect().right > r.right + 1).map(c => c.textContent.trim())};
}).filter(x => x))()"""


@pytest.mark.browser
def test_on_a_phone_no_drift_cell_is_cut(chromium: Any, tmp_path: Path) -> None:
    """New-user trial round 8: at 390 px the drift tables stack, each cell labelled with its
    column, and no cell reaches past its card (what changed was off-screen to the right)."""
    path = write_html(sample_document(), tmp_path / "report.html", drift=night_drift())
    page = chromium.page()
    try:
        page.set_viewport(390, 1000, mobile=True)
        page.navigate(path.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        tables = page.evaluate(CUT)
        assert len(tables) >= 3
        for t in tables:
            assert t["cut"] == [] and t["scroll"] <= t["client"] + 1, t
        labels = page.evaluate("Array.from(document.querySelectorAll('#drift td'))"
                               ".filter(td => td.offsetParent !== null)"
                               ".map(td => getComputedStyle(td, '::before').content)")
        assert any("what changed" in label for label in labels)
        assert page.problems() == []
    finally:
        page.close()
