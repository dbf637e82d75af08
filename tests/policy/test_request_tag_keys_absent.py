"""aws:TagKeys and aws:RequestTag/* on the reads (IAM conformance trial round 11). IAM User
Guide, "AWS global condition context keys": aws:RequestTag/tag-key -- "This key is included in
the request context when tags are passed in the request"; aws:TagKeys -- "This key is included
in the request context if the operation supports passing tags in the request". GetSecretValue
and kms:Decrypt pass no tags (the Service Authorization Reference lists neither key for them,
only for the tagging and create actions), so on them both keys are absent: ForAnyValue false,
ForAllValues true, Null true, a plain operator false, its negation and ...IfExists true."""

from __future__ import annotations

import pytest

from scanner.policy.conditions import evaluate_clause
from scanner.policy.parse import ConditionClause, parse_policy
from scanner.policy.request import KeyState, Request
from scanner.policy.tri import Tri

READS = ["secretsmanager:GetSecretValue", "kms:Decrypt"]
KEYS = ["aws:TagKeys", "aws:RequestTag/owner", "aws:RequestTag/Cost-Center"]


def _request(action: str) -> Request:
    return Request(principal_arn="arn:aws:iam::222222222222:role/r",
                   principal_account="222222222222", action=action,
                   resource="arn:aws:secretsmanager:us-east-1:111111111111:secret:x-AbCdEf")


@pytest.mark.parametrize("action", READS)
@pytest.mark.parametrize("key", KEYS)
def test_the_reads_carry_no_request_tags(action: str, key: str) -> None:
    """concept: IAM conformance trial round 11 -- these were unknown, so a tag-governance SCP
    made every reader CONDITIONAL."""
    assert _request(action).key_state(key) is KeyState.ABSENT


@pytest.mark.parametrize("action", ["secretsmanager:CreateSecret", "secretsmanager:TagResource",
                                    "kms:TagResource", "kms:CreateKey", "ec2:RunInstances"])
def test_actions_that_may_pass_tags_leave_them_unknown(action: str) -> None:
    """concept: IAM conformance trial round 11 (only the reads are known to pass none)."""
    for key in KEYS:
        assert _request(action).key_state(key) is KeyState.UNKNOWN


def _clause(operator: str, key: str, value: object) -> ConditionClause:
    policy = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {operator: {key: value}}}]})
    return policy.statements[0].conditions[0]


@pytest.mark.parametrize("action", READS)
@pytest.mark.parametrize("operator,key,value,expected", [
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", ["owner", "env"], Tri.FALSE),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["owner"], Tri.FALSE),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["owner", "env"], Tri.TRUE),
    ("Null", "aws:TagKeys", "true", Tri.TRUE),
    ("Null", "aws:RequestTag/owner", "true", Tri.TRUE),
    ("Null", "aws:RequestTag/owner", "false", Tri.FALSE),
    ("StringEquals", "aws:RequestTag/owner", "team-a", Tri.FALSE),
    ("StringNotEquals", "aws:RequestTag/owner", "team-a", Tri.TRUE),
    ("StringEqualsIfExists", "aws:RequestTag/owner", "team-a", Tri.TRUE),
])
def test_conditions_on_the_absent_tag_keys(action: str, operator: str, key: str, value: object,
                                           expected: Tri) -> None:
    """concept: IAM conformance trial round 11 (IAM User Guide, "Condition operators": an
    absent key makes a positive operator false and a negated one true; ForAnyValue false,
    ForAllValues true; "Null ... true" if the key is absent)."""
    assert evaluate_clause(_clause(operator, key, value), _request(action), True)[0] is expected
