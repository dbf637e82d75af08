"""One resource's answer the scan cannot read costs that resource's field, as its own gap --
never the whole service, and never a reading that passes (fault-injection trial round 26).

* A VPC whose ``CidrBlockAssociationSet`` holds an association without ``CidrBlock`` was a
  KeyError in the EC2 transform: every EC2 listing of the account-Region was lost (peerings,
  routes, security groups) for one VPC. It is now that VPC's DescribeVpcs gap, its CIDRs not
  known; a record the transform cannot build for another reason costs its listing only.
* A secret whose ListSecrets entry lacks ``SecretVersionsToStages`` (or holds it with another
  type) read as a secret without versions: a stuck AWSPENDING was not seen,
  secret-rotation-failing PASS, scan complete. It is now that secret's gap and the rule's
  UNKNOWN. A secret created without a value has no map in AWS (nor in moto): no gap.

The answers are edited after botocore parsed them (``after-call``), as AWS would send them.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any, Callable

import boto3
import pytest

from helpers.engine_helpers import NOW
from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Status
from scanner.graph.builder import build_graph
from scanner.model import RegionSnapshot, Snapshot
from scanner.snapshot_io import read_snapshot

REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"


def fresh_session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                         region_name=REGION)


def account_session(mgmt: boto3.Session, account_id: str) -> boto3.Session:
    """(tests/aws/conftest.py's; ``from conftest import`` names another folder's conftest
    when several test folders run together)"""
    creds = mgmt.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE}", RoleSessionName="estate-setup"
    )["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=REGION)


def _edit(session: boto3.Session, operation: str, change: Callable[[Any], None]) -> None:
    def hook(parsed: Any = None, model: Any = None, **_: Any) -> None:
        if model is not None and model.name == operation and isinstance(parsed, dict):
            change(parsed)

    session.events.register("after-call", hook)


def _collect(tmp_path: Path, session: boto3.Session, estate: Any) -> Snapshot:
    opts = CollectOptions(out=tmp_path / "snap.json.gz", regions=(REGION,), role_name=ROLE,
                          max_attempts=1, accounts=(estate.security,))
    return read_snapshot(collect(opts, executor=SynchronousExecutor(),
                                 session_factory=lambda _: session))


def _region(snapshot: Snapshot) -> RegionSnapshot:
    return next(r for a in snapshot.accounts for r in a.regions if r.region == REGION)


def _status(snapshot: Snapshot, rule_id: str, arn: str) -> Status:
    rule = load_ruleset().get(rule_id)
    assert rule is not None
    found = evaluate(build_graph(snapshot), snapshot, None, Ruleset(rules=(rule,)),
                     parse_config({"emit_pass": True}, path="(test)"), NOW)
    (status,) = {f.status for f in found if f.resource.arn == arn}
    return status


# ----------------------------------------------------------------------------- EC2


def _cidr_association(change: Callable[[dict[str, Any]], Any]) -> Callable[[Any], None]:
    def edit(parsed: Any) -> None:
        for vpc in parsed.get("Vpcs") or ():
            for association in vpc.get("CidrBlockAssociationSet") or ():
                change(association)
    return edit


def test_a_vpc_read_whole_has_its_cidr_and_no_gap(tmp_path: Path, estate: Any,
                                                  scan_session: boto3.Session) -> None:
    snapshot = _collect(tmp_path, scan_session, estate)
    vpcs = {v.vpc_id: v.cidrs for v in _region(snapshot).vpcs}
    assert vpcs[estate.vpc_id] == ("10.0.0.0/16",)
    assert not [c for c in snapshot.coverage if c.service == "ec2"]


@pytest.mark.parametrize("change", [lambda a: a.pop("CidrBlock"),
                                    lambda a: a.update(CidrBlock=None),
                                    lambda a: a.update(CidrBlock=["10.0.0.0/16"]),
                                    lambda a: a.update(CidrBlockState="associated")],
                         ids=["missing", "null", "list", "state-as-text"])
def test_a_vpc_cidr_association_without_its_block_is_that_vpcs_gap_not_all_of_ec2(
        tmp_path: Path, estate: Any, scan_session: boto3.Session,
        change: Callable[[dict[str, Any]], Any]) -> None:
    _edit(scan_session, "DescribeVpcs", _cidr_association(change))
    snapshot = _collect(tmp_path, scan_session, estate)
    gaps = [c for c in snapshot.coverage if c.service == "ec2"]
    arn = f"arn:aws:ec2:{REGION}:{estate.security}:vpc/{estate.vpc_id}"
    assert [(g.operation, g.error_code, g.resource_arn) for g in gaps
            if g.resource_arn == arn] == [("DescribeVpcs", "UnexpectedAnswer", arn)]
    assert all(g.operation == "DescribeVpcs" and g.resource_arn for g in gaps)  # default VPC
    (gap,) = [g for g in gaps if g.resource_arn == arn]
    assert gap.message.startswith("DescribeVpcs answered ")
    assert gap.message.endswith(f" for {estate.vpc_id}: its CIDRs are not known")
    region = _region(snapshot)
    vpcs = {v.vpc_id: v.cidrs for v in region.vpcs}
    assert vpcs[estate.vpc_id] == ()  # not known: the network-path rule reads it as unknown
    (vpc,) = [v for v in region.vpcs if v.vpc_id == estate.vpc_id]
    assert vpc.unread == ("cidrs",)
    assert "ec2" not in region.unread_services  # the other VPCs and listings stand
    assert region.route_tables and region.security_groups
    assert not snapshot.complete


def test_a_record_the_transform_cannot_build_costs_its_listing_not_all_of_ec2(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    """A route table's association answered as text (an answer nothing checks for) crashed
    the transform: every EC2 listing of the account-Region was lost."""
    def edit(parsed: Any) -> None:
        for table in parsed.get("RouteTables") or ():
            table["Associations"] = ["rtbassoc-1"]

    _edit(scan_session, "DescribeRouteTables", edit)
    snapshot = _collect(tmp_path, scan_session, estate)
    gaps = [c for c in snapshot.coverage if c.service == "ec2"]
    assert [(g.operation, g.error_kind) for g in gaps] == [("DescribeRouteTables", "fatal")]
    assert gaps[0].message.startswith("ec2 collector failed on AttributeError")
    region = _region(snapshot)
    assert region.route_tables == ()
    assert {"ec2", "ec2.route_tables"} <= set(region.unread_services)
    assert "ec2.vpcs" not in region.unread_services and "ec2.peerings" not in \
        region.unread_services
    assert region.vpcs and region.security_groups
    assert not snapshot.complete


# ----------------------------------------------------------------------------- Secrets


@pytest.fixture(scope="module")
def stuck(estate: Any) -> str:
    """A rotation-enabled secret with AWSPENDING stuck on a version that is not AWSCURRENT."""
    session = account_session(fresh_session(), estate.security)
    role = session.client("iam").create_role(RoleName="rotator", AssumeRolePolicyDocument=(
        json.dumps({"Version": "2012-10-17", "Statement": []})))["Role"]["Arn"]
    function = session.client("lambda").create_function(
        FunctionName="rotate", Runtime="python3.12", Role=role, Handler="index.handler",
        Code={"ZipFile": _zip()})["FunctionArn"]
    sm = session.client("secretsmanager")
    arn = str(sm.create_secret(Name="db/stuck", SecretString="one")["ARN"])
    sm.rotate_secret(SecretId=arn, RotationLambdaARN=function, RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    sm.put_secret_value(SecretId=arn, SecretString="two", VersionStages=["AWSPENDING"])
    return arn


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def _stages(change: Callable[[dict[str, Any]], Any], arn: str) -> Callable[[Any], None]:
    def edit(parsed: Any) -> None:
        for entry in parsed.get("SecretList") or ():
            if entry.get("ARN") == arn:
                change(entry)
    return edit


def test_a_stuck_pending_label_is_seen_when_the_answer_is_whole(
        tmp_path: Path, estate: Any, scan_session: boto3.Session, stuck: str) -> None:
    snapshot = _collect(tmp_path, scan_session, estate)
    assert _status(snapshot, "secret-rotation-failing", stuck) == Status.FAIL
    assert not [c for c in snapshot.coverage if c.service == "secretsmanager"]


@pytest.mark.parametrize("change", [lambda e: e.pop("SecretVersionsToStages"),
                                    lambda e: e.update(SecretVersionsToStages=None)],
                         ids=["missing", "null"])
def test_a_secret_answered_without_its_stage_map_is_its_gap_and_unknown_not_pass(
        tmp_path: Path, estate: Any, scan_session: boto3.Session, stuck: str,
        change: Callable[[dict[str, Any]], Any]) -> None:
    _edit(scan_session, "ListSecrets", _stages(change, stuck))
    snapshot = _collect(tmp_path, scan_session, estate)
    gaps = [c for c in snapshot.coverage if c.service == "secretsmanager"]
    assert [(g.operation, g.error_code, g.resource_arn) for g in gaps] == [
        ("ListSecrets", "UnexpectedAnswer", stuck)]
    assert gaps[0].message == (f"ListSecrets answered without SecretVersionsToStages for "
                               f"{stuck}: its staging labels are not known")
    secrets = {s.arn: s for s in _region(snapshot).secrets}
    assert secrets[stuck].unread == ("version_stages",)
    assert secrets[stuck].version_stages == {}
    assert secrets[estate.plain_secret_arn].unread == ()  # the others are read
    assert _status(snapshot, "secret-rotation-failing", stuck) == Status.UNKNOWN
    assert not snapshot.complete


@pytest.mark.parametrize("change", [
    lambda e: e.update(SecretVersionsToStages=[]),
    lambda e: e.update(SecretVersionsToStages={
        v: " ".join(labels) for v, labels in e["SecretVersionsToStages"].items()}),
], ids=["list", "labels-as-text"])
def test_a_stage_map_of_another_type_is_a_gap_and_unknown_not_pass(
        tmp_path: Path, estate: Any, scan_session: boto3.Session, stuck: str,
        change: Callable[[dict[str, Any]], Any]) -> None:
    """The answer's types are checked against the model first (scanner.aws.responses:
    the whole ListSecrets page); the collector's own check stands behind it."""
    _edit(scan_session, "ListSecrets", _stages(change, stuck))
    snapshot = _collect(tmp_path, scan_session, estate)
    gaps = [c for c in snapshot.coverage if c.service == "secretsmanager"]
    assert [(g.operation, g.error_code) for g in gaps] == [("ListSecrets", "UnexpectedAnswer")]
    assert "SecretVersionsToStages" in gaps[0].message
    region = _region(snapshot)
    assert region.secrets == () and "secretsmanager" in region.unread_services
    assert not snapshot.complete


def test_a_secret_created_without_a_value_has_no_stage_map_and_no_gap(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    sm = account_session(fresh_session(), estate.security).client("secretsmanager")
    arn = str(sm.create_secret(Name="empty")["ARN"])
    try:
        snapshot = _collect(tmp_path, scan_session, estate)
    finally:
        sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    secrets = {s.arn: s for s in _region(snapshot).secrets}
    assert secrets[arn].version_stages == {} and secrets[arn].unread == ()
    assert _status(snapshot, "secret-rotation-failing", arn) == Status.PASS
    assert not [c for c in snapshot.coverage if c.service == "secretsmanager"]


# ----------------------------------------------------------------------------- Tags


@pytest.fixture(scope="module")
def tagged(estate: Any) -> str:
    """A secret anyone may read when it is tagged share=everyone -- and it is."""
    sm = account_session(fresh_session(), estate.security).client("secretsmanager")
    arn = str(sm.create_secret(Name="shared/by-tag", SecretString="x",
                               Tags=[{"Key": "share", "Value": "everyone"}])["ARN"])
    sm.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*",
                       "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                       "Condition": {"StringEquals": {"aws:ResourceTag/share": "everyone"}}}]}))
    return arn


def _tags_of(arn: str, change: Callable[[dict[str, Any]], Any]) -> Callable[[Any], None]:
    def edit(parsed: Any) -> None:
        for entry in parsed.get("SecretList") or ():
            if entry.get("ARN") == arn:
                for tag in entry.get("Tags") or ():
                    change(tag)
    return edit


def test_a_secret_public_by_its_tag_is_public_when_the_answer_is_whole(
        tmp_path: Path, estate: Any, scan_session: boto3.Session, tagged: str) -> None:
    snapshot = _collect(tmp_path, scan_session, estate)
    assert {s.arn: s.tags for s in _region(snapshot).secrets}[tagged] == {"share": "everyone"}
    assert _status(snapshot, "secret-policy-public", tagged) == Status.FAIL


@pytest.mark.parametrize("change", [lambda t: t.pop("Value"), lambda t: t.update(Value=None)],
                         ids=["missing", "null"])
def test_a_secret_tag_without_its_value_is_the_secrets_gap_not_an_empty_value(
        tmp_path: Path, estate: Any, scan_session: boto3.Session, tagged: str,
        change: Callable[[dict[str, Any]], Any]) -> None:
    """Read as ``share=""``, the condition did not hold: secret-policy-public PASS, complete."""
    _edit(scan_session, "ListSecrets", _tags_of(tagged, change))
    snapshot = _collect(tmp_path, scan_session, estate)
    gaps = [c for c in snapshot.coverage if c.service == "secretsmanager"]
    assert [(g.operation, g.error_code, g.resource_arn, g.message) for g in gaps] == [
        ("ListSecrets", "UnexpectedAnswer", tagged,
         f"ListSecrets answered a tag without Value (tag share) for {tagged}: its tags are "
         "not known")]
    secrets = {s.arn: s for s in _region(snapshot).secrets}
    assert secrets[tagged].unread == ("tags",) and secrets[tagged].tags == {}
    # the tag is not known: the statement may apply (was PASS, read as share="")
    assert _status(snapshot, "secret-policy-public", tagged) != Status.PASS
    assert not snapshot.complete


def test_a_role_tag_without_its_value_is_a_gap_of_iam_not_an_empty_value(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    """aws:PrincipalTag conditions were judged on ``""``; IAM's listing is read as one
    (an entry's part AWS always sends: round 25), so the account's IAM is the gap."""
    iam = account_session(fresh_session(), estate.security).client("iam")
    iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": []}), Tags=[{"Key": "team", "Value": "db"}])

    def edit(parsed: Any) -> None:
        for role in parsed.get("RoleDetailList") or ():
            for tag in role.get("Tags") or ():
                tag.pop("Value", None)

    _edit(scan_session, "GetAccountAuthorizationDetails", edit)
    try:
        snapshot = _collect(tmp_path, scan_session, estate)
    finally:
        iam.delete_role(RoleName="tagged")
    gaps = [c for c in snapshot.coverage if c.service == "iam"]
    assert [(g.operation, g.error_code) for g in gaps] == [
        ("GetAccountAuthorizationDetails", "UnexpectedAnswer")]
    assert "a tag without Value (tag team) on arn:aws:iam::" in gaps[0].message
    assert not snapshot.complete


def test_a_key_tag_without_its_value_is_the_keys_gap_not_an_empty_value(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    kms = account_session(fresh_session(), estate.security).client("kms")
    kms.tag_resource(KeyId=estate.key_arn, Tags=[{"TagKey": "share", "TagValue": "everyone"}])

    def edit(parsed: Any) -> None:
        for tag in parsed.get("Tags") or ():
            tag.pop("TagValue", None)

    _edit(scan_session, "ListResourceTags", edit)
    try:
        snapshot = _collect(tmp_path, scan_session, estate)
    finally:
        kms.untag_resource(KeyId=estate.key_arn, TagKeys=["share"])
    gaps = [c for c in snapshot.coverage if c.service == "kms"]
    assert [(g.operation, g.error_code, g.resource_arn, g.message) for g in gaps] == [
        ("ListResourceTags", "UnexpectedAnswer", estate.key_arn,
         "ListResourceTags answered a tag without TagValue (tag share)")]
    keys = {k.arn: k for k in _region(snapshot).kms_keys}
    assert "tags" in keys[estate.key_arn].unread


def test_a_vpc_whose_cidrs_were_not_read_is_not_a_vpc_whose_cidrs_changed(
        tmp_path: Path, estate: Any) -> None:
    """The drift of a VPC read whole one night and without its CIDRs the next: "not read:
    cidrs", never ``cidrs: [10.0.0.0/16] -> []``."""
    from helpers.scanfactory import stored
    from scanner.history.diff import diff_scans

    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    whole = _collect(tmp_path / "one", fresh_session(), estate)
    session = fresh_session()
    _edit(session, "DescribeVpcs", _cidr_association(lambda a: a.pop("CidrBlock")))
    partial = _collect(tmp_path / "two", session, estate)
    assert whole.meta.scan_id != partial.meta.scan_id
    drift = diff_scans(stored(whole), stored(partial))
    changed = [(c.id, f.field) for c in drift.resources_changed for f in c.fields]
    assert not [c for c in changed if estate.vpc_id in c[0]], changed
    # (the default VPC too: one line for both, naming one of them)
    assert any(n.reason == "not read: cidrs" and " vpc " in f" {n.subject}"
               for n in drift.not_assessed), [(n.subject, n.reason) for n in drift.not_assessed]


def test_a_vpc_without_any_cidr_is_that_vpcs_gap(tmp_path: Path, estate: Any,
                                                 scan_session: boto3.Session) -> None:
    """Every VPC has its primary CIDR: one answered without it and without associations was
    a VPC with no CIDR, no gap."""
    def edit(parsed: Any) -> None:
        for vpc in parsed.get("Vpcs") or ():
            if vpc.get("VpcId") == estate.vpc_id:
                vpc.pop("CidrBlock", None)
                vpc.pop("CidrBlockAssociationSet", None)

    _edit(scan_session, "DescribeVpcs", edit)
    snapshot = _collect(tmp_path, scan_session, estate)
    arn = f"arn:aws:ec2:{REGION}:{estate.security}:vpc/{estate.vpc_id}"
    assert [(g.operation, g.resource_arn, g.message) for g in snapshot.coverage] == [
        ("DescribeVpcs", arn, f"DescribeVpcs answered without CidrBlock or "
                              f"CidrBlockAssociationSet for {estate.vpc_id}: its CIDRs are "
                              "not known")]
    (vpc,) = [v for v in _region(snapshot).vpcs if v.vpc_id == estate.vpc_id]
    assert vpc.cidrs == () and vpc.unread == ("cidrs",)


def _vpc_tags(vpc_id: str, change: Callable[[dict[str, Any]], Any]) -> Callable[[Any], None]:
    def edit(parsed: Any) -> None:
        for vpc in parsed.get("Vpcs") or ():
            if vpc.get("VpcId") == vpc_id:
                for tag in vpc.get("Tags") or ():
                    change(tag)
    return edit


@pytest.mark.parametrize("change", [lambda t: t.pop("Value"), lambda t: t.update(Value=None)],
                         ids=["missing", "null"])
def test_a_vpc_tag_without_its_value_is_the_vpcs_gap_not_an_empty_value(
        tmp_path: Path, estate: Any, change: Callable[[dict[str, Any]], Any]) -> None:
    """Fault-injection trial round 27: EC2 read such a tag as ``""`` (secrets, roles and keys
    already made it their gap): a suppression entry's ``tags: {team: "*"}`` matched it, and
    the drift told ``tags: {team: db} -> {team: ""}`` as a change. Now it is the VPC's
    DescribeVpcs gap, its tags not known, and the drift says "not read: tags"."""
    from helpers.scanfactory import stored
    from scanner.history.diff import diff_scans

    ec2 = account_session(fresh_session(), estate.security).client("ec2")
    ec2.create_tags(Resources=[estate.vpc_id], Tags=[{"Key": "team", "Value": "db"}])
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    try:
        whole = _collect(tmp_path / "one", fresh_session(), estate)
        session = fresh_session()
        _edit(session, "DescribeVpcs", _vpc_tags(estate.vpc_id, change))
        partial = _collect(tmp_path / "two", session, estate)
    finally:
        ec2.delete_tags(Resources=[estate.vpc_id], Tags=[{"Key": "team"}])
    assert {v.vpc_id: v.tags for v in _region(whole).vpcs}[estate.vpc_id] == {"team": "db"}
    arn = f"arn:aws:ec2:{REGION}:{estate.security}:vpc/{estate.vpc_id}"
    assert [(g.operation, g.error_code, g.resource_arn, g.message)
            for g in partial.coverage] == [
        ("DescribeVpcs", "UnexpectedAnswer", arn,
         f"DescribeVpcs answered a tag without Value (tag team) for {estate.vpc_id}: its tags "
         "are not known")]
    (vpc,) = [v for v in _region(partial).vpcs if v.vpc_id == estate.vpc_id]
    assert vpc.tags == {} and vpc.unread == ("tags",)
    assert vpc.cidrs == ("10.0.0.0/16",)  # the rest of the VPC is read
    assert not partial.complete
    graph = build_graph(partial)
    assert graph.nodes[arn]["tags"] == {} and tuple(graph.nodes[arn]["unread"]) == ("tags",)
    drift = diff_scans(stored(whole), stored(partial))
    changed = [(c.id, f.field) for c in drift.resources_changed for f in c.fields]
    assert not [c for c in changed if estate.vpc_id in c[0]], changed
    assert any(n.reason == "not read: tags" and estate.vpc_id in n.subject
               for n in drift.not_assessed), [(n.subject, n.reason) for n in drift.not_assessed]
