"""docs/remediation.md, the Remediators table: remove-external-grant is planned only when
selected -- by its rule (`--rule secret-policy-external-account`), by its own remediation id
(`--rule remove-external-grant`, which `--rule` takes as it takes every remediation id), or by
`--finding ID`; by none of them (an unfiltered plan, or another rule) it is listed as not
planned, saying how to select it (docs truth round 16: the table named two of the three)."""

from __future__ import annotations

import pytest

from helpers.remediate_records import ACCT, OUTSIDER_ROLE, finding, snapshot
from scanner.changes import RemediationConfig
from scanner.findings import finding_id
from scanner.remediate.planfile import Plan
from scanner.remediate.planner import Selection, build_plan

GRANT = {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": OUTSIDER_ROLE},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
KEEP = {"Sid": "Own", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
        "Action": "secretsmanager:DescribeSecret", "Resource": "*"}


def _plan(selection: Selection) -> Plan:
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [KEEP, GRANT]})
    external = finding("secret-policy-external-account", "remove-external-grant",
                       principal=OUTSIDER_ROLE, external_principal=OUTSIDER_ROLE)
    return build_plan([external], snap, RemediationConfig(), selection)


@pytest.mark.parametrize("selection", [
    Selection(rules=("secret-policy-external-account",)),
    Selection(rules=("remove-external-grant",)),
    Selection(findings=(finding_id("secret-policy-external-account",
                                   "arn:aws:secretsmanager:us-east-1:111111111111:secret:"
                                   "app/db-AbCdEf", OUTSIDER_ROLE),)),
])
def test_each_way_of_selecting_it_plans_it(selection: Selection) -> None:
    plan = _plan(selection)
    assert [c.remediation_id for c in plan.changes] == ["remove-external-grant"]
    assert plan.skipped == ()


def test_unselected_it_is_listed_with_how_to_select_it() -> None:
    plan = _plan(Selection())
    assert plan.changes == ()
    (skipped,) = plan.skipped
    assert "runs only when selected explicitly (--rule secret-policy-external-account" in \
        skipped.reason
