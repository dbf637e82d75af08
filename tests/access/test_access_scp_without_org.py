"""The SCP / RCP gate without organization data follows the snapshot's ``org_membership`` (the
home account's DescribeOrganization answer), in the evaluator and in the solver alike.

New-user trial (scp_single_account.sh): a member account scanned alone was reported ALLOWED with
``scp: UNKNOWN - no organization data``, although its SCP denied GetSecretValue. Organizations
User Guide: an explicit Deny in an SCP at any level denies; SCPs are an organization's policies
(an account in no organization has none) and do not affect the management account. Unknown is
not allowed: a snapshot without the field (older, or built by hand) is not assessed either.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from helpers.access_estate import (CENTRAL, MEMBER, allow_read_identity, estate, key_policy_for,
                                   role, secret_policy_for)
from scanner.access import AccessSettings, analyze_access
from scanner.access.graph_io import secret_views
from scanner.access.identity import PrincipalIndex
from scanner.access.scp import Guardrails
from scanner.graph.builder import build_graph
from scanner.model import (IN_ORGANIZATION, MEMBERSHIP_UNKNOWN, NOT_IN_ORGANIZATION,
                           OrgMembership, Snapshot)
from scanner.policy.smt.questions import check_pair, principal_of

CENTRAL_APP = f"arn:aws:iam::{CENTRAL}:role/CentralApp"
MEMBER_APP = f"arn:aws:iam::{MEMBER}:role/ApplicationRole"
SLR = f"arn:aws:iam::{CENTRAL}:role/aws-service-role/ops.amazonaws.com/AWSServiceRole"


def _snapshot(membership: OrgMembership | None) -> Snapshot:
    """The central account's secret, readable by its own role (identity policy), by a member
    role (resource, key and identity policies) and by a service-linked role: only guardrails
    can stop any of them. No organization data."""
    snap = estate(secret_policy=secret_policy_for(MEMBER_APP),
                  key_policy=key_policy_for(MEMBER_APP, CENTRAL_APP, SLR),
                  principals=(role(CENTRAL_APP, allow_read_identity()),
                              role(SLR, allow_read_identity()),
                              role(MEMBER_APP, allow_read_identity())))
    return replace(snap, organization=None, org_membership=membership,
                   meta=replace(snap.meta, org_id=None))


def _paths(snap: Snapshot) -> dict[str, tuple[str, str]]:
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    [access] = report.secrets.values()
    return {p.principal: (p.decision, p.gates["scp"].status) for p in access.paths}


def test_a_snapshot_without_membership_is_not_assessed_and_never_allowed() -> None:
    paths = _paths(_snapshot(None))
    assert paths[CENTRAL_APP] == ("CONDITIONAL", "UNKNOWN")
    assert paths[MEMBER_APP] == ("CONDITIONAL", "UNKNOWN")
    assert paths[SLR] == ("ALLOWED", "NOT_APPLICABLE")  # SCPs do not affect SLRs


def test_an_account_in_no_organization_has_no_scps() -> None:
    paths = _paths(_snapshot(OrgMembership(account_id=CENTRAL, status=NOT_IN_ORGANIZATION)))
    assert paths[CENTRAL_APP] == ("ALLOWED", "NOT_APPLICABLE")
    # another scanned account was not asked: whether it has SCPs is not known
    assert paths[MEMBER_APP] == ("CONDITIONAL", "UNKNOWN")


def test_a_member_of_an_organization_whose_scps_were_not_read_is_not_allowed() -> None:
    member = OrgMembership(account_id=CENTRAL, status=IN_ORGANIZATION, org_id="o-abc123",
                           management_account_id="444444444444")
    paths = _paths(_snapshot(member))
    assert paths[CENTRAL_APP] == ("CONDITIONAL", "UNKNOWN")
    assert paths[MEMBER_APP] == ("CONDITIONAL", "UNKNOWN")


def test_the_management_account_is_not_subject_to_scps() -> None:
    mgmt = OrgMembership(account_id=CENTRAL, status=IN_ORGANIZATION, org_id="o-abc123",
                         management_account_id=CENTRAL)
    paths = _paths(_snapshot(mgmt))
    assert paths[CENTRAL_APP] == ("ALLOWED", "NOT_APPLICABLE")
    # the member's SCPs (its caller side) were still not read
    assert paths[MEMBER_APP] == ("CONDITIONAL", "UNKNOWN")


def test_a_failed_describe_organization_is_not_assessed() -> None:
    paths = _paths(_snapshot(OrgMembership(account_id=CENTRAL, status=MEMBERSHIP_UNKNOWN)))
    assert paths[CENTRAL_APP] == ("CONDITIONAL", "UNKNOWN")


@pytest.mark.parametrize("membership, expected", [
    (OrgMembership(account_id=CENTRAL, status=NOT_IN_ORGANIZATION), "ALLOWED"),
    (OrgMembership(account_id=CENTRAL, status=IN_ORGANIZATION, org_id="o-abc123",
                   management_account_id="444444444444"), "UNKNOWN"),
    (None, "UNKNOWN"),
])
def test_the_solver_agrees(membership: OrgMembership | None, expected: str) -> None:
    """pair.guardrail / guardrails_gate: where the evaluator's gate is UNKNOWN the solver's is
    a fresh (not encoded) boolean, so it never proves the read either."""
    snap = _snapshot(membership)
    settings = AccessSettings.from_snapshot(snap)
    [sv] = [v for v in secret_views(build_graph(snap), settings)[0]]
    principal = principal_of(snap, CENTRAL_APP, CENTRAL, "role", PrincipalIndex(snap),
                             partition=sv.partition)
    verdict = check_pair(sv, principal, settings,
                         Guardrails(snap.organization, snap.org_membership), timeout_s=30)
    assert verdict.decision == expected
    if expected == "UNKNOWN":
        assert any("not assessed" in n for n in verdict.not_encoded), verdict.not_encoded


def test_the_scp_gate_says_once_that_neither_scps_nor_rcps_were_assessed() -> None:
    # new-user trial round 30: `access` printed "if: no organization data: SCPs not assessed,
    # no organization data: RCPs not assessed" -- one fact, said twice
    snap = _snapshot(None)
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    [access] = report.secrets.values()
    [member] = [p for p in access.paths if p.principal == MEMBER_APP]
    scp = member.gates["scp"]
    assert scp.conditions == ("no organization data: SCPs and RCPs not assessed",)
    assert member.conditions.count("no organization data: SCPs and RCPs not assessed") == 1
    assert not any("RCPs not assessed" in c and "SCPs and" not in c for c in member.conditions)
