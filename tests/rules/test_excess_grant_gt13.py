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

from helpers.access_estate import KEY_ARN, OUTSIDER, estate, key_policy_for, secret_policy_for

from scanner.pipeline import ScanOptions, analyze, load_inputs

RULE = "kms-key-policy-excess-grant"


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
