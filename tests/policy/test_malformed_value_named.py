"""A value of a numeric or IP address operator that is no number or address is named in the
reason, also where the key's value is not known (IAM conformance trial round 30).

IAM User Guide, "Condition operators": numeric condition operators compare the key "to an
integer or decimal value"; IP address condition operators take "The specified IP address or
range" (IPv4 or IPv6 CIDR notation). docs/access.md: "an unparseable number / date / IP --
the affected statement ... is UNKNOWN and the path is CONDITIONAL with the reason". Where
the request's value is known the parse error was named; on aws:SourceIp or
aws:MultiFactorAuthAge, which the snapshot never knows, the reason named the key alone --
"Allow applies only if: aws:sourceip" for IpAddress "10.0.0.0/33", as if the range were one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy_text

SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf"
ROLE = "arn:aws:iam::222222222222:role/App"


def _unresolved(condition: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "secretsmanager:*",
         "Resource": "*", "Condition": condition}]}))
    request = Request(principal_arn=ROLE, principal_account="222222222222",
                      action="secretsmanager:GetSecretValue", resource=SECRET)
    result = evaluate_policy(policy, request, PolicyKind.RESOURCE)
    return result.decision.value, result.unresolved


@pytest.mark.parametrize("condition,named", [
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}}, "not an IP address or CIDR: '10.0.0.0/33'"),
    ({"NotIpAddress": {"aws:VpcSourceIp": ["10.0.0.0/8", "vpc-1234"]}},
     "not an IP address or CIDR: 'vpc-1234'"),
    ({"NumericLessThan": {"aws:MultiFactorAuthAge": "1e3"}}, "not a number: '1e3'"),
    ({"NumericLessThanIfExists": {"aws:MultiFactorAuthAge": "${aws:EpochTime}"}},
     "not substituted in NumericLessThanIfExists"),
], ids=["prefix-33", "vpc-id", "exponent", "variable"])
def test_a_malformed_value_is_named_not_the_key_alone(condition: dict[str, Any],
                                                      named: str) -> None:
    decision, unresolved = _unresolved(condition)
    assert decision == "CONDITIONAL"
    assert len(unresolved) == 1 and named in unresolved[0], unresolved


@pytest.mark.parametrize("condition,key", [
    ({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}, "aws:sourceip"),
    ({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, "aws:multifactorauthage"),
], ids=["ranges", "number"])
def test_a_well_formed_value_names_the_key(condition: dict[str, Any], key: str) -> None:
    assert _unresolved(condition) == ("CONDITIONAL", (key,))
