"""aws:PrincipalArn known by its account only -- the ``*`` path's (an account no policy names:
request.ARN_OF_UNNAMED) and a whole other account's (request.arn_of) -- compared with a value
naming another account is decided (IAM conformance trial round 14). IAM User Guide, "AWS
global condition context keys", aws:PrincipalArn: "the Amazon Resource Name (ARN) of the
principal that made the request" -- an ARN ``arn:<partition>:iam::<account>:...`` of the
caller's account; "This key is included in the request context for all signed requests".
A string comparison whose literal head holds the whole account component (docs/access.md,
the ``*`` path) matches no ARN of another account; an exact comparison compares case-folded
under IgnoreCase ("String condition operators": StringEqualsIgnoreCase "Exact matching,
ignoring case"); a value of fewer than six components equals no ARN."""

from __future__ import annotations

import pytest

from scanner.policy.conditions import evaluate_clause
from scanner.policy.matching import head_account
from scanner.policy.parse import ConditionClause, parse_policy
from scanner.policy.request import ARN_OF_UNNAMED, PRINCIPAL_ARN, Request, arn_of
from scanner.policy.tri import Tri

OURS = "111111111111"
SECRET = f"arn:aws:secretsmanager:us-east-1:{OURS}:secret:app/db-AbCdEf"


@pytest.mark.parametrize("pattern,account", [
    (f"arn:aws:iam::{OURS}*", OURS),
    (f"arn:aws:iam::{OURS}", OURS),
    (f"arn:aws:iam::{OURS}:", OURS),
    (f"arn:aws:iam::{OURS}:role/*", OURS),
    (f"arn:aws:iam::{OURS}:root", OURS),
    ("arn:aws:iam::11111111111*", None),  # 11 digits: 111111111112 begins so too
    ("arn:aws:iam::1111*:root", None),
    ("arn:aws:iam::*", None),
    ("arn:aws:iam::", None),
    ("arn:aws:iam:::role/x", None),
    (f"arn:*:iam::{OURS}:role/*", None),  # the head ends before the account
    ("*", None),
    (OURS, None),
])
def test_the_account_a_patterns_literal_head_holds(pattern: str, account: str | None) -> None:
    """IAM conformance trial round 14: arn:aws:iam::<ours>* holds the account component
    (the 12 digits end the head), arn:aws:iam::11111111111* does not."""
    assert head_account(pattern) == account


def _request(excluded: frozenset[str]) -> Request:
    return Request(principal_arn="*", principal_account=None, principal_type="public",
                   action="secretsmanager:GetSecretValue", resource=SECRET,
                   excluded={PRINCIPAL_ARN: excluded})


def _clause(operator: str, value: object) -> ConditionClause:
    policy = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {operator: {"aws:PrincipalArn": value}}}]})
    return policy.statements[0].conditions[0]


UNNAMED_CASES = [
    # trial case 2a / 2d: the negated IgnoreCase form, compared case-folded
    ("StringNotEqualsIgnoreCase", f"arn:aws:iam::{OURS}:root", Tri.TRUE),
    ("StringEqualsIgnoreCase", f"ARN:AWS:IAM::{OURS}:ROOT", Tri.FALSE),
    # 2b: the literal head holds the whole account component
    ("StringNotLike", f"arn:aws:iam::{OURS}*", Tri.TRUE),
    ("StringLike", f"arn:aws:iam::{OURS}*", Tri.FALSE),
    ("StringLike", f"arn:aws:iam::{OURS}:*", Tri.FALSE),
    # 2e: five components equal no ARN
    ("StringNotEquals", f"arn:aws:iam::{OURS}", Tri.TRUE),
    ("StringEquals", f"arn:aws:iam::{OURS}", Tri.FALSE),
    ("StringEqualsIfExists", f"arn:aws:iam::{OURS}", Tri.FALSE),
    ("ArnNotLike", f"arn:aws:iam::{OURS}:*", Tri.TRUE),
    # a head that may hold another account's id stays open
    ("StringNotLike", "arn:aws:iam::11111111111*", Tri.UNKNOWN),
    ("StringLike", "arn:aws:iam::*:role/Reader", Tri.UNKNOWN),
    ("ArnNotLike", "arn:aws:iam::*:role/Reader", Tri.UNKNOWN),
]


@pytest.mark.parametrize("operator,value,expected", UNNAMED_CASES)
def test_the_star_paths_arn_against_a_value_naming_another_account(
        operator: str, value: str, expected: Tri) -> None:
    """IAM conformance trial round 14: StringNotEqualsIgnoreCase, StringNotLike
    arn:aws:iam::<ours>* and a five-component StringNotEquals were unknown for the ``*``
    path, so a Deny under them took its read back only with --prove."""
    truth, names = evaluate_clause(_clause(operator, value), _request(ARN_OF_UNNAMED), True)
    assert truth is expected, (truth, names)


@pytest.mark.parametrize("operator,value,expected", [
    ("StringNotEqualsIgnoreCase", f"arn:aws:iam::{OURS}:root", Tri.TRUE),
    ("StringEqualsIgnoreCase", f"ARN:AWS:IAM::{OURS}:ROOT", Tri.FALSE),
    ("StringNotLike", f"arn:aws:iam::{OURS}*", Tri.TRUE),
    ("StringNotEquals", f"arn:aws:iam::{OURS}", Tri.TRUE),
    # the grantee's own account: which of its principals asks is not known
    ("StringEqualsIgnoreCase", "ARN:AWS:IAM::999999999999:ROOT", Tri.UNKNOWN),
    ("StringNotLike", "arn:aws:iam::9999*", Tri.FALSE),  # every ARN of 999999999999 (round 31)
])
def test_a_whole_accounts_arn_against_a_value_naming_another_account(
        operator: str, value: str, expected: Tri) -> None:
    """IAM conformance trial round 14 (case 2d): a grant to 999999999999 under a Deny unless
    StringNotEqualsIgnoreCase aws:PrincipalArn <our root> stayed external without --prove."""
    truth, names = evaluate_clause(_clause(operator, value),
                                   _request(arn_of("aws", "999999999999")), True)
    assert truth is expected, (truth, names)
