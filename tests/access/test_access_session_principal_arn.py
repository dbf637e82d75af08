"""aws:PrincipalArn of a role session a policy names by its STS ARN (a role of an account whose
IAM was not read): the role's ARN, never the session's. IAM User Guide, "AWS global condition
context keys", aws:PrincipalArn, for an IAM role: "The request context contains the following
value for condition key aws:PrincipalArn. Do not specify the assumed role session ARN as a
value for this condition key ... arn:aws:iam::123456789012:role/role-name". Which path the role
has is not known, but its ARN is an IAM role ARN of the session's partition and account
(request.arn_of with the resource head ``role/``), so a comparison no such ARN can meet is
decided -- ArnEquals with the session ARN itself (service ``sts``), another account's ARN, a
user's -- the evaluator and the solver (``access --prove``) alike. IAM conformance trial round
31: every such comparison left the session CONDITIONAL "if: aws:principalarn"."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpers.access_estate import (APP_ROLE, CENTRAL, OUTSIDER, SECRET_ARN, allow_read_identity,
                                   estate, key_policy_for, role, secret_policy_for)
from scanner.access import AccessSettings, analyze_access
from scanner.access.context import (PrincipalFacts, build_request, principal_context,
                                    resource_context)
from scanner.graph.builder import build_graph
from scanner.policy import PolicyKind, evaluate_policy, parse_policy_text

SESSION = f"arn:aws:sts::{OUTSIDER}:assumed-role/Partner/nightly"
SETTINGS = AccessSettings(org_account_ids=frozenset({CENTRAL}), org_id="o-abcdefghij")


def _request() -> Any:
    facts = PrincipalFacts(arn=SESSION, account_id=OUTSIDER, principal_type="role")
    rctx = resource_context(account_id=CENTRAL, region="us-east-1", tags={}, settings=SETTINGS,
                            kms=False, secret_arn=SECRET_ARN)
    return build_request(facts, principal_context(facts, SETTINGS), rctx,
                         action="secretsmanager:GetSecretValue", resource=SECRET_ARN)


def _allow_if(operator: str, value: str) -> Any:
    return parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": SESSION},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*",
        "Condition": {operator: {"aws:PrincipalArn": value}}}]}))


NEVER = {
    "the session ARN itself (ArnEquals)": ("ArnEquals", SESSION),
    "the session ARN itself (StringEquals)": ("StringEquals", SESSION),
    "the session ARN, any session (ArnLike)": (
        "ArnLike", f"arn:aws:sts::{OUTSIDER}:assumed-role/Partner/*"),
    "a role of another account": ("ArnEquals", f"arn:aws:iam::{CENTRAL}:role/Partner"),
    "a user of its account": ("ArnLike", f"arn:aws:iam::{OUTSIDER}:user/*"),
    "its account's root user (IgnoreCase)": ("StringEqualsIgnoreCase",
                                             f"ARN:AWS:IAM::{OUTSIDER}:ROOT"),
}


@pytest.mark.parametrize("operator,value", NEVER.values(), ids=list(NEVER))
def test_a_value_no_role_arn_of_the_sessions_account_can_be_never_matches(
        operator: str, value: str) -> None:
    policy = _allow_if(operator, value)
    result = evaluate_policy(policy, _request(), PolicyKind.RESOURCE)
    assert result.decision.value == "DENIED", result
    pytest.importorskip("z3")
    from scanner.policy.smt.questions import check_policy

    assert check_policy(policy, _request(), PolicyKind.RESOURCE, timeout_s=20).decision == \
        "DENIED"


@pytest.mark.parametrize("operator,value", [
    ("ArnEquals", f"arn:aws:iam::{OUTSIDER}:role/Partner"),  # its role, if its path is "/"
    ("StringEquals", f"arn:aws:iam::{OUTSIDER}:role/Partner"),
    ("ArnLike", f"arn:aws:iam::{OUTSIDER}:role/Part*"),  # the path may come first
])
def test_a_value_its_role_may_have_stays_conditional(operator: str, value: str) -> None:
    result = evaluate_policy(_allow_if(operator, value), _request(), PolicyKind.RESOURCE)
    assert result.decision.value == "CONDITIONAL"
    assert "aws:principalarn" in result.unresolved


def test_a_grant_to_a_session_narrowed_to_the_session_arn_has_no_reader() -> None:
    """The common mistake: the grant names the session and requires aws:PrincipalArn to be the
    session ARN. AWS compares the role's ARN: the grant never applies."""
    policy = secret_policy_for(SESSION, extra={"Condition": {"ArnEquals": {
        "aws:PrincipalArn": SESSION}}})
    snap = estate(secret_policy=policy, key_policy=key_policy_for(f"arn:aws:iam::{OUTSIDER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    settings = AccessSettings.from_snapshot(snap)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    assert SESSION not in {p.principal for p in sa.paths if p.decision != "DENIED"}
    assert SESSION not in sa.conditional_readers and SESSION not in sa.readers
