"""A policy variable is substituted only in the values of string and ARN condition operators
(IAM conformance trial round 25).

IAM User Guide, "IAM policy elements: Variables and tags", Condition element: "You can use a
policy variable for Condition values in any condition that involves the string operators or
the ARN operators. ... You can't use a policy variable with other operators, such as Numeric,
Date, Boolean, Binary, IP Address, or Null operators." In a Bool, Numeric, Date or IpAddress
value ``${aws:PrincipalTag/x}`` is the text it is, not the tag's value: it is no boolean
("Bool -- Boolean matching": ``true`` and ``false`` only) and no number, date or address.

Before: the evaluator substituted the tag into any operator's value and gave confident answers
-- ``Allow if Bool aws:SecureTransport "${aws:PrincipalTag/secure}"`` ALLOWED a role tagged
secure=true, ``Allow if IpAddress aws:SourceIp "${aws:PrincipalTag/cidr}"`` ALLOWED a request
from that range, ``Deny if NotIpAddress`` of it did not apply --, and the solver answered
UNKNOWN "b'parser error'" for a Date value it substituted as text into a number comparison.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers.access_estate import APP_ROLE, MEMBER, SECRET_ARN

from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy_text
from scanner.policy.smt.questions import check_policy

pytest.importorskip("z3")

ALL = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
TAG = "aws:principaltag/"


def _request(**context: str) -> Request:
    return Request(principal_arn=APP_ROLE, principal_account=MEMBER,
                   action="secretsmanager:GetSecretValue", resource=SECRET_ARN,
                   context={k.lower(): (v,) for k, v in context.items()})


def _both(statements: list[dict[str, Any]], request: Request,
          version: str = "2012-10-17") -> tuple[str, str]:
    policy = parse_policy_text(json.dumps({"Version": version, "Statement": statements}))
    evaluated = evaluate_policy(policy, request, PolicyKind.RESOURCE).decision.value
    return evaluated, check_policy(policy, request, PolicyKind.RESOURCE, timeout_s=20).decision


def _allow_if(condition: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**ALL, "Condition": condition}]


def _deny_if(condition: dict[str, Any]) -> list[dict[str, Any]]:
    return [ALL, {**ALL, "Effect": "Deny", "Condition": condition}]


def test_a_variable_in_a_bool_value_is_text_that_matches_neither_true_nor_false() -> None:
    request = _request(**{"aws:SecureTransport": "true", TAG + "secure": "true"})
    condition = {"Bool": {"aws:SecureTransport": "${aws:PrincipalTag/secure}"}}
    assert _both(_allow_if(condition), request) == ("DENIED", "DENIED")
    assert _both(_deny_if(condition), request) == ("ALLOWED", "ALLOWED")


@pytest.mark.parametrize("operator, key, value, tag", [
    ("NumericLessThan", "aws:MultiFactorAuthAge", "5", "10"),
    ("DateLessThan", "aws:TokenIssueTime", "2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
    ("IpAddress", "aws:SourceIp", "10.0.0.1", "10.0.0.0/8"),
    ("NotIpAddress", "aws:SourceIp", "192.0.2.1", "10.0.0.0/8"),
])
def test_a_variable_in_a_numeric_date_or_ip_value_is_not_the_tag(
        operator: str, key: str, value: str, tag: str) -> None:
    """The text ``${aws:PrincipalTag/x}`` is no number, date or address: what AWS makes of
    such a comparison is not documented -- not decided, by the evaluator and the solver
    alike (the solver's answer was 'b'parser error'' for the Date)."""
    request = _request(**{key: value, TAG + "x": tag})
    condition = {operator: {key: "${aws:PrincipalTag/x}"}}
    evaluated, solved = _both(_allow_if(condition), request)
    assert (evaluated, solved) == ("CONDITIONAL", "UNKNOWN")
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17",
                                           "Statement": _allow_if(condition)}))
    unresolved = evaluate_policy(policy, request, PolicyKind.RESOURCE).unresolved
    assert any("${aws:PrincipalTag/x}" in u for u in unresolved), unresolved
    not_encoded = check_policy(policy, request, PolicyKind.RESOURCE, timeout_s=20).not_encoded
    assert not any("parser error" in n for n in not_encoded), not_encoded


def test_the_string_and_arn_operators_still_substitute() -> None:
    request = _request(**{"aws:SourceVpce": "vpce-1", TAG + "vpce": "vpce-1",
                          "aws:PrincipalArn": APP_ROLE, TAG + "arn": APP_ROLE})
    assert _both(_allow_if({"StringEquals": {"aws:SourceVpce": "${aws:PrincipalTag/vpce}"}}),
                 request) == ("ALLOWED", "ALLOWED")
    assert _both(_allow_if({"ArnEquals": {"aws:PrincipalArn": "${aws:PrincipalTag/arn}"}}),
                 request) == ("ALLOWED", "ALLOWED")


def test_a_bool_value_naming_the_boolean_it_stands_for_is_unchanged() -> None:
    request = _request(**{"aws:SecureTransport": "true"})
    assert _both(_allow_if({"Bool": {"aws:SecureTransport": "true"}}), request) == \
        ("ALLOWED", "ALLOWED")
