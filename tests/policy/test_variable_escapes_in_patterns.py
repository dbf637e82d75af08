"""${*} and ${?} in a StringLike / StringNotLike value (IAM conformance trial round 19).

IAM User Guide, "IAM policy elements: Variables and tags", special characters: "There are a
few special predefined policy variables that have fixed values that enable you to represent
characters that otherwise have special meaning ... ${*} - use where you need an * (asterisk)
character. ${?} - use where you need a ? (question mark) character. ${$} - use where you need
a $ (dollar sign) character." In StringLike, where * and ? are wildcards, the escape stands for
the character itself: "a${*}" matches the value "a*" only. secretgraph answered CONDITIONAL
("a variable ... expands to a pattern") though the request's value was known. A substituted
*value* holding a wildcard character stays undecided (not documented)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy_text


def _decide(operator: str, value: str, tag: str, **context: Any) -> str:
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Condition": {operator: {"aws:ResourceTag/x": value}}}]}))
    ctx = {"aws:resourcetag/x": (tag,), **{k: (v,) for k, v in context.items()}}
    request = Request(principal_arn="arn:aws:iam::222222222222:user/bob",
                      principal_account="222222222222", principal_type="user",
                      action="secretsmanager:GetSecretValue",
                      resource="arn:aws:secretsmanager:us-east-1:111111111111:secret:x-AbCdEf",
                      context=ctx)
    return evaluate_policy(policy, request, PolicyKind.IDENTITY).decision.value


@pytest.mark.parametrize("value,tag,expected", [
    ("a${*}", "a*", "ALLOWED"),
    ("a${*}", "abc", "DENIED"),
    ("a${*}", "a", "DENIED"),
    ("a${?}*", "a?bc", "ALLOWED"),
    ("a${?}*", "abc", "DENIED"),
    ("*${*}", "x*", "ALLOWED"),
    ("?${*}", "**", "ALLOWED"),
    ("${aws:username}-${*}", "bob-*", "ALLOWED"),
    ("${aws:username}-${*}", "bob-x", "DENIED"),
])
def test_an_escape_is_the_character_itself(value: str, tag: str, expected: str) -> None:
    """concept: IAM conformance trial round 19 -- was CONDITIONAL."""
    assert _decide("StringLike", value, tag, **{"aws:username": "bob"}) == expected
    negated = {"ALLOWED": "DENIED", "DENIED": "ALLOWED"}[expected]
    assert _decide("StringNotLike", value, tag, **{"aws:username": "bob"}) == negated


def test_a_substituted_value_holding_a_wildcard_stays_undecided() -> None:
    """Whether a * that a variable's *value* brings is a wildcard is not documented."""
    assert _decide("StringLike", "${aws:PrincipalTag/p}", "abc",
                   **{"aws:principaltag/p": "a*"}) == "CONDITIONAL"


def test_an_escape_beside_a_default_value() -> None:
    """``${aws:PrincipalTag/p, 'dflt'}`` (absent: the default) before an escape."""
    policy_value = "${aws:PrincipalTag/p, 'dflt'}${*}"
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*",
         "Condition": {"StringLike": {"aws:ResourceTag/x": policy_value}}}]}))
    for tag, expected in (("dflt*", "ALLOWED"), ("dfltx", "DENIED")):
        request = Request(principal_arn="arn:aws:iam::222222222222:user/bob",
                          principal_account="222222222222", principal_type="user",
                          action="secretsmanager:GetSecretValue", resource="*",
                          context={"aws:resourcetag/x": (tag,)},
                          absent=frozenset({"aws:principaltag/p"}))
        result = evaluate_policy(policy, request, PolicyKind.IDENTITY)
        assert result.decision.value == expected, tag
