"""identity-policy-secret-wildcard and explicit Denies: IAM User Guide, "Policy evaluation
logic": "An explicit deny in any of these policies overrides the allow." A Deny in the
permissions boundary or in an identity policy that takes the action back on every resource,
without a condition, leaves no wildcard read; a Deny under a condition, or on named resources
only, leaves the wildcard, and the finding says so.

Review of the day's merges, defect 3: WildcardReaderRole (Allow GetSecretValue on ``*``) with a
boundary allowing ``*:*`` and denying ``secretsmanager:*`` was FAIL "its permissions boundary
... allows secretsmanager:GetSecretValue on every resource too" while ``access --principal``
found no access path; so was a Deny of GetSecretValue on ``*`` in the role's own inline
policy."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from helpers.access_estate import APP_ROLE, MEMBER, allow_read_identity, doc, estate, \
    key_policy_for, role, secret_policy_for
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Finding
from scanner.model import ManagedPolicy

RULE = "identity-policy-secret-wildcard"
WILD = f"arn:aws:iam::{MEMBER}:role/WildcardReaderRole"
BOUNDARY = f"arn:aws:iam::{MEMBER}:policy/boundary-no-secrets"
READ = "secretsmanager:GetSecretValue"
ALLOW_READ_ALL = {"Sid": "ReadAll", "Effect": "Allow", "Action": READ, "Resource": "*"}
ALLOW_ALL = {"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"}


def _finding(*statements: dict[str, Any], boundary: list[dict[str, Any]] | None = None
             ) -> Finding:
    """The rule's finding for WILD, whose inline policy holds ``statements`` and whose
    boundary (when given) holds ``boundary``."""
    managed = (ManagedPolicy(arn=BOUNDARY, name="boundary-no-secrets", account_id=MEMBER,
                             document=doc(*boundary)),) if boundary is not None else ()
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),
                              role(WILD, doc(*statements),
                                   boundary=BOUNDARY if boundary is not None else None)),
                  managed=managed)
    from scanner.graph.builder import build_graph

    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get(RULE)
    assert rule is not None
    found = {f.resource.arn: f for f in evaluate(
        graph, snap, access, Ruleset(rules=(rule,)), parse_config({"emit_pass": True},
                                                                   path="(test)"),
        datetime(2026, 11, 29, tzinfo=timezone.utc))}
    return found[WILD]


def test_a_boundary_denying_secretsmanager_everywhere_leaves_no_wildcard() -> None:
    """The trial's boundary: Allow ``*`` on ``*``, Deny ``secretsmanager:*`` on ``*``."""
    f = _finding(ALLOW_READ_ALL, boundary=[
        ALLOW_ALL, {"Sid": "NoSecrets", "Effect": "Deny", "Action": "secretsmanager:*",
                    "Resource": "*"}])
    assert f.status.value == "PASS", (f.status, f.message)


def test_a_deny_in_the_identity_policy_itself_leaves_no_wildcard() -> None:
    f = _finding(ALLOW_READ_ALL, {"Sid": "ButNot", "Effect": "Deny", "Action": READ,
                                  "Resource": "*"})
    assert f.status.value == "PASS", (f.status, f.message)


def test_a_deny_of_one_action_leaves_the_other() -> None:
    """Allow GetSecretValue and kms:Decrypt on ``*``, the boundary denying kms:* everywhere:
    the wildcard read of every secret stays, the Decrypt does not."""
    f = _finding({**ALLOW_READ_ALL, "Action": [READ, "kms:Decrypt"]}, boundary=[
        ALLOW_ALL, {"Effect": "Deny", "Action": "kms:*", "Resource": "*"}])
    assert f.status.value == "FAIL", (f.status, f.message)
    assert READ in f.message and "kms:Decrypt" not in f.message.split(";")[0], f.message


def test_a_conditional_deny_leaves_the_wildcard_and_is_named() -> None:
    f = _finding(ALLOW_READ_ALL, {"Sid": "OnlyFromVpc", "Effect": "Deny", "Action": READ,
                                  "Resource": "*", "Condition": {"StringNotEquals": {
                                      "aws:SourceVpc": "vpc-1"}}})
    assert f.status.value == "FAIL", (f.status, f.message)
    assert "OnlyFromVpc" in f.message and "condition" in f.message, f.message


def test_a_deny_on_named_secrets_leaves_the_wildcard_and_is_named() -> None:
    f = _finding(ALLOW_READ_ALL, boundary=[ALLOW_ALL, {
        "Sid": "NotProd", "Effect": "Deny", "Action": READ,
        "Resource": "arn:aws:secretsmanager:*:*:secret:prod/*"}])
    assert f.status.value == "FAIL", (f.status, f.message)
    assert "NotProd" in f.message and "secret:prod/*" in f.message, f.message


def test_a_fail_left_by_a_partial_deny_says_the_deny_leaves_it() -> None:
    """The finding of a wildcard a Deny leaves says which Deny and why it leaves it."""
    left = _finding(ALLOW_READ_ALL, {"Sid": "OnlyFromVpc", "Effect": "Deny", "Action": READ,
                                     "Resource": "*", "Condition": {"StringNotEquals": {
                                         "aws:SourceVpc": "vpc-1"}}})
    assert "a Deny leaves the wildcard: inline read statement 1 (OnlyFromVpc) denies " \
        "secretsmanager:GetSecretValue under a condition only" in left.message, left.message


def test_a_deny_whose_condition_spares_this_principal_takes_nothing_back() -> None:
    """The condition is read by the policy evaluator with what is known of the principal's
    request: a Deny for another role's ARN does not apply to this one."""
    f = _finding(ALLOW_READ_ALL, {"Sid": "NotTheOther", "Effect": "Deny", "Action": READ,
                                  "Resource": "*", "Condition": {"ArnEquals": {
                                      "aws:PrincipalArn": f"arn:aws:iam::{MEMBER}:role/Other"}}})
    assert f.status.value == "FAIL" and "NotTheOther" not in f.message, f.message
    g = _finding(ALLOW_READ_ALL, {"Sid": "ThisRole", "Effect": "Deny", "Action": READ,
                                  "Resource": "*", "Condition": {"ArnEquals": {
                                      "aws:PrincipalArn": WILD}}})
    assert g.status.value == "PASS", (g.status, g.message)


# IAM conformance trial round 26: the rule asked a Deny's condition of a request it built
# itself (the principal's ARN, type and account, nothing else), not of the principal's request
# as the access analysis reads it (scanner.access.context.principal_context, the scan's time
# floor) -- the same Deny read two ways in one report.
REVOKED_2024 = {"Sid": "AWSRevokeOlderSessions", "Effect": "Deny", "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2024-05-07T23:47:00Z"}}}


def test_sessions_revoked_long_ago_are_no_deny_of_the_wildcard() -> None:
    """IAM User Guide, "Revoking IAM role temporary security credentials": the console's
    policy denies only sessions issued before it; temporary credentials last 36 hours at
    most ("Disabling permissions for temporary security credentials"), so it denies no
    request from the scan on -- the wildcard stands, and no Deny is said to leave it."""
    f = _finding(ALLOW_READ_ALL, REVOKED_2024)
    assert f.status.value == "FAIL", (f.status, f.message)
    assert "Deny" not in f.message, f.message


def test_a_deny_of_every_role_session_takes_the_wildcard_back() -> None:
    """A role signs with temporary credentials only ("aws:TokenIssueTime ... included in the
    request context only when the principal uses temporary credentials"): a Deny of every
    token issued since 2020 denies every request the role can make now."""
    f = _finding(ALLOW_READ_ALL, {"Sid": "NoSessions", "Effect": "Deny", "Action": READ,
                                  "Resource": "*", "Condition": {"DateGreaterThan": {
                                      "aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}})
    assert f.status.value == "PASS", (f.status, f.message)
