"""A KMS grant that can never apply to the Decrypt Secrets Manager makes is named in the key
gate's reasons, with why (ground-truth trial round 21).

Secrets Manager's Decrypt carries exactly SecretARN and SecretVersionId (Secrets Manager User
Guide, "Secret encryption and decryption"), and a grant's EncryptionContextEquals "allows the
operation only when the encryption context in the request is the same as the encryption
context specified in this constraint" (KMS API Reference, GrantConstraints). A grant to
AnalyticsRole constrained to ``{"SecretARN": <the secret>}`` alone never applies: the read was
rightly DENIED at the key, but ``access --why`` and the finding said "no Allow statement
applies (implicit deny)" -- the operator looking at ListGrants sees a Decrypt grant to that
very role and is told nothing of it."""
from __future__ import annotations

from helpers.access_estate import APP_ROLE, MEMBER, SECRET_ARN
from test_access_kms_grants_conformance import grant, path_of


def key_reasons(p: object) -> tuple[str, ...]:
    return p.gates["key_policy"].reasons  # type: ignore[attr-defined]


def test_a_grant_whose_equals_constraint_lacks_the_version_is_named_with_why() -> None:
    p = path_of(APP_ROLE, (grant(APP_ROLE, encryption_context_equals={"SecretARN": SECRET_ARN}),))
    assert p.decision == "DENIED"
    [said] = [r for r in key_reasons(p) if "KMS grant g1" in r]
    assert APP_ROLE in said
    assert "EncryptionContextEquals" in said and "SecretVersionId" in said


def test_a_grant_constrained_to_a_context_key_secrets_manager_never_sends_is_named() -> None:
    p = path_of(APP_ROLE, (grant(APP_ROLE, encryption_context_subset={"Department": "x"}),))
    assert p.decision == "DENIED"
    [said] = [r for r in key_reasons(p) if "KMS grant g1" in r]
    assert "EncryptionContextSubset" in said and "Department" in said


def test_a_grant_that_applies_is_not_called_one_that_never_does() -> None:
    p = path_of(APP_ROLE, (grant(APP_ROLE, encryption_context_subset={"SecretARN": SECRET_ARN}),))
    assert p.decision == "ALLOWED"
    assert not [r for r in key_reasons(p) if "never applies" in r]


def test_another_principals_grant_that_never_applies_is_not_this_ones_reason() -> None:
    other = f"arn:aws:iam::{MEMBER}:role/OtherRole"
    p = path_of(APP_ROLE, (grant(other, encryption_context_equals={"SecretARN": SECRET_ARN}),))
    assert p.decision == "DENIED"
    assert not [r for r in key_reasons(p) if "KMS grant g1" in r]
