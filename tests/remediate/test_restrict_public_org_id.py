"""restrict-public-secret-policy narrows a public statement to the scanned organization. A
`remediation.org_id` in --config that names another organization (the example of
docs/configuration.md pasted as it is: o-abc123def4) was written into the statement: the
"fix" granted that organization's principals, and the plan itself predicted the
secret-policy-external-account finding it would create (new-user trial round 23)."""

from __future__ import annotations

import dataclasses
import json

from helpers.remediate_records import ACCT, PUBLIC, UNRELATED, finding, snapshot
from scanner.changes import RemediationConfig
from scanner.model import IN_ORGANIZATION, NOT_IN_ORGANIZATION, OrgMembership
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


# A scan without --org of one account (README "Scanning one account"): DescribeOrganization
# answered for that account. In no organization, the refusal said "scan with --org", which
# that account refuses ('--org: account ... is not in an AWS Organization'); as a member, the
# organization's id was known and the advice still led to --org, which a member cannot run
# (new-user trial round 28).

def _without_org(status: str, org_id: str | None = None, account: str = ACCT):  # type: ignore[no-untyped-def]
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [UNRELATED, PUBLIC]})
    return dataclasses.replace(snap, organization=None,
                               meta=dataclasses.replace(snap.meta, org_id=None),
                               org_membership=OrgMembership(account_id=account, status=status,
                                                            org_id=org_id))


def _plan_of(snap, org_id: str | None = None):  # type: ignore[no-untyped-def]
    return build_plan([finding("secret-policy-public", "restrict-public-secret-policy")], snap,
                      RemediationConfig(org_id=org_id), Selection())


def test_an_account_in_no_organization_is_told_to_name_the_readers_not_to_scan_with_org() -> None:
    plan = _plan_of(_without_org(NOT_IN_ORGANIZATION))

    assert plan.changes == ()
    (skip,) = plan.skipped
    assert f"account {ACCT} is in no AWS Organization" in skip.reason
    assert "--org" not in skip.reason
    assert 'replace "*" with the accounts or roles meant to read' in skip.reason


def test_an_account_in_no_organization_is_not_limited_to_a_configured_organization() -> None:
    plan = _plan_of(_without_org(NOT_IN_ORGANIZATION), org_id="o-zzzzzz9999")

    assert plan.changes == ()
    (skip,) = plan.skipped
    assert "o-zzzzzz9999" in skip.reason and "another organization" in skip.reason


def test_a_member_account_scanned_without_org_is_given_its_organizations_id() -> None:
    plan = _plan_of(_without_org(IN_ORGANIZATION, org_id="o-member1234"))

    assert plan.changes == ()
    (skip,) = plan.skipped
    assert "remediation.org_id: o-member1234" in skip.reason
    assert "scan with --org" not in skip.reason


def test_a_member_account_is_limited_to_its_own_organization_only() -> None:
    member = _without_org(IN_ORGANIZATION, org_id="o-member1234")

    assert _org_in_plan(_plan_of(member, org_id="o-member1234")) == "o-member1234"
    refused = _plan_of(member, org_id="o-zzzzzz9999")
    assert refused.changes == ()
    assert "o-zzzzzz9999" in refused.skipped[0].reason
    assert "o-member1234" in refused.skipped[0].reason


def test_what_describe_organization_said_of_another_account_changes_nothing() -> None:
    elsewhere = _without_org(NOT_IN_ORGANIZATION, account="333333333333")

    assert _org_in_plan(_plan_of(elsewhere, org_id="o-zzzzzz9999")) == "o-zzzzzz9999"
