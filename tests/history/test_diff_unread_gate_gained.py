"""A reader "gained" only because a gate that denied it last night could not be read tonight is
not assessed, never a new reader (fault-injection trial round 10).

The demo's ReportingRole is denied by an SCP; with that SCP's DescribePolicy denied the SCP gate
is UNKNOWN and the read CONDITIONAL ("if: SCP path unknown"), and `secretgraph diff` said
``+ arn:aws:iam::...:role/ReportingRole can now read [conditional] (was deny)`` -- an exposure
alarm made of a failed read. diff_access already holds the lost side to this ("a reader whose
decision became unknown ... is not assessed, never lost"); the access reports here are real
(scanner.access.analyze_access)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scanner.access import analyze_access
from scanner.history.diff import diff_scans
from scanner.history.records import StoredScan
from scanner.history.drift import render_drift_text
from scanner.model import (
    ControlPolicy,
    IamPrincipal,
    IamSnapshot,
    KmsKey,
    Organization,
    OrgAccount,
    Snapshot,
    UnreadControlPolicy,
)

from helpers.scanfactory import (CENTRAL, MEMBER, REGION, policy, read_statement, secret,
                                 secret_arn, snapshot, stored_analysed)

DB = secret_arn("db")
KEY = f"arn:aws:kms:{REGION}:{CENTRAL}:key/k1"
T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"
MANAGEMENT = "333333333333"
ROOT = "r-ab12"
APP = f"arn:aws:iam::{MEMBER}:role/App"
READ = "secretsmanager:GetSecretValue"
SCP = "SERVICE_CONTROL_POLICY"
FULL = ControlPolicy(policy_id="p-FullAWSAccess", name="FullAWSAccess", policy_type=SCP,
                     content=policy({"Effect": "Allow", "Action": "*", "Resource": "*"}),
                     targets=(ROOT, CENTRAL, MEMBER))
DENY_READ = ControlPolicy(policy_id="p-denyread", name="deny-read", policy_type=SCP,
                          content=policy({"Effect": "Deny", "Action": READ, "Resource": "*"}),
                          targets=(MEMBER,))


def _estate(scan_id: str, started: str, *, scp_unread: bool,
            app_denied_by_identity: bool = False) -> Snapshot:
    key = KmsKey(arn=KEY, key_id="k1", account_id=CENTRAL, region=REGION,
                 key_manager="CUSTOMER", key_state="Enabled", policy=policy(
                     {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
                      "Action": "kms:*", "Resource": "*"},
                     {"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "kms:Decrypt",
                      "Resource": "*"}))
    db = replace(secret("db"), kms_key_id=KEY, resource_policy=policy(read_statement(APP)))
    snap = snapshot(scan_id, started, [db], keys=[key])
    allowed = [] if app_denied_by_identity else [READ, "kms:Decrypt"]
    app = IamPrincipal(arn=APP, name="App", account_id=MEMBER, principal_type="role",
                       inline_policies={"app": {"Version": "2012-10-17", "Statement": [
                           {"Effect": "Allow", "Action": allowed or ["s3:GetObject"],
                            "Resource": "*"}]}})
    iam = {CENTRAL: (), MEMBER: (app,)}
    org = Organization(
        org_id="o-abc", management_account_id=MANAGEMENT, root_id=ROOT,
        accounts=tuple(OrgAccount(account_id=a, parent_id=ROOT)
                       for a in (MANAGEMENT, CENTRAL, MEMBER)),
        policies=(FULL,) if scp_unread else (FULL, DENY_READ),
        policies_read=not scp_unread, rcps_read=True, policy_types_enabled=(SCP,),
        unread_policies=(UnreadControlPolicy(policy_id="p-denyread", policy_type=SCP,
                                             name="deny-read", targets=(MEMBER,)),)
        if scp_unread else ())
    return replace(snap, organization=org,
                   accounts=tuple(replace(a, iam=IamSnapshot(principals=iam[a.account_id]))
                                  for a in snap.accounts))


def _stored(snap: Snapshot) -> StoredScan:
    return stored_analysed(snap)


def _path(scan: Any, principal: str) -> dict[str, Any]:
    [path] = [p for p in scan.access["secrets"][DB]["paths"] if p["principal"] == principal]
    return dict(path)


def test_a_reader_whose_denying_scp_was_not_read_tonight_is_not_gained() -> None:
    old = _stored(_estate("a", T1, scp_unread=False))
    new = _stored(_estate("b", T2, scp_unread=True))
    # the estate as the trial saw it: DENIED by the SCP, then CONDITIONAL on the unread one
    assert (_path(old, APP)["decision"], _path(old, APP)["gates"]["scp"]) == ("DENIED", "DENIED")
    assert (_path(new, APP)["decision"], _path(new, APP)["gates"]["scp"]) == (
        "CONDITIONAL", "UNKNOWN")

    drift = diff_scans(old, new)

    assert [c.secret_arn for c in drift.access] == []
    [na] = [n for n in drift.not_assessed if n.scope == "access"]
    assert (na.subject, na.scan) == (f"{APP} -> {DB}", "new")
    assert "scp" in na.reason and "could not be assessed" in na.reason
    assert "can now read" not in render_drift_text(drift)


def test_a_reader_let_in_by_a_gate_that_was_read_is_still_gained() -> None:
    # denied by its identity policy and the SCP, then let in by both (each read both nights):
    # a real gain, listed as before
    old = _stored(_estate("a", T1, scp_unread=False, app_denied_by_identity=True))
    new = _stored(replace(_estate("b", T2, scp_unread=False),
                          organization=replace(_estate("b", T2, scp_unread=False).organization,
                                               policies=(FULL,))))
    drift = diff_scans(old, new)
    assert [(c.secret_arn, [r.principal for r in c.gained]) for c in drift.access] == [
        (DB, [APP])]


def test_a_grant_added_while_the_denying_scp_is_unread_is_still_gained() -> None:
    # denied by its identity policy and the SCP; tonight the identity policy allows (a real
    # change) and the SCP is not read: a read that a change made possible, listed (conditional)
    old = _stored(_estate("a", T1, scp_unread=False, app_denied_by_identity=True))
    new = _stored(_estate("b", T2, scp_unread=True))
    assert _path(old, APP)["gates"]["identity_policy"] == "DENIED"
    drift = diff_scans(old, new)
    [change] = drift.access
    assert [(r.principal, r.decision) for r in change.gained] == [(APP, "conditional")]
