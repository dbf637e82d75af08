"""Class subjects nest: an access baseline entry ``organization:<id>`` accepts the classes of
readers inside that organization -- ``account:<X>`` for X one of its accounts, and the OU-path
classes ``organization:<id>/<path>...`` -- and the drift does not read a class renamed by the
reach change of the day (a ``*`` grant narrowed by aws:PrincipalAccount reaches
``account:<member>``, no longer ``organization:<id>``) as a new reader.

Review of the day's merges, defect 2: a baseline written before that change, with
``organization:o-...`` for prod/member-b/db, raised a new HIGH access-outside-baseline
("principals of account 985804439964 [account:985804439964] can now read") on an unchanged
estate, whose one reader (ApplicationRole) the baseline names and which sits inside the
organization the baseline allows."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from scanner.access import AccessSettings, analyze_access
from scanner.findings import Status
from scanner.graph.builder import build_graph
from scanner.history.baseline import baseline_findings, load_baseline
from scanner.history.diff import diff_scans
from scanner.history.drift import render_drift_text
from scanner.model import IamPrincipal, IamSnapshot, KmsKey, Organization, OrgAccount, OrgUnit, Snapshot

from helpers.scanfactory import CENTRAL, MEMBER, policy, read_statement, secret, secret_arn, \
    snapshot, stored

ORG = "o-nest00001"
OUTSIDER = "999999999999"
DB = secret_arn("prod/db")
APP = f"arn:aws:iam::{MEMBER}:role/App"
READ = "secretsmanager:GetSecretValue"
T1, T2 = "2026-12-04T01:00:00Z", "2026-12-05T01:00:00Z"
OU_PATH = f"{ORG}/r-root/ou-prod/"


def _narrowed(*accounts: str) -> str:
    """A ``*`` grant narrowed to ``accounts`` by aws:PrincipalAccount (the estate's
    prod/member-b/db)."""
    return policy({"Sid": "MemberB", "Effect": "Allow", "Principal": "*", "Action": READ,
                   "Resource": "*",
                   "Condition": {"StringEquals": {"aws:PrincipalAccount": list(accounts)}}})


ORG_WIDE = policy({"Sid": "MemberB", "Effect": "Allow", "Principal": "*", "Action": READ,
                   "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}})


KEY = f"arn:aws:kms:us-east-1:{CENTRAL}:key/k-org"
ORG_KEY = KmsKey(arn=KEY, key_id="k-org", account_id=CENTRAL, region="us-east-1",
                 key_manager="CUSTOMER", key_state="Enabled", policy=policy(
                     {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
                      "Action": "kms:*", "Resource": "*"},
                     {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                      "Resource": "*",
                      "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}},
                     {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDER}:root"},
                      "Action": "kms:Decrypt", "Resource": "*"}))


def _estate(scan_id: str, started: str, db_policy: str) -> Snapshot:
    db = replace(secret("prod/db"), kms_key_id=KEY, resource_policy=db_policy)
    snap = snapshot(scan_id, started, [db], keys=[ORG_KEY])
    app = IamPrincipal(arn=APP, name="App", account_id=MEMBER, principal_type="role",
                       inline_policies={"read": {"Version": "2012-10-17", "Statement": [
                           {"Effect": "Allow", "Action": [READ, "kms:Decrypt"],
                            "Resource": "*"}]}})
    accounts = tuple(replace(a, iam=IamSnapshot(principals=(app,) if a.account_id == MEMBER
                                                else ())) for a in snap.accounts)
    org = Organization(org_id=ORG, management_account_id=CENTRAL, root_id="r-root",
                       accounts=(OrgAccount(account_id=CENTRAL, parent_id="r-root"),
                                 OrgAccount(account_id=MEMBER, parent_id="ou-prod")),
                       units=(OrgUnit(ou_id="ou-prod", parent_id="r-root"),))
    return replace(snap, accounts=accounts, organization=org,
                   meta=replace(snap.meta, org_id=ORG))


def _report(snap: Snapshot) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(analyze_access(
        build_graph(snap), snap, AccessSettings.from_snapshot(snap)).to_json())
    return report


def _as_before_the_reach_change(report: dict[str, Any]) -> dict[str, Any]:
    """The report as the version before the reach change wrote it for the same estate: the
    narrowed grant's class was the organization's."""
    old = copy.deepcopy(report)
    for c in old["secrets"][DB]["reach"]:
        if c["subject"] == f"account:{MEMBER}":
            c.update(subject=f"organization:{ORG}", scope="organization",
                     label=f"the whole organization ({ORG})")
    return old


def _baseline(tmp_path: Path, *readers: str) -> Any:
    p = tmp_path / "baseline.yaml"
    p.write_text("version: 1\nsecrets:\n  - secret: \"prod/db\"\n    readers:\n"
                 + "".join(f"      - \"{r}\"\n" for r in readers))
    return load_baseline(p)


def _subjects(report: dict[str, Any]) -> list[str]:
    return [c["subject"] for c in report["secrets"][DB]["reach"]]


def test_an_organization_entry_accepts_the_class_of_one_of_its_accounts(tmp_path: Path) -> None:
    """Review of the day's merges, defect 2: the old baseline's ``organization:<id>`` and the
    named reader; tonight's report reaches ``account:<member>``: no finding."""
    snap = _estate("n2", T2, _narrowed(MEMBER))
    report = _report(snap)
    assert f"account:{MEMBER}" in _subjects(report)  # the premise: the reach change
    baseline = _baseline(tmp_path, f"account:{CENTRAL}", APP, f"organization:{ORG}")
    assert baseline_findings(report, baseline, snap) == []
    # ... read from the access report alone (its settings name the organization's accounts)
    assert baseline_findings(report, baseline) == []


def test_an_organization_entry_does_not_accept_another_organization_or_an_outsider(
        tmp_path: Path) -> None:
    """Nesting is membership: ``account:<X>`` of an account outside the organization, and an
    entry naming another organization, stay outside the baseline."""
    snap = _estate("n2", T2, policy(
        {"Sid": "MemberB", "Effect": "Allow", "Principal": "*", "Action": READ,
         "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalAccount": [MEMBER]}}},
        read_statement(f"arn:aws:iam::{OUTSIDER}:root", "Outsider")))
    report = _report(snap)
    assert f"account:{OUTSIDER}" in _subjects(report)
    got = {f.principal for f in baseline_findings(
        report, _baseline(tmp_path, f"account:{CENTRAL}", APP, f"organization:{ORG}"), snap)}
    assert got == {f"account:{OUTSIDER}", f"arn:aws:iam::{OUTSIDER}:root"}
    other = {f.principal: f.status for f in baseline_findings(
        report, _baseline(tmp_path, f"account:{CENTRAL}", APP, "organization:o-other0001"),
        snap)}
    assert other.get(f"account:{MEMBER}") == Status.FAIL


def test_an_organization_entry_accepts_its_ou_path_classes(tmp_path: Path) -> None:
    """The OU-path classes (``organization:<id>/<path>...``, a ``*`` grant narrowed by
    aws:PrincipalOrgPaths) are inside the organization too."""
    snap = _estate("n2", T2, policy({
        "Effect": "Allow", "Principal": "*", "Action": READ, "Resource": "*",
        "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{OU_PATH}*"]}}}))
    report = _report(snap)
    subject = f"organization:{OU_PATH}*"
    assert subject in _subjects(report)
    baseline = _baseline(tmp_path, f"account:{CENTRAL}", APP, f"organization:{ORG}")
    assert baseline_findings(report, baseline, snap) == []
    # an OU-path entry accepts the class of an account under it, not one elsewhere
    narrowed = _report(_estate("n3", T2, _narrowed(MEMBER)))
    assert baseline_findings(narrowed, _baseline(tmp_path, f"account:{CENTRAL}", APP,
                                                 f"organization:{OU_PATH}*"), snap) == []
    assert {f.principal for f in baseline_findings(
        narrowed, _baseline(tmp_path, f"account:{CENTRAL}", APP,
                            f"organization:{ORG}/r-root/ou-other/*"), snap)} == \
        {f"account:{MEMBER}"}


def test_the_first_night_after_the_reach_change_has_no_renamed_class_in_its_drift() -> None:
    """Review of the day's merges, defect 2: "+ principals of account ... [account:...] can now
    read" and "- the whole organization ... can no longer read" on an unchanged estate (same
    resource policy, same principals reading)."""
    old_snap = _estate("n1", T1, _narrowed(MEMBER))
    new_snap = _estate("n2", T2, _narrowed(MEMBER))
    old = stored(old_snap, acc=_as_before_the_reach_change(_report(old_snap)))
    new = stored(new_snap, acc=_report(new_snap))
    drift = diff_scans(old, new)
    assert drift.access == (), render_drift_text(drift)


def test_a_grant_narrowed_from_the_organization_to_one_account_is_still_a_change() -> None:
    """The same classes when the resource policy changed: the organization really can no
    longer read."""
    old_snap = _estate("n1", T1, ORG_WIDE)
    new_snap = _estate("n2", T2, _narrowed(MEMBER))
    drift = diff_scans(stored(old_snap, acc=_report(old_snap)),
                       stored(new_snap, acc=_report(new_snap)))
    lost = [r.principal for a in drift.access for r in a.lost]
    gained = [r.principal for a in drift.access for r in a.gained]
    assert f"organization:{ORG}" in lost, render_drift_text(drift)
    assert f"account:{MEMBER}" in gained
