"""Readers reached through ``Principal: "*"``, organization-wide and account-wide grants are
enumerated: as classes with counts (SecretAccess.reach) and, where the snapshot holds them, as
individual principals.

IAM User Guide, "Policy evaluation logic" (same account): "an identity-based policy or a
resource-based policy ... can grant access"; a resource-based policy whose Principal is "*"
therefore lets every principal of the resource's own account in, without any identity policy,
and the AWS-managed key aws/secretsmanager allows the account's own principals (Secrets
Manager User Guide, "Secret encryption and decryption")."""

from __future__ import annotations

from dataclasses import replace

from helpers.access_estate import (
    APP_ROLE,
    APP_ROLE2,
    CENTRAL,
    MEMBER,
    MEMBER2,
    ORG_ID,
    SECRET_ARN,
    allow_read_identity,
    doc,
    estate,
    key_policy_for,
    role,
    text,
)

from scanner.access import AccessReport, AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import Snapshot

READ = "secretsmanager:GetSecretValue"
PUBLIC = text({"Effect": "Allow", "Principal": "*", "Action": READ, "Resource": "*"})
ORG_STAR = text({"Effect": "Allow", "Principal": "*", "Action": READ, "Resource": "*",
                 "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}})
ORG_KEY = text({"Sid": "Root", "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                "Resource": "*"},
               {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}})
S3_ONLY = doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
WORKERS = tuple(f"arn:aws:iam::{CENTRAL}:role/Worker{i}" for i in range(3))


def run(snap: Snapshot, *, record_denied: bool = False) -> AccessReport:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=record_denied)
    return analyze_access(build_graph(snap), snap, settings)


def _estate(secret_policy: str | None, *, kms_key_id: str | None = None,
            key_policy: str | None = None, iam_accounts: tuple[str, ...] | None = None
            ) -> Snapshot:
    # central roles with no secrets permission at all; member roles that may read app/*
    return estate(secret_policy=secret_policy, kms_key_id=kms_key_id, key_policy=key_policy,
                  principals=tuple(role(w, S3_ONLY) for w in WORKERS)
                  + (role(APP_ROLE, allow_read_identity()),
                     role(APP_ROLE2, allow_read_identity())),
                  iam_accounts=iam_accounts)


def _reach(report: AccessReport) -> dict[str, tuple[object, ...]]:
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    return {r.subject: (r.scope, r.decision, r.principals, r.accounts) for r in sa.reach}


def test_public_secret_on_the_aws_managed_key_is_read_by_its_whole_account() -> None:
    report = run(_estate(PUBLIC))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    # the central roles have no identity grant: the "*" grant alone lets them in
    assert {p.principal for p in sa.readers} == set(WORKERS)
    reach = _reach(report)
    # outsiders and other accounts cannot use aws/secretsmanager
    assert reach["*"][:2] == ("public", "DENIED")
    assert reach[f"organization:{ORG_ID}"][:2] == ("organization", "DENIED")
    assert reach[f"account:{CENTRAL}"] == ("own-account", "ALLOWED", 3, 1)
    [own] = [r for r in sa.reader_classes]
    assert own.subject == f"account:{CENTRAL}" and "own account" in own.label
    assert "key_policy" in dict((r.subject, r.blocked_by) for r in sa.reach)["*"]


def test_closed_policy_has_no_reach_and_no_same_account_readers() -> None:
    report = run(_estate(text({"Effect": "Allow", "Principal": {"AWS": APP_ROLE},
                               "Action": READ, "Resource": "*"})))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None and sa.reach == ()
    assert not set(WORKERS) & {p.principal for p in sa.paths}


def test_org_wide_grant_with_an_org_wide_key_reaches_the_organization() -> None:
    report = run(_estate(ORG_STAR, kms_key_id=None, key_policy=None))
    # on aws/secretsmanager: members cannot decrypt; only the central account reads
    reach = _reach(report)
    assert reach[f"organization:{ORG_ID}"][1] == "DENIED"
    assert reach[f"account:{CENTRAL}"][1] == "ALLOWED"
    from helpers.access_estate import KEY_ARN
    report = run(_estate(ORG_STAR, kms_key_id=KEY_ARN, key_policy=ORG_KEY))
    reach = _reach(report)
    assert reach[f"organization:{ORG_ID}"] == ("organization", "ALLOWED", 2, 2)
    assert "*" not in reach  # outsiders are not let in: no public class
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    assert {APP_ROLE, APP_ROLE2, *WORKERS} == {p.principal for p in sa.readers}


def test_accounts_whose_iam_was_not_read_are_counted_as_unassessed() -> None:
    from helpers.access_estate import KEY_ARN
    report = run(_estate(ORG_STAR, kms_key_id=KEY_ARN, key_policy=ORG_KEY,
                         iam_accounts=(CENTRAL, MEMBER)))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    [org] = [r for r in sa.reach if r.scope == "organization"]
    assert org.unassessed_accounts == (MEMBER2,)
    assert (org.decision, org.principals) == ("ALLOWED", 1)


def test_account_wide_grant_is_a_class_of_that_account() -> None:
    from helpers.access_estate import KEY_ARN
    policy = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MEMBER}:root"},
                   "Action": READ, "Resource": "*"})
    report = run(_estate(policy, kms_key_id=KEY_ARN,
                         key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root")))
    # the account's role and its root user (IAM conformance trial round 21: the root user of a
    # named account reads, no identity policy governs it -- test_access_member_root_user)
    assert _reach(report) == {f"account:{MEMBER}": ("account", "ALLOWED", 2, 1)}
    unread = run(_estate(policy, kms_key_id=KEY_ARN, iam_accounts=(CENTRAL, MEMBER2),
                         key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root")))
    sa = unread.for_secret(SECRET_ARN)
    assert sa is not None
    [acct] = sa.reach
    assert acct.unassessed_accounts == (MEMBER,) and acct.decision == "CONDITIONAL"


def test_same_account_readers_equal_per_principal_evaluation() -> None:
    from helpers.access_estate import KEY_ARN
    for snap in (_estate(PUBLIC), _estate(ORG_STAR, kms_key_id=KEY_ARN, key_policy=ORG_KEY),
                 _estate(PUBLIC, kms_key_id=KEY_ARN, key_policy=ORG_KEY)):
        fast, every = run(snap), run(snap, record_denied=True)

        def recorded(r: AccessReport) -> set[tuple[str, str]]:
            return {(p.principal, p.decision) for p in r.all_paths()
                    if p.decision != "DENIED" or p.broken_at}
        assert recorded(fast) == recorded(every)
        assert [(x.subject, x.decision, x.principals) for x in fast.secrets[SECRET_ARN].reach] \
            == [(x.subject, x.decision, x.principals) for x in every.secrets[SECRET_ARN].reach]


def test_an_account_with_no_role_or_user_in_the_snapshot_is_no_class_of_readers() -> None:
    """IAM conformance trial round 37: a secret shared with the organization, in an account
    whose IAM was read and holds no role or user, listed "every IAM role and user of the
    secret's own account -> DENIED, blocked by identity_policy" -- the empty class's default;
    in AWS a role made there would read (a ``*`` grant needs no identity policy in the
    secret's own account). A class with no member is not reported; with members it is."""
    empty = estate(secret_policy=ORG_STAR, key_policy=ORG_KEY,
                   principals=(role(APP_ROLE, allow_read_identity()),))
    reach = _reach(run(empty))
    assert f"account:{CENTRAL}" not in reach, reach
    assert reach[f"organization:{ORG_ID}"] == ("organization", "ALLOWED", 1, 1)

    staffed = estate(secret_policy=ORG_STAR, key_policy=ORG_KEY,
                     principals=(role(APP_ROLE, allow_read_identity()),
                                 role(WORKERS[0], S3_ONLY)))
    assert _reach(run(staffed))[f"account:{CENTRAL}"] == ("own-account", "ALLOWED", 1, 1)
