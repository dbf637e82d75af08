"""The aws:PrincipalType of an IAM caller whose kind is not known -- the ``*`` path's "anyone
of an account no policy names", a grant to a whole other account, an unread account's stand-in
-- is present, with one of four values (IAM conformance trial round 14). IAM User Guide, "AWS
global condition context keys", aws:PrincipalType: "Account, User, FederatedUser,
AssumedRole, Anonymous", and Secrets Manager and KMS take no anonymous calls
(docs/access.md). So Null on it is decided, a comparison every one of the four answers alike
is decided, and one selecting some of them stays unknown -- the evaluator and the solver
alike."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.access import AccessSettings
from scanner.access.context import PrincipalFacts, principal_context
from scanner.policy import PolicyKind, evaluate_policy
from scanner.policy.conditions import evaluate_clause
from scanner.policy.parse import ConditionClause, parse_policy
from scanner.policy.request import IAM_CALLER_TYPES, KeyState, Request, one_of
from scanner.policy.smt.questions import check_policy
from scanner.policy.tri import Tri

KEY = "aws:principaltype"
SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf"
OUTSIDE_ROOT = "arn:aws:iam::999999999999:root"


def _request() -> Request:
    return Request(principal_arn=OUTSIDE_ROOT, principal_account="999999999999",
                   principal_type="root", action="secretsmanager:GetSecretValue",
                   resource=SECRET, excluded={KEY: one_of(IAM_CALLER_TYPES)})


def _clause(operator: str, value: object) -> ConditionClause:
    policy = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {operator: {"aws:PrincipalType": value}}}]})
    return policy.statements[0].conditions[0]


ALL_FOUR = ["AssumedRole", "User", "FederatedUser", "Account"]


@pytest.mark.parametrize("operator,value,expected", [
    # present: Null "true" never holds (trial case 1a)
    ("Null", "true", Tri.FALSE),
    ("Null", "false", Tri.TRUE),
    ("ForAnyValue:Null", "true", Tri.FALSE),
    # none of the four is "Service" (1b: ForAllValues with one value present is the plain
    # operator -- the key is never absent, so ForAllValues is not vacuously true)
    ("StringEquals", "Service", Tri.FALSE),
    ("ForAllValues:StringEquals", "Service", Tri.FALSE),
    ("ForAnyValue:StringEquals", "Service", Tri.FALSE),
    ("StringEqualsIfExists", "Anonymous", Tri.FALSE),
    ("StringNotEquals", "Service", Tri.TRUE),
    ("ForAnyValue:StringNotEquals", "Service", Tri.TRUE),
    # every one of the four is listed (1c)
    ("StringNotEquals", ALL_FOUR, Tri.FALSE),
    ("StringEquals", ALL_FOUR, Tri.TRUE),
    ("StringEqualsIgnoreCase", [v.lower() for v in ALL_FOUR], Tri.TRUE),
    ("StringLike", "*", Tri.TRUE),
    ("StringNotLike", "*", Tri.FALSE),
    ("StringLike", "S*", Tri.FALSE),
    # which kind asks is not known: unknown, naming the key
    ("StringEquals", "AssumedRole", Tri.UNKNOWN),
    ("StringNotEquals", ["AssumedRole", "User"], Tri.UNKNOWN),
    ("StringLike", "*User", Tri.UNKNOWN),
    ("ForAllValues:StringEquals", "Account", Tri.UNKNOWN),
])
def test_conditions_on_the_type_of_an_iam_caller_of_unknown_kind(
        operator: str, value: object, expected: Tri) -> None:
    """IAM conformance trial round 14: Null, ForAllValues:StringEquals "Service" and
    StringNotEquals of all four were unknown for it (a plain excluded set {Anonymous,
    Service} left the key possibly absent)."""
    truth, names = evaluate_clause(_clause(operator, value), _request(), True)
    assert truth is expected, (truth, names)
    assert (KEY in names) == (expected is Tri.UNKNOWN), names


@pytest.mark.parametrize("facts", [
    PrincipalFacts(arn="*", account_id="000000000000", principal_type="public"),
    PrincipalFacts(arn="arn:aws:iam::222222222222:root", account_id="222222222222",
                   principal_type="root", account_stand_in=True),
], ids=["the-star-path", "an-unread-account's-stand-in"])
def test_the_callers_of_unknown_kind_carry_one_of_the_four(facts: PrincipalFacts) -> None:
    """IAM conformance trial round 14: the ``*`` path had {Anonymous, Service} excluded (the
    key possibly absent), the stand-in of an unread account nothing."""
    ctx, absent, excluded = principal_context(facts, AccessSettings())
    assert KEY not in ctx and KEY not in absent
    assert excluded[KEY] == one_of(IAM_CALLER_TYPES)


@pytest.mark.parametrize("condition,decision", [
    ({"Null": {"aws:PrincipalType": "true"}}, "DENIED"),
    ({"Null": {"aws:PrincipalType": "false"}}, "ALLOWED"),
    ({"ForAllValues:StringEquals": {"aws:PrincipalType": "Service"}}, "DENIED"),
    ({"StringNotEquals": {"aws:PrincipalType": ALL_FOUR}}, "DENIED"),
    ({"StringEquals": {"aws:PrincipalType": "AssumedRole"}}, "CONDITIONAL"),
])
def test_the_solver_reads_the_type_as_the_evaluator(condition: dict[str, Any],
                                                    decision: str) -> None:
    """IAM conformance trial round 14: --prove agrees (a grant to a whole other account
    under the condition)."""
    request = _request()
    assert request.key_state(KEY) is KeyState.EXCLUDED
    policy = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": OUTSIDE_ROOT},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*",
        "Condition": condition}]})
    assert evaluate_policy(policy, request, PolicyKind.RESOURCE).decision.value == decision
    assert check_policy(policy, request, PolicyKind.RESOURCE, timeout_s=20).decision == decision
