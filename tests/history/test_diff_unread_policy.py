"""Access drift of a secret whose resource policy or key policy could not be read in one of the
two scans: its readers are not assessed -- never "lost", never "gained" (fault trial round 3,
defect 1: a throttled GetResourcePolicy made the drift say "2 lost reader(s)", "every
principal of the secret's own account ... can no longer read"). scanner/history/diff_access.py:
"A reader whose decision became unknown, or whose secret or account was not assessed, is not
assessed, never lost." The access reports are real (scanner.access.analyze_access), and one
is as a version before the fix stored it (no reader of the unread secret at all)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scanner.access import analyze_access
from scanner.history.diff import diff_scans
from scanner.history.drift import render_drift_text
from scanner.model import IamPrincipal, IamSnapshot, KmsKey, Snapshot

from helpers.scanfactory import CENTRAL, MEMBER, REGION, policy, read_statement, secret, \
    secret_arn, snapshot, stored, analysed_access

DB, API = secret_arn("db"), secret_arn("api")
KEY = f"arn:aws:kms:{REGION}:{CENTRAL}:key/k-open"
T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"
WORKER = f"arn:aws:iam::{CENTRAL}:role/Worker"
APP = f"arn:aws:iam::{MEMBER}:role/App"
READ = "secretsmanager:GetSecretValue"
PUBLIC = policy({"Effect": "Allow", "Principal": "*", "Action": READ, "Resource": "*"})
PRIVATE = policy(read_statement(APP))
OPEN_KEY = KmsKey(arn=KEY, key_id="k-open", account_id=CENTRAL, region=REGION,
                  key_manager="CUSTOMER", key_state="Enabled", policy=policy(
                      {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
                       "Action": "kms:*", "Resource": "*"},
                      {"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "kms:Decrypt",
                       "Resource": "*"}))


def _estate(scan_id: str, started: str, db_policy: str | None, *, db_unread: bool = False,
            key_unread: bool = False) -> Snapshot:
    db = replace(secret("db"), kms_key_id=None, resource_policy=db_policy,
                 unread=("resource_policy",) if db_unread else ())
    api = replace(secret("api"), kms_key_id=KEY, resource_policy=PRIVATE)
    key = replace(OPEN_KEY, policy=None, unread=("policy",)) if key_unread else OPEN_KEY
    snap = snapshot(scan_id, started, [db, api], keys=[key])
    s3 = {"s3": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}
    app = {"app": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [READ, "kms:Decrypt"], "Resource": "*"}]}}
    iam = {CENTRAL: (IamPrincipal(arn=WORKER, name="Worker", account_id=CENTRAL,
                                  principal_type="role", inline_policies=s3),),
           MEMBER: (IamPrincipal(arn=APP, name="App", account_id=MEMBER, principal_type="role",
                                 inline_policies=app),)}
    return replace(snap, accounts=tuple(replace(a, iam=IamSnapshot(principals=iam[a.account_id]))
                                        for a in snap.accounts))


def _stored(snap: Snapshot, *, drop_readers_of: str | None = None):  # type: ignore[no-untyped-def]
    report = analysed_access(snap)
    if drop_readers_of is not None:
        # as a version before the fix recorded the unread secret: no path, no class
        report["secrets"][drop_readers_of].update(paths=[], reach=[], readers=[])
    return stored(snap, acc=report)


def test_readers_of_a_secret_whose_policy_was_not_read_tonight_are_not_lost() -> None:
    old = _stored(_estate("a", T1, PUBLIC))
    new = _stored(_estate("b", T2, None, db_unread=True), drop_readers_of=DB)
    drift = diff_scans(old, new)

    assert [a.secret_arn for a in drift.access] == []
    [na] = [n for n in drift.not_assessed if n.scope == "access"]
    assert (na.subject, na.scan) == (DB, "new")
    assert "resource policy" in na.reason and "not read" in na.reason
    text = render_drift_text(drift)
    assert "can no longer read" not in text and "lost reader" not in text.replace(
        "0 lost reader(s)", "")


def test_an_unread_policy_tonight_gains_no_reader_either() -> None:
    # night 2 (analysed as now: every principal of the account, and everyone, CONDITIONAL on
    # the unread policy) is no "everyone can now read"
    drift = diff_scans(_stored(_estate("a", T1, PRIVATE)),
                       _stored(_estate("b", T2, None, db_unread=True)))

    assert [a.secret_arn for a in drift.access] == []
    assert [(n.subject, n.scan) for n in drift.not_assessed if n.scope == "access"] == \
        [(DB, "new")]


def test_readers_that_appear_once_the_policy_is_read_again_were_not_assessed_before() -> None:
    drift = diff_scans(_stored(_estate("a", T1, None, db_unread=True), drop_readers_of=DB),
                       _stored(_estate("b", T2, PUBLIC)))

    assert [a.secret_arn for a in drift.access] == []
    assert [(n.subject, n.scan) for n in drift.not_assessed if n.scope == "access"] == \
        [(DB, "old")]


def test_readers_of_a_secret_whose_key_policy_was_not_read_are_not_lost() -> None:
    old = _stored(_estate("a", T1, PUBLIC))
    new = _stored(_estate("b", T2, PUBLIC, key_unread=True), drop_readers_of=API)
    drift = diff_scans(old, new)

    assert [a.secret_arn for a in drift.access] == []
    [na] = [n for n in drift.not_assessed if n.scope == "access"]
    assert (na.subject, na.scan) == (API, "new") and "key policy" in na.reason


def test_a_secret_read_in_both_scans_still_reports_its_lost_readers() -> None:
    drift = diff_scans(_stored(_estate("a", T1, PUBLIC)), _stored(_estate("b", T2, PRIVATE)))

    [change] = drift.access
    assert change.secret_arn == DB and WORKER in {r.principal for r in change.lost}


def test_a_secret_scheduled_for_deletion_loses_its_readers_not_assessed_is_wrong() -> None:
    """A secret readable by everyone last night is scheduled for deletion tonight: AWS refuses
    its policy, so the collector leaves it unread -- but "no readers" is a definite answer (the
    access analysis' scheduled_deletion). The drift said "not assessed: its resource policy was
    not read" instead of the readers lost (review of the day's merges)."""
    from dataclasses import replace

    def deleted(snap: Any) -> Any:
        return replace(snap, accounts=tuple(replace(a, regions=tuple(replace(r, secrets=tuple(
            replace(s, deleted_date="2026-11-29T00:30:00Z") if s.arn == DB else s
            for s in r.secrets)) for r in a.regions)) for a in snap.accounts))

    drift = diff_scans(_stored(_estate("a", T1, PUBLIC)),
                       _stored(deleted(_estate("b", T2, None, db_unread=True))))
    assert [n for n in drift.not_assessed if n.scope == "access"] == []
    [change] = [a for a in drift.access if a.secret_arn == DB]
    assert change.lost and not change.gained
