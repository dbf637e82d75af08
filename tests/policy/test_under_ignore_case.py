"""A key present with one value beginning with a known prefix (request.under: a member's
aws:PrincipalOrgPaths, a Lambda function's aws:SourceArn) compared with an IgnoreCase
operator is compared case-folded on both sides (IAM User Guide, "Condition operators":
StringEqualsIgnoreCase -- "Exact matching, ignoring case"): a function ARN with capitals in its
name matches its lower-case spelling (IAM conformance trial round 34: the prefix was compared
as written, so the function's own ARN in lower case was read as another function's)."""

from __future__ import annotations

from scanner.policy.conditions import evaluate_conditions
from scanner.policy.parse import parse_policy
from scanner.policy.request import Request, under
from scanner.policy.tri import Tri

FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:RotateDB"


def holds(operator: str, value: str) -> Tri:
    policy = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
        "Condition": {operator: {"aws:SourceArn": value}}}]})
    request = Request(principal_arn="lambda.amazonaws.com", principal_account=None,
                      action="sts:AssumeRole", resource="arn:aws:iam::111111111111:role/r",
                      principal_type="service", excluded={"aws:sourcearn": under(FUNCTION)})
    return evaluate_conditions(policy.statements[0].conditions, request, True)[0]


def test_the_functions_own_arn_in_another_case_may_match() -> None:
    assert holds("StringEqualsIgnoreCase", FUNCTION.lower()) is Tri.UNKNOWN
    assert holds("StringNotEqualsIgnoreCase", FUNCTION.upper()) is Tri.UNKNOWN


def test_another_functions_arn_does_not_match_in_any_case() -> None:
    assert holds("StringEqualsIgnoreCase", FUNCTION.lower().replace("rotatedb", "other")) \
        is Tri.FALSE
    assert holds("StringEquals", FUNCTION.lower()) is Tri.FALSE  # case-sensitive
