"""A public Allow that grants no read -- Principal "*" with secretsmanager:PutResourcePolicy,
DeleteSecret, DescribeSecret or NotAction GetSecretValue on a secret; kms:PutKeyPolicy,
kms:ScheduleKeyDeletion or NotAction kms:Decrypt on a key -- is public with --prove as
without it (IAM conformance trial round 32).

IAM User Guide, "IAM JSON policy elements: Action": "The Action element describes the specific
action or actions that will be allowed or denied"; "NotAction": "explicitly matches everything
except the specified list of actions". Such a statement lets anyone in any account call those
actions on the resource (secret-policy-public's rationale: "Any AWS identity in any account
can then call the granted actions"), and PutResourcePolicy is one a caller from another account
can make (Secrets Manager User Guide, cross-account access). The solver's question is the read
(GetSecretValue; on a key, Decrypt): it proved that none gets through a statement that does not
grant the read at all, and the finding turned PASS -- "no request from outside gets through
them (proven)" -- while the evaluator's FAIL stood without --prove. The key side kept a public
kms:* whose Decrypt was denied, not a statement without Decrypt; the secret side kept neither:
Allow * secretsmanager:* beside a Deny of GetSecretValue alone to outsiders PASSed with
--prove, PutResourcePolicy still granted to everyone."""

from __future__ import annotations

from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, CENTRAL, KEY_ARN, MEMBER, ORG_ID, SECRET_ARN,
                                   allow_read_identity, estate, key_policy_for, role,
                                   secret_policy_for, text)

from test_exposure_own_conditions_round13 import _same_with_and_without_prove

READ = "secretsmanager:GetSecretValue"
MEMBER_ROOT = f"arn:aws:iam::{MEMBER}:root"
ANY_DECRYPT = text({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                    "Resource": "*"})
KEY_ROOT = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
            "Action": "kms:*", "Resource": "*"}

SECRET_GRANTS: dict[str, dict[str, Any]] = {
    "put-resource-policy": {"Action": "secretsmanager:PutResourcePolicy"},
    "delete-secret": {"Action": "secretsmanager:DeleteSecret"},
    "describe-secret": {"Action": "secretsmanager:DescribeSecret"},
    "not-action-get-secret-value": {"NotAction": READ},
}
KEY_GRANTS: dict[str, dict[str, Any]] = {
    "put-key-policy": {"Action": "kms:PutKeyPolicy"},
    "schedule-key-deletion": {"Action": "kms:ScheduleKeyDeletion"},
    "not-action-decrypt": {"NotAction": "kms:Decrypt"},
}


def _secret(*statements: dict[str, Any]) -> Any:
    policy = text({"Effect": "Allow", "Principal": {"AWS": APP_ROLE}, "Action": READ,
                   "Resource": "*"}, *statements)
    return estate(secret_policy=policy, key_policy=ANY_DECRYPT,
                  principals=(role(APP_ROLE, allow_read_identity()),))


@pytest.mark.parametrize("grant", SECRET_GRANTS.values(), ids=list(SECRET_GRANTS))
def test_a_public_secret_grant_of_no_read_is_public_with_and_without_prove(
        grant: dict[str, Any]) -> None:
    snap = _secret({"Effect": "Allow", "Principal": "*", "Resource": "*", **grant})
    assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "FAIL"


def test_a_public_secret_grant_whose_read_alone_is_taken_back_stays_public() -> None:
    """Deny GetSecretValue to everyone outside the organization takes the read back, not
    PutResourcePolicy: "An explicit deny in any of these policies overrides the allow" holds
    for the actions the Deny names."""
    snap = _secret({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:*",
                    "Resource": "*"},
                   {"Effect": "Deny", "Principal": "*", "Action": READ, "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}}})
    assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "FAIL"


def test_a_public_read_the_solver_proves_closed_still_passes() -> None:
    """The grant of GetSecretValue alone, closed to outsiders by a Deny of every action: the
    proof clears it, with --prove as without."""
    snap = _secret({"Effect": "Allow", "Principal": "*", "Action": READ, "Resource": "*"},
                   {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}}})
    assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "PASS"


@pytest.mark.parametrize("grant", KEY_GRANTS.values(), ids=list(KEY_GRANTS))
def test_a_public_key_grant_without_decrypt_is_public_with_and_without_prove(
        grant: dict[str, Any]) -> None:
    snap = estate(secret_policy=secret_policy_for(APP_ROLE),
                  key_policy=text(KEY_ROOT, {"Effect": "Allow", "Principal": "*",
                                             "Resource": "*", **grant}),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    assert _same_with_and_without_prove(snap, "kms-key-policy-public", KEY_ARN) == "FAIL"
    assert key_policy_for(MEMBER_ROOT)  # the estate's usual key policy is not public


def test_a_deny_of_neither_the_read_nor_the_other_actions_does_not_keep_a_proven_grant_open(
        ) -> None:
    """The proof that no outsider gets GetSecretValue through Allow * [GetSecretValue,
    DescribeSecret] under a condition no request meets (a tag equal and not equal to "a") holds
    for DescribeSecret too: the statement's conditions block both alike. A Deny of DeleteSecret
    -- which applies to neither -- tells them no more apart than no Deny does: PASS with
    --prove (only a Deny that may apply to the read, and not to all the others, does)."""
    pytest.importorskip("z3")
    from test_exposure_own_conditions_round13 import _findings

    never = {"StringEquals": {"aws:PrincipalTag/team": "a"},
             "StringNotEquals": {"aws:PrincipalTag/team": "a"}}
    grant = {"Effect": "Allow", "Principal": "*", "Resource": "*", "Condition": never,
             "Action": [READ, "secretsmanager:DescribeSecret"]}
    unrelated = {"Effect": "Deny", "Principal": {"AWS": APP_ROLE},
                 "Action": "secretsmanager:DeleteSecret", "Resource": "*"}
    for snap in (_secret(grant), _secret(grant, unrelated)):
        assert _findings(snap, "secret-policy-public", prove=True)[SECRET_ARN][0] == "PASS"
    # a Deny of the read alone tells them apart: DescribeSecret may get through where the
    # read is denied
    read_only = {"Effect": "Deny", "Principal": "*", "Action": READ, "Resource": "*",
                 "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}}}
    assert _findings(_secret(grant, read_only), "secret-policy-public",
                     prove=True)[SECRET_ARN][0] == "FAIL"
