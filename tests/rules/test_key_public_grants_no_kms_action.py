"""A key policy's Allow to everyone that names no KMS action grants no one anything on the key
(IAM conformance trial round 29).

KMS Developer Guide, "Key policies in AWS KMS": "A key policy is a resource policy for an AWS
KMS key" -- its resource is the key, on which only KMS actions are called. IAM User Guide, "IAM
JSON policy elements: NotAction": NotAction "explicitly matches everything except the
specified list of actions" -- ``NotAction: kms:*`` (or ``*``) leaves no KMS action, and an
Action of another service (``s3:GetObject``) names none. Such a statement grants nothing on
the key: kms-key-policy-public PASSes, as secret-policy-public does for a secret policy's
statement that grants no action on a secret (IAM conformance trial round 23). Before: FAIL
without --prove (PASS with it: the solver finds no Decrypt) -- ``key_granted_actions`` read
every NotAction as ``kms:*``, and a statement naming no KMS action was nothing asked, so
nothing withheld."""

from __future__ import annotations

from typing import Any

import pytest

from helpers.access_estate import (APP_ROLE, CENTRAL, KEY_ARN, allow_read_identity, estate,
                                   role, text)
from helpers.rule_results import rule_statuses

ROOT = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
        "Action": "kms:*", "Resource": "*"}


def _public(statement: dict[str, Any]) -> str:
    snap = estate(secret_policy=None, key_policy=text(ROOT, {"Sid": "Everyone", **statement}),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    return rule_statuses(snap, "kms-key-policy-public", prove=False,
                         record_denied=False)[KEY_ARN]


@pytest.mark.parametrize("element", [
    {"NotAction": "kms:*"},
    {"NotAction": "*"},
    {"NotAction": ["s3:*", "KMS:*"]},
    {"Action": "s3:GetObject"},
], ids=["NotAction kms:*", "NotAction *", "NotAction KMS:* in a list", "Action s3:GetObject"])
def test_an_allow_to_everyone_of_no_kms_action_is_not_public(element: dict[str, Any]) -> None:
    assert _public({"Effect": "Allow", "Principal": "*", "Resource": "*", **element}) == "PASS"


@pytest.mark.parametrize("element", [
    {"NotAction": "kms:Encrypt"},
    {"NotAction": "kms:D*"},
    {"NotAction": "kms:?"},
    {"Action": ["s3:GetObject", "kms:Decrypt"]},
    {"Action": "*crypt"},
], ids=["NotAction kms:Encrypt", "NotAction kms:D*", "NotAction kms:?",
        "Action s3 and kms:Decrypt", "Action *crypt (the * spans the colon)"])
def test_an_allow_to_everyone_of_some_kms_action_stays_public(element: dict[str, Any]) -> None:
    assert _public({"Effect": "Allow", "Principal": "*", "Resource": "*", **element}) == "FAIL"
