"""kms-key-policy-excess-grant and a key grant whose grantee a case-insensitive condition
names: ``Allow * kms:Decrypt if StringEqualsIgnoreCase aws:PrincipalArn
ARN:AWS:IAM::<member>:ROLE/APPLICATIONROLE`` lets ApplicationRole decrypt (the access analysis'
key gate is ALLOWED for it). The grantee is reported as the operator compares it, case-folded
(``role/applicationrole``), and IAM names are one name whatever their case -- IAM API
Reference, CreateRole, RoleName: "IAM user, group, role, and policy names must be unique within
the account. Names are not distinguished by case" -- so the secret granting
``role/ApplicationRole`` grants that very role: no excess grant. IAM conformance trial round 31:
the rule FAILed (HIGH) naming ``role/applicationrole`` "which no secret grants", while the
access report had ApplicationRole reading the secret through both grants; remediation would
have removed the grant the read needs."""

from __future__ import annotations

from typing import Any

import pytest

from helpers.access_estate import (APP_ROLE, CENTRAL, KEY_ARN, OTHER_ROLE, SECRET_ARN,
                                   allow_read_identity, estate, role, secret_policy_for, text)
from helpers.rule_results import access_report, rule_statuses

ROOT = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
        "Action": "kms:*", "Resource": "*"}
KEY_POLICY = text(ROOT, {"Sid": "App", "Effect": "Allow", "Principal": "*",
                         "Action": "kms:Decrypt", "Resource": "*", "Condition": {
                             "StringEqualsIgnoreCase": {"aws:PrincipalArn": APP_ROLE.upper()}}})
STAR_ARN_EQUALS = text({"Effect": "Allow", "Principal": "*",
                        "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                        "Condition": {"ArnEquals": {"aws:PrincipalArn": APP_ROLE}}})


def _snap(secret_policy: str) -> Any:
    return estate(secret_policy=secret_policy, key_policy=KEY_POLICY,
                  principals=(role(APP_ROLE, allow_read_identity()),
                              role(OTHER_ROLE, allow_read_identity())))


@pytest.mark.parametrize("secret_policy", [secret_policy_for(APP_ROLE), STAR_ARN_EQUALS],
                         ids=["named-in-principal", "star-narrowed-by-arn-equals"])
def test_the_role_the_secret_grants_is_the_one_the_case_insensitive_key_grant_names(
        secret_policy: str) -> None:
    snap = _snap(secret_policy)
    report = access_report(snap)
    reader = {p.principal: p for p in report.for_secret(SECRET_ARN).paths}[APP_ROLE]
    assert reader.decision == "ALLOWED"  # the key's grant applies to ApplicationRole
    assert report.keys[KEY_ARN].excess_grants == ()
    assert rule_statuses(snap, "kms-key-policy-excess-grant")[KEY_ARN] == "PASS"


def test_a_key_grant_no_secret_matches_in_any_case_is_still_in_excess() -> None:
    snap = _snap(secret_policy_for(OTHER_ROLE))
    assert [g.principal for g in access_report(snap).keys[KEY_ARN].excess_grants] == \
        [APP_ROLE.lower()]
    assert rule_statuses(snap, "kms-key-policy-excess-grant")[KEY_ARN] == "FAIL"
