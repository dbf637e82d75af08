"""The temporary-credential keys come and go together (IAM conformance trial round 19).

IAM User Guide, "AWS global condition context keys": aws:TokenIssueTime and
aws:MultiFactorAuthPresent -- "This key is included in the request context only when the
principal uses temporary credentials to make the request" (the same availability for both);
aws:MultiFactorAuthAge, the seconds since the principal was authorized with MFA, exists only
for such credentials too. An IAM user may sign with long-term keys (none of them present) or
with temporary ones (both present): the solver let one be present without the other, so a
policy that asks for both at once ("Null aws:TokenIssueTime false" and "Null
aws:MultiFactorAuthPresent true") was CONDITIONAL with --prove, where no request satisfies it.
"""

from __future__ import annotations

import json
from typing import Any

from scanner.policy import PolicyKind, Request, parse_policy_text
from scanner.policy.smt.questions import check_policy

USER = "arn:aws:iam::222222222222:user/alice"


def _solver(condition: dict[str, Any]) -> str:
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Condition": condition}]}))
    request = Request(principal_arn=USER, principal_account="222222222222",
                      principal_type="user", action="secretsmanager:GetSecretValue",
                      resource="arn:aws:secretsmanager:us-east-1:111111111111:secret:x-AbCdEf",
                      context={"aws:principalarn": (USER,)})
    return check_policy(policy, request, PolicyKind.IDENTITY, timeout_s=20).decision


def test_token_issue_time_without_mfa_present_is_no_request() -> None:
    """concept: IAM conformance trial round 19 -- was CONDITIONAL."""
    assert _solver({"Null": {"aws:TokenIssueTime": "false",
                             "aws:MultiFactorAuthPresent": "true"}}) == "DENIED"
    assert _solver({"Null": {"aws:TokenIssueTime": "true"},
                    "Bool": {"aws:MultiFactorAuthPresent": "false"}}) == "DENIED"


def test_mfa_age_needs_temporary_credentials() -> None:
    assert _solver({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
                    "Null": {"aws:TokenIssueTime": "true"}}) == "DENIED"


def test_either_kind_of_credentials_stays_open() -> None:
    """Long-term keys or temporary credentials: both are possible for a user."""
    assert _solver({"Null": {"aws:TokenIssueTime": "false"}}) == "CONDITIONAL"
    assert _solver({"Null": {"aws:TokenIssueTime": "true",
                             "aws:MultiFactorAuthPresent": "true"}}) == "CONDITIONAL"
