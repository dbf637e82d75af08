"""A reader lost to a gate that does not stand on the unread IAM is lost, not "not assessed"
(ground-truth trial round 24).

An account left the organization between two nights, so tonight's scan (``--org``) no longer
reads its IAM. A secret shared with ``*`` under ``aws:PrincipalOrgID`` let its role read last
night; tonight the resource policy denies the role for certain -- the account is outside the
organization, whatever its identity policies say. `secretgraph diff` said
``[new scan] access ...role/LeaverRole -> ...secret:org/wide: IAM of account ... was not read``
instead of the lost reader. The reports here are real (scanner.access.analyze_access)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scanner.access import analyze_access
from scanner.history.diff import diff_scans
from scanner.history.records import StoredScan
from scanner.model import (
    ControlPolicy,
    IamPrincipal,
    IamSnapshot,
    KmsKey,
    Organization,
    OrgAccount,
    Snapshot,
)

from helpers.scanfactory import CENTRAL, MEMBER, REGION, policy, secret, secret_arn, \
    snapshot, stored_analysed

ORG = "o-abc"
WIDE = secret_arn("wide")
KEY = f"arn:aws:kms:{REGION}:{CENTRAL}:key/k1"
T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"
MANAGEMENT, ROOT = "333333333333", "r-ab12"
LEAVER = f"arn:aws:iam::{MEMBER}:role/Leaver"
SCP = "SERVICE_CONTROL_POLICY"


def _night(scan_id: str, started: str, *, member_in_org: bool) -> Snapshot:
    key = KmsKey(arn=KEY, key_id="k1", account_id=CENTRAL, region=REGION,
                 key_manager="CUSTOMER", key_state="Enabled", policy=policy(
                     {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
                      "Action": "kms:*", "Resource": "*"},
                     {"Effect": "Allow", "Principal": {"AWS": LEAVER}, "Action": "kms:Decrypt",
                      "Resource": "*"}))
    wide = replace(secret("wide"), kms_key_id=KEY, resource_policy=policy(
        {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
         "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}))
    members = (MANAGEMENT, CENTRAL, MEMBER) if member_in_org else (MANAGEMENT, CENTRAL)
    # an --org scan scans the organization's accounts: the one that left is not scanned
    snap = snapshot(scan_id, started, [wide], keys=[key],
                    accounts=(CENTRAL, MEMBER) if member_in_org else (CENTRAL,))
    leaver = IamPrincipal(arn=LEAVER, name="Leaver", account_id=MEMBER, principal_type="role",
                          inline_policies={"read": {"Version": "2012-10-17", "Statement": [
                              {"Effect": "Allow", "Resource": "*", "Action": [
                                  "secretsmanager:GetSecretValue", "kms:Decrypt"]}]}})
    org = Organization(
        org_id=ORG, management_account_id=MANAGEMENT, root_id=ROOT,
        accounts=tuple(OrgAccount(account_id=a, parent_id=ROOT) for a in members),
        policies=(ControlPolicy(
            policy_id="p-FullAWSAccess", name="FullAWSAccess", policy_type=SCP,
            content=policy({"Effect": "Allow", "Action": "*", "Resource": "*"}),
            targets=(ROOT, *members)),),
        policies_read=True, rcps_read=True, policy_types_enabled=(SCP,))
    iam = {CENTRAL: (), MEMBER: (leaver,)}
    return replace(snap, organization=org,
                   accounts=tuple(replace(a, iam=IamSnapshot(principals=iam[a.account_id]))
                                  for a in snap.accounts))


def _stored(snap: Snapshot) -> StoredScan:
    return stored_analysed(snap)


def _path(scan: Any, principal: str) -> dict[str, Any]:
    [path] = [p for p in scan.access["secrets"][WIDE]["paths"] if p["principal"] == principal]
    return dict(path)


def test_a_reader_the_resource_policy_now_denies_is_lost_though_its_iam_was_not_read() -> None:
    old = _stored(_night("a", T1, member_in_org=True))
    new = _stored(_night("b", T2, member_in_org=False))
    assert _path(old, LEAVER)["decision"] == "ALLOWED"
    # tonight its account is outside the organization: the policy's only grant, "*" narrowed
    # by aws:PrincipalOrgID, keeps it out for certain (its unread IAM changes nothing)
    assert [(g["principal"], g["scope"]) for g in new.access["secrets"][WIDE]["grants"]] == [
        ("*", "organization")]

    drift = diff_scans(old, new)

    # (the organization's class is lost too: nobody of it reads any more in this estate)
    assert [(c.secret_arn, [r.principal for r in c.lost]) for c in drift.access] == [
        (WIDE, [f"organization:{ORG}", LEAVER])]
    assert not [n for n in drift.not_assessed if n.scope == "access"]


def test_a_reader_a_grant_may_still_reach_is_not_assessed_when_its_iam_was_not_read() -> None:
    # the grant names the account (its root): a principal of it may still read through its
    # identity policies, which tonight's scan did not read -- not assessed, never lost
    def account_grant(scan_id: str, started: str, *, member_in_org: bool) -> Snapshot:
        snap = _night(scan_id, started, member_in_org=member_in_org)
        acct = snap.accounts[0]
        region = acct.regions[0]
        [wide], [key] = region.secrets, region.kms_keys
        root = f"arn:aws:iam::{MEMBER}:root"
        wide = replace(wide, resource_policy=policy(
            {"Effect": "Allow", "Principal": {"AWS": root},
             "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
        key = replace(key, policy=key.policy.replace(LEAVER, root))
        return replace(snap, accounts=(replace(acct, regions=(
            replace(region, secrets=(wide,), kms_keys=(key,)),)), *snap.accounts[1:]))

    old = _stored(account_grant("a", T1, member_in_org=True))
    new = _stored(account_grant("b", T2, member_in_org=False))
    assert _path(old, LEAVER)["decision"] == "ALLOWED"
    drift = diff_scans(old, new)
    assert [c for c in drift.access if c.lost] == []
    assert [(n.subject, n.reason) for n in drift.not_assessed if n.scope == "access"] == [
        (f"{LEAVER} -> {WIDE}", f"IAM of account {MEMBER} was not read")]
