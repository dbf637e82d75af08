"""Grants whose own condition, or whose policy's own Deny, the snapshot decides for the
caller outside -- by aws:PrincipalType (present, one of an IAM caller's four values) or by
aws:PrincipalArn (an ARN of another account than the one a value names) -- are judged the same
with --prove and without (IAM conformance trial round 14: each FAILed without --prove and
PASSed with it). IAM User Guide, "AWS global condition context keys": aws:PrincipalType is
"Account, User, FederatedUser, AssumedRole, Anonymous" (Secrets Manager and KMS take no
anonymous calls), aws:PrincipalArn "the Amazon Resource Name (ARN) of the principal that made
the request", both "included in the request context for all signed requests"."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from helpers.rule_results import access_report, rule_statuses
from helpers.access_estate import (APP_ROLE, CENTRAL, KEY_ARN, MEMBER, OUTSIDER, SECRET_ARN,
                                   allow_read_identity, estate, key_policy_for, role,
                                   secret_policy_for, text)
from scanner.model import Snapshot

READ = "secretsmanager:GetSecretValue"
NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
MEMBER_KEY = key_policy_for(f"arn:aws:iam::{MEMBER}:root")
OUT_ROOT = f"arn:aws:iam::{OUTSIDER}:root"
PT, PA = "aws:PrincipalType", "aws:PrincipalArn"
NULL_TYPE = {"Null": {PT: "true"}}
KEY_ROOT = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
            "Action": "kms:*", "Resource": "*"}


def _access(snap: Snapshot) -> Any:
    return access_report(snap)


def _status(snap: Snapshot, rule_id: str, arn: str, *, prove: bool) -> str:
    return rule_statuses(snap, rule_id, prove=prove)[arn]


def _same_with_and_without_prove(snap: Snapshot, rule_id: str, arn: str) -> str:
    plain = _status(snap, rule_id, arn, prove=False)
    pytest.importorskip("z3")
    proved = _status(snap, rule_id, arn, prove=True)
    assert plain == proved, f"{rule_id}: {plain} without --prove, {proved} with it"
    return plain


def _secret(*statements: dict[str, Any]) -> Snapshot:
    return estate(secret_policy=text(*statements), key_policy=MEMBER_KEY,
                  principals=(role(APP_ROLE, allow_read_identity()),))


def _star(condition: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"Sid": "Pub", "Effect": "Allow", "Principal": "*", "Action": READ,
            "Resource": "*", **({"Condition": condition} if condition else {})}


def _deny(condition: dict[str, Any]) -> dict[str, Any]:
    return {"Sid": "D", "Effect": "Deny", "Principal": "*", "Action": READ, "Resource": "*",
            "Condition": condition}


def _partner(condition: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"Sid": "Ext", "Effect": "Allow", "Principal": {"AWS": OUT_ROOT}, "Action": READ,
            "Resource": "*", **({"Condition": condition} if condition else {})}


#: the trial's public-grant cases: Allow * under a condition no IAM caller outside meets, or
#: under a Deny that applies to every one of them
PUBLIC = {
    "1a-null-principal-type": (_star(NULL_TYPE),),
    "1b-forallvalues-principal-type-service": (
        _star({"ForAllValues:StringEquals": {PT: "Service"}}),),
    "1c-principal-type-none-of-the-four": (_star({"StringNotEquals": {PT: [
        "AssumedRole", "User", "FederatedUser", "Account"]}}),),
    "2a-deny-unless-own-root-ignoring-case": (_star(), _deny(
        {"StringNotEqualsIgnoreCase": {PA: f"arn:aws:iam::{CENTRAL}:root"}})),
    "2b-deny-unless-own-account-head": (_star(), _deny(
        {"StringNotLike": {PA: f"arn:aws:iam::{CENTRAL}*"}})),
    "2c-own-account-head-only": (_star({"StringLike": {PA: f"arn:aws:iam::{CENTRAL}*"}}),),
    "2e-deny-unless-five-components": (_star(), _deny(
        {"StringNotEquals": {PA: f"arn:aws:iam::{CENTRAL}"}})),
}


@pytest.mark.parametrize("case", sorted(PUBLIC))
def test_a_public_grant_the_snapshot_withholds_from_every_caller_outside_is_not_public(
        case: str) -> None:
    """IAM conformance trial round 14, cases 1a-1c, 2a-2c, 2e: secret-policy-public FAILed
    CRITICAL without --prove and PASSed with it; the access analysis' ``*`` path is DENIED."""
    snap = _secret(*PUBLIC[case])
    sa = _access(snap).for_secret(SECRET_ARN)
    assert {p.principal: p.decision for p in sa.paths}["*"] == "DENIED"
    assert not sa.breadth.public
    assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "PASS"


@pytest.mark.parametrize("case", ["1e-null-principal-type", "2d-deny-unless-own-root"])
def test_a_grant_to_a_whole_account_the_snapshot_withholds_is_not_reported(case: str) -> None:
    """IAM conformance trial round 14, cases 1e and 2d: Allow {"AWS": "<999...>:root"} under
    Null aws:PrincipalType "true", or under a Deny unless StringNotEqualsIgnoreCase
    aws:PrincipalArn <our root>: secret-policy-external-account FAILed without --prove."""
    statements = (_partner(NULL_TYPE),) if case.startswith("1e") else (_partner(), _deny(
        {"StringNotEqualsIgnoreCase": {PA: f"arn:aws:iam::{CENTRAL}:root"}}))
    snap = _secret(*statements)
    sa = _access(snap).for_secret(SECRET_ARN)
    assert {p.principal: p.decision for p in sa.paths}[OUT_ROOT] == "DENIED"
    assert not sa.unintended
    assert _same_with_and_without_prove(snap, "secret-policy-external-account",
                                        SECRET_ARN) == "PASS"


def test_a_public_key_grant_under_null_principal_type_is_not_public() -> None:
    """IAM conformance trial round 14, case 1d: key policy Allow * kms:Decrypt under Null
    aws:PrincipalType "true": kms-key-policy-public FAILed without --prove."""
    key = text(KEY_ROOT, {"Sid": "KPub", "Effect": "Allow", "Principal": "*",
                          "Action": "kms:Decrypt", "Resource": "*", "Condition": NULL_TYPE})
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    assert not _access(snap).keys[KEY_ARN].public_grants
    assert _same_with_and_without_prove(snap, "kms-key-policy-public", KEY_ARN) == "PASS"


@pytest.mark.parametrize("condition", [NULL_TYPE, {"Bool": {"aws:PrincipalIsAWSService": "true"}}],
                         ids=["null-principal-type", "principal-is-aws-service"])
def test_a_key_grant_to_another_account_under_a_never_holding_condition_is_no_excess(
        condition: dict[str, Any]) -> None:
    """IAM conformance trial round 14, case 1f: Decrypt to <999...>:root under Null
    aws:PrincipalType "true" FAILed kms-key-policy-excess-grant (with --prove too) while its
    twin under Bool aws:PrincipalIsAWSService "true" PASSed."""
    key = text(KEY_ROOT, {"Sid": "Out", "Effect": "Allow", "Principal": {"AWS": OUT_ROOT},
                          "Action": "kms:Decrypt", "Resource": "*", "Condition": condition})
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    assert not _access(snap).keys[KEY_ARN].excess_grants
    assert _same_with_and_without_prove(snap, "kms-key-policy-excess-grant", KEY_ARN) == "PASS"


def test_a_public_grant_to_another_accounts_head_is_an_external_grant() -> None:
    """IAM conformance trial round 14, case 3's other side: Allow * under StringLike
    aws:PrincipalArn "arn:aws:iam::<999...>*" names that account (matching.head_account):
    not public, an external grant to it."""
    snap = _secret(_star({"StringLike": {PA: f"arn:aws:iam::{OUTSIDER}*"}}))
    assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "PASS"
    assert _same_with_and_without_prove(snap, "secret-policy-external-account",
                                        SECRET_ARN) == "FAIL"
    assert [g.principal for g in _access(snap).for_secret(SECRET_ARN).unintended] == \
        [f"arn:aws:iam::{OUTSIDER}*"]
