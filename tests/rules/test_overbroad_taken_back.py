"""secret-policy-overbroad-actions: an action the policy's own explicit Deny takes back from
the grantee for certain is not granted to it (IAM conformance trial round 25).

IAM User Guide, "Policy evaluation logic": "An explicit deny in any of these policies overrides
the allow." Allow {"AWS": "999999999999"} secretsmanager:* beside Deny {"AWS": "999999999999"}
NotAction [GetSecretValue, DescribeSecret] leaves the account the read and nothing more.
secret-policy-external-account and the access analysis read such a Deny
(exposure.grant_left); the over-broad rule read the Allow statements alone and FAILed
"statement 0 grants 999999999999: secretsmanager:CancelRotateSecret, ...". A Deny that takes
back only some of the actions leaves the rest reported; one under a condition the snapshot
cannot decide takes nothing back.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, MEMBER, OUTSIDER, SECRET_ARN, allow_read_identity,
                                   estate, key_policy_for, role, text)
from helpers.rule_results import rule_statuses

RULE = "secret-policy-overbroad-actions"
READS = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]


def _allow(principal: Any, actions: Any = "secretsmanager:*") -> dict[str, Any]:
    return {"Sid": "Grant", "Effect": "Allow", "Principal": {"AWS": principal},
            "Action": actions, "Resource": "*"}


def _deny(principal: Any, **element: Any) -> dict[str, Any]:
    return {"Sid": "Back", "Effect": "Deny", "Principal": principal, "Resource": "*", **element}


def _status(*statements: dict[str, Any]) -> str:
    snap = estate(secret_policy=text(*statements),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    return rule_statuses(snap, RULE)[SECRET_ARN]


@pytest.mark.parametrize("deny", [
    _deny({"AWS": OUTSIDER}, NotAction=READS),
    _deny("*", NotAction=READS),
    _deny("*", NotAction=READS, Condition={"StringEquals": {"aws:PrincipalAccount": OUTSIDER}}),
], ids=["deny-account", "deny-everyone", "deny-everyone-of-the-account"])
def test_a_deny_of_every_action_beyond_reading_leaves_a_read_grant(deny: dict[str, Any]) -> None:
    assert _status(_allow(OUTSIDER), deny) == "PASS"


def test_a_deny_of_some_actions_leaves_the_others_reported() -> None:
    deny = _deny({"AWS": OUTSIDER}, Action=["secretsmanager:PutResourcePolicy",
                                            "secretsmanager:DeleteSecret"])
    assert _status(_allow(OUTSIDER), deny) == "FAIL"


def test_a_deny_the_snapshot_cannot_decide_takes_nothing_back() -> None:
    deny = _deny({"AWS": OUTSIDER}, NotAction=READS,
                 Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})
    assert _status(_allow(OUTSIDER), deny) == "FAIL"


def test_a_not_action_grant_taken_back_to_reading_passes() -> None:
    grant = {"Sid": "Grant", "Effect": "Allow", "Principal": {"AWS": OUTSIDER},
             "NotAction": "secretsmanager:DeleteSecret", "Resource": "*"}
    assert _status(grant, _deny({"AWS": OUTSIDER}, NotAction=READS)) == "PASS"
    assert _status(grant) == "FAIL"


def test_a_deny_of_everyone_without_condition_takes_a_public_grant_back_to_reading() -> None:
    """Allow * secretsmanager:* (narrowed to the organization) beside Deny * every action but
    the reads, without a condition: no one -- in the organization or not -- is granted more
    than reading. A Deny of everyone under a condition (a data perimeter) leaves the grant to
    those it does not apply to: reported."""
    grant = {"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:*",
             "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}
    assert _status(grant, _deny("*", NotAction=READS)) == "PASS"
    assert _status(grant, _deny({"AWS": "*"}, NotAction=READS)) == "PASS"
    perimeter = _deny("*", NotAction=READS,
                      Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}})
    assert _status(grant, perimeter) == "FAIL"
    assert _status(grant) == "FAIL"


EVERYTHING = {"Sid": "All", "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:*",
              "Resource": "*"}
ORG_EVERYTHING = {**EVERYTHING, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}
OWN = "111111111111"  # the secret's account (helpers.access_estate.CENTRAL)


@pytest.mark.parametrize("grant,deny", [
    (EVERYTHING, _deny("*", NotAction=READS,
                       Condition={"StringNotEquals": {"aws:PrincipalAccount": OWN}})),
    (EVERYTHING, _deny("*", NotAction=READS, Condition={
        "StringNotEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}})),
    (EVERYTHING, _deny("*", NotAction=READS,
                       Condition={"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{OWN}:*"}})),
    (EVERYTHING, {"Sid": "Back", "Effect": "Deny", "NotPrincipal": {"AWS": OWN},
                  "NotAction": READS, "Resource": "*"}),
    (EVERYTHING, {"Sid": "Back", "Effect": "Deny",
                  "NotPrincipal": {"AWS": f"arn:aws:iam::{OWN}:root"}, "NotAction": READS,
                  "Resource": "*"}),
    (ORG_EVERYTHING, _deny("*", NotAction=READS,
                           Condition={"StringNotEquals": {"aws:PrincipalAccount": OWN}})),
], ids=["unless-own-account", "unless-resource-account", "unless-own-arns",
        "not-principal-account", "not-principal-root", "organization-grant"])
def test_a_deny_of_every_other_account_takes_a_public_grant_back_to_reading(
        grant: dict[str, Any], deny: dict[str, Any]) -> None:
    """IAM conformance trial round 30. A Deny whose condition (or NotPrincipal) spares the
    secret's own account alone applies to every principal of every other account -- "An
    explicit deny in any of these policies overrides the allow" (IAM User Guide, "Policy
    evaluation logic") -- so no other account is granted more than reading: the grant to
    ``*`` was reported "secretsmanager:*" because only a Deny of everyone without a
    Condition was read. secret-policy-external-account already PASSed it (no account
    outside is granted) and secret-policy-public reports the read to everyone alike."""
    assert _status(grant, deny) == "PASS"


def test_a_deny_that_spares_another_account_leaves_it_the_grant() -> None:
    """The exception names 999999999999: its principals keep secretsmanager:* through "*"."""
    deny = _deny("*", NotAction=READS, Condition={
        "StringNotEquals": {"aws:PrincipalAccount": [OWN, OUTSIDER]}})
    assert _status(EVERYTHING, deny) == "FAIL"
