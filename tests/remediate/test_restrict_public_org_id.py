"""restrict-public-secret-policy narrows a public statement to the scanned organization. A
`remediation.org_id` in --config that names another organization (the example of
docs/configuration.md pasted as it is: o-abc123def4) was written into the statement: the
"fix" granted that organization's principals, and the plan itself predicted the
secret-policy-external-account finding it would create (new-user trial round 23)."""

from __future__ import annotations

import dataclasses
import json

from helpers.remediate_records import PUBLIC, UNRELATED, finding, snapshot
from scanner.changes import RemediationConfig
from scanner.remediate.planner import Selection, build_plan

SCANNED = "o-abcdef1234"  # the organization of helpers.remediate_records.snapshot


def _plan(org_id: str | None, *, with_org: bool = True):  # type: ignore[no-untyped-def]
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [UNRELATED, PUBLIC]})
    if not with_org:
        snap = dataclasses.replace(snap, organization=None,
                                   meta=dataclasses.replace(snap.meta, org_id=None))
    return build_plan([finding("secret-policy-public", "restrict-public-secret-policy")], snap,
                      RemediationConfig(org_id=org_id), Selection())


def _org_in_plan(plan) -> str:  # type: ignore[no-untyped-def]
    (change,) = plan.changes
    after = json.loads(change.policy_diff.after)
    return str(after["Statement"][1]["Condition"]["StringEquals"]["aws:PrincipalOrgID"])


def test_a_configured_org_id_of_another_organization_is_not_planned() -> None:
    plan = _plan("o-zzzzzz9999")

    assert plan.changes == ()
    (skip,) = plan.skipped
    assert "o-zzzzzz9999" in skip.reason and SCANNED in skip.reason
    assert "remediation.org_id" in skip.reason


def test_the_scanned_organization_named_in_the_config_is_planned() -> None:
    assert _org_in_plan(_plan(SCANNED)) == SCANNED
    assert _org_in_plan(_plan(None)) == SCANNED


def test_without_an_organization_in_the_snapshot_the_configured_one_is_used() -> None:
    assert _org_in_plan(_plan("o-zzzzzz9999", with_org=False)) == "o-zzzzzz9999"
