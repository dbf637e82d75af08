"""aws:AssumedRoot is in no request that can read a secret: the root user's read is judged as
the root user signing in, never as a centralized-root-access session.

IAM User Guide, "AWS global condition context keys", aws:AssumedRoot: the key is in the
request context only when the principal uses credentials from AssumeRoot. STS API Reference,
AssumeRoot, TaskPolicyArn: "The identity based policy that scopes the session to the
privileged tasks that can be performed. You must use one of following AWS managed policies to
scope root session actions: IAMAuditRootUserCredentials, IAMCreateRootUserPassword,
IAMDeleteRootUserCredentials, S3UnlockBucketPolicy, SQSUnlockQueuePolicy" -- none of which
allows a secretsmanager: or kms: action, so such a session never reads a secret or decrypts
with a key, and the key is absent from every read that can succeed.

The standard "restrict the root user" SCP (aws-samples service-control-policy-examples,
Control Tower's GRRESTRICTROOTUSER with ExemptAssumeRoot): Deny * if ArnLike aws:PrincipalArn
arn:*:iam::*:root and Null aws:AssumedRoot "true". IAM conformance trial round 27: a member
account's root user, named by the secret's policy, was a CONDITIONAL reader "if:
aws:assumedroot" under it; AWS denies that read.
"""

from __future__ import annotations

from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, MEMBER2, OUTSIDER, SECRET_ARN,
                                   allow_read_identity, control, estate, key_policy_for, role,
                                   secret_policy_for)

from scanner.access import AccessSettings, analyze_access
from scanner.access.context import PUBLIC_FACTS, PrincipalFacts, principal_context
from scanner.graph.builder import build_graph
from scanner.policy.exposure import NOT_A_SERVICE_ABSENT
from scanner.policy.request import ASSUMED_ROOT

SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
LEVELS = ("r-root", CENTRAL, MEMBER, MEMBER2)
MEMBER_ROOT = f"arn:aws:iam::{MEMBER}:root"
ALLOW_ALL_STATEMENT = {"Effect": "Allow", "Action": "*", "Resource": "*"}

#: the aws-samples "Prevent root user actions" SCP, exempting centralized root access sessions
RESTRICT_ROOT_USER = control("restrict-root", SCP, ("r-root",), {
    "Effect": "Deny", "Action": "*", "Resource": "*",
    "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:*:iam::*:root"]},
                  "Null": {"aws:AssumedRoot": "true"}}})


def _readers(*extra: object) -> dict[str, tuple[str, dict[str, str], tuple[str, ...]]]:
    """Each recorded reader of the secret (the root user of a named account is recorded when
    it may read: docs/access.md) -> (decision, gate statuses, conditions)."""
    snap = estate(secret_policy=secret_policy_for(MEMBER), key_policy=key_policy_for(MEMBER),
                  principals=(role(APP_ROLE, allow_read_identity()),),
                  scps=(control("full", SCP, LEVELS, ALLOW_ALL_STATEMENT),
                        control("rfull", RCP, LEVELS, {**ALLOW_ALL_STATEMENT, "Principal": "*"}),
                        *extra),  # type: ignore[arg-type]
                  management="444444444444")
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    return {p.principal: (p.decision, {k: v.status for k, v in p.gates.items()}, p.conditions)
            for p in sa.paths}


def test_the_restrict_root_user_scp_denies_a_member_root_users_read() -> None:
    readers = _readers(RESTRICT_ROOT_USER)
    # no longer a CONDITIONAL reader "if: aws:assumedroot": it cannot read at all
    assert MEMBER_ROOT not in readers, readers.get(MEMBER_ROOT)
    # its roles are not the root user: the SCP takes nothing from them
    assert readers[APP_ROLE][0] == "ALLOWED"


def test_without_that_scp_the_member_root_user_reads() -> None:
    assert _readers()[MEMBER_ROOT][0] == "ALLOWED"


def test_a_deny_of_centralized_root_sessions_takes_nothing_from_a_read() -> None:
    """Deny * if Bool aws:AssumedRoot "true": no read carries the key, so it never applies."""
    only_sessions = control("no-root-sessions", SCP, ("r-root",), {
        "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"Bool": {"aws:AssumedRoot": "true"}}})
    readers = _readers(only_sessions)
    assert readers[MEMBER_ROOT][0] == "ALLOWED"
    assert readers[APP_ROLE][0] == "ALLOWED"


def test_every_caller_the_analysis_and_the_exposure_rules_ask_about_lacks_the_key() -> None:
    """One reading: the access analysis' principals (a role, a user, the root user, an unread
    account's stand-in, the ``*`` path) and the exposure rules' outside grantees."""
    snap = estate(secret_policy=None)
    settings = AccessSettings.from_snapshot(snap)
    callers = [
        PrincipalFacts(arn=APP_ROLE, account_id=MEMBER, principal_type="role"),
        PrincipalFacts(arn=f"arn:aws:iam::{MEMBER}:user/alice", account_id=MEMBER,
                       principal_type="user", name="alice"),
        PrincipalFacts(arn=MEMBER_ROOT, account_id=MEMBER, principal_type="root"),
        PrincipalFacts(arn=f"arn:aws:iam::{OUTSIDER}:root", account_id=OUTSIDER,
                       principal_type="root", account_stand_in=True),
        PUBLIC_FACTS,
    ]
    for facts in callers:
        assert ASSUMED_ROOT in principal_context(facts, settings)[1], facts.arn
    assert ASSUMED_ROOT in NOT_A_SERVICE_ABSENT
