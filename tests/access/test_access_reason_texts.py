"""The reasons a gate gives name what to fix: a statement that names a deleted principal
(conformance trial round 7)."""

from __future__ import annotations

import dataclasses

from helpers.access_estate import (APP_ROLE, CENTRAL, SECRET_ARN, allow_read_identity, estate,
                                   role, secret_policy_for, text)
from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph


def _gates(snap, principal: str):
    settings = dataclasses.replace(AccessSettings.from_snapshot(snap), record_denied=True)
    report = analyze_access(build_graph(snap), snap, settings)
    return {p.principal: p for p in report.for_secret(SECRET_ARN).paths}[principal].gates


def test_a_key_policy_naming_a_deleted_roles_unique_id_says_so() -> None:
    """Conformance trial round 7 (u3): the role was deleted and recreated; the key policy
    still shows the old role's unique id (IAM User Guide, "IAM JSON policy elements:
    Principal": if the principal is deleted, the policy shows its unique id). The key gate
    is DENIED, and its reasons name the statement to fix, not only "implicit deny"."""
    kp = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
               "Action": "kms:*", "Resource": "*"},
              {"Sid": "AppDecrypt", "Effect": "Allow",
               "Principal": {"AWS": "AROAEXAMPLEID1234567"}, "Action": "kms:Decrypt",
               "Resource": "*"})
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=kp,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    key = _gates(snap, APP_ROLE)["key_policy"]
    assert key.status == "DENIED"
    assert any("statement 1 (AppDecrypt)" in r and "AROAEXAMPLEID1234567" in r
               and "deleted" in r for r in key.reasons), key.reasons
