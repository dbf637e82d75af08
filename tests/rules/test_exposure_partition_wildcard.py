"""A grant narrowed by an ARN pattern whose partition is a wildcard (``ArnLike aws:PrincipalArn
arn:*:iam::<account>:role/*``) lets in principals of the secret's own partition -- the only
ones whose credentials reach it ("You cannot use IAM credentials from one partition to interact
with resources in a different partition", AWS fault isolation boundaries whitepaper) -- so its
account is named literally, as docs/access.md says. GovCloud ground-truth trial round 10: the
pattern read as "a principal of another partition" and FAILed secret-policy-external-account
and secret-policy-overbroad-actions for the secret's own account and for an organization
member, while `access` showed the member ALLOWED (and remediation planned to cut it off)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from helpers.rule_results import rule_statuses
from helpers.access_estate import APP_ROLE, CENTRAL, MEMBER, SECRET_ARN, allow_read_identity, \
    estate, role, text
from scanner.model import Snapshot
from scanner.policy.exposure import granted_partition

NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
OPEN_KEY = text({"Sid": "Root", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                 "Resource": "*"},
                {"Sid": "Any", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                 "Resource": "*"})


def _status(snap: Snapshot, rule_id: str, *, prove: bool) -> str:
    return rule_statuses(snap, rule_id, prove=prove)[SECRET_ARN]


def _narrowed(account: str, partition: str = "*") -> Any:
    policy = text({"Sid": "ByArn", "Effect": "Allow", "Principal": "*",
                   "Action": "secretsmanager:*", "Resource": "*",
                   "Condition": {"ArnLike": {"aws:PrincipalArn":
                                             f"arn:{partition}:iam::{account}:role/*"}}})
    return estate(secret_policy=policy, key_policy=OPEN_KEY,
                  principals=(role(APP_ROLE, allow_read_identity()),), scps=())


@pytest.mark.parametrize("account", [CENTRAL, MEMBER])
def test_a_partition_wildcard_names_the_account_in_the_secrets_partition(account: str) -> None:
    snap = _narrowed(account)
    assert _status(snap, "secret-policy-external-account", prove=False) == "PASS"
    if account == CENTRAL:
        assert _status(snap, "secret-policy-overbroad-actions", prove=False) == "PASS"


def test_a_partition_pattern_that_cannot_match_the_secrets_is_another_partition() -> None:
    assert granted_partition(f"arn:*:iam::{CENTRAL}:root", "aws") == "aws"
    assert granted_partition(f"arn:aws*:iam::{CENTRAL}:root", "aws-us-gov") == "aws-us-gov"
    assert granted_partition(f"arn:aws-c?:iam::{CENTRAL}:root", "aws") == "aws-c?"
    assert granted_partition(f"arn:aws-us-gov:iam::{CENTRAL}:root", "aws") == "aws-us-gov"
    assert granted_partition(CENTRAL, "aws") is None
    snap = _narrowed(MEMBER, partition="aws-c?")
    assert _status(snap, "secret-policy-external-account", prove=False) == "FAIL"
