"""A plain operator on a multivalued context key (IAM conformance trial round 19).

IAM User Guide, "Single-valued vs. multivalued context keys": "Multivalued condition context
keys can have multiple values in the request context ... Multivalued context keys require a
condition set operator." aws:CalledVia and aws:PrincipalOrgPaths are multivalued ("AWS global
condition context keys", Value type), and so is kms:EncryptionContextKeys (KMS Developer
Guide: "Multi-valued condition keys require a set operator"). What StringEquals does without
ForAnyValue / ForAllValues is not documented: secretgraph read it value by value (some value
matches; a negated operator: none does) and gave a confident answer, where public simulators
read the clause as matching nothing (cloud-copilot/iam-simulate). Decided now only where both
readings agree -- the value-by-value reading is false --, else CONDITIONAL naming the key; an
absent key keeps the documented answer; the solver leaves such a clause unencoded alike."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy_text
from scanner.policy.smt.questions import check_policy

KEY = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-0000-0000-0000-000000000001"
ROLE = "arn:aws:iam::222222222222:role/App"
#: the Decrypt Secrets Manager makes for a caller (scanner.access.context.resource_context)
DECRYPT_CONTEXT = {
    "aws:calledvia": ("secretsmanager.amazonaws.com",),
    "kms:encryptioncontextkeys": ("SecretARN", "SecretVersionId"),
    "aws:principalorgpaths": ("o-abc1234567/r-ab12/ou-ab12-11111111/",),
}


def _decide(operator: str, key: str, value: Any, *, absent: bool = False) -> tuple[str, Any]:
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt",
         "Resource": "*", "Condition": {operator: {key: value}}}]}))
    context = {k: v for k, v in DECRYPT_CONTEXT.items() if not (absent and k == key.lower())}
    request = Request(principal_arn=ROLE, principal_account="222222222222",
                      action="kms:Decrypt", resource=KEY, context=context,
                      absent=frozenset({key.lower()}) if absent else frozenset())
    result = evaluate_policy(policy, request, PolicyKind.RESOURCE)
    solver = check_policy(policy, request, PolicyKind.RESOURCE, timeout_s=20)
    return result.decision.value, (result.unresolved, solver.decision)


@pytest.mark.parametrize("operator,key,value", [
    ("StringEquals", "aws:CalledVia", "secretsmanager.amazonaws.com"),
    ("StringNotEquals", "aws:CalledVia", "athena.amazonaws.com"),
    ("StringLike", "aws:PrincipalOrgPaths", "o-abc1234567/r-ab12/ou-ab12-11111111/*"),
    ("StringEquals", "kms:EncryptionContextKeys", "SecretARN"),
    ("StringNotEquals", "kms:EncryptionContextKeys", "Project"),
])
def test_a_plain_operator_that_some_value_satisfies_is_not_decided(
        operator: str, key: str, value: str) -> None:
    """concept: IAM conformance trial round 19 -- was ALLOWED."""
    decision, (unresolved, solver) = _decide(operator, key, value)
    assert decision == "CONDITIONAL", unresolved
    assert any(key.lower() in u and "ForAnyValue" in u for u in unresolved), unresolved
    assert solver in ("CONDITIONAL", "UNKNOWN"), solver


@pytest.mark.parametrize("operator,key,value", [
    ("StringEquals", "aws:CalledVia", "athena.amazonaws.com"),
    ("StringNotEquals", "aws:CalledVia", "secretsmanager.amazonaws.com"),
    ("StringEquals", "kms:EncryptionContextKeys", "Project"),
])
def test_a_plain_operator_no_reading_satisfies_is_false(operator: str, key: str,
                                                        value: str) -> None:
    """Value by value it is false, and matching nothing it is false too: DENIED."""
    decision, (_u, solver) = _decide(operator, key, value)
    assert decision == "DENIED"
    assert solver == "DENIED"


@pytest.mark.parametrize("qualifier", ["ForAnyValue:", "ForAllValues:"])
def test_with_a_set_operator_it_is_decided(qualifier: str) -> None:
    decision, (_u, solver) = _decide(f"{qualifier}StringEquals", "aws:CalledVia",
                                     "secretsmanager.amazonaws.com")
    assert decision == "ALLOWED"
    assert solver == "ALLOWED"


def test_an_absent_multivalued_key_keeps_the_documented_answer() -> None:
    """IAM User Guide, "Condition operators": a key not in the request makes a negated
    operator true -- the caller's own GetSecretValue carries no aws:CalledVia."""
    decision, (_u, solver) = _decide("StringNotEquals", "aws:CalledVia",
                                     "athena.amazonaws.com", absent=True)
    assert decision == "ALLOWED"
    assert solver == "ALLOWED"


def test_a_key_policy_grant_under_a_plain_called_via_leaves_the_read_open() -> None:
    """End to end: the member role's read through a key policy grant "if StringEquals
    aws:CalledVia secretsmanager.amazonaws.com" (no set operator) is CONDITIONAL, was
    ALLOWED; the solver's pair verdict does not contradict it."""
    from dataclasses import replace

    from helpers.access_estate import (APP_ROLE, CENTRAL, SECRET_ARN, allow_read_identity,
                                       estate, role, secret_policy_for, text)
    from helpers.prove_crosscheck import cross_check_pairs
    from scanner.access import AccessSettings, analyze_access
    from scanner.graph.builder import build_graph

    key_policy = text({"Sid": "Root", "Effect": "Allow",
                       "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
                       "Action": "kms:*", "Resource": "*"},
                      {"Effect": "Allow", "Principal": {"AWS": APP_ROLE},
                       "Action": "kms:Decrypt", "Resource": "*", "Condition": {
                           "StringEquals": {"aws:CalledVia": "secretsmanager.amazonaws.com"}}})
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    report = analyze_access(build_graph(snap), snap, settings)
    path = {p.principal: p for p in report.for_secret(SECRET_ARN).paths}[APP_ROLE]
    assert path.decision == "CONDITIONAL"
    assert path.gate_statuses()["key_policy"] == "CONDITIONAL"
    _compared, failures = cross_check_pairs(snap, "plain called-via")
    assert not failures, failures
