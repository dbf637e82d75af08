"""A Deny with NotPrincipal spares the principals it lists: a public Allow lets those of an
outside account in where the ``*`` stand-in (an account no policy names) is denied (IAM
conformance trial round 25; the NotPrincipal form of round 15's Deny exception).

IAM User Guide, "AWS JSON policy elements: NotPrincipal": with "Effect": "Deny" the statement
"explicitly denies all principals except the ones specified in the NotPrincipal element", and
"you must also specify the account ARN of the not-denied principal" -- Allow * GetSecretValue
beside Deny NotPrincipal [999999999999] leaves the account's root user (and a listed user with
its account) the public grant: a caller outside the trust zone reads.

Before: the access analysis recorded the ``*`` path DENIED and no path for 999999999999, and
secret-policy-external-account and secret-policy-public PASSed with and without --prove, while
``access --prove`` found the outside reader (WITNESS arn:aws:iam::999999999999:root, replayed
ALLOWED). On a key policy alike: kms-key-policy-excess-grant PASSed a public Decrypt that the
Deny's NotPrincipal leaves to 999999999999. The accounts a NotPrincipal names are among those
a policy mentions (narrowing.mentioned_accounts), read by the access analysis' candidates, the
external grants and the key's excess grants alike.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, CENTRAL, KEY_ARN, MEMBER, OUTSIDER, SECRET_ARN,
                                   allow_read_identity, estate, key_policy_for, role, text)
from helpers.rule_results import access_report, rule_statuses

from scanner.model import Snapshot

READ = "secretsmanager:GetSecretValue"
CENTRAL_ROOT = f"arn:aws:iam::{CENTRAL}:root"
KEY_ROOT = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": CENTRAL_ROOT},
            "Action": "kms:*", "Resource": "*"}
VIA_SM_KEY = text(KEY_ROOT, {"Sid": "KPub", "Effect": "Allow", "Principal": "*",
                             "Action": "kms:Decrypt", "Resource": "*", "Condition": {
                                 "StringEquals": {
                                     "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}})
STAR = {"Sid": "Pub", "Effect": "Allow", "Principal": "*", "Action": READ, "Resource": "*"}


def _deny_but(*listed: str, action: str = READ) -> dict[str, Any]:
    return {"Sid": "D", "Effect": "Deny", "NotPrincipal": {"AWS": list(listed)},
            "Action": action, "Resource": "*"}


def _snap(secret_policy: str, key_policy: str = VIA_SM_KEY) -> Snapshot:
    return estate(secret_policy=secret_policy, key_policy=key_policy,
                  principals=(role(APP_ROLE, allow_read_identity()),))


def _same_with_and_without_prove(snap: Snapshot, rule_id: str, arn: str) -> str:
    plain = rule_statuses(snap, rule_id)[arn]
    pytest.importorskip("z3")
    proved = rule_statuses(snap, rule_id, prove=True, prove_timeout=20)[arn]
    assert plain == proved, f"{rule_id}: {plain} without --prove, {proved} with it"
    return plain


SPARED = {
    "account-id": (OUTSIDER, CENTRAL_ROOT),
    "account-root": (f"arn:aws:iam::{OUTSIDER}:root", CENTRAL_ROOT),
    "user-and-account": (f"arn:aws:iam::{OUTSIDER}:user/bob", OUTSIDER, CENTRAL_ROOT),
}


@pytest.mark.parametrize("case", sorted(SPARED))
def test_a_public_grant_a_not_principal_deny_spares_an_outside_account_is_external(
        case: str) -> None:
    snap = _snap(text(STAR, _deny_but(*SPARED[case])))
    readers = {p.principal: p.decision for p in access_report(snap).for_secret(SECRET_ARN).paths}
    assert any(OUTSIDER in p and d != "DENIED" for p, d in readers.items()), readers
    assert _same_with_and_without_prove(snap, "secret-policy-external-account",
                                        SECRET_ARN) == "FAIL"
    # the "*" caller, an account no policy names, is denied: not public
    assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "PASS"


def test_a_not_principal_naming_accounts_of_the_zone_only_grants_no_outsider() -> None:
    snap = _snap(text(STAR, _deny_but(MEMBER, CENTRAL_ROOT)))
    assert _same_with_and_without_prove(snap, "secret-policy-external-account",
                                        SECRET_ARN) == "PASS"
    assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "PASS"


def test_a_key_decrypt_a_not_principal_deny_spares_an_outside_account_is_an_excess_grant(
        ) -> None:
    """The key's public Decrypt, a Deny NotPrincipal [999999999999, our root] beside it: the
    root user of 999999999999 decrypts, and no secret grants it."""
    key = text(KEY_ROOT, {"Sid": "KPub", "Effect": "Allow", "Principal": "*",
                          "Action": "kms:Decrypt", "Resource": "*"},
               _deny_but(OUTSIDER, CENTRAL_ROOT, action="kms:Decrypt"))
    snap = _snap(text({"Effect": "Allow", "Principal": {"AWS": APP_ROLE}, "Action": READ,
                       "Resource": "*"}), key_policy=key)
    assert rule_statuses(snap, "kms-key-policy-excess-grant")[KEY_ARN] == "FAIL"
    kept = _snap(text({"Effect": "Allow", "Principal": {"AWS": APP_ROLE}, "Action": READ,
                       "Resource": "*"}), key_policy=key_policy_for(APP_ROLE))
    assert rule_statuses(kept, "kms-key-policy-excess-grant")[KEY_ARN] == "PASS"
