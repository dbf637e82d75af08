"""kms-key-policy-excess-grant on two shapes of ground-truth trial round 13.

1. A key whose only secret is scheduled for deletion, its policy granting an outside account
   kms:Decrypt: "a secret scheduled for deletion grants no one" (docs/rules.md), so the grant
   is in excess -- it was PASS, "the key encrypts no secret", although the key encrypts one
   (and `access --prove` gave a witness of the outsider decrypting with it).
2. A secret in a member account encrypted with a customer-managed key of the central account,
   read by the member's own role through its identity policy (no resource policy): the key
   policy must grant that role kms:Decrypt ("the key policy must allow ... and the caller's
   identity policy" -- IAM User Guide, cross-account policy evaluation logic), and in its own
   account "an identity-based policy or a resource-based policy" allows the read (IAM User
   Guide, policy evaluation logic). The grant goes with that secret: it was a HIGH FAIL whose
   remediation (remove the principal from the key policy) breaks the read.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from helpers.access_estate import (APP_ROLE, APP_ROLE2, KEY_ARN, MEMBER, OUTSIDER, REGION,
                                   allow_read_identity, estate, key_policy_for, role,
                                   secret_policy_for)

from scanner.pipeline import ScanOptions, analyze, load_inputs

RULE = "kms-key-policy-excess-grant"
OWN_SECRET = f"arn:aws:secretsmanager:{REGION}:{MEMBER}:secret:member/own-QwErTy"


def _key_findings(snap: Any) -> list[tuple[str, str | None]]:
    analysis = analyze(snap, load_inputs(ScanOptions()))
    return sorted((f.status.value, f.principal) for f in analysis.findings
                  if f.rule_id == RULE and f.resource.arn == KEY_ARN)


def test_a_key_whose_only_secret_is_scheduled_for_deletion_grants_in_excess() -> None:
    outsider = f"arn:aws:iam::{OUTSIDER}:root"
    snap = estate(secret_policy=secret_policy_for(outsider), key_policy=key_policy_for(outsider))
    accounts = []
    for a in snap.accounts:
        regions = tuple(replace(r, secrets=tuple(
            replace(s, deleted_date="2026-12-13T00:00:00Z") for s in r.secrets))
            for r in a.regions)
        accounts.append(replace(a, regions=regions))
    assert _key_findings(replace(snap, accounts=tuple(accounts))) == [("FAIL", outsider)]


def _member_secret_estate() -> Any:
    """The central key grants the member's role (which reads the member's own secret) and
    another member's role (which reads nothing); the central secret grants no one."""
    snap = estate(secret_policy=None, key_policy=key_policy_for(APP_ROLE, APP_ROLE2, via=False),
                  principals=(role(APP_ROLE, allow_read_identity(
                      secret=OWN_SECRET, key=KEY_ARN)),))
    accounts = []
    for a in snap.accounts:
        if a.account_id == MEMBER:
            central_secret = next(s for acct in snap.accounts for r in acct.regions
                                  for s in r.secrets)
            own = replace(central_secret, arn=OWN_SECRET, name="member/own", account_id=MEMBER,
                          resource_policy=None)
            a = replace(a, regions=(replace(a.regions[0], secrets=(own,)),))
        accounts.append(a)
    return replace(snap, accounts=tuple(accounts))


def test_a_grant_to_the_role_reading_its_own_accounts_secret_is_not_in_excess() -> None:
    # the other member's role reads nothing with the key: that grant stays in excess
    assert _key_findings(_member_secret_estate()) == [("FAIL", APP_ROLE2)]


def test_an_own_account_secret_whose_policy_denies_the_role_does_not_cover_it() -> None:
    deny = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": "'
            + APP_ROLE + '"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}')
    snap = _member_secret_estate()
    accounts = tuple(replace(a, regions=tuple(replace(r, secrets=tuple(
        replace(s, resource_policy=deny) if s.arn == OWN_SECRET else s for s in r.secrets))
        for r in a.regions)) for a in snap.accounts)
    assert _key_findings(replace(snap, accounts=accounts)) == [("FAIL", APP_ROLE),
                                                               ("FAIL", APP_ROLE2)]
