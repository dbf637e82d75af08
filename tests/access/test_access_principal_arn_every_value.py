"""A pattern every ARN of the principal's known shape matches. The stand-in of an account whose
IAM was not read has an aws:PrincipalArn that is some IAM ARN of its account, and a role
session named by its STS ARN has its role's, an IAM role ARN of its account (request.arn_of,
request.role_session_arn). IAM User Guide, "Amazon Resource Name (ARN) condition operators":
"Each of the six colon-delimited components of the ARN is checked separately and each can
include multi-character match wildcards (*)", so ``ArnLike arn:aws:iam::<its account>:*``
(and ``StringLike`` of it, ``...:role/*`` for a session) holds whichever principal it is: the
positive operators true, the negated false -- for the evaluator as for the solver (``access
--prove``). IAM conformance trial round 31: the evaluator left it CONDITIONAL "if:
aws:principalarn" where the solver proved it, so a partner's whole account let in by
``ArnLike arn:aws:iam::<partner>:*`` was a CONDITIONAL reader."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpers.access_estate import CENTRAL, OUTSIDER, SECRET_ARN
from scanner.access import AccessSettings
from scanner.access.context import (PrincipalFacts, build_request, principal_context,
                                    resource_context)
from scanner.policy import PolicyKind, evaluate_policy, parse_policy_text

SETTINGS = AccessSettings(org_account_ids=frozenset({CENTRAL}), org_id="o-abcdefghij")
STAND_IN = PrincipalFacts(arn=f"arn:aws:iam::{OUTSIDER}:root", account_id=OUTSIDER,
                          principal_type="root", account_stand_in=True)
SESSION = PrincipalFacts(arn=f"arn:aws:sts::{OUTSIDER}:assumed-role/Partner/nightly",
                         account_id=OUTSIDER, principal_type="role")


def _request(facts: PrincipalFacts) -> Any:
    rctx = resource_context(account_id=CENTRAL, region="us-east-1", tags={}, settings=SETTINGS,
                            kms=False, secret_arn=SECRET_ARN)
    return build_request(facts, principal_context(facts, SETTINGS), rctx,
                         action="secretsmanager:GetSecretValue", resource=SECRET_ARN)


def _allow_if(operator: str, value: str) -> Any:
    return parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*", "Condition": {operator: {"aws:PrincipalArn": value}}}]}))


EVERY = [
    ("stand-in", STAND_IN, "ArnLike", f"arn:aws:iam::{OUTSIDER}:*", "ALLOWED"),
    ("stand-in", STAND_IN, "ArnEquals", f"arn:aws:iam::{OUTSIDER}:*", "ALLOWED"),
    ("stand-in", STAND_IN, "StringLike", f"arn:aws:iam::{OUTSIDER}:*", "ALLOWED"),
    ("stand-in", STAND_IN, "ArnLike", "arn:aws:iam::*:*", "ALLOWED"),
    ("stand-in", STAND_IN, "ArnNotLike", f"arn:aws:iam::{OUTSIDER}:*", "DENIED"),
    ("stand-in", STAND_IN, "StringNotLike", f"arn:aws:iam::{OUTSIDER}*", "DENIED"),
    ("session", SESSION, "ArnLike", f"arn:aws:iam::{OUTSIDER}:role/*", "ALLOWED"),
    ("session", SESSION, "StringLike", f"arn:aws:iam::{OUTSIDER}:role*", "ALLOWED"),
    ("session", SESSION, "ArnNotLikeIfExists", f"arn:aws:iam::{OUTSIDER}:*", "DENIED"),
]


@pytest.mark.parametrize("who,facts,operator,value,expect", EVERY,
                         ids=[f"{w}-{o}-{v}" for w, _, o, v, _ in EVERY])
def test_a_pattern_every_arn_of_the_shape_matches_is_decided(
        who: str, facts: PrincipalFacts, operator: str, value: str, expect: str) -> None:
    policy = _allow_if(operator, value)
    assert evaluate_policy(policy, _request(facts), PolicyKind.RESOURCE).decision.value == expect
    pytest.importorskip("z3")
    from scanner.policy.smt.questions import check_policy

    assert check_policy(policy, _request(facts), PolicyKind.RESOURCE,
                        timeout_s=20).decision == expect


@pytest.mark.parametrize("facts,value", [
    (STAND_IN, f"arn:aws:iam::{OUTSIDER}:role/*"),  # the stand-in may be a user or the root
    (SESSION, f"arn:aws:iam::{OUTSIDER}:role/Partner"),  # its role's path is not known
    (SESSION, f"arn:aws:iam::{OUTSIDER}:role/?*"),
])
def test_a_pattern_only_some_of_the_shape_match_stays_conditional(
        facts: PrincipalFacts, value: str) -> None:
    result = evaluate_policy(_allow_if("ArnLike", value), _request(facts), PolicyKind.RESOURCE)
    assert result.decision.value == "CONDITIONAL"
    assert "aws:principalarn" in result.unresolved
