"""aws:PrincipalOrgID of a principal whose account is known to be in no organization is ABSENT.

IAM User Guide, "AWS global condition context keys", aws:PrincipalOrgID: "This key is included
in the request context only if the principal is a member of an organization." The snapshot
knows it for the home account when DescribeOrganization answered "not in use"
(``OrgMembership.status == none``): there a ``StringEquals aws:PrincipalOrgID`` condition does
not match (an absent key makes a positive operator false), and a ``*`` grant narrowed to an
organization id lets in every account of that other organization -- exposure outside the trust
zone, as it is when our organization was read and the id differs.

New-user trial round 7 (foreign_org_grant.py): such a grant was never reported, and a role of
the home account with no policy at all was a CONDITIONAL reader "if: aws:principalorgid".
Where membership is not known ("organization not read", DescribeOrganization failed) the key
stays unknown: CONDITIONAL, never decided.
"""

from __future__ import annotations

from dataclasses import replace

from helpers.access_estate import (CENTRAL, SECRET_ARN, allow_read_identity, estate, role,
                                   text)

from scanner.access import AccessReport, AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Finding, Status
from scanner.graph.builder import build_graph
from scanner.model import (MEMBERSHIP_UNKNOWN, NOT_IN_ORGANIZATION, OrgMembership, Snapshot)

OTHER_ORG = "o-abc123def4"
NO_PERMS = f"arn:aws:iam::{CENTRAL}:role/NoPermsRole"
APP = f"arn:aws:iam::{CENTRAL}:role/AppRole"
READ = "secretsmanager:GetSecretValue"
ORG_CONDITION = {"StringEquals": {"aws:PrincipalOrgID": OTHER_ORG}}
SECRET_POLICY = text({"Effect": "Allow", "Principal": "*", "Action": READ, "Resource": "*",
                      "Condition": ORG_CONDITION})
KEY_POLICY = text({"Sid": "Root", "Effect": "Allow",
                   "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                   "Resource": "*"},
                  {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                   "Resource": "*", "Condition": ORG_CONDITION})


def _snapshot(status: str | None) -> Snapshot:
    """One account, no organization read; ``status``: its DescribeOrganization answer."""
    snap = estate(secret_policy=SECRET_POLICY, key_policy=KEY_POLICY, members=(),
                  principals=(role(NO_PERMS), role(APP, allow_read_identity())))
    membership = None if status is None else OrgMembership(account_id=CENTRAL, status=status)
    return replace(snap, organization=None, org_membership=membership,
                   meta=replace(snap.meta, org_id=None))


def _run(snap: Snapshot) -> AccessReport:
    return analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))


def _decisions(snap: Snapshot) -> dict[str, str]:
    sa = _run(snap).for_secret(SECRET_ARN)
    assert sa is not None
    return {p.principal: p.decision for p in sa.paths}


def test_a_role_of_an_account_in_no_organization_is_not_let_in_by_an_org_id_grant() -> None:
    """new-user trial round 7: NoPermsRole (no policy) was CONDITIONAL if aws:principalorgid."""
    decisions = _decisions(_snapshot(NOT_IN_ORGANIZATION))
    assert decisions.get(NO_PERMS, "DENIED") == "DENIED"
    # its own identity policy still lets AppRole read (same account: identity OR resource)
    assert decisions[APP] == "ALLOWED"


def test_membership_not_known_leaves_the_org_id_unknown() -> None:
    """new-user trial round 7 (the other half): "organization not read" is not "in none"."""
    for status in (None, MEMBERSHIP_UNKNOWN):
        decisions = _decisions(_snapshot(status))
        assert decisions[NO_PERMS] == "CONDITIONAL"


def test_the_grant_goes_to_another_organization() -> None:
    """new-user trial round 7: the access report lists the grant to every account of another
    organization, as with our organization read and a different id."""
    sa = _run(_snapshot(NOT_IN_ORGANIZATION)).for_secret(SECRET_ARN)
    assert sa is not None
    other = [g for g in sa.grants if g.scope == "other-organization"]
    assert [g.principal for g in other] == [OTHER_ORG]
    assert [g.principal for g in sa.unintended if g.scope == "other-organization"] == [OTHER_ORG]


def _external_of(snap: Snapshot) -> list[Finding]:
    graph = build_graph(snap)
    report = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get("secret-policy-external-account")
    assert rule is not None
    return evaluate(graph, snap, report, Ruleset(rules=(rule,)),
                    parse_config({}, path="(test)"))


def _external(status: str | None) -> list[Finding]:
    return _external_of(_snapshot(status))


def test_secret_policy_external_account_reports_the_other_organization() -> None:
    """new-user trial round 7: scan exited 0 with no finding for the grant."""
    (fail,) = [f for f in _external(NOT_IN_ORGANIZATION) if f.status is Status.FAIL]
    assert fail.principal == OTHER_ORG
    assert "every account of another organization" in fail.message


def test_an_org_id_grant_is_not_called_foreign_when_membership_is_not_known() -> None:
    """new-user trial round 7 (the other half): the named organization may be ours."""
    assert not [f for f in _external(MEMBERSHIP_UNKNOWN) if f.status is Status.FAIL]


def test_a_single_account_scan_has_no_zone_class_beyond_its_own_account() -> None:
    """new-user trial round 7: "reach: every account of the zone of trust -> DENIED ...
    blocked by identity_policy" for a zone holding the secret's own account alone -- a class
    with no account in it, said to be blocked by a gate nobody evaluated."""
    sa = _run(_snapshot(NOT_IN_ORGANIZATION)).for_secret(SECRET_ARN)
    assert sa is not None
    assert not [r for r in sa.reach if r.scope == "organization"]
    assert [r.subject for r in sa.reach if r.scope == "own-account"] == [f"account:{CENTRAL}"]


def test_a_resource_of_an_account_in_no_organization_has_no_resource_org_id() -> None:
    """IAM User Guide, aws:ResourceOrgID: "This key is included in the request context only if
    the account that owns the resource is a member of an organization." An identity policy
    that reads only the resources of an organization (StringEquals aws:ResourceOrgID) does
    not let the role read a secret of an account known to be in none: DENIED, not CONDITIONAL
    (left alone by the twelfth session: the principal's keys were absent, the resource's
    unknown). Membership not known: unknown, CONDITIONAL."""
    perimeter = f"arn:aws:iam::{CENTRAL}:role/PerimeterRole"
    identity = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"],
         "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceOrgID": OTHER_ORG}}}]}
    for status, expected in ((NOT_IN_ORGANIZATION, "DENIED"), (None, "CONDITIONAL"),
                             (MEMBERSHIP_UNKNOWN, "CONDITIONAL")):
        snap = _snapshot(status)
        snap = replace(snap, accounts=tuple(
            replace(a, iam=replace(a.iam, principals=a.iam.principals + (
                role(perimeter, identity),)))
            if a.account_id == CENTRAL and a.iam is not None else a for a in snap.accounts))
        sa = _run(snap).for_secret(SECRET_ARN)
        assert sa is not None
        got = {p.principal: p.decision for p in sa.paths}.get(perimeter, "DENIED")
        assert got == expected, (status, got)


AUDITOR = "777700001111"


def _home_elsewhere(scanned_home: bool) -> Snapshot:
    """The scan's credentials are of AUDITOR, an account in no organization; the secret's
    account CENTRAL is scanned and its membership was never asked (no --org).
    ``scanned_home``: AUDITOR is one of the scanned accounts too."""
    snap = _snapshot(None)
    meta_accounts = (CENTRAL, AUDITOR) if scanned_home else (CENTRAL,)
    return replace(snap, org_membership=OrgMembership(account_id=AUDITOR,
                                                      status=NOT_IN_ORGANIZATION),
                   meta=replace(snap.meta, accounts=meta_accounts))


def test_a_home_account_in_no_organization_says_nothing_of_the_scanned_accounts() -> None:
    """Ground-truth trial round 15: a scan --accounts from an auditor account in no
    organization called the secret account's own organization "another organization"
    (secret-policy-external-account FAIL, principal o-...), while the access analysis kept the
    secret account's membership unknown ("DescribeOrganization answered for 777700001111
    only"). DescribeOrganization answers for the account of the credentials only; the other
    scanned accounts may be in an organization, and the one a condition names may be theirs.
    IAM User Guide, aws:PrincipalOrgID: "This key is included in the request context only if
    the principal is a member of an organization" -- of the principal's account, not the
    scanner's."""
    from scanner.policy.trust_zone import trust_zone

    for scanned_home in (False, True):
        snap = _home_elsewhere(scanned_home)
        assert trust_zone(snap).no_organization is False, scanned_home
        assert not [f for f in _external_of(snap) if f.status is Status.FAIL], scanned_home
    # the single account scanned from its own credentials stays known: another organization
    assert trust_zone(_snapshot(NOT_IN_ORGANIZATION)).no_organization is True



def _member_snapshot(org_id: str) -> Snapshot:
    """The home account a member of ``org_id`` (its DescribeOrganization), the organization
    not read (a scan without --org); the grants narrowed to ``OTHER_ORG``."""
    from scanner.model import IN_ORGANIZATION

    snap = _snapshot(None)
    return replace(snap, org_membership=OrgMembership(account_id=CENTRAL, status=IN_ORGANIZATION,
                                                      org_id=org_id))


def test_a_role_of_a_member_account_carries_its_organizations_id() -> None:
    """safe-fixes trial round 20: restrict-public-secret-policy limits a `*` statement to the
    organization DescribeOrganization named for the home account; the account's own roles
    that read through it were "if: aws:principalorgid" after the change, and the plan refused
    it as putting them at risk. IAM User Guide, aws:PrincipalOrgID: "the organization in AWS
    Organizations to which the requesting principal belongs"."""
    def gates(snap: Snapshot) -> dict[str, str]:
        sa = _run(snap).for_secret(SECRET_ARN)
        assert sa is not None
        path = next(p for p in sa.paths if p.principal == NO_PERMS)
        return {g: path.gates[g].status for g in ("resource_policy", "key_policy")}

    # the grants name the home account's own organization: they let its role without a
    # policy in (its SCPs, not read, leave the read itself CONDITIONAL on them alone)
    assert gates(_member_snapshot(OTHER_ORG)) == {"resource_policy": "ALLOWED",
                                                  "key_policy": "ALLOWED"}
    sa = _run(_member_snapshot(OTHER_ORG)).for_secret(SECRET_ARN)
    assert sa is not None
    (path,) = [p for p in sa.paths if p.principal == NO_PERMS]
    assert "aws:principalorgid" not in path.conditions, path.conditions
    # they name another organization than the home account's: they do not
    assert _decisions(_member_snapshot("o-zzzzzz9999")).get(NO_PERMS, "DENIED") == "DENIED"
