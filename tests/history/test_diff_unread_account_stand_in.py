"""Access drift of an outside account whose IAM was not read, when a condition lets in its
ROLES only: its class ("account:<id>", docs/access.md) is reached on both nights, so a
narrowing is no new reader.

IAM conformance trial round 10 (diff_nights.py): night 1, the secret grants partner account
210987654321 and the key lets in any role of it (Principal "*", ArnLike aws:PrincipalArn
arn:aws:iam::210987654321:role/*); night 2 the key names its role PartnerReader instead -- the
same real readers, fewer possible ones. The account's stand-in was judged as the root user,
so night 1 read DENIED for the whole account and night 2 reported the account as a new reader.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from helpers.access_estate import CENTRAL, estate, text
from helpers.scanfactory import stored

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.history.diff import diff_scans
from scanner.model import Snapshot

PARTNER = "210987654321"
PARTNER_ROOT = f"arn:aws:iam::{PARTNER}:root"
PARTNER_ROLE = f"arn:aws:iam::{PARTNER}:role/PartnerReader"


def _key(principal: Any, condition: dict[str, Any] | None = None) -> str:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "kms:Decrypt",
                          "Resource": "*"}
    if condition:
        st["Condition"] = condition
    return text({"Sid": "Root", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                 "Resource": "*"}, st)


def _night(scan_id: str, started: str, key_policy: str) -> Any:
    snap: Snapshot = estate(
        secret_policy=text({"Effect": "Allow", "Principal": {"AWS": PARTNER_ROOT},
                            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}),
        key_policy=key_policy)
    snap = replace(snap, meta=replace(snap.meta, scan_id=scan_id, started_at=started))
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    return stored(snap, acc=json.loads(report.to_json()))


def test_narrowing_an_accounts_roles_to_one_role_is_no_new_reader() -> None:
    """IAM conformance trial round 10: the partner account's class is reached (CONDITIONAL) on
    both nights, so it is neither gained on night 2 nor reported as a new reader."""
    n1 = _night("n1", "2026-12-03T00:00:00Z",
                _key("*", {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{PARTNER}:role/*"}}))
    n2 = _night("n2", "2026-12-04T00:00:00Z", _key({"AWS": PARTNER_ROLE}))
    drift = diff_scans(n1, n2)
    gained = [r.principal for a in drift.access for r in a.gained]
    assert f"account:{PARTNER}" not in gained
    assert PARTNER_ROOT not in gained
