"""A ``*`` grant narrowed to one account or one organizational unit reaches that account or
that OU, not the whole organization (ground-truth organization trial round 8, access).

The trial's app/m3-db (``Principal: "*"`` with ``StringEquals aws:PrincipalAccount`` = M3)
and prod/orgpaths (``ForAnyValue:StringLike aws:PrincipalOrgPaths`` = the Prod OU) printed
"reach: the whole organization (o-...) -> ALLOWED" while ``breadth.organization_wide`` was
false, and listed the narrowed statement as the opening statement of the secret's own account,
whose principals it cannot admit. Reach subjects are drift keys: an organization-wide reader
was invented.

IAM User Guide, "Condition element": "If you specify multiple condition operators in the
Condition element, or multiple keys in a single condition operator, the conditions are
evaluated using a logical AND" -- a principal the narrowing condition does not match is not let
in by that statement."""

from __future__ import annotations

from dataclasses import replace

from helpers.access_estate import (
    APP_ROLE,
    APP_ROLE2,
    CENTRAL,
    KEY_ARN,
    MEMBER,
    MEMBER2,
    ORG_ID,
    SECRET_ARN,
    allow_read_identity,
    doc,
    estate,
    role,
    text,
)

from scanner.access import AccessReport, AccessSettings, analyze_access
from scanner.access.verdicts import SecretAccess
from scanner.graph.builder import build_graph
from scanner.model import Organization, OrgAccount, OrgUnit, Snapshot

READ = "secretsmanager:GetSecretValue"
ORG_KEY = text({"Sid": "Root", "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                "Resource": "*"},
               {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}})
ACCOUNT_ONLY = text({"Sid": "MemberOnly", "Effect": "Allow", "Principal": "*", "Action": READ,
                     "Resource": "*",
                     "Condition": {"StringEquals": {"aws:PrincipalAccount": MEMBER}}})
PROD_PATH = f"{ORG_ID}/r-root/ou-prod/*"
OU_ONLY = text({"Sid": "ProdOnly", "Effect": "Allow", "Principal": "*", "Action": READ,
                "Resource": "*", "Condition": {"ForAnyValue:StringLike": {
                    "aws:PrincipalOrgPaths": [PROD_PATH]}}})
ORG_STAR = text({"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": READ,
                 "Resource": "*",
                 "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}})
WILD = f"arn:aws:iam::{CENTRAL}:role/WildRole"
WORKER = f"arn:aws:iam::{CENTRAL}:role/Worker"


def _estate(policy: str) -> Snapshot:
    """MEMBER under the Prod OU, MEMBER2 and CENTRAL under the root; an application role in
    each member that may read app/*; in CENTRAL a role reading through its identity policy
    and one with no Secrets Manager permission."""
    snap = estate(secret_policy=policy, kms_key_id=KEY_ARN, key_policy=ORG_KEY,
                  principals=(role(APP_ROLE, allow_read_identity()),
                              role(APP_ROLE2, allow_read_identity()),
                              role(WILD, allow_read_identity()),
                              role(WORKER, doc({"Effect": "Allow", "Action": "s3:*",
                                                "Resource": "*"}))))
    org = snap.organization
    assert org is not None
    org = replace(org, units=(OrgUnit(ou_id="ou-prod", name="Prod", parent_id="r-root"),),
                  accounts=(OrgAccount(account_id=CENTRAL, parent_id="r-root"),
                            OrgAccount(account_id=MEMBER, parent_id="ou-prod"),
                            OrgAccount(account_id=MEMBER2, parent_id="r-root")))
    return replace(snap, organization=org)


def run(snap: Snapshot, *, record_denied: bool = False) -> AccessReport:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=record_denied)
    return analyze_access(build_graph(snap), snap, settings)


def _sa(report: AccessReport) -> SecretAccess:
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    return sa


def test_star_narrowed_to_one_account_reaches_that_account_not_the_organization() -> None:
    """ground-truth organization trial round 8 (access): app/m3-db."""
    sa = _sa(run(_estate(ACCOUNT_ONLY)))
    assert {p.principal for p in sa.readers} == {APP_ROLE, WILD}
    reach = {r.subject: r for r in sa.reach}
    assert not any(s.startswith("organization:") for s in reach)
    assert sa.breadth.organization_wide is False
    member = reach[f"account:{MEMBER}"]
    assert (member.scope, member.decision, member.principals, member.accounts) == \
        ("account", "ALLOWED", 1, 1)
    assert member.statements == ("statement 0 (MemberOnly)",)
    assert member.label == f"principals of account {MEMBER}"
    # WildRole reads through its identity policy: the own account's class stays, but the
    # statement that admits MEMBER only is not what opens it
    own = reach[f"account:{CENTRAL}"]
    assert (own.scope, own.decision, own.principals) == ("own-account", "ALLOWED", 1)
    assert own.statements == ()
    # MEMBER2 is admitted by nothing: no class of its own either
    assert f"account:{MEMBER2}" not in reach


def test_star_narrowed_to_an_ou_reaches_the_ou_path() -> None:
    """ground-truth organization trial round 8 (access): prod/orgpaths."""
    sa = _sa(run(_estate(OU_ONLY)))
    assert {p.principal for p in sa.readers} == {APP_ROLE, WILD}
    reach = {r.subject: r for r in sa.reach}
    assert f"organization:{ORG_ID}" not in reach
    assert sa.breadth.organization_wide is False
    ou = reach[f"organization:{PROD_PATH}"]
    assert (ou.scope, ou.decision, ou.principals, ou.accounts) == \
        ("organization-path", "ALLOWED", 1, 1)
    assert ou.statements == ("statement 0 (ProdOnly)",)
    assert "whole organization" not in ou.label and PROD_PATH in ou.label
    # CENTRAL is under the root, not the Prod OU
    assert reach[f"account:{CENTRAL}"].statements == ()


def test_org_wide_grant_still_reaches_the_organization_and_opens_the_own_account() -> None:
    """ground-truth organization trial round 8 (access): the breadth and the reach agree."""
    sa = _sa(run(_estate(ORG_STAR)))
    reach = {r.subject: r for r in sa.reach}
    org = reach[f"organization:{ORG_ID}"]
    assert sa.breadth.organization_wide is True
    assert (org.scope, org.decision, org.principals, org.accounts) == \
        ("organization", "ALLOWED", 2, 2)
    assert org.statements == ("statement 0 (Org)",)
    assert reach[f"account:{CENTRAL}"].statements == ("statement 0 (Org)",)


def test_narrowed_and_org_wide_statements_together_reach_the_organization() -> None:
    """ground-truth organization trial round 8 (access): a broader statement takes the
    members a narrower one also admits; each class lists the statements that can admit it."""
    both = text({"Sid": "MemberOnly", "Effect": "Allow", "Principal": "*", "Action": READ,
                 "Resource": "*",
                 "Condition": {"StringEquals": {"aws:PrincipalAccount": MEMBER}}},
                {"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": READ,
                 "Resource": "*",
                 "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}})
    sa = _sa(run(_estate(both)))
    reach = {r.subject: r for r in sa.reach}
    assert f"account:{MEMBER}" not in reach
    org = reach[f"organization:{ORG_ID}"]
    assert org.statements == ("statement 0 (MemberOnly)", "statement 1 (Org)")
    assert (org.principals, org.accounts) == (2, 2)
    assert reach[f"account:{CENTRAL}"].statements == ("statement 1 (Org)",)


def test_narrowed_reach_equals_per_principal_evaluation() -> None:
    """ground-truth organization trial round 8 (access): the classes of a narrowed ``*`` grant
    say what evaluating every principal on its own says."""
    for policy in (ACCOUNT_ONLY, OU_ONLY, ORG_STAR):
        snap = _estate(policy)
        fast, every = run(snap), run(snap, record_denied=True)

        def recorded(r: AccessReport) -> set[tuple[str, str]]:
            return {(p.principal, p.decision) for p in r.all_paths()
                    if p.decision != "DENIED" or p.broken_at}
        assert recorded(fast) == recorded(every)

        def reach(r: AccessReport) -> list[tuple[object, ...]]:
            return [(x.subject, x.scope, x.decision, x.principals, x.accounts, x.statements)
                    for x in _sa(r).reach]
        assert reach(fast) == reach(every)


def test_star_narrowed_to_another_organizations_id_reaches_no_class_of_ours() -> None:
    """ground-truth trial round 18 (an acquisition): acme/shared-db kept ``Principal: "*"``
    with ``StringEquals aws:PrincipalOrgID`` = the acquired company's former organization.
    "aws:PrincipalOrgID: Compare the identifier of the organization in AWS Organizations to
    which the requesting principal belongs" (IAM User Guide, global condition keys): none of
    our organization's principals matches another organization's id, so the statement lets
    none of them in -- yet access printed "reach: the whole organization -> DENIED ... blocked
    by identity_policy" with the statement as its opening one, and listed it as opening the
    own account, as it did for an OU path of another organization before round 8."""
    other_org = text({"Sid": "OldOrg", "Effect": "Allow", "Principal": "*", "Action": READ,
                      "Resource": "*",
                      "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-acmeold0001"}}})
    sa = _sa(run(_estate(other_org)))
    reach = {r.subject: r for r in sa.reach}
    assert not any(s.startswith("organization:") for s in reach)
    assert sa.breadth.organization_wide is False
    # WildRole reads through its identity policy, not through the old organization's grant
    own = reach[f"account:{CENTRAL}"]
    assert (own.decision, own.principals, own.statements) == ("ALLOWED", 1, ())
    assert {p.principal for p in sa.readers} == {WILD}
