"""A key present in the request with a value the snapshot does not know (request.PRESENT):
kms:EncryptionContext:SecretVersionId of the Decrypt Secrets Manager makes (IAM conformance
trial round 13). Secrets Manager User Guide, "Secret encryption and decryption": the encryption
context is SecretARN and SecretVersionId. Null on it is decided, StringLike "*" matches it
(with or without a qualifier or IfExists: one value, present), every other comparison stays
unknown -- the evaluator and the solver alike."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.access import AccessSettings
from scanner.access.context import PrincipalFacts, build_request, principal_context, \
    resource_context
from scanner.policy.conditions import evaluate_clause
from scanner.policy.parse import ConditionClause, parse_policy
from scanner.policy.request import PRESENT, KeyState, Request
from scanner.policy.smt.questions import check_policy
from scanner.policy import PolicyKind, evaluate_policy
from scanner.policy.tri import Tri

KEY = "kms:encryptioncontext:secretversionid"
SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf"
KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-0000-0000-0000-000000000001"


def _request() -> Request:
    return Request(principal_arn="arn:aws:iam::222222222222:role/r",
                   principal_account="222222222222", action="kms:Decrypt", resource=KEY_ARN,
                   excluded={KEY: PRESENT})


def _clause(operator: str, value: object) -> ConditionClause:
    policy = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {operator: {"kms:EncryptionContext:SecretVersionId": value}}}]})
    return policy.statements[0].conditions[0]


@pytest.mark.parametrize("operator,value,expected", [
    ("Null", "true", Tri.FALSE),
    ("Null", "false", Tri.TRUE),
    ("ForAnyValue:Null", "false", Tri.TRUE),
    ("StringLike", "*", Tri.TRUE),
    ("StringLike", ["a*", "*"], Tri.TRUE),
    ("StringLike", "**", Tri.TRUE),
    ("StringNotLike", "*", Tri.FALSE),
    ("StringLikeIfExists", "*", Tri.TRUE),
    ("ForAnyValue:StringLike", "*", Tri.TRUE),
    ("ForAllValues:StringLike", "*", Tri.TRUE),
    ("ForAllValues:StringNotLike", "*", Tri.FALSE),
    ("StringLike", "a*", Tri.UNKNOWN),
    ("StringLike", "?*", Tri.UNKNOWN),
    ("StringEquals", "*", Tri.UNKNOWN),
    ("StringEquals", "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE", Tri.UNKNOWN),
    ("StringNotEquals", "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE", Tri.UNKNOWN),
    ("ArnLike", "*", Tri.UNKNOWN),
    ("NumericEquals", "1", Tri.UNKNOWN),
])
def test_conditions_on_a_present_key_of_unknown_value(operator: str, value: object,
                                                      expected: Tri) -> None:
    """IAM conformance trial round 13: Null and StringLike "*" were unknown on it."""
    truth, names = evaluate_clause(_clause(operator, value), _request(), True)
    assert truth is expected, (truth, names)
    assert (KEY in names) == (expected is Tri.UNKNOWN), names


@pytest.mark.parametrize("condition,decision", [
    ({"Null": {"kms:EncryptionContext:SecretVersionId": "false"}}, "ALLOWED"),
    ({"StringLike": {"kms:EncryptionContext:SecretVersionId": "*"}}, "ALLOWED"),
    ({"Null": {"kms:EncryptionContext:SecretVersionId": "true"}}, "DENIED"),
    ({"StringEquals": {"kms:EncryptionContext:SecretVersionId": "v1"}}, "CONDITIONAL"),
])
def test_the_solver_reads_the_present_key_as_the_evaluator(condition: dict[str, Any],
                                                           decision: str) -> None:
    """IAM conformance trial round 13: --prove agrees (a key policy's Allow under the
    condition, on a Decrypt Secrets Manager makes)."""
    settings = AccessSettings()
    facts = PrincipalFacts(arn="arn:aws:iam::222222222222:role/r", account_id="222222222222",
                           principal_type="role")
    rctx = resource_context(account_id="111111111111", region="us-east-1", tags={},
                            settings=settings, kms=True, secret_arn=SECRET)
    request = build_request(facts, principal_context(facts, settings), rctx,
                            action="kms:Decrypt", resource=KEY_ARN)
    assert request.key_state(KEY) is KeyState.EXCLUDED
    policy = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
        "Action": "kms:Decrypt", "Resource": "*", "Condition": condition}]})
    assert evaluate_policy(policy, request, PolicyKind.RESOURCE).decision.value == decision
    assert check_policy(policy, request, PolicyKind.RESOURCE, timeout_s=20).decision == decision


def test_only_the_decrypt_secrets_manager_makes_holds_the_version_id() -> None:
    """The caller's own GetSecretValue carries no kms: key (request.foreign_key), and a
    Decrypt by any route (key_resource_context: no encryption context known) leaves it
    unknown: PRESENT comes from kms:EncryptionContextKeys, which only the read's Decrypt
    gives (IAM conformance trial round 13)."""
    settings = AccessSettings()
    facts = PrincipalFacts(arn="arn:aws:iam::222222222222:role/r", account_id="222222222222",
                           principal_type="role")
    rctx = resource_context(account_id="111111111111", region="us-east-1", tags={},
                            settings=settings, kms=False, secret_arn=SECRET)
    sm = build_request(facts, principal_context(facts, settings), rctx,
                       action="secretsmanager:GetSecretValue", resource=SECRET)
    assert sm.key_state(KEY) is KeyState.ABSENT
    from scanner.access.context import key_resource_context

    any_route = build_request(facts, principal_context(facts, settings),
                              key_resource_context(account_id="111111111111",
                                                   region="us-east-1", settings=settings),
                              action="kms:Decrypt", resource=KEY_ARN)
    assert any_route.key_state(KEY) is KeyState.UNKNOWN
