"""kms-key-policy-public with --prove: the solver's proof is about kms:Decrypt, and it carries
over to the other KMS actions a public statement grants only when the statement's condition
reads the same request keys for them. A key that only some actions carry does not (IAM
conformance trial round 17).

KMS Developer Guide, "AWS KMS condition keys", kms:GrantIsForAWSResource: "Allows or denies
permission for the CreateGrant, ListGrants, or RevokeGrant operations only when an AWS service
integrated with AWS KMS calls the operation on the user's behalf" -- absent from a Decrypt
(so Bool "true" is false there: no outside Decrypt, proven), present on the CreateGrant a
service makes for any caller (IAM User Guide, aws:ViaAWSService / forward access sessions).
An Allow to "*" of kms:CreateGrant under Bool kms:GrantIsForAWSResource "true" lets a caller of
any account have a service create grants on the key: public. Before: FAIL without --prove,
PASS with it ("no request from outside gets through them (proven)")."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from helpers.rule_results import rule_statuses
from helpers.access_estate import (APP_ROLE, CENTRAL, KEY_ARN, allow_read_identity, estate,
                                   role, secret_policy_for, text)
from scanner.model import Snapshot

NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
ROOT = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
        "Action": "kms:*", "Resource": "*"}


def _snap(action: Any, condition: dict[str, Any]) -> Snapshot:
    public = {"Sid": "Attach", "Effect": "Allow", "Principal": "*", "Action": action,
              "Resource": "*", "Condition": condition}
    return estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=text(ROOT, public),
                  principals=(role(APP_ROLE, allow_read_identity()),))


def _status(snap: Snapshot, prove: bool) -> str:
    return rule_statuses(snap, "kms-key-policy-public", prove=prove, record_denied=False,
                         prove_timeout=60)[KEY_ARN]


GRANT = {"Bool": {"kms:GrantIsForAWSResource": "true"}}


@pytest.mark.parametrize("action", [["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                                    "kms:CreateGrant", ["kms:Decrypt", "kms:CreateGrant"]])
def test_a_public_grant_for_aws_resources_fails_with_and_without_prove(action: Any) -> None:
    pytest.importorskip("z3")
    snap = _snap(action, GRANT)
    assert _status(snap, prove=False) == "FAIL"
    assert _status(snap, prove=True) == "FAIL"


def test_a_public_decrypt_under_the_grant_key_lets_no_one_in() -> None:
    """On Decrypt the key is absent: the statement never holds (PASS either way)."""
    pytest.importorskip("z3")
    snap = _snap("kms:Decrypt", GRANT)
    assert _status(snap, prove=False) == "PASS"
    assert _status(snap, prove=True) == "PASS"


def test_a_condition_every_action_reads_alike_still_carries_the_proof() -> None:
    """A public kms:* under Bool aws:PrincipalIsAWSService "true" (no IAM caller of any
    action has it true): PASS with --prove and without, as before."""
    pytest.importorskip("z3")
    snap = _snap("kms:*", {"Bool": {"aws:PrincipalIsAWSService": "true"}})
    assert _status(snap, prove=False) == "PASS"
    assert _status(snap, prove=True) == "PASS"


#: a public grant written with an action pattern (kms:*, kms:Create*) covers the actions that
#: carry the key: Service Authorization Reference, KMS, kms:BypassPolicyLockoutSafetyCheck on
#: CreateKey and PutKeyPolicy; kms:GrantIsForAWSResource on CreateGrant, ListGrants and
#: RevokeGrant. The pattern was asked as if it were one action that takes neither key, so the
#: condition "never held" and the grant of kms:PutKeyPolicy (kms:CreateGrant) to everyone
#: PASSed (IAM conformance trial round 20)
@pytest.mark.parametrize("action,condition", [
    ("kms:*", GRANT),
    ("kms:Create*", GRANT),
    ("kms:*", {"Bool": {"kms:BypassPolicyLockoutSafetyCheck": "false"}}),
    (["kms:Decrypt", "kms:Put*"], {"Bool": {"kms:BypassPolicyLockoutSafetyCheck": "false"}}),
])
def test_a_public_action_pattern_covering_the_keys_actions_fails(action: Any,
                                                                 condition: Any) -> None:
    assert _status(_snap(action, condition), prove=False) == "FAIL"


@pytest.mark.parametrize("action", ["kms:Decrypt", "kms:Decrypt*", ["kms:Decrypt", "kms:Get*"]])
def test_a_public_pattern_no_action_of_which_takes_the_key_lets_no_one_in(action: Any) -> None:
    snap = _snap(action, {"Bool": {"kms:BypassPolicyLockoutSafetyCheck": "false"}})
    assert _status(snap, prove=False) == "PASS"
