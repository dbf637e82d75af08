"""Whether each change can be undone is said by every form of the plan. The terminal's table
had an undo column ("undo: yes" / "undo: no"), plan JSON `reversible`; remediation-plan.md and
remediation-plan.html -- what a change review reads -- said nothing of it, so "what will
remediate change and can I undo it?" had two answers depending on where it was read
(new-user trial round 32: cancel-key-deletion cannot be undone)."""

from __future__ import annotations

import pytest

from scanner.changes import ApiCall, PlannedChange
from scanner.remediate.planfile import Estate, Plan
from scanner.remediate.render import render_plan, render_plan_html, render_plan_markdown

KEY = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-0000-0000-0000-000000000001"
ROUTES = "arn:aws:ec2:us-east-1:111111111111:route-table/rtb-0123456789abcdef0"


def _change(n: int, remediation: str, arn: str, reversible: bool) -> PlannedChange:
    return PlannedChange(
        change_id=f"chg-{n:016x}", remediation_id=remediation, finding_ids=(f"sgf-{n:032x}",),
        rule_id="secret-key-unusable", account_id="111111111111", region="us-east-1",
        resource_arn=arn, target=f"t:{arn}", summary=f"change {n}",
        calls=(ApiCall(service="kms", operation="CancelKeyDeletion", region="us-east-1",
                       params={"KeyId": arn}),),
        pre_state={}, desired_state={}, reversible=reversible)


def _plan() -> Plan:
    return Plan(plan_id="plan-1", created_at="2026-12-07T00:00:00Z",
                estate=Estate(org_id="o-abcdefghij", account_ids=("111111111111",),
                              scan_id="scan-1"),
                changes=(_change(1, "cancel-key-deletion", KEY, False),
                         _change(2, "add-peering-route", ROUTES, True)))


def test_the_terminal_plan_says_which_changes_can_be_undone() -> None:
    rows = [line.split() for line in render_plan(_plan(), width=None).splitlines()
            if line.strip()[:1].isdigit()]
    assert [(row[1], row[-1]) for row in rows[:2]] == [("cancel-key-deletion", "no"),
                                                       ("add-peering-route", "yes")]


def test_the_markdown_plan_has_the_undo_column() -> None:
    lines = render_plan_markdown(_plan()).splitlines()
    header = next(line for line in lines if line.startswith("| # |"))
    assert header.rstrip().endswith("| undo |")
    rows = [line for line in lines if line.startswith("| 1 |") or line.startswith("| 2 |")]
    assert rows[0].rstrip().endswith("| no |") and rows[1].rstrip().endswith("| yes |")


@pytest.mark.parametrize("n, said", [(1, "undo: no"), (2, "undo: yes")])
def test_the_html_plan_says_under_each_change_whether_it_can_be_undone(n: int,
                                                                      said: str) -> None:
    html = render_plan_html(_plan())
    section = html.split("<section>")[n].split("</section>")[0]
    assert f"<p>change {n}; {said}</p>" in section
