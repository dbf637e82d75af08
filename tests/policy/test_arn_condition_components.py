"""The ARN condition operators compare six components (IAM conformance trial round 11). IAM User
Guide, "Amazon Resource Name (ARN) condition operators": "Case-sensitive matching of the ARN.
Each of the six colon-delimited components of the ARN is checked separately and each can include
multi-character match wildcards (*) or single-character match wildcards (?)." A policy value with
fewer than six components matches no ARN (ArnLike / ArnEquals false, ArnNotLike / ArnNotEquals
true); a wildcard matches within its component; the sixth component is the rest of the ARN,
colons included. A different rule from the Resource element's (tests/policy/
test_resource_star_spans_colon.py): ``arn:aws:iam:*:role/ApplicationRole`` is a Resource pattern
whose Region ``*`` spans colons, and an ARN operator value of five components."""

from __future__ import annotations

import pytest

from scanner.policy.conditions import evaluate_clause
from scanner.policy.matching import arn_condition_matches, arn_matches
from scanner.policy.parse import ConditionClause
from scanner.policy.request import Request
from scanner.policy.tri import Tri

ROLE = "arn:aws:iam::222222222222:role/ApplicationRole"
SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf"


@pytest.mark.parametrize("value", [
    "arn:aws:iam:*:role/ApplicationRole",      # one colon missing: five components
    "arn:aws:iam::*ApplicationRole",
    "arn:aws:iam::*",
    "arn:*",
    "*",
])
def test_a_value_of_fewer_than_six_components_matches_no_arn(value: str) -> None:
    """concept: IAM conformance trial round 11 -- compared as one glob across the colons, each
    of these matched the role."""
    assert not arn_condition_matches(value, ROLE)
    assert not arn_condition_matches(value, SECRET)


@pytest.mark.parametrize("value,arn,hit", [
    ("arn:aws:iam::*:role/ApplicationRole", ROLE, True),
    ("arn:aws:iam::222222222222:role/*", ROLE, True),
    ("arn:???:*:*:*:*", ROLE, True),
    # a * of the first five components stays within its component
    ("arn:aws:*:222222222222:role/ApplicationRole", ROLE, False),
    ("arn:aws:iam:*:role/ApplicationRole:x", ROLE, False),
    # the sixth component is the rest of the ARN, its colons included
    ("arn:aws:secretsmanager:*:*:secret:*", SECRET, True),
    ("arn:aws:secretsmanager:*:*:*", SECRET, True),
    ("arn:aws:secretsmanager:us-east-1:111111111111:*db-AbCdEf", SECRET, True),
    ("arn:aws:secretsmanager:us-east-1:111111111111:secret", SECRET, False),
    ("arn:aws:iam::222222222222:role/applicationrole", ROLE, False),  # case-sensitive
])
def test_each_component_is_matched_on_its_own(value: str, arn: str, hit: bool) -> None:
    """concept: IAM conformance trial round 11."""
    assert arn_condition_matches(value, arn) is hit


def test_the_resource_rule_and_the_operator_rule_differ() -> None:
    """concept: IAM conformance trial round 11 -- two documented rules, two functions."""
    five = "arn:aws:iam:*:role/ApplicationRole"
    assert arn_matches(five, ROLE) and not arn_condition_matches(five, ROLE)


def _clause(operator: str, value: str) -> ConditionClause:
    from scanner.policy.parse import parse_policy
    policy = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {operator: {"aws:PrincipalArn": value}}}]})
    return policy.statements[0].conditions[0]


@pytest.mark.parametrize("operator,expected", [
    ("ArnLike", Tri.FALSE), ("ArnEquals", Tri.FALSE),
    ("ArnNotLike", Tri.TRUE), ("ArnNotEquals", Tri.TRUE),
    ("ArnLikeIfExists", Tri.FALSE), ("ForAnyValue:ArnLike", Tri.FALSE),
])
def test_the_operators_on_a_five_component_value(operator: str, expected: Tri) -> None:
    """concept: IAM conformance trial round 11 -- ArnLike was true, ArnNotLike false."""
    req = Request(principal_arn=ROLE, principal_account="222222222222",
                  action="secretsmanager:GetSecretValue", resource=SECRET,
                  context={"aws:principalarn": (ROLE,)})
    clause = _clause(operator, "arn:aws:iam:*:role/ApplicationRole")
    assert evaluate_clause(clause, req, True)[0] is expected
