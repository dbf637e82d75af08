"""The Decrypt Secrets Manager makes for a read carries its own encryption context and no
other pair: a condition on another kms:EncryptionContext:<key> reads that key as absent (IAM
conformance trial round 17).

Secrets Manager User Guide, "Secret encryption and decryption", "Secrets Manager encryption
context": "In its requests to AWS KMS, Secrets Manager uses an encryption context with two
key-value pairs that identify the secret and its version" (SecretARN, SecretVersionId) -- the
analysis already gives kms:EncryptionContextKeys exactly those two. KMS Developer Guide,
kms:EncryptionContext:context-key: the condition compares "the key-value pair in the
encryption context" of the request; IAM User Guide, "Condition element": "If the key that you
specify in a policy condition is not present in the request context, the values do not match"
(a positive operator is false, a negated one true, ...IfExists true, Null "true" holds).
Before: every such key was unknown -- a key policy's "Deny unless
kms:EncryptionContext:Project = payments" left every reader CONDITIONAL, and a grant under
"kms:EncryptionContext:aws:rds:db-id" (another service's context) a CONDITIONAL decrypter."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, CENTRAL, REGION, SECRET_ARN, allow_read_identity,
                                   estate, role, secret_policy_for, text)

from scanner.access import AccessSettings, analyze_access
from scanner.access.context import (PrincipalFacts, build_request, key_resource_context,
                                    principal_context, resource_context)
from scanner.graph.builder import build_graph
from scanner.policy import PolicyKind, evaluate_policy, parse_policy

MEMBER = APP_ROLE.split(":")[4]
KEY = f"arn:aws:kms:{REGION}:{CENTRAL}:key/1234abcd-0000"
VIA = f"secretsmanager.{REGION}.amazonaws.com"
SETTINGS = AccessSettings(org_account_ids=frozenset({CENTRAL, MEMBER}), org_id="o-abcdefghij")
ROLE = PrincipalFacts(arn=APP_ROLE, account_id=MEMBER, principal_type="role",
                      name="ApplicationRole")


def _decrypt() -> Any:
    r = resource_context(account_id=CENTRAL, region=REGION, tags={}, settings=SETTINGS,
                         kms=True, secret_arn=SECRET_ARN)
    return build_request(ROLE, principal_context(ROLE, SETTINGS), r, action="kms:Decrypt",
                         resource=KEY)


def _decision(condition: dict[str, Any], effect: str = "Allow") -> str:
    grant = {"Effect": "Allow", "Principal": {"AWS": MEMBER}, "Action": "kms:Decrypt",
             "Resource": "*"}
    statements = [{**grant, "Condition": condition}] if effect == "Allow" else [
        grant, {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
                "Condition": condition}]
    policy = parse_policy({"Version": "2012-10-17", "Statement": statements})
    return evaluate_policy(policy, _decrypt(), PolicyKind.RESOURCE).decision.value


@pytest.mark.parametrize("condition,effect,expect", [
    # another pair: absent
    ({"StringEquals": {"kms:EncryptionContext:Project": "payments"}}, "Allow", "DENIED"),
    ({"StringEquals": {"kms:EncryptionContext:aws:rds:db-id": "db-1"}}, "Allow", "DENIED"),
    ({"StringNotEquals": {"kms:EncryptionContext:Project": "payments"}}, "Deny", "DENIED"),
    ({"StringEqualsIfExists": {"kms:EncryptionContext:Project": "payments"}}, "Allow",
     "ALLOWED"),
    ({"Null": {"kms:EncryptionContext:Project": "false"}}, "Allow", "DENIED"),
    ({"Null": {"kms:EncryptionContext:Project": "true"}}, "Deny", "DENIED"),
    ({"StringLike": {"kms:EncryptionContext:Project": "*"}}, "Deny", "ALLOWED"),
    # its own pairs: SecretARN known (the key part of the condition key in any case), the
    # version's id present with a value not known
    ({"StringEquals": {"kms:EncryptionContext:SecretARN": SECRET_ARN}}, "Allow", "ALLOWED"),
    ({"StringEquals": {"kms:EncryptionContext:secretarn": SECRET_ARN}}, "Allow", "ALLOWED"),
    ({"Null": {"kms:EncryptionContext:SecretVersionId": "false"}}, "Allow", "ALLOWED"),
    ({"StringEquals": {"kms:EncryptionContext:SecretVersionId": "v1"}}, "Allow",
     "CONDITIONAL"),
])
def test_a_pair_secrets_manager_does_not_send_is_absent(condition: dict[str, Any], effect: str,
                                                       expect: str) -> None:
    assert _decision(condition, effect) == expect


def test_a_decrypt_by_any_route_keeps_the_context_unknown() -> None:
    """A Decrypt on the key by any route (the caller's own, another service's) carries an
    encryption context the snapshot does not know: its pairs stay unknown."""
    rctx = key_resource_context(account_id=CENTRAL, region=REGION, settings=SETTINGS)
    request = build_request(ROLE, principal_context(ROLE, SETTINGS), rctx,
                            action="kms:Decrypt", resource=KEY)
    policy = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": MEMBER}, "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:EncryptionContext:Project": "payments"}}}]})
    result = evaluate_policy(policy, request, PolicyKind.RESOURCE)
    assert result.decision.value == "CONDITIONAL"
    assert result.unresolved == ("kms:encryptioncontext:project",)


def _reader(key_condition: dict[str, Any]) -> str:
    key_policy = text({"Sid": "Root", "Effect": "Allow",
                       "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                       "Resource": "*"},
                      {"Sid": "Rds", "Effect": "Allow", "Principal": {"AWS": MEMBER},
                       "Action": "kms:Decrypt", "Resource": "*",
                       "Condition": {"StringEquals": {"kms:ViaService": VIA}, **key_condition}})
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    return {p.principal: p.decision for p in sa.paths}.get(APP_ROLE, "DENIED")


def test_a_key_grant_under_another_context_pair_lets_no_reader_decrypt() -> None:
    assert _reader({"StringEquals": {"kms:EncryptionContext:Project": "payments"}}) == "DENIED"


def test_a_key_grant_under_the_secret_arn_pair_lets_the_reader_decrypt() -> None:
    assert _reader({"StringLike": {"kms:EncryptionContext:SecretARN":
                                   f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:app/*"}}) \
        == "ALLOWED"
