"""A plan for accounts in no organization (a scan without an Organization) says so in its
header -- terminal, Markdown and HTML alike -- rather than "organization -" (new-user trial
round 29's leftover); a plan of an organization names it as before."""

from __future__ import annotations

import pytest

from scanner.remediate.planfile import Estate, Plan
from scanner.remediate.render import render_plan, render_plan_html, render_plan_markdown


def _plan(org_id: str | None) -> Plan:
    return Plan(plan_id="plan-1", created_at="2026-12-07T00:00:00Z",
                estate=Estate(org_id=org_id, account_ids=("111111111111",), scan_id="scan-1"),
                changes=())


@pytest.mark.parametrize("render", [render_plan, render_plan_markdown, render_plan_html])
def test_a_plan_without_an_organization_says_no_organization(render: object) -> None:
    text = render(_plan(None))  # type: ignore[operator]
    assert "no organization" in text
    assert "organization -" not in text


@pytest.mark.parametrize("render", [render_plan, render_plan_markdown, render_plan_html])
def test_a_plan_of_an_organization_names_it(render: object) -> None:
    text = render(_plan("o-abcdefghij"))  # type: ignore[operator]
    assert "organization o-abcdefghij" in text
    assert "no organization" not in text
