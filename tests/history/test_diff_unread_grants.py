"""Access drift of a secret whose customer key's grants (ListGrants) could not be read in one of
the two scans: a grant may be the only allow of the key, so the readers the key policy alone
does not let decrypt are CONDITIONAL on what was not read -- not assessed, never "can now read"
(user trial round 24: the night the audit role was denied kms:ListGrants, the drift said
"everyone (any AWS principal of any account) [*] can now read [conditional] (was deny)" of a
public secret whose key lets no one else decrypt, beside a coverage gap that was its only
cause). The access reports are real (scanner.access.analyze_access)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.history.diff import diff_scans
from scanner.history.drift import render_drift_text
from scanner.model import IamPrincipal, IamSnapshot, KeyGrant, KmsKey, Snapshot

from helpers.scanfactory import CENTRAL, MEMBER, REGION, document, finding, policy, secret, \
    secret_arn, snapshot, stored

PUB = secret_arn("pub")
KEY = f"arn:aws:kms:{REGION}:{CENTRAL}:key/k-root"
T1, T2, T3 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z", "2026-11-30T01:00:00Z"
APP = f"arn:aws:iam::{MEMBER}:role/App"
PUBLIC = policy({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                 "Resource": "*"})
ROOT_KEY = KmsKey(arn=KEY, key_id="k-root", account_id=CENTRAL, region=REGION,
                  key_manager="CUSTOMER", key_state="Enabled", grants=(), policy=policy(
                      {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
                       "Action": "kms:*", "Resource": "*"}))


def _stored(scan_id: str, started: str, key: KmsKey,
            findings: list[dict[str, Any]] | None = None) -> Any:
    snap: Snapshot = snapshot(scan_id, started, [replace(secret("pub"), kms_key_id=KEY,
                                                         resource_policy=PUBLIC)], keys=[key])
    # App (another account) may read the secret by its identity policy; no kms:Decrypt Allow:
    # only the key policy or a grant naming it lets it decrypt
    app = IamPrincipal(arn=APP, name="App", account_id=MEMBER, principal_type="role",
                       inline_policies={"read": {"Version": "2012-10-17", "Statement": [
                           {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                            "Resource": "*"}]}})
    snap = replace(snap, accounts=tuple(
        replace(a, iam=IamSnapshot(principals=(app,) if a.account_id == MEMBER else ()))
        for a in snap.accounts))
    report: dict[str, Any] = json.loads(analyze_access(
        build_graph(snap), snap, AccessSettings.from_snapshot(snap)).to_json())
    return stored(snap, document(snap, findings or []), acc=report)


def test_grants_not_read_tonight_gain_no_reader() -> None:
    unread = replace(ROOT_KEY, grants=None, unread=("grants",))
    drift = diff_scans(_stored("a", T1, ROOT_KEY), _stored("b", T2, unread))

    assert [a.secret_arn for a in drift.access] == []
    [na] = [n for n in drift.not_assessed if n.scope == "access"]
    assert (na.subject, na.scan) == (PUB, "new")
    assert "grants" in na.reason and KEY in na.reason and "not read" in na.reason
    assert "can now read" not in render_drift_text(drift)


def test_grants_read_again_lose_no_reader() -> None:
    unread = replace(ROOT_KEY, grants=None, unread=("grants",))
    drift = diff_scans(_stored("a", T1, unread), _stored("b", T2, ROOT_KEY))

    assert [a.secret_arn for a in drift.access] == []
    assert [(n.subject, n.scan) for n in drift.not_assessed if n.scope == "access"] == \
        [(PUB, "old")]


def test_a_grant_added_between_two_nights_that_read_them_is_a_new_reader() -> None:
    grant = KeyGrant(grant_id="g-1", grantee_principal=APP, operations=("Decrypt",))
    drift = diff_scans(_stored("a", T1, ROOT_KEY),
                       _stored("b", T3, replace(ROOT_KEY, grants=(grant,))))

    [change] = drift.access
    assert change.secret_arn == PUB and APP in {r.principal for r in change.gained}
    assert [n for n in drift.not_assessed if n.scope == "access"] == []


def _public(decision: str, blocked: list[str]) -> dict[str, Any]:
    """secret-policy-public's row: its evidence carries the secret's reader classes."""
    return finding("secret-policy-public", PUB, "FAIL", "CRITICAL", evidence={
        "reader_classes": [{"subject": "*", "label": "everyone", "decision": decision,
                            "principals": None, "conditional_principals": None,
                            "accounts": None, "unassessed_accounts": 0,
                            "blocked_by": blocked}]})


def test_a_findings_reader_classes_moved_by_unread_grants_are_not_a_change() -> None:
    """The public secret's finding stays FAIL; its reader class '*' went DENIED (blocked by
    the key policy) -> CONDITIONAL (on the grants not read). That is the unread ListGrants,
    said once under Not assessed, not "changed (evidence: reader_classes ...)" (new-user
    trial round 24)."""
    unread = replace(ROOT_KEY, grants=None, unread=("grants",))
    drift = diff_scans(_stored("a", T1, ROOT_KEY, [_public("DENIED", ["key_policy"])]),
                       _stored("b", T2, unread, [_public("CONDITIONAL", [])]))
    assert not drift.findings_changed
    [na] = [n for n in drift.not_assessed if n.scope == "finding"]
    assert (na.subject, na.scan) == (f"secret-policy-public {PUB}", "new")
    assert na.reason == (f"its access evidence moved while the grants of its key {KEY} were "
                         "not read (ListGrants)")


def test_the_same_move_between_two_nights_that_read_the_grants_is_a_change() -> None:
    grant = KeyGrant(grant_id="g-1", grantee_principal=APP, operations=("Decrypt",))
    drift = diff_scans(_stored("a", T1, ROOT_KEY, [_public("DENIED", ["key_policy"])]),
                       _stored("b", T2, replace(ROOT_KEY, grants=(grant,)),
                               [_public("CONDITIONAL", [])]))
    [change] = drift.findings_changed
    assert change.rule_id == "secret-policy-public" and change.changes == ("evidence",)
