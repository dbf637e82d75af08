"""A finding's own steps (``evidence.fixes``) in report.html: opened, a finding shows "What
fixes this finding" before the rule's every step (new-user trial round 37: the report of a
rotation Lambda with no route to a NAT gateway read only the rule's list -- an endpoint, a NAT
route, accept the peering, renumber the VPCs, routes on both sides, database egress; the
plan named the one step and the report did not). The steps are text, never markup."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.report_cdp import Chromium
from helpers.report_sample import sample_document
from reports.html import write_html

pytestmark = pytest.mark.browser

STEP = "add a com.amazonaws.us-east-1.secretsmanager interface endpoint to VPC vpc-1"
HOSTILE_STEP = "<img src=x onerror=alert(1)> route 10.0.1.0/24 via pcx-1"


def test_an_opened_finding_shows_its_own_steps_first(chromium: Chromium,
                                                     tmp_path: Path) -> None:
    document = sample_document()
    rows = document["findings"]
    target = next(f for f in rows if f["status"] == "FAIL")
    target["evidence"] = {**target.get("evidence", {}), "fixes": [STEP, HOSTILE_STEP]}
    path = write_html(document, tmp_path / "report.html")
    page = chromium.page()
    try:
        page.set_viewport(390, 900, mobile=True)
        page.navigate(path.as_uri())
        page.evaluate(f"document.querySelector('#sg-rows tr.sg-row[data-id=\"{target['id']}\"]"
                      " button.toggle').click()")
        titles = page.evaluate("[...document.querySelectorAll('#sg-rows tr.detail h3')]"
                               ".map(h => h.textContent)")
        assert titles.index("What fixes this finding") < titles.index("Remediation")
        said = page.evaluate("[...document.querySelectorAll('#sg-rows tr.detail h3')]"
                             ".find(h => h.textContent === 'What fixes this finding')"
                             ".nextElementSibling.textContent")
        assert said == f"{STEP}; {HOSTILE_STEP}"
        assert page.evaluate("document.querySelectorAll('#sg-rows tr.detail img').length") == 0
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert page.problems() == []
    finally:
        page.close()
