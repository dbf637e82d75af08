"""Grants of a ``*`` statement whose aws:PrincipalArn condition names (or cannot name) an
account: the rules judge them the same with --prove and without, and the access analysis
records the reader they let in (concept review round 4, IAM conformance trial round 15).
IAM User Guide, "String condition operators": StringEqualsIgnoreCase is "Exact matching,
ignoring case", StringLike is "Case-sensitive matching"; "AWS account identifiers": "The AWS
account ID is a 12-digit number"."""

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
PA = "aws:PrincipalArn"
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


# ------------------------------------------------------------------ 1: IgnoreCase values

IGNORECASE = {
    "upper-root": f"ARN:AWS:IAM::{OUTSIDER}:ROOT",
    "upper-arn-role": f"ARN:aws:iam::{OUTSIDER}:role/app",
}


@pytest.mark.parametrize("case", sorted(IGNORECASE))
def test_an_ignorecase_arn_in_capitals_names_its_account_as_an_external_grant(
        case: str) -> None:
    """Concept review round 4, #1: Allow * under StringEqualsIgnoreCase aws:PrincipalArn
    "ARN:AWS:IAM::999999999999:ROOT" was reported by no rule (c2d10a9 FAILed it): the value,
    compared ignoring case, names 999999999999 -- an external grant to it, recorded as
    unintended by the access analysis."""
    value = IGNORECASE[case]
    snap = _secret(_star({"StringEqualsIgnoreCase": {PA: value}}))
    assert _same_with_and_without_prove(snap, "secret-policy-external-account",
                                        SECRET_ARN) == "FAIL"
    assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "PASS"
    sa = _access(snap).for_secret(SECRET_ARN)
    # reported as the ARN the comparison lets in (case-folded)
    assert [g.principal for g in sa.unintended] == [value.lower()]


def test_a_key_grant_to_an_ignorecase_arn_in_capitals_is_reported() -> None:
    """Concept review round 4, #1 (repro/ignorecase_key.py): key policy Decrypt to * under
    StringEqualsIgnoreCase aws:PrincipalArn "ARN:AWS:IAM::999999999999:ROOT" was reported by
    no rule; c2d10a9 FAILed kms-key-policy-public."""
    key = text(KEY_ROOT, {"Sid": "KOut", "Effect": "Allow", "Principal": "*",
                          "Action": "kms:Decrypt", "Resource": "*", "Condition": {
                              "StringEqualsIgnoreCase": {PA: f"ARN:AWS:IAM::{OUTSIDER}:ROOT"}}})
    lower = text(KEY_ROOT, {"Sid": "KOut", "Effect": "Allow", "Principal": "*",
                            "Action": "kms:Decrypt", "Resource": "*", "Condition": {
                                "StringEquals": {PA: f"arn:aws:iam::{OUTSIDER}:root"}}})
    verdicts = []
    for k in (key, lower):
        snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=k,
                      principals=(role(APP_ROLE, allow_read_identity()),))
        verdicts.append(_same_with_and_without_prove(snap, "kms-key-policy-public", KEY_ARN))
    # capitals or not, the same grant, the same verdict
    assert verdicts[0] == verdicts[1]


# ------------------------------------------------------------------ 2: patterns matching no
# principal ARN

NO_PRINCIPAL = {
    "thirteen-digit-head": f"arn:aws:iam::{CENTRAL}1*",
    "capital-arn-head": f"ARN:AWS:IAM::{CENTRAL}*",
    "empty-account": "arn:aws:iam:::*",
}


@pytest.mark.parametrize("case", sorted(NO_PRINCIPAL))
def test_a_public_grant_to_a_pattern_no_principal_arn_matches_lets_no_one_in(case: str) -> None:
    """IAM conformance trial round 15, #2: Allow * under StringLike aws:PrincipalArn
    "arn:aws:iam::1111111111111*" (13 digits where the 12-digit account is),
    "ARN:AWS:IAM::111111111111*" (StringLike is case-sensitive, every ARN begins "arn:") or
    "arn:aws:iam:::*" (no account) matches no principal's ARN: the ``*`` path was left
    CONDITIONAL and the verdict depended on --prove. It is DENIED, and not public."""
    snap = _secret(_star({"StringLike": {PA: NO_PRINCIPAL[case]}}))
    sa = _access(snap).for_secret(SECRET_ARN)
    assert {p.principal: p.decision for p in sa.paths}["*"] == "DENIED"
    assert not sa.breadth.public
    assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "PASS"
    assert _same_with_and_without_prove(snap, "secret-policy-external-account",
                                        SECRET_ARN) == "PASS"


@pytest.mark.parametrize("case", sorted(NO_PRINCIPAL))
def test_a_deny_unless_a_pattern_no_principal_arn_matches_denies_everyone(case: str) -> None:
    """IAM conformance trial round 15, #2, the Deny side: Allow * and Deny * unless
    StringNotLike aws:PrincipalArn of such a pattern -- the condition is true for every
    caller, the Deny takes the grant back from everyone."""
    snap = _secret(_star(), _deny({"StringNotLike": {PA: NO_PRINCIPAL[case]}}))
    sa = _access(snap).for_secret(SECRET_ARN)
    assert {p.principal: p.decision for p in sa.paths}["*"] == "DENIED"
    assert not sa.breadth.public
    assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "PASS"


# ------------------------------------------------------------------ 3: a Deny's exception
# names an outside account

#: the trial's key: kms:Decrypt to anyone calling through Secrets Manager
VIA_SM_KEY = text(KEY_ROOT, {"Sid": "KPub", "Effect": "Allow", "Principal": "*",
                             "Action": "kms:Decrypt", "Resource": "*", "Condition": {
                                 "StringEquals": {
                                     "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}})
DENY_EXCEPTIONS = {
    "arn-not-like-account": {"ArnNotLike": {PA: f"arn:aws:iam::{OUTSIDER}:*"}},
    "string-not-like-head": {"StringNotLike": {PA: f"arn:aws:iam::{OUTSIDER}*"}},
    "string-not-equals-role": {"StringNotEquals": {PA: f"arn:aws:iam::{OUTSIDER}:role/Partner"}},
}


@pytest.mark.parametrize("case", sorted(DENY_EXCEPTIONS))
def test_a_public_grant_a_deny_leaves_to_an_outside_account_is_an_external_grant(
        case: str) -> None:
    """IAM conformance trial round 15, #1: Allow * GetSecretValue and Deny * unless
    aws:PrincipalArn is 999999999999's: the Deny's condition is false for 999's principals, so
    they read -- the solver's WITNESS 999999999999:role/Partner -- yet the ``*`` path was
    DENIED, no reader recorded, and both rules PASSed with and without --prove. The account the
    Deny excepts is a candidate of the secret (its stand-in evaluated and recorded), and the
    grant is an external one to it."""
    snap = estate(secret_policy=text(_star(), _deny(DENY_EXCEPTIONS[case])), key_policy=VIA_SM_KEY,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    sa = _access(snap).for_secret(SECRET_ARN)
    readers = {p.principal: p.decision for p in sa.paths}
    assert any(OUTSIDER in p and d != "DENIED" for p, d in readers.items()), readers
    assert _same_with_and_without_prove(snap, "secret-policy-external-account",
                                        SECRET_ARN) == "FAIL"
    assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "PASS"


def test_an_account_a_deny_shuts_out_is_no_external_grant() -> None:
    """IAM conformance trial round 15, #1's other side: Allow * and a Deny of
    aws:PrincipalAccount 999999999999 -- the account a condition names is a grantee only where
    the policy does not withhold the grant from it."""
    snap = estate(secret_policy=text(_star(), _deny(
        {"StringEquals": {"aws:PrincipalAccount": OUTSIDER}})), key_policy=VIA_SM_KEY,
        principals=(role(APP_ROLE, allow_read_identity()),))
    assert _same_with_and_without_prove(snap, "secret-policy-external-account",
                                        SECRET_ARN) == "PASS"
    assert OUTSIDER not in str([p.principal for p in _access(snap).for_secret(SECRET_ARN).paths
                                if p.decision != "DENIED"])


# ------------------------------------------------------------------ 4: another partition


@pytest.mark.parametrize("statement", [
    _star({"StringLike": {PA: f"arn:aws-us-gov:iam::{OUTSIDER}:*"}}),
    {"Sid": "Gov", "Effect": "Allow", "Principal": {"AWS": f"arn:aws-us-gov:iam::{OUTSIDER}:root"},
     "Action": READ, "Resource": "*"},
], ids=["star-under-gov-arn", "gov-root-principal"])
def test_a_grant_to_another_partitions_principal_is_flagged_with_and_without_prove(
        statement: dict[str, Any]) -> None:
    """IAM conformance trial round 15, #3: on an aws secret, a grant to an aws-us-gov
    principal FAILed secret-policy-external-account without --prove ("a principal of another
    partition ... can never read") and PASSed with it (the solver's PROVEN_NONE cleared it).
    The documented behaviour is to flag it, with that note: --prove keeps the FAIL."""
    snap = _secret(statement)
    assert _same_with_and_without_prove(snap, "secret-policy-external-account",
                                        SECRET_ARN) == "FAIL"


@pytest.mark.parametrize("case", sorted(DENY_EXCEPTIONS))
def test_the_access_report_lists_the_grant_a_deny_leaves_as_unintended(case: str) -> None:
    """Left by fix-c14: the account a Deny's exception spares read (its path recorded) and
    secret-policy-external-account FAILed, but the access report's ``unintended`` grants did
    not list it -- the rules and the report read one concept (docs/access.md)."""
    snap = estate(secret_policy=text(_star(), _deny(DENY_EXCEPTIONS[case])), key_policy=VIA_SM_KEY,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    sa = _access(snap).for_secret(SECRET_ARN)
    assert {g.account_id for g in sa.unintended} == {OUTSIDER}, sa.unintended


def test_an_account_a_deny_shuts_out_is_not_unintended() -> None:
    snap = estate(secret_policy=text(_star(), _deny(
        {"StringEquals": {"aws:PrincipalAccount": OUTSIDER}})), key_policy=VIA_SM_KEY,
        principals=(role(APP_ROLE, allow_read_identity()),))
    assert OUTSIDER not in {g.account_id for g in _access(snap).for_secret(SECRET_ARN).unintended}
