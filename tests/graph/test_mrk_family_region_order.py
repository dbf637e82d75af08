"""A multi-Region key family does not depend on the order of its Regions: the builder drew a
replica key's REPLICA_OF edge only when its primary was already in the graph, so a replica listed
in a Region walked before its primary's (the order of --regions) lost its family, and
kms-key-policy-excess-grant turned from FAIL into UNKNOWN "a key of its multi-Region family the
snapshot does not hold" for a key the snapshot holds (org-scale trial round 2)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from scanner.access import AccessSettings, analyze_access
from scanner.access.graph_io import key_families
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph
from scanner.model import (
    AccountSnapshot, IamSnapshot, KmsKey, Organization, OrgAccount, RegionSnapshot,
    ReplicaStatus, ScanMeta, Secret, Snapshot, ControlPolicy)

A, B = "111111111111", "222222222222"
KID = "mrk-1234abcd12ab34cd56ef1234567890ab"


def snapshot(primary: str, replica: str) -> Snapshot:
    kpol = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "Decrypt", "Effect": "Allow",
         "Principal": {"AWS": [f"arn:aws:iam::{B}:role/app", f"arn:aws:iam::{B}:role/other"]},
         "Action": "kms:Decrypt", "Resource": "*"}]})
    spol = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:role/app"},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    pk, rk = (f"arn:aws:kms:{r}:{A}:key/{KID}" for r in (primary, replica))
    keys = {
        primary: KmsKey(arn=pk, key_id=KID, account_id=A, region=primary, key_manager="CUSTOMER",
                        key_state="Enabled", rotation_enabled=True, policy=kpol, multi_region=True,
                        multi_region_type="PRIMARY", primary_key_arn=pk, replica_key_arns=(rk,)),
        replica: KmsKey(arn=rk, key_id=KID, account_id=A, region=replica, key_manager="CUSTOMER",
                        key_state="Enabled", rotation_enabled=True, policy=kpol, multi_region=True,
                        multi_region_type="REPLICA", primary_key_arn=pk, replica_key_arns=(rk,)),
    }
    sarn = f"arn:aws:secretsmanager:{primary}:{A}:secret:db-AbCdEf"
    secrets = {
        primary: Secret(arn=sarn, name="db", account_id=A, region=primary, kms_key_id=pk,
                        primary_region=primary, resource_policy=spol,
                        replicas=(ReplicaStatus(region=replica, kms_key_id=rk, status="InSync"),)),
        replica: Secret(arn=sarn.replace(primary, replica), name="db", account_id=A,
                        region=replica, kms_key_id=rk, primary_region=primary),
    }
    regions = sorted((primary, replica))  # the collector lists Regions in this order
    return Snapshot(
        meta=ScanMeta(scan_id=f"mrk-{primary}", started_at="2026-12-05T00:00:00Z",
                      accounts=(A,), regions=tuple(regions), central_account=A),
        accounts=(AccountSnapshot(account_id=A, regions=tuple(
            RegionSnapshot(region=r, secrets=(secrets[r],), kms_keys=(keys[r],))
            for r in regions), iam=IamSnapshot()),),
        organization=Organization(org_id="o-abc", management_account_id=A, root_id="r-1",
                                  accounts=(OrgAccount(account_id=A, parent_id="r-1"),
                                            OrgAccount(account_id=B, parent_id="r-1")),
                                  policies=(ControlPolicy(
                                      policy_id="p-FullAWSAccess", name="FullAWSAccess",
                                      policy_type="SERVICE_CONTROL_POLICY",
                                      content=json.dumps({"Version": "2012-10-17", "Statement": [
                                          {"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
                                      targets=("r-1",)),),
                                  policies_read=True))




@pytest.mark.parametrize("primary,replica", [("us-east-1", "us-west-2"),
                                             ("us-west-2", "us-east-1")])
def test_the_family_and_its_excess_grant_whatever_the_region_order(primary: str,
                                                                   replica: str) -> None:
    snap = snapshot(primary, replica)
    graph = build_graph(snap)
    families = key_families(graph)
    keys = [f"arn:aws:kms:{r}:{A}:key/{KID}" for r in (primary, replica)]
    assert all(len(families.get(k, ())) == 2 for k in keys), families
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get("kms-key-policy-excess-grant")
    assert rule is not None
    found = evaluate(graph, snap, access, Ruleset(rules=(rule,)), parse_config({}, path="(t)"),
                     datetime(2026, 12, 5, tzinfo=timezone.utc))
    assert sorted((f.resource.arn, f.status.value, f.principal) for f in found) == sorted(
        (k, "FAIL", f"arn:aws:iam::{B}:role/other") for k in keys)
