"""A grant-key-decrypt whose statement would push the key policy over KMS's 32,768 bytes is
listed as not planned. The row names the finding's resource, the secret; the reason said "the
edited kms-key-policy would be 32884 bytes, over the 32768 limit; ... make room in the policy
first" without saying which key's policy that is -- a secret's key is not in the row, and the
reviewer had to look it up (safe-fixes trial round 20). The reason names the key."""

from __future__ import annotations

import json

from helpers.access_estate import (APP_ROLE, CENTRAL, KEY_ARN, SECRET_ARN, allow_read_identity,
                                   estate, role, secret_policy_for)
from helpers.remediate_records import finding
from scanner.changes import RemediationConfig
from scanner.remediate.planner import Selection, build_plan


def _key_policy(fillers: int) -> str:
    """The account's root and ``fillers`` statements of 344 bytes each (94: 32,481 bytes)."""
    statements = [{"Sid": "Root", "Effect": "Allow",
                   "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                   "Resource": "*"}]
    statements += [{"Sid": f"Filler{i}", "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
                    "Action": "kms:DescribeKey", "Resource": "*",
                    "Condition": {"StringEquals": {
                        "aws:PrincipalTag/team": f"t{i:04d}" + "x" * 150}}}
                   for i in range(fillers)]
    return json.dumps({"Version": "2012-10-17", "Statement": statements},
                      separators=(",", ":"))


def _plan(fillers: int):  # type: ignore[no-untyped-def]
    key_policy = _key_policy(fillers)
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    broken = finding("secret-cross-account-access-broken", "grant-key-decrypt",
                     principal=APP_ROLE, key_arn=KEY_ARN, blocking_gate="key")
    return build_plan([broken], snap, RemediationConfig(), Selection()), len(key_policy)


def test_a_statement_that_would_not_fit_names_the_key_whose_policy_is_full() -> None:
    plan, size = _plan(fillers=94)
    assert size < 32_768  # the policy fits today

    assert plan.changes == ()
    (skip,) = plan.skipped
    assert skip.resource_arn == SECRET_ARN
    assert f"the edited kms-key-policy of {KEY_ARN} would be " in skip.reason, skip.reason
    assert "bytes, over the 32768 limit" in skip.reason, skip.reason
    assert "make room in the policy first" in skip.reason, skip.reason


def test_with_room_the_statement_is_planned_on_that_key() -> None:
    plan, _ = _plan(fillers=20)

    (change,) = plan.changes
    assert change.resource_arn == KEY_ARN
    assert change.policy_diff is not None and change.policy_diff.size_after <= 32_768
