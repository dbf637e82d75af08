"""A KMS grant constraint names its encryption-context keys without regard to case (IAM
conformance trial round 26).

KMS API Reference, GrantConstraints: "In a cryptographic operation, the encryption context in
the decryption operation must be an exact, case-sensitive match for the keys and values in the
encryption context of the encryption operation. ... However, in a grant constraint, the key in
each key-value pair is not case sensitive, but the value is case sensitive." And "To avoid
confusion, do not use multiple encryption context pairs that differ only by case" -- what KMS
does with two such pairs is not documented.

Secrets Manager's Decrypt carries the pairs SecretARN and SecretVersionId (Secrets Manager User
Guide, "Secret encryption and decryption"). A grant constrained to ``{"secretarn": <the
secret's ARN>}`` (a tool that lower-cases map keys, a hand-typed CreateGrant) lets its grantee
decrypt that secret: the reader read DENIED, and a grant of it to a principal outside no
secret grants was no excess grant -- kms-key-policy-excess-grant PASSed (the key names were
compared case-sensitively, a constraint of another spelling "never matches")."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, CENTRAL, KEY_ARN, OUTSIDER, SECRET_ARN,
                                   allow_read_identity, estate, role, secret_policy_for, text,
                                   with_keys)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import KeyGrant, Snapshot
from scanner.policy.kms_grants import grant_statement

ROOT_ONLY = text({"Sid": "Root", "Effect": "Allow",
                  "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                  "Resource": "*"})
VENDOR_OPS = f"arn:aws:iam::{OUTSIDER}:role/VendorOps"


def _grant(grantee: str, **constraint: Any) -> KeyGrant:
    return KeyGrant(grant_id="g1", grantee_principal=grantee, operations=("Decrypt",),
                    **constraint)


def _snap(*grants: KeyGrant) -> Snapshot:
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=ROOT_ONLY,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    return with_keys(snap, grants=grants)


def _decision(principal: str, *grants: KeyGrant) -> str:
    snap = _snap(*grants)
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    report = analyze_access(build_graph(snap), snap, settings)
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    [path] = [p for p in sa.paths if p.principal == principal]
    return path.decision


# ApplicationRole, of another account, reads the secret only if the grant lets it decrypt:
# the key policy trusts the key's own account alone
@pytest.mark.parametrize("key", ["SecretARN", "SecretArn", "secretarn", "SECRETARN"])
def test_a_subset_constraint_on_the_secret_arn_matches_whatever_the_case_of_its_key(
        key: str) -> None:
    assert _decision(APP_ROLE, _grant(APP_ROLE, encryption_context_subset={
        key: SECRET_ARN})) == "ALLOWED"


def test_the_value_is_still_compared_case_sensitively() -> None:
    assert _decision(APP_ROLE, _grant(APP_ROLE, encryption_context_subset={
        "secretarn": SECRET_ARN.lower()})) == "DENIED"


def test_an_equals_constraint_takes_the_two_keys_in_any_case() -> None:
    # the version a read decrypts is not in the snapshot: a pair naming one leaves it open
    grant = _grant(APP_ROLE, encryption_context_equals={"secretarn": SECRET_ARN,
                                                        "SECRETVERSIONID": "v1"})
    assert _decision(APP_ROLE, grant) == "CONDITIONAL"


def test_two_pairs_that_differ_only_by_case_are_not_decided() -> None:
    # "do not use multiple encryption context pairs that differ only by case": what KMS does
    # with them is not documented -- never a confident answer either way
    statement = grant_statement({"grant_id": "g1", "grantee_principal": APP_ROLE,
                                 "operations": ("Decrypt",),
                                 "encryption_context_subset": {"SecretARN": SECRET_ARN,
                                                               "secretarn": SECRET_ARN}})
    assert statement is not None
    assert _decision(APP_ROLE, _grant(APP_ROLE, encryption_context_subset={
        "SecretARN": SECRET_ARN, "secretarn": SECRET_ARN})) == "CONDITIONAL"


def test_a_lower_case_grant_to_an_outsider_no_secret_grants_is_an_excess_grant() -> None:
    snap = _snap(_grant(VENDOR_OPS, encryption_context_subset={"secretarn": SECRET_ARN}))
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    assert [(g.principal, g.statement) for g in report.keys[KEY_ARN].excess_grants] == \
        [(VENDOR_OPS, "statement 1 (KMS grant g1)")]
