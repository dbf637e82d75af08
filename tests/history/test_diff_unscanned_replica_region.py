"""Access drift of a replica in a Region one of the two scans did not scan: its readers are not
assessed by that scan -- never new, never lost (review of the day's merges, defect 1: after a
full night, a `--regions us-east-1` scan reported "+ everyone ... can now read [conditional]
(was deny)" and "ApplicationRole can now read [conditional] (was deny)" on the us-west-2
replicas: the replica key was not collected, so the access report read the key gate UNKNOWN,
"key not collected"). docs/history.md: anything one scan could not read -- "a region not
scanned", "a reader whose gates could not be evaluated" -- is never a change; it goes under Not
assessed.

The access reports are real (scanner.access.analyze_access)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scanner.access import analyze_access
from scanner.history.diff import diff_scans
from scanner.history.drift import render_drift_text
from scanner.model import AccountSnapshot, IamPrincipal, IamSnapshot, KmsKey, RegionSnapshot, \
    ReplicaStatus, ScanMeta, Snapshot
from scanner.policy.arn import with_region

from helpers.scanfactory import CENTRAL, MEMBER, policy, read_statement, secret, secret_arn, \
    stored_analysed

EAST, WEST = "us-east-1", "us-west-2"
DB = secret_arn("db")
DB_WEST = with_region(DB, WEST)
APP = f"arn:aws:iam::{MEMBER}:role/App"
READ = "secretsmanager:GetSecretValue"
EAST_KEY = f"arn:aws:kms:{EAST}:{CENTRAL}:key/k-east"
WEST_KEY = f"arn:aws:kms:{WEST}:{CENTRAL}:key/k-west"
ROOT_ONLY = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
             "Action": "kms:*", "Resource": "*"}
APP_DECRYPT = {"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "kms:Decrypt",
               "Resource": "*"}
T1, T2, T3 = "2026-12-04T01:00:00Z", "2026-12-05T01:00:00Z", "2026-12-06T01:00:00Z"


def _key(arn: str, region: str, *statements: Any, unread: bool = False) -> KmsKey:
    return KmsKey(arn=arn, key_id=arn.rsplit("/", 1)[1], account_id=CENTRAL, region=region,
                  key_manager="CUSTOMER", key_state="Enabled",
                  policy=None if unread else policy(*statements),
                  unread=("policy",) if unread else ())


def _night(scan_id: str, started: str, regions: tuple[str, ...], *,
           west_key_lets_app_in: bool = False, west_key_unread: bool = False) -> Any:
    """prod db in us-east-1 (its resource policy grants App of the member account), replicated
    to us-west-2 on a key of its own, which lets App decrypt only when asked to. A scan of
    ``regions``: without us-west-2 the replica key is not collected (the primary's
    DescribeSecret still lists the replica)."""
    db = replace(secret("db"), kms_key_id=EAST_KEY, resource_policy=policy(read_statement(APP)),
                 replicas=(ReplicaStatus(region=WEST, kms_key_id=WEST_KEY, status="InSync"),))
    west_key = _key(WEST_KEY, WEST, ROOT_ONLY, *([APP_DECRYPT] if west_key_lets_app_in else []),
                    unread=west_key_unread)
    regs = [RegionSnapshot(region=EAST, secrets=(db,),
                           kms_keys=(_key(EAST_KEY, EAST, ROOT_ONLY, APP_DECRYPT),))]
    if WEST in regions:
        listed = replace(secret("db", region=WEST), primary_region=EAST, kms_key_id=WEST_KEY,
                         replicas=None)
        regs.append(RegionSnapshot(region=WEST, secrets=(listed,), kms_keys=(west_key,)))
    app = IamPrincipal(arn=APP, name="App", account_id=MEMBER, principal_type="role",
                       inline_policies={"read": {"Version": "2012-10-17", "Statement": [
                           {"Effect": "Allow", "Action": [READ, "kms:Decrypt"],
                            "Resource": "*"}]}})
    snap = Snapshot(
        meta=ScanMeta(scan_id=scan_id, started_at=started, finished_at=started,
                      accounts=(CENTRAL, MEMBER), regions=regions),
        accounts=(AccountSnapshot(account_id=CENTRAL, iam=IamSnapshot(), regions=tuple(regs)),
                  AccountSnapshot(account_id=MEMBER, iam=IamSnapshot(principals=(app,)),
                                  regions=tuple(RegionSnapshot(region=r) for r in regions))))
    return stored_analysed(snap)


def _replica_path(night: Any) -> dict[str, Any]:
    paths = night.access["replicas"][DB_WEST]["paths"]
    return next(p for p in paths if p["principal"] == APP)


def _gained(drift: Any) -> dict[str, list[str]]:
    return {a.secret_arn: [r.principal for r in a.gained] for a in drift.access if a.gained}


def _lost(drift: Any) -> dict[str, list[str]]:
    return {a.secret_arn: [r.principal for r in a.lost] for a in drift.access if a.lost}


def test_a_narrower_scan_reports_no_new_reader_of_a_replica_in_the_region_it_did_not_scan(
        ) -> None:
    """Review of the day's merges, defect 1: the full night read App DENIED at the replica's
    key; the us-east-1 scan, which collected no us-west-2 key, read it CONDITIONAL ("key not
    collected") and the drift said "App can now read [conditional] (was deny)"."""
    full = _night("n1", T1, (EAST, WEST))
    east = _night("n2", T2, (EAST,))
    assert _replica_path(full)["decision"] == "DENIED"
    assert _replica_path(east)["decision"] == "CONDITIONAL"  # the premise: key not collected
    drift = diff_scans(full, east)
    assert DB_WEST not in _gained(drift), render_drift_text(drift)
    said = [n for n in drift.not_assessed if n.scope == "access" and DB_WEST in n.subject]
    assert said and all(n.scan == "new" and WEST in n.reason for n in said), said
    # the next full night diffs against the full one; a diff of the narrower scan against it
    # loses no reader either
    back = diff_scans(east, _night("n3", T3, (EAST, WEST)))
    assert DB_WEST not in _lost(back) and DB_WEST not in _gained(back), render_drift_text(back)
    assert any(n.scan == "old" and DB_WEST in n.subject for n in back.not_assessed)


def test_a_replica_reader_really_gained_in_two_full_scans_is_still_new() -> None:
    """The same change with us-west-2 scanned both nights: the key now lets App in."""
    drift = diff_scans(_night("n1", T1, (EAST, WEST)),
                       _night("n2", T2, (EAST, WEST), west_key_lets_app_in=True))
    assert _gained(drift) == {DB_WEST: [APP]}, render_drift_text(drift)


def test_a_replica_key_whose_policy_one_scan_did_not_read_is_not_assessed_as_the_primarys(
        ) -> None:
    """The primary's equivalent case (fault trial round 3): a key policy one scan did not read
    makes the secret's reader changes not assessed; so does a replica's."""
    drift = diff_scans(_night("n1", T1, (EAST, WEST)),
                       _night("n2", T2, (EAST, WEST), west_key_unread=True))
    assert DB_WEST not in _gained(drift), render_drift_text(drift)
    assert any(DB_WEST in n.subject and WEST_KEY in n.reason for n in drift.not_assessed)


KEYS = "333333333333"
SHARED_KEY = f"arn:aws:kms:{EAST}:{KEYS}:key/k-shared"


def _shared_key_night(scan_id: str, started: str, accounts: tuple[str, ...],
                      grants: tuple[str, ...] = (APP,)) -> Any:
    """db on a key of a third account (KEYS) that does not let App decrypt; its resource
    policy grants ``grants``. A scan without KEYS does not collect the key."""
    db = replace(secret("db"), kms_key_id=SHARED_KEY,
                 resource_policy=policy(*(read_statement(p) for p in grants)))
    key = replace(_key(SHARED_KEY, EAST, {**ROOT_ONLY, "Principal": {
        "AWS": f"arn:aws:iam::{KEYS}:root"}}), account_id=KEYS)
    app = IamPrincipal(arn=APP, name="App", account_id=MEMBER, principal_type="role",
                       inline_policies={"read": {"Version": "2012-10-17", "Statement": [
                           {"Effect": "Allow", "Action": [READ, "kms:Decrypt"],
                            "Resource": "*"}]}})
    iam = {MEMBER: (app,)}
    accts = tuple(AccountSnapshot(
        account_id=a, iam=IamSnapshot(principals=iam.get(a, ())),
        regions=(RegionSnapshot(region=EAST, secrets=(db,) if a == CENTRAL else (),
                                kms_keys=(key,) if a == KEYS else ()),)) for a in accounts)
    snap = Snapshot(meta=ScanMeta(scan_id=scan_id, started_at=started, finished_at=started,
                                  accounts=accounts, regions=(EAST,)), accounts=accts)
    return stored_analysed(snap)


def test_a_key_one_scan_did_not_collect_makes_no_new_reader() -> None:
    """The same for any secret: its key in an account the new scan left out reads UNKNOWN
    ("key not collected") where the old scan read the key policy (review of the day's merges,
    defect 1: "a reader whose gate is CONDITIONAL/UNKNOWN only because an input was not
    collected on one side is not a change"). A key neither scan collected leaves the two
    reports alike at that gate: a reader granted meanwhile is still new."""
    full = _shared_key_night("n1", T1, (CENTRAL, MEMBER, KEYS))
    narrow = _shared_key_night("n2", T2, (CENTRAL, MEMBER))
    app_path = next(p for p in narrow.access["secrets"][DB]["paths"] if p["principal"] == APP)
    assert app_path["decision"] == "CONDITIONAL"  # the premise: the key gate UNKNOWN
    drift = diff_scans(full, narrow)
    assert DB not in _gained(drift), render_drift_text(drift)
    assert any(n.subject == DB and SHARED_KEY in n.reason and n.scan == "new"
               for n in drift.not_assessed), render_drift_text(drift)
    back = diff_scans(narrow, _shared_key_night("n3", T3, (CENTRAL, MEMBER, KEYS)))
    assert DB not in _lost(back), render_drift_text(back)

    other = f"arn:aws:iam::{MEMBER}:role/Other"
    both_narrow = diff_scans(narrow, _shared_key_night("n3", T3, (CENTRAL, MEMBER),
                                                       grants=(APP, other)))
    assert _gained(both_narrow) == {DB: [other]}, render_drift_text(both_narrow)
