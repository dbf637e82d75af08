"""kms-key-policy-excess-grant asks "does some secret encrypted with the key grant this
principal GetSecretValue" with the access analysis' own answer for the secret's resource
policy: a ``*`` grant covers only whom its conditions let in (the organization, the accounts
it names), an explicit Deny takes the grant back, and a role and its assumed-role sessions
are one principal (docs/rules.md, docs/access.md)."""

from __future__ import annotations

from typing import Any

from helpers.access_estate import (APP_ROLE, APP_ROLE2, CENTRAL, KEY_ARN, MEMBER, MEMBER2,
                                   ORG_ID, OUTSIDER, REGION, allow_read_identity, estate,
                                   key_policy_for, role, text)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.pipeline import ScanOptions, analyze, load_inputs

PARTNER = f"arn:aws:iam::{OUTSIDER}:role/Partner"
SESSION = f"arn:aws:sts::{MEMBER}:assumed-role/ApplicationRole/s1"
ORG_ONLY = {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}


def _read(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": principal,
                          "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    if condition:
        st["Condition"] = condition
    return st


def _caller_account_key(*accounts: str) -> str:
    """The key's root statement and a ``*`` Decrypt grant narrowed by kms:CallerAccount."""
    return text({"Sid": "Root", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                 "Resource": "*"},
                {"Sid": "Via", "Effect": "Allow", "Principal": {"AWS": "*"},
                 "Action": "kms:Decrypt", "Resource": "*",
                 "Condition": {"StringEquals": {
                     "kms:CallerAccount": list(accounts),
                     "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}})


def _excess(secret_policy: str, key_policy: str) -> list[str]:
    snap = estate(secret_policy=secret_policy, key_policy=key_policy,
                  principals=(role(APP_ROLE, allow_read_identity()),
                              role(APP_ROLE2, allow_read_identity())))
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    return [g.principal for g in report.keys[KEY_ARN].excess_grants]


def _findings(secret_policy: str, key_policy: str) -> list[tuple[str, str | None]]:
    snap = estate(secret_policy=secret_policy, key_policy=key_policy,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    analysis = analyze(snap, load_inputs(ScanOptions()))
    return [(f.status.value, f.principal) for f in analysis.findings
            if f.rule_id == "kms-key-policy-excess-grant" and f.resource.arn == KEY_ARN]


def test_an_organization_wide_star_grant_does_not_cover_a_key_grant_to_an_outsider() -> None:
    """conformance trial round 8: ``*`` + aws:PrincipalOrgID made every key grantee covered
    -- a Decrypt grant to a role outside the organization was no excess."""
    policy = text(_read("*", ORG_ONLY))
    assert _excess(policy, key_policy_for(APP_ROLE, PARTNER)) == [PARTNER]
    assert _findings(policy, key_policy_for(APP_ROLE, PARTNER)) == [("FAIL", PARTNER)]


def test_an_organization_wide_star_grant_still_covers_members() -> None:
    """conformance trial round 8: the organization's principals are those it grants."""
    assert _excess(text(_read("*", ORG_ONLY)),
                   key_policy_for(APP_ROLE, f"arn:aws:iam::{MEMBER2}:root")) == []


def test_a_caller_account_grant_to_an_outsider_is_excess_beside_an_org_star_grant() -> None:
    """conformance trial round 8: the key's kms:CallerAccount grant to 999999999999 was listed
    as external but reported by no excess-grant finding."""
    assert _excess(text(_read("*", ORG_ONLY)), _caller_account_key(MEMBER, OUTSIDER)) == \
        [OUTSIDER]


def test_a_star_grant_confined_to_one_account_does_not_cover_another() -> None:
    """conformance trial round 8: ``*`` + aws:PrincipalAccount = 222222222222 covered the key
    grant to a role of 333333333333, which the access analysis says the policy denies."""
    policy = text(_read("*", {"StringEquals": {"aws:PrincipalAccount": MEMBER}}))
    assert _excess(policy, key_policy_for(APP_ROLE, APP_ROLE2)) == [APP_ROLE2]


def test_a_secret_that_denies_the_principal_explicitly_does_not_cover_it() -> None:
    """conformance trial round 8: an Allow the same policy takes back with an explicit Deny
    still covered the key grant."""
    policy = text(_read({"AWS": [APP_ROLE, APP_ROLE2]}),
                  {"Effect": "Deny", "Principal": {"AWS": APP_ROLE2},
                   "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    assert _excess(policy, key_policy_for(APP_ROLE, APP_ROLE2)) == [APP_ROLE2]


def test_a_role_grant_covers_a_key_grant_to_one_of_its_sessions() -> None:
    """conformance trial round 8: the secret grants the role, the key one of its assumed-role
    sessions -- FAIL HIGH "no secret grants it", though the same analysis listed the role as
    a reader through that key grant. A role ARN in a resource policy names its sessions."""
    assert _excess(text(_read({"AWS": APP_ROLE})), key_policy_for(SESSION)) == []
    assert _findings(text(_read({"AWS": APP_ROLE})), key_policy_for(SESSION)) == []


def test_a_session_grant_covers_a_key_grant_to_its_role() -> None:
    """conformance trial round 8 (the reverse): the secret names the session, the key the
    role -- the session evaluated as its role is one principal."""
    assert _excess(text(_read({"AWS": SESSION})), key_policy_for(APP_ROLE)) == []


def test_a_session_of_another_role_is_still_excess() -> None:
    """conformance trial round 8: only the role's own sessions are it."""
    other = f"arn:aws:sts::{MEMBER}:assumed-role/OtherRole/s1"
    assert _excess(text(_read({"AWS": APP_ROLE})), key_policy_for(APP_ROLE, other)) == [other]


def test_account_grants_cover_and_are_covered_as_before() -> None:
    """The account-wide cases keep their answers: a root grant on the secret covers a role of
    that account on the key; a root grant on the key is covered by any principal of the
    account the secret grants; an unrelated account is excess."""
    root2 = f"arn:aws:iam::{MEMBER}:root"
    assert _excess(text(_read({"AWS": root2})), key_policy_for(APP_ROLE)) == []
    assert _excess(text(_read({"AWS": APP_ROLE})), key_policy_for(root2)) == []
    assert _excess(text(_read({"AWS": MEMBER})), key_policy_for(APP_ROLE)) == []
    assert _excess(text(_read({"AWS": APP_ROLE})), _caller_account_key(MEMBER)) == []
    assert _excess(text(_read({"AWS": APP_ROLE})), _caller_account_key(MEMBER, MEMBER2)) == \
        [MEMBER2]


def test_another_organizations_path_covers_an_outsider_it_may_hold() -> None:
    """Ground-truth trial round 17: a ``*`` grant narrowed by another organization's
    aws:PrincipalOrgPaths may let an account outside ours in (which organization it is in
    the snapshot cannot know: the access analysis' CONDITIONAL), so the key's Decrypt grant
    to that account may be the half that goes with it -- covered, as docs/rules.md says; the
    same path of our own organization cannot hold it (an account outside ours) -- excess."""
    outsider_root = f"arn:aws:iam::{OUTSIDER}:root"
    key = key_policy_for(APP_ROLE, outsider_root)
    foreign = {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-zz9zz9zz9z/r-zz99/*"]}}
    ours = {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG_ID}/*"]}}
    assert _excess(text(_read("*", foreign), _read({"AWS": APP_ROLE})), key) == []
    assert _excess(text(_read("*", ours), _read({"AWS": APP_ROLE})), key) == [outsider_root]
