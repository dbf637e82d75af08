"""The solver's aws:SourceArn and aws:PrincipalArn, when present, are ARNs (IAM conformance trial
round 25).

IAM User Guide, "AWS global condition context keys": aws:SourceArn is "the Amazon Resource Name
(ARN) of the resource making a service-to-service request", aws:PrincipalArn "the Amazon
Resource Name (ARN) of the principal that made the request"; "Amazon Resource Name (ARN)
condition operators": "Each of the six colon-delimited components of the ARN is checked
separately". A value of fewer than six components (a function ARN missing its resource,
``arn:aws:lambda:us-east-1:111111111111``, or ``*``) matches no ARN: ArnNotLike it is true
whether the key is absent (a negated operator) or present (an ARN it cannot match) -- a Deny
under it applies to every request. The evaluator said so (conditions.ARN_VALUED_KEYS); the
solver let an unknown aws:SourceArn be any text, also one that is no ARN and matches the
negated operator neither way, and answered CONDITIONAL.
"""

from __future__ import annotations

import json

import pytest
from helpers.access_estate import APP_ROLE, MEMBER, SECRET_ARN

from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy_text
from scanner.policy.smt.questions import check_policy

pytest.importorskip("z3")

ALL = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}


def _both(operator: str, value: str, **context: str) -> tuple[str, str]:
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": [
        ALL, {**ALL, "Effect": "Deny", "Condition": {operator: {"aws:SourceArn": value}}}]}))
    request = Request(principal_arn=APP_ROLE, principal_account=MEMBER,
                      action="secretsmanager:GetSecretValue", resource=SECRET_ARN,
                      context={k.lower(): (v,) for k, v in context.items()})
    return (evaluate_policy(policy, request, PolicyKind.RESOURCE).decision.value,
            check_policy(policy, request, PolicyKind.RESOURCE, timeout_s=20).decision)


@pytest.mark.parametrize("operator", ["ArnNotLike", "ArnNotEquals"])
@pytest.mark.parametrize("value", ["arn:aws:lambda:us-east-1:111111111111", "*"])
def test_a_negated_arn_operator_of_no_six_component_value_always_applies(
        operator: str, value: str) -> None:
    assert _both(operator, value) == ("DENIED", "DENIED")


def test_a_six_component_value_still_depends_on_the_source() -> None:
    function = "arn:aws:lambda:us-east-1:111111111111:function:f"
    assert _both("ArnNotLike", function) == ("CONDITIONAL", "CONDITIONAL")
    assert _both("ArnNotLike", function, **{"aws:SourceArn": function}) == ("ALLOWED", "ALLOWED")


def test_a_stated_value_that_is_no_arn_matches_neither_way() -> None:
    """A request the snapshot states (a test's): its value is what it is -- not an ARN, so
    the negated ARN operator does not match it (conditions module doc)."""
    assert _both("ArnNotLike", "*", **{"aws:SourceArn": "not-an-arn"}) == ("ALLOWED", "ALLOWED")
