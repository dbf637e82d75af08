"""restrict-public-secret-policy limits a `*` statement with ``aws:PrincipalOrgID``. In a scan
without --org (remediation.org_id in --config) the membership of the other scanned accounts
is not read, so a member account's role that read the secret through the `*` statement
(the key policy letting its account decrypt) is, after the change, a reader only "if:
aws:principalorgid" -- it was CONDITIONAL before too (its SCPs not read), so the plan
counted it as kept: "readers +0 -0", the change planned, and on the moto estate the role,
whose account was in no organization, lost its read (safe-fixes trial round 20). A reader
whose read comes to depend on a condition it did not depend on before is at risk: the plan
refuses the change, naming the reader and the condition, unless accepted. The secret's own
account, whose DescribeOrganization named the organization, is in it: its roles carry that
aws:PrincipalOrgID and keep their read (they were "if: aws:principalorgid" too)."""

from __future__ import annotations

import dataclasses

from helpers.access_estate import (APP_ROLE, CENTRAL, CENTRAL_ROLE, KEY_ARN, MEMBER, ORG_ID,
                                   SECRET_ARN, allow_read_identity, doc, estate,
                                   key_policy_for, role, text)
from helpers.remediate_records import finding
from scanner.changes import RemediationConfig
from scanner.model import IN_ORGANIZATION, OrgMembership, Snapshot
from scanner.remediate.planner import Selection, build_plan

PUBLIC = {"Sid": "Public", "Effect": "Allow", "Principal": "*",
          "Action": "secretsmanager:GetSecretValue", "Resource": "*"}


def _public_secret(*, org_read: bool) -> Snapshot:
    snap = estate(secret_policy=text(PUBLIC),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),
                              # the secret's own account: the `*` statement is its read,
                              # its identity policy lets it decrypt only
                              role(CENTRAL_ROLE, doc({"Effect": "Allow", "Action": "kms:Decrypt",
                                                      "Resource": KEY_ARN}))),
                  members=(MEMBER,))
    if org_read:
        return snap
    # `scan --accounts CENTRAL,MEMBER` without --org: DescribeOrganization answered for the
    # home account only
    return dataclasses.replace(
        snap, organization=None, meta=dataclasses.replace(snap.meta, org_id=None),
        org_membership=OrgMembership(account_id=CENTRAL, status=IN_ORGANIZATION, org_id=ORG_ID))


def _plan(snap: Snapshot, accept: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    return build_plan([finding("secret-policy-public", "restrict-public-secret-policy")], snap,
                      RemediationConfig(org_id=ORG_ID), Selection(),
                      accept_access_changes=accept)


def test_a_member_role_whose_read_comes_to_depend_on_the_org_condition_refuses_the_change(
        ) -> None:
    plan = _plan(_public_secret(org_read=False))

    assert plan.changes == ()
    (skip,) = plan.skipped
    assert skip.reason.startswith("breaks access: "), skip.reason
    assert f"{APP_ROLE} may lose read access to {SECRET_ARN}" in skip.reason, skip.reason
    assert CENTRAL_ROLE not in skip.reason, skip.reason
    assert "conditional on aws:principalorgid" in skip.reason, skip.reason
    assert "--accept-access-change chg-" in skip.reason, skip.reason


def test_accepted_the_plan_shows_the_reader_at_risk_and_its_new_condition() -> None:
    refused = _plan(_public_secret(org_read=False))
    change_id = refused.skipped[0].change_id

    plan = _plan(_public_secret(org_read=False), accept=(change_id,))

    (change,) = plan.changes
    risky = {r["principal"]: r for r in change.effect["readers_at_risk"]}
    assert risky[APP_ROLE]["new_conditions"] == ["aws:principalorgid"], risky
    assert risky[APP_ROLE]["unknown_gates"] == [], risky
    assert any(APP_ROLE in a for a in change.effect["accepted"]), change.effect
    # the home account's DescribeOrganization named its organization: its own role carries
    # that aws:PrincipalOrgID and keeps its read, not "at risk" (nor a refusal of its own)
    assert CENTRAL_ROLE not in risky and not any(CENTRAL_ROLE in a
                                                 for a in change.effect["accepted"])
    assert CENTRAL_ROLE not in {r["principal"] for r in change.effect["readers_lost"]}


def test_with_the_organization_read_the_member_keeps_its_read_and_the_change_is_planned(
        ) -> None:
    plan = _plan(_public_secret(org_read=True))

    (change,) = plan.changes
    assert change.effect["readers_lost"] == [] and change.effect["readers_at_risk"] == []
    assert [f["rule_id"] for f in change.effect["findings_resolved"]] == ["secret-policy-public"]


def test_the_reviewed_plan_counts_the_readers_at_risk_beside_gained_and_lost() -> None:
    """The terminal's effect line and remediation-plan.md's table said "+0 -0" for a change
    accepted with readers at risk (the member role and its account's stand-in); the count is
    beside them."""
    from scanner.remediate.render import render_plan, render_plan_markdown

    refused = _plan(_public_secret(org_read=False))
    plan = _plan(_public_secret(org_read=False), accept=(refused.skipped[0].change_id,))

    text = render_plan(plan)
    assert "effect: readers +0 -0 ?2 at risk; findings resolved 1" in text, text
    assert f"? reader {APP_ROLE} -> {SECRET_ARN}: conditional on aws:principalorgid" in text
    assert "| +0 / -0 ?2 at risk | 1 / 0 |" in render_plan_markdown(plan)

