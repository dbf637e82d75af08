"""A principal-side context value is reduced to what the policies compare it with."""

from __future__ import annotations

from typing import Any

from scanner.access.key_views import KeyViews
from scanner.policy.parse import parse_policy

APP_A = "arn:aws:iam::111111111111:role/ApplicationRole"
APP_B = "arn:aws:iam::222222222222:role/ApplicationRole"
OPS_A = "arn:aws:iam::111111111111:role/OpsRole"


def _policy(condition: dict[str, Any], resource: str = "*") -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
         "Resource": resource, "Condition": condition}]})


def _views(*policies: Any) -> KeyViews:
    return KeyViews(policies)


def test_arns_matching_the_same_patterns_have_the_same_view() -> None:
    kv = _views(_policy({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Application*"}}),
                _policy({"StringEquals": {"aws:PrincipalArn": OPS_A}}))
    a, b, ops = (kv.view({"aws:principalarn": (x,)})["aws:principalarn"]
                 for x in (APP_A, APP_B, OPS_A))
    assert a == b
    assert ops != a


def test_a_key_no_policy_compares_keeps_no_view() -> None:
    kv = _views(_policy({"StringEquals": {"aws:PrincipalOrgID": "o-1"}}))
    assert kv.view({"aws:principalarn": (APP_A,), "aws:principalorgid": ("o-1",)}).keys() == {
        "aws:principalorgid"}


def test_a_key_compared_with_a_policy_variable_keeps_its_raw_value() -> None:
    kv = _views(_policy({"StringLike": {
        "aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:role/*"}}))
    assert kv.view({"aws:principalarn": (APP_A,), "aws:principalaccount": ("111111111111",)}) \
        == {}


def test_a_key_substituted_into_a_resource_keeps_its_raw_value() -> None:
    kv = _views(_policy({"StringEquals": {"aws:PrincipalTag/team": "app"}},
                        resource="arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}/*"))
    assert kv.view({"aws:principaltag/team": ("app",)}) == {}


def test_a_key_with_a_non_string_operator_keeps_its_raw_value() -> None:
    kv = _views(_policy({"NumericLessThan": {"aws:PrincipalTag/level": "3"}}),
                _policy({"StringEquals": {"aws:PrincipalTag/level": "1"}}))
    assert kv.view({"aws:principaltag/level": ("2",)}) == {}


def test_an_arn_operator_also_records_whether_the_value_is_an_arn() -> None:
    kv = _views(_policy({"ArnNotEquals": {"aws:PrincipalTag/home": "arn:aws:iam::*:role/x"}}))
    not_arn = kv.view({"aws:principaltag/home": ("team-a",)})
    other_not_arn = kv.view({"aws:principaltag/home": ("team-b",)})
    an_arn = kv.view({"aws:principaltag/home": ("arn:aws:iam::1:role/y",)})
    assert not_arn == other_not_arn != an_arn
