"""A plan names each resource so two of them can be told apart: a replica's finding names the
replica's own ARN, which differs from its primary's only by Region, and a multi-Region key's
replica has the primary's key id -- the plan's "Not planned" list and its table of changes show
the account and the Region beside the ARN's resource part, in the terminal, markdown and HTML
plans alike (docs/remediation.md, "How it works", 1. Plan)."""

from __future__ import annotations

import re

import pytest

from scanner.changes import ApiCall, PlannedChange
from scanner.remediate.planfile import Estate, Plan, Skipped
from scanner.remediate.render import render_plan, render_plan_html, render_plan_markdown

ACCT = "111111111111"
PRIMARY = f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:demo/scp-blocked-SsMcHK"
REPLICA = f"arn:aws:secretsmanager:us-west-2:{ACCT}:secret:demo/scp-blocked-SsMcHK"
KEY = "key/mrk-3cdb9c92-85c6-41a2-86ab-173a2c997b6f"
WHY = {PRIMARY: "the gate that blocks is scp", REPLICA: "a replica's read is fixed by hand"}


def _change(region: str) -> PlannedChange:
    arn = f"arn:aws:kms:{region}:{ACCT}:{KEY}"
    return PlannedChange(
        change_id=f"chg-{region}", remediation_id="enable-key-rotation", finding_ids=("sgf-k",),
        rule_id="kms-key-rotation-disabled", account_id=ACCT, region=region, resource_arn=arn,
        target=f"kms-key-rotation:{arn}", summary="enable automatic key rotation",
        calls=(ApiCall(service="kms", operation="EnableKeyRotation", region=region,
                       params={"KeyId": arn}),),
        pre_state={"rotation": False}, desired_state={"rotation": True})


def _plan() -> Plan:
    skipped = tuple(Skipped(finding_id=f"sgf-{i}", rule_id="secret-cross-account-access-broken",
                            remediation_id="repair-cross-account-access", resource_arn=arn,
                            reason=WHY[arn]) for i, arn in enumerate((PRIMARY, REPLICA)))
    return Plan(plan_id="plan-1", created_at="2026-12-05T10:04:33Z",
                estate=Estate(org_id="o-abcdef1234", account_ids=(ACCT,), scan_id="scan-1"),
                changes=(_change("us-east-1"), _change("us-west-2")), skipped=skipped)


def _rows(text: str, marker: str) -> list[str]:
    return [line for line in text.splitlines() if marker in line]


@pytest.mark.parametrize("width", [None, 90])
def test_the_terminal_plan_tells_a_replica_from_its_primary(width: int | None) -> None:
    """Review of today's merges, round 3 (rem_new1.txt): since a replica's finding names the
    replica's own ARN, remediate's "Not planned" list showed two identical lines
    `secret:demo/misconfig/scp-blocked-SsMcHK` (before, the second ended in #us-west-2). Each
    row shows its account and Region, in the table and in the narrow list alike."""
    text = render_plan(_plan(), width=width)
    rest = text[text.index("Not planned (2):"):]
    by_reason = {arn: _rows(rest, why) for arn, why in WHY.items()}
    if width is None:  # the table: one row each, the Region in its own column
        assert "region" in rest.splitlines()[1]
        (primary,), (replica,) = by_reason[PRIMARY], by_reason[REPLICA]
    else:  # the list: "rule on resource (account Region)", then the wrapped reason
        lines = rest.splitlines()
        # a heading wider than the terminal goes on under it, indented 4 (new-user trial
        # round 9): the heading is its first line and those
        heads = [" ".join([line, *(x.strip() for x in _continued(lines[i + 1:]))])
                 for i, line in enumerate(lines) if line.startswith("  secret-cross-account")]
        assert len(heads) == 2, rest
        primary, replica = heads
    assert re.search(r"\bus-east-1\b", primary) and ACCT in primary, primary
    assert re.search(r"\bus-west-2\b", replica) and ACCT in replica, replica
    assert "us-west-2" not in primary and "us-east-1" not in replica


def _continued(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        if not line.startswith("    ") or line.startswith("      "):
            break
        out.append(line)
    return out


def _md_rows(text: str, marker: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")]
            for line in text.splitlines() if line.startswith("|") and marker in line]


def test_the_markdown_plan_tells_a_replica_from_its_primary() -> None:
    """Review of today's merges, round 3: remediation-plan.md showed the ARN's resource part
    alone in its "Not planned" table (the replica's row read as the primary's) and in its
    table of changes (a multi-Region key and its replica share the key id). Both tables have
    a region column (the changes' one had the account only)."""
    md = render_plan_markdown(_plan())
    header = next(line for line in md.splitlines() if line.startswith("| rule |"))
    assert [c.strip() for c in header.strip("|").split("|")][:4] == \
        ["rule", "account", "region", "resource"]
    for arn, why in WHY.items():
        (row,) = _md_rows(md, why)
        region = arn.split(":")[3]
        assert row[1:3] == [ACCT, region], row
    changes_header = next(line for line in md.splitlines() if line.startswith("| # |"))
    cols = [c.strip() for c in changes_header.strip("|").split("|")]
    assert cols[cols.index("account") + 1] == "region"
    rows = _md_rows(md, "enable-key-rotation")
    assert [r[cols.index("region")] for r in rows] == ["us-east-1", "us-west-2"], rows


def test_the_html_plan_tells_a_replica_from_its_primary() -> None:
    """Review of today's merges, round 3: the HTML plan's "Not planned" table has the account
    and the Region in columns of their own, as the markdown plan and the scan's report."""
    page = render_plan_html(_plan())
    assert "<th>rule</th><th>account</th><th>region</th><th>resource</th>" in page
    for arn in (PRIMARY, REPLICA):
        region = arn.split(":")[3]
        assert f"<td>{ACCT}</td><td>{region}</td><td>{arn}</td>" in page
