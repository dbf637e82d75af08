"""A change's scope is the accounts it names (scanner.remediate.effects._named_accounts): twelve
decimal digits standing alone in its calls, states and details. A SHA-256 digest in hex (the
change's pre_state_digest) or the last group of a key id's UUID can hold twelve digits in a
row: they name no account. One that did widened a grant-key-decrypt companion's scope beyond
its move-secret-to-cmk's, and the move was refused as "breaks access" -- a plan that depended
on what its states hashed to."""

from __future__ import annotations

import re

from scanner.changes import ApiCall, PlannedChange
from scanner.remediate.effects import _named_accounts

ACCT = "111111111111"
KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-0000-0000-0000-000000000001"


def _change(pre: dict[str, object]) -> PlannedChange:
    return PlannedChange(
        change_id="chg-1", remediation_id="enable-key-rotation", finding_ids=("sgf-1",),
        rule_id="kms-key-rotation-disabled", account_id=ACCT, region="us-east-1",
        resource_arn=KEY, target=f"key-rotation:{KEY}", summary="enable rotation",
        calls=(ApiCall(service="kms", operation="EnableKeyRotation", region="us-east-1",
                       params={"KeyId": KEY}),),
        pre_state=pre, desired_state={"rotation_enabled": True})


def test_digits_inside_a_digest_or_a_key_id_name_no_account() -> None:
    runs = re.compile(r"[0-9]{12}")
    # a pre-state whose digest holds twelve digits in a row (one in a few does)
    change = next(c for c in (_change({"rotation_enabled": False, "n": n}) for n in range(500))
                  if runs.search(c.pre_state_digest.split(":", 1)[1]))

    assert _named_accounts(change) == {ACCT}


def test_an_account_id_standing_alone_is_named() -> None:
    change = _change({"rotation_enabled": False,
                      "policy": {"Principal": {"AWS": ["222222222222",
                                                       "arn:aws:iam::333333333333:root"]}}})

    assert _named_accounts(change) == {ACCT, "222222222222", "333333333333"}
