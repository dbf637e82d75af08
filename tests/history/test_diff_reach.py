"""Access drift of reader classes: a secret that becomes readable by everyone, by the whole
organization or by every principal of its account is reported as new readers, first.
The access reports are real (scanner.access.analyze_access on the two snapshots)."""

from __future__ import annotations

import json
from dataclasses import replace

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.history.diff import diff_scans
from scanner.history.drift import render_drift_text
from scanner.model import IamPrincipal, IamSnapshot, KmsKey, Organization, OrgAccount, Snapshot

from helpers.scanfactory import CENTRAL, MEMBER, REGION, policy, read_statement, secret, secret_arn, \
    snapshot, stored

ORG = "o-drift0001"
DB, API = secret_arn("db"), secret_arn("api")
KEY = f"arn:aws:kms:{REGION}:{CENTRAL}:key/k-org"
T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"
WORKER = f"arn:aws:iam::{CENTRAL}:role/Worker"
APP = f"arn:aws:iam::{MEMBER}:role/App"
READ = "secretsmanager:GetSecretValue"
PUBLIC = policy({"Effect": "Allow", "Principal": "*", "Action": READ, "Resource": "*"})
ORG_WIDE = policy({"Effect": "Allow", "Principal": "*", "Action": READ, "Resource": "*",
                   "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}})
ORG_KEY = KmsKey(arn=KEY, key_id="k-org", account_id=CENTRAL, region=REGION,
                 key_manager="CUSTOMER", key_state="Enabled", policy=policy(
                     {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
                      "Action": "kms:*", "Resource": "*"},
                     {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                      "Resource": "*",
                      "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}))


def _estate(scan_id: str, started: str, db_policy: str, api_policy: str) -> Snapshot:
    snap = snapshot(scan_id, started, [
        replace(secret("db"), kms_key_id=None, resource_policy=db_policy),
        replace(secret("api"), kms_key_id=KEY, resource_policy=api_policy)], keys=[ORG_KEY])
    s3 = {"s3": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}
    app = {"app": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [READ, "kms:Decrypt"], "Resource": "*"}]}}
    iam = {CENTRAL: (IamPrincipal(arn=WORKER, name="Worker", account_id=CENTRAL,
                                  principal_type="role", inline_policies=s3),),
           MEMBER: (IamPrincipal(arn=APP, name="App", account_id=MEMBER, principal_type="role",
                                 inline_policies=app),)}
    accounts = tuple(replace(a, iam=IamSnapshot(principals=iam[a.account_id]))
                     for a in snap.accounts)
    # no policy type enabled: SCPs / RCPs do not apply (not read, they would make every read
    # CONDITIONAL -- fault-injection trial round 5)
    org = Organization(org_id=ORG, management_account_id=None, root_id="r-root",
                       accounts=(OrgAccount(account_id=CENTRAL), OrgAccount(account_id=MEMBER)),
                       policy_types_enabled=())
    return replace(snap, accounts=accounts, organization=org,
                   meta=replace(snap.meta, org_id=ORG))


def _stored(snap: Snapshot):  # type: ignore[no-untyped-def]
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    return stored(snap, acc=json.loads(report.to_json()))


def test_secret_that_went_public_and_org_wide_gains_reader_classes_first() -> None:
    private = policy(read_statement(APP))
    old = _stored(_estate("a", T1, private, private))
    new = _stored(_estate("b", T2, PUBLIC, ORG_WIDE))
    drift = diff_scans(old, new)
    gained = {a.secret_arn: [r.principal for r in a.gained] for a in drift.access}
    # db (aws/secretsmanager, now public): every principal of its account reads, first
    assert gained[DB][0] == f"account:{CENTRAL}" and WORKER in gained[DB]
    # api (org-wide key, now org-wide): the organization as a class, then the worker
    assert gained[API][0] == f"organization:{ORG}"
    assert drift.summary["new_readers"] >= 4
    text = render_drift_text(drift)
    head = text[text.index("Access changes"):].splitlines()[:4]
    assert "(0 new reader(s)" not in text and "new reader(s)" in text
    assert any("the whole organization" in line or "own account" in line for line in head)
    assert f"every IAM role and user of the secret's own account {CENTRAL} [account:{CENTRAL}] can " \
           f"now read [allow]" in text


def test_unchanged_public_secret_reports_nothing_and_reverting_loses_the_class() -> None:
    private = policy(read_statement(APP))
    a = _stored(_estate("a", T1, PUBLIC, ORG_WIDE))
    b = _stored(_estate("b", T2, PUBLIC, ORG_WIDE))
    assert diff_scans(a, b).access == ()
    c = _stored(_estate("c", "2026-11-30T01:00:00Z", private, private))
    lost = {x.secret_arn: [r.principal for r in x.lost] for x in diff_scans(b, c).access}
    assert f"organization:{ORG}" in lost[API] and f"account:{CENTRAL}" in lost[DB]
