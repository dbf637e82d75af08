"""The exposure rules, the access report and --prove read one notion of "whom this statement
really lets in" (concept review round 3; scanner/policy/exposure.py: "a concept coded twice
drifts"): a public grant the policy's own Deny takes back by the caller's ARN, the access
report's PUBLIC / unintended labels on grants the policy takes back, and a principal of
another partition with the secret's own account id."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from helpers.rule_results import access_report, rule_statuses
from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, ORG_ID, OUTSIDER, SECRET_ARN,
                                   allow_read_identity, estate, key_policy_for, role,
                                   secret_policy_for, text)
from scanner.model import Snapshot

READ = "secretsmanager:GetSecretValue"
NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
OPEN_KEY = text({"Sid": "Root", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                 "Resource": "*"},
                {"Sid": "Any", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                 "Resource": "*"})
PARTNER_ROOT = f"arn:aws:iam::{OUTSIDER}:root"


def _access(snap: Snapshot) -> Any:
    return access_report(snap)


def _status(snap: Snapshot, rule_id: str, *, prove: bool) -> str:
    return rule_statuses(snap, rule_id, prove=prove)[SECRET_ARN]


def _same_with_and_without_prove(snap: Snapshot, rule_id: str) -> str:
    plain = _status(snap, rule_id, prove=False)
    pytest.importorskip("z3")
    proved = _status(snap, rule_id, prove=True)
    assert plain == proved, f"{rule_id}: {plain} without --prove, {proved} with it"
    return plain


def _public_with_deny(condition: dict[str, Any]) -> Snapshot:
    policy = text({"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": READ,
                   "Resource": "*"},
                  {"Sid": "OnlyOurAccount", "Effect": "Deny", "Principal": "*",
                   "Action": "secretsmanager:*", "Resource": "*", "Condition": condition})
    return estate(secret_policy=policy, key_policy=OPEN_KEY,
                  principals=(role(APP_ROLE, allow_read_identity()),), scps=())


# ------------------------------------------------------------- 2. the `*` caller's ARN


@pytest.mark.parametrize("pattern", [f"arn:aws:iam::{CENTRAL}:*",
                                     f"arn:aws:iam::{CENTRAL}:role/*",
                                     f"arn:*:iam::{CENTRAL}:*"])
def test_a_deny_unless_the_callers_arn_is_of_our_account_takes_a_public_grant_back(
        pattern: str) -> None:
    """Concept review round 3: Allow * GetSecretValue + Deny secretsmanager:* unless ArnNotLike
    aws:PrincipalArn "arn:aws:iam::111111111111:*" (the own account, six components) FAILed
    CRITICAL without --prove and PASSed with it: the `*` path left aws:PrincipalArn wholly
    unknown, though every outside caller's ARN names an account no policy names (IAM User
    Guide, ARN condition operators: "Each of the six colon-delimited components of the ARN is
    checked separately")."""
    snap = _public_with_deny({"ArnNotLike": {"aws:PrincipalArn": pattern}})
    sa = _access(snap).for_secret(SECRET_ARN)
    assert {p.principal: p.decision for p in sa.paths}["*"] == "DENIED"
    assert not sa.breadth.public
    assert _same_with_and_without_prove(snap, "secret-policy-public") == "PASS"


@pytest.mark.parametrize("pattern", ["arn:aws:iam::*:role/Reader", "arn:aws:iam::*:*",
                                     f"arn:aws:iam::{CENTRAL[:6]}*:*"])
def test_a_deny_by_an_arn_pattern_any_account_may_match_takes_nothing_back(
        pattern: str) -> None:
    """Concept review round 3, the careful side: the `*` path covers every principal of every
    account no policy names, so an ARN pattern with a wildcard in its account component may
    match one of them -- the public grant stands (and the solver finds that caller)."""
    snap = _public_with_deny({"ArnNotLike": {"aws:PrincipalArn": pattern}})
    assert _access(snap).for_secret(SECRET_ARN).breadth.public
    assert _same_with_and_without_prove(snap, "secret-policy-public") == "FAIL"


# ------------------------------------------------ 3. the access report's PUBLIC / unintended


def test_a_public_grant_the_policy_takes_back_is_not_public_in_the_access_report() -> None:
    """Concept review round 3: Allow * GetSecretValue + Deny secretsmanager:* with
    StringNotEquals aws:PrincipalOrgID <ours>: secret-policy-public PASSed, but `access`
    printed "readers: 0 ...; PUBLIC grant" and "unintended: * [public] in statement 0"
    (docs/access.md: `public` is a statement secret-policy-public reports)."""
    snap = _public_with_deny({"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}})
    sa = _access(snap).for_secret(SECRET_ARN)
    assert not sa.breadth.public
    assert not sa.unintended
    assert _same_with_and_without_prove(snap, "secret-policy-public") == "PASS"


def test_an_outside_grant_the_policy_takes_back_is_not_unintended() -> None:
    """Concept review round 3: Allow 999999999999 root + a Deny naming it:
    secret-policy-external-account PASSed, but `access` printed "unintended:
    arn:aws:iam::999999999999:root [outside the trust zone]"."""
    policy = text({"Effect": "Allow", "Principal": {"AWS": APP_ROLE}, "Action": READ,
                   "Resource": "*"},
                  {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": PARTNER_ROOT},
                   "Action": READ, "Resource": "*"},
                  {"Sid": "NoPartner", "Effect": "Deny", "Principal": {"AWS": PARTNER_ROOT},
                   "Action": "secretsmanager:*", "Resource": "*"})
    snap = estate(secret_policy=policy, key_policy=key_policy_for(APP_ROLE, PARTNER_ROOT),
                  principals=(role(APP_ROLE, allow_read_identity()),), scps=())
    assert not _access(snap).for_secret(SECRET_ARN).unintended
    assert _same_with_and_without_prove(snap, "secret-policy-external-account") == "PASS"


def test_an_outside_grant_the_policy_does_not_take_back_stays_unintended() -> None:
    """Concept review round 3, the other side: a Deny naming another principal leaves the
    grant, in the access report as in the rule."""
    policy = text({"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": PARTNER_ROOT},
                   "Action": READ, "Resource": "*"},
                  {"Sid": "NotThem", "Effect": "Deny",
                   "Principal": {"AWS": f"arn:aws:iam::{MEMBER}:root"},
                   "Action": "secretsmanager:*", "Resource": "*"})
    snap = estate(secret_policy=policy, key_policy=key_policy_for(PARTNER_ROOT),
                  principals=(role(APP_ROLE, allow_read_identity()),), scps=())
    assert [g.principal for g in _access(snap).for_secret(SECRET_ARN).unintended] == \
        [PARTNER_ROOT]
    assert _status(snap, "secret-policy-external-account", prove=False) == "FAIL"


# ------------------------------------------- 4. another partition with our own account id


GOV_ROOT_OF_OURS = f"arn:aws-us-gov:iam::{CENTRAL}:root"


def test_a_principal_of_another_partition_with_our_account_id_is_another_account() -> None:
    """Concept review round 3: arn:aws-us-gov:iam::111111111111:root granted secretsmanager:*
    on a commercial secret of 111111111111: secret-policy-external-account FAILed ("a
    principal of another partition") but secret-policy-overbroad-actions PASSed -- it compared
    the account id without the partition. "You cannot use IAM credentials from one partition
    to interact with resources in a different partition" (AWS fault isolation boundaries
    whitepaper, "Partitions"): it is another account, for every exposure rule."""
    policy = text({"Effect": "Allow", "Principal": {"AWS": GOV_ROOT_OF_OURS},
                   "Action": "secretsmanager:*", "Resource": "*"})
    snap = estate(secret_policy=policy, key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),), scps=())
    assert _status(snap, "secret-policy-external-account", prove=False) == "FAIL"
    assert _status(snap, "secret-policy-overbroad-actions", prove=False) == "FAIL"


def test_our_own_account_in_our_partition_is_not_overbroad() -> None:
    """Concept review round 3, the other side: the same grant to the secret's own account in
    its own partition is no grant to another account."""
    policy = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
                   "Action": "secretsmanager:*", "Resource": "*"})
    snap = estate(secret_policy=policy, key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),), scps=())
    assert _status(snap, "secret-policy-overbroad-actions", prove=False) == "PASS"
