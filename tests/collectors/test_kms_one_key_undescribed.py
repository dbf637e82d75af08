"""One key's DescribeKey denied while the other keys read (fault-injection trial round 10).

Every field DescribeKey alone gives is unread on that key, not only its manager and state: the
multi-Region fields read as ``multi_region=False, multi_region_type=None`` made the key "not a
replica", so kms-replica-key-policy-drift dropped a FAIL without a word (no UNKNOWN in
findings.json) and the drift listed the replica as changed (``multi_region: true -> false``,
``multi_region_type: REPLICA -> null``, ``key_spec``, ``origin``, ... -> null).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from helpers.engine_helpers import NOW
from helpers.scanfactory import stored
from scanner.collectors import kms
from scanner.collectors.base import Recorder
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Status
from scanner.graph.builder import build_graph
from scanner.history.diff import diff_scans
from scanner.model import AccountSnapshot, IamSnapshot, KmsKey, RegionSnapshot, ScanMeta, Snapshot


ACCOUNT = "123456789012"  # what moto maps the test credentials to (conftest)
REGION = "us-east-1"
WEST = "us-west-2"


def _deny_describe_key(session: boto3.Session, key_arn: str) -> None:
    def remember(params: Any = None, context: Any = None, **_: Any) -> None:
        if context is not None:
            context["denied_key"] = (params or {}).get("KeyId")

    def hook(model: Any = None, context: Any = None, **_: Any) -> Any:
        if model.name == "DescribeKey" and (context or {}).get("denied_key") == key_arn:
            return (AWSResponse("https://stub", 400, {}, None),
                    {"Error": {"Code": "AccessDeniedException", "Message": "denied"},
                     "ResponseMetadata": {"HTTPStatusCode": 400}})
        return None

    session.events.register("provide-client-params.kms.DescribeKey", remember)
    session.events.register("before-call.kms.DescribeKey", hook)


def _keys(session: boto3.Session, region: str) -> tuple[tuple[KmsKey, ...], Recorder]:
    rec = Recorder(account_id=ACCOUNT, region=region, service="kms")
    keys = kms.transform_keys(kms.fetch_keys(session.client("kms", region_name=region), rec),
                              account_id=ACCOUNT, region=region)
    assert keys is not None
    return keys, rec


def _snapshot(scan_id: str, east: tuple[KmsKey, ...], west: tuple[KmsKey, ...]) -> Snapshot:
    return Snapshot(
        meta=ScanMeta(scan_id=scan_id, started_at="2026-12-06T00:00:00Z",
                      finished_at="2026-12-06T00:01:00Z", accounts=(ACCOUNT,),
                      regions=(REGION, WEST)),
        accounts=(AccountSnapshot(account_id=ACCOUNT, iam=IamSnapshot(), regions=(
            RegionSnapshot(region=REGION, kms_keys=east),
            RegionSnapshot(region=WEST, kms_keys=west))),))


def _drift_rule(snap: Snapshot) -> dict[str, Status]:
    rule = load_ruleset().get("kms-replica-key-policy-drift")
    assert rule is not None
    found = evaluate(build_graph(snap), snap, None, Ruleset(rules=(rule,)),
                     parse_config({"emit_pass": True}, path="(test)"), NOW)
    return {f.resource.arn: f.status for f in found}


def test_one_key_not_described_is_unknown_in_every_describekey_field(
        aws: boto3.Session) -> None:
    east = aws.client("kms", region_name=REGION)
    primary = east.create_key(MultiRegion=True, Description="primary")["KeyMetadata"]
    replica = east.replicate_key(KeyId=primary["KeyId"], ReplicaRegion=WEST)[
        "ReplicaKeyMetadata"]
    west = aws.client("kms", region_name=WEST)
    west.put_key_policy(KeyId=replica["KeyId"], PolicyName="default", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
             "Action": "kms:Decrypt", "Resource": "*"}]}))
    other = west.create_key(Description="other")["KeyMetadata"]

    east_keys, _ = _keys(aws, REGION)
    read_west, _ = _keys(aws, WEST)
    _deny_describe_key(aws, replica["Arn"])
    west_keys, rec = _keys(aws, WEST)

    by_arn = {k.arn: k for k in west_keys}
    assert [(c.operation, c.resource_arn) for c in rec.coverage] == [
        ("DescribeKey", replica["Arn"])]
    assert by_arn[other["Arn"]].unread == ()  # the other key is read in full
    assert set(by_arn[replica["Arn"]].unread) >= {
        "key_manager", "key_state", "key_spec", "key_usage", "origin", "description",
        "creation_date", "deletion_date", "multi_region", "multi_region_type",
        "primary_key_arn", "replica_key_arns", "policy", "rotation_enabled"}

    # the replica's policy grants more than its primary's: FAIL when
    # read; UNKNOWN -- never absent -- when its DescribeKey was denied
    before = _snapshot("before", east_keys, read_west)
    after = _snapshot("after", east_keys, west_keys)
    assert _drift_rule(before)[replica["Arn"]] is Status.FAIL
    assert _drift_rule(after).get(replica["Arn"]) is Status.UNKNOWN

    drift = diff_scans(stored(before), stored(after))
    changed = [c for c in drift.resources_changed if c.id == replica["Arn"]]
    assert changed == [], [f.field for c in changed for f in c.fields]
    assert any(n.subject == f"kms_key {replica['Arn']}" and "multi_region_type" in n.reason
               for n in drift.not_assessed)
