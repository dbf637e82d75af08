"""Which conditions narrow a grant to everyone (scanner/policy/exposure.py ``narrows``): only
operators whose values name who gets in. A negated or ordering operator lets in everyone but
the values listed (IAM User Guide, "Condition operators")."""

from __future__ import annotations

import json

import pytest

from scanner.policy import parse_policy_text
from scanner.policy.exposure import public_statements


def _public(operator: str, key: str, value: str) -> bool:
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*", "Condition": {operator: {key: value}}}]}))
    return bool(public_statements(policy))


@pytest.mark.parametrize("operator,key,value", [
    ("NumericNotEquals", "aws:PrincipalAccount", "123456789012"),
    ("DateNotEquals", "aws:PrincipalAccount", "123456789012"),
    ("NumericGreaterThan", "aws:PrincipalAccount", "0"),
    ("NumericLessThanEquals", "kms:CallerAccount", "999999999999"),
    ("StringNotEquals", "aws:PrincipalAccount", "123456789012"),
    ("StringNotLike", "aws:PrincipalOrgID", "o-abc123"),
    ("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::123456789012:role/App"),
    ("DateGreaterThan", "aws:PrincipalOrgID", "2020-01-01T00:00:00Z"),
    ("Bool", "aws:PrincipalOrgID", "true"),
    ("StringEqualsIfExists", "aws:PrincipalAccount", "123456789012"),
    ("Null", "aws:PrincipalAccount", "false"),
])
def test_negated_and_ordering_operators_leave_a_grant_public(operator: str, key: str,
                                                             value: str) -> None:
    assert _public(operator, key, value)


@pytest.mark.parametrize("operator,key,value", [
    ("StringEquals", "aws:PrincipalAccount", "123456789012"),
    ("NumericEquals", "aws:PrincipalAccount", "123456789012"),
    ("StringLike", "aws:PrincipalOrgID", "o-abc123"),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::123456789012:role/*"),
    ("StringEqualsIgnoreCase", "aws:SourceVpce", "vpce-1234"),
])
def test_equality_and_patterns_naming_an_account_narrow(operator: str, key: str,
                                                        value: str) -> None:
    assert not _public(operator, key, value)


@pytest.mark.parametrize("operator", ["StringEquals", "NumericEquals", "StringLike"])
def test_a_narrowing_condition_names_the_account_it_lets_in(operator: str) -> None:
    # one concept: what narrows a '*' grant is what names its grantee (a review: a grant under
    # NumericEquals aws:PrincipalAccount was neither public nor an external grant)
    from scanner.policy.exposure import outside_zone_grants
    from scanner.policy.trust_zone import TrustZone

    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*", "Condition": {operator: {"aws:PrincipalAccount": "999999999999"}}}]}))
    assert not public_statements(policy)
    zone = TrustZone.of(organization=None, scanned=frozenset({"111111111111"}))
    [grant] = outside_zone_grants(policy, own_account="111111111111", zone=zone)
    assert grant.principals == ("999999999999",)
