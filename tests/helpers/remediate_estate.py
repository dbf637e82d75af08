"""A small centralized-secrets estate in moto with one instance of every problem the
remediators fix, scanned by the real collector, and the findings the rules emit for it.

Accounts: CENTRAL holds the secrets, keys and the rotation Lambda; MEMBER reads the shared
secret and peers its VPC with CENTRAL's. The findings are built here the way the rules engine
builds them (rule id, resource, principal, remediation id, evidence keys of docs/remediation.md).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session

from helpers.remediate_records import scan_header
from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.findings import Finding, ResourceRef, Severity, Status, finding_id
from scanner.changes import RemediationConfig
from scanner.model import Snapshot
from scanner.snapshot_io import read_snapshot

CENTRAL = "111111111111"
MEMBER = "222222222222"
EXTERNAL = "999999999999"
REGION = "us-east-1"
REPLICA_REGION = "us-west-2"
#: the scan reads the primary region only: replicas are seen through DescribeSecret there, and
#: the replica region's key comes from the config
SCANNED_REGIONS = (REGION,)
AUDIT_ROLE = "SecretgraphAudit"
REMEDIATION_ROLE = "SecretgraphRemediation"
MEMBER_APP_ROLE = f"arn:aws:iam::{MEMBER}:role/AppRole"
#: a same-account role reading app/plain through its identity policy alone: it reads while the
#: secret is on aws/secretsmanager, and loses access if the secret moves to a CMK whose policy
#: only delegates to IAM (the case issue 14 reports)
REPORTING_ROLE = f"arn:aws:iam::{CENTRAL}:role/ReportingRole"
CENTRAL_CIDR = "10.0.0.0/16"
MEMBER_CIDR = "10.1.0.0/16"


_LOADER = botocore.loaders.create_loader()


def _session(**credentials: str) -> boto3.Session:
    """A session sharing one botocore data loader: each fresh loader re-parses the service
    models and endpoints (seconds per test on a busy machine)."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return boto3.Session(botocore_session=core, region_name=REGION, **credentials)


def mgmt_session() -> boto3.Session:
    return _session(aws_access_key_id="testing", aws_secret_access_key="testing")


_SESSIONS: dict[str, boto3.Session] = {}


def forget_sessions() -> None:
    """Called when a moto instance ends: its credentials mean nothing to the next one."""
    _SESSIONS.clear()


def account_session(account_id: str) -> boto3.Session:
    """Admin credentials in the account (cached: sessions are slow to make)."""
    key = account_id
    if key in _SESSIONS:
        return _SESSIONS[key]
    creds = mgmt_session().client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/Admin", RoleSessionName="fixture")["Credentials"]
    session = _session(aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"])
    _SESSIONS[key] = session
    return session


def root_key_policy(account_id: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Id": "key-default", "Statement": [{
        "Sid": "EnableRoot", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "kms:*", "Resource": "*"}]}, indent=2)


SHARED_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "MemberApp", "Effect": "Allow", "Principal": {"AWS": MEMBER_APP_ROLE},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
        {"Sid": "Everyone", "Effect": "Allow", "Principal": "*",
         "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
         "Resource": "*"},
        {"Sid": "Partner", "Effect": "Allow",
         "Principal": {"AWS": [f"arn:aws:iam::{EXTERNAL}:root", MEMBER_APP_ROLE]},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
    ],
}


@dataclass(frozen=True, kw_only=True)
class Estate:
    cmk_arn: str
    cmk_west_arn: str
    doomed_key_arn: str
    plain_secret: str  # aws/secretsmanager, no rotation
    shared_secret: str  # CMK, public + external statements, member not in key policy
    unreplicated_secret: str  # CMK, no replica
    doomed_secret: str  # its key is pending deletion
    rotation_lambda: str
    central_rtb: str
    member_rtb: str
    peering_id: str


def _lambda_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("rotate.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


def build_estate() -> Estate:
    central = account_session(CENTRAL)
    member = account_session(MEMBER)
    kms = central.client("kms", region_name=REGION)
    sm = central.client("secretsmanager", region_name=REGION)

    cmk = kms.create_key(Description="central secrets key",
                         Policy=root_key_policy(CENTRAL))["KeyMetadata"]
    kms.create_alias(AliasName="alias/central-secrets", TargetKeyId=cmk["KeyId"])
    west = central.client("kms", region_name=REPLICA_REGION).create_key(
        Description="replica region key", Policy=root_key_policy(CENTRAL))["KeyMetadata"]
    doomed = kms.create_key(Description="doomed", Policy=root_key_policy(CENTRAL))["KeyMetadata"]

    plain = sm.create_secret(Name="app/plain", SecretString="v1")["ARN"]
    shared = sm.create_secret(Name="app/shared", SecretString="v2", KmsKeyId=cmk["Arn"])["ARN"]
    sm.put_resource_policy(SecretId=shared, ResourcePolicy=json.dumps(SHARED_POLICY, indent=2))
    unreplicated = sm.create_secret(Name="app/local", SecretString="v3",
                                    KmsKeyId=cmk["Arn"])["ARN"]
    doomed_secret = sm.create_secret(Name="app/doomed", SecretString="v4",
                                     KmsKeyId=doomed["Arn"])["ARN"]
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)

    role = central.client("iam").create_role(
        RoleName="rotation-lambda", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    # what a rotation function's role needs (Secrets Manager User Guide, "Lambda rotation
    # function execution role permissions"): once enable-secret-rotation points a secret at
    # the function, its role reads it (secret-rotation-role-cannot-read passes)
    central.client("iam").put_role_policy(
        RoleName="rotation-lambda", PolicyName="rotate", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": [
                    "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                    "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"],
                 "Resource": f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:app/*"},
                {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                 "Resource": f"arn:aws:kms:{REGION}:{CENTRAL}:key/*"}]}))
    fn = central.client("lambda", region_name=REGION).create_function(
        FunctionName="rotate-postgres", Runtime="python3.11", Role=role,
        Handler="rotate.handler", Code={"ZipFile": _lambda_zip()})["FunctionArn"]

    ec2c = central.client("ec2", region_name=REGION)
    ec2m = member.client("ec2", region_name=REGION)
    vpc_c = ec2c.create_vpc(CidrBlock=CENTRAL_CIDR)["Vpc"]["VpcId"]
    vpc_m = ec2m.create_vpc(CidrBlock=MEMBER_CIDR)["Vpc"]["VpcId"]
    rtb_c = ec2c.create_route_table(VpcId=vpc_c)["RouteTable"]["RouteTableId"]
    rtb_m = ec2m.create_route_table(VpcId=vpc_m)["RouteTable"]["RouteTableId"]
    pcx = ec2c.create_vpc_peering_connection(VpcId=vpc_c, PeerVpcId=vpc_m, PeerOwnerId=MEMBER,
                                             PeerRegion=REGION)["VpcPeeringConnection"]
    pcx_id = pcx["VpcPeeringConnectionId"]
    ec2m.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    ec2c.create_route(RouteTableId=rtb_c, DestinationCidrBlock=MEMBER_CIDR,
                      VpcPeeringConnectionId=pcx_id)
    iam = central.client("iam")
    iam.create_role(RoleName="ReportingRole", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="ReportingRole", PolicyName="read-plain",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                            "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                            "Resource": plain}]}))
    return Estate(cmk_arn=cmk["Arn"], cmk_west_arn=west["Arn"], doomed_key_arn=doomed["Arn"],
                  plain_secret=plain, shared_secret=shared, unreplicated_secret=unreplicated,
                  doomed_secret=doomed_secret, rotation_lambda=fn, central_rtb=rtb_c,
                  member_rtb=rtb_m, peering_id=pcx_id)


def scan(out_dir: Path, scan_id: str, regions: tuple[str, ...] = SCANNED_REGIONS) -> Snapshot:
    """The real collector over both accounts; returns the snapshot it wrote."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = collect(CollectOptions(out=out_dir / "snapshot.json.gz", regions=regions,
                                  accounts=(CENTRAL, MEMBER), role_name=AUDIT_ROLE,
                                  scan_id=scan_id, max_attempts=1),
                   executor=SynchronousExecutor(), session_factory=lambda _o: mgmt_session())
    return read_snapshot(path)


def _finding(rule_id: str, remediation_id: str | None, rtype: str, arn: str, account: str,
             principal: str | None = None, **evidence: Any) -> Finding:
    return Finding(id=finding_id(rule_id, arn, principal), rule_id=rule_id, title=rule_id,
                   severity=Severity.HIGH, status=Status.FAIL,
                   resource=ResourceRef(type=rtype, arn=arn, account_id=account, region=REGION),
                   principal=principal, evidence=evidence,
                   remediation={"id": remediation_id} if remediation_id else {})


def findings_for(estate: Estate) -> list[Finding]:
    """What the rules report for this estate (one finding per problem)."""
    pcx_arn = f"arn:aws:ec2:{REGION}:{CENTRAL}:vpc-peering-connection/{estate.peering_id}"
    return [
        _finding("secret-uses-aws-managed-key", "move-secret-to-cmk", "Secret",
                 estate.plain_secret, CENTRAL),
        _finding("secret-rotation-disabled", "enable-secret-rotation", "Secret",
                 estate.plain_secret, CENTRAL),
        _finding("secret-policy-public", "restrict-public-secret-policy", "Secret",
                 estate.shared_secret, CENTRAL),
        _finding("secret-policy-external-account", "remove-external-grant", "Secret",
                 estate.shared_secret, CENTRAL, principal=f"arn:aws:iam::{EXTERNAL}:root",
                 external_principal=f"arn:aws:iam::{EXTERNAL}:root"),
        _finding("secret-cross-account-access-broken", "grant-key-decrypt", "Secret",
                 estate.shared_secret, CENTRAL, principal=MEMBER_APP_ROLE,
                 key_arn=estate.cmk_arn, principal_arns=[MEMBER_APP_ROLE], blocking_gate="key"),
        _finding("kms-key-rotation-disabled", "enable-key-rotation", "KmsKey", estate.cmk_arn,
                 CENTRAL),
        _finding("secret-key-unusable", "cancel-key-deletion", "Secret", estate.doomed_secret,
                 CENTRAL, key_arn=estate.doomed_key_arn),
        _finding("secret-not-replicated", "replicate-secret", "Secret",
                 estate.unreplicated_secret, CENTRAL, missing_regions=[REPLICA_REGION]),
        _finding("vpc-peering-route-missing", "add-peering-route", "VpcPeering", pcx_arn, CENTRAL,
                 peering_id=estate.peering_id, route_table_id=estate.member_rtb,
                 destination_cidr=CENTRAL_CIDR, side="accepter"),
    ]


def config_for(estate: Estate) -> dict[str, Any]:
    return {
        "rotation_functions": [{"lambda_arn": estate.rotation_lambda}],
        "required_replica_regions": [REPLICA_REGION],
        "remediation": {
            "org_id": "o-testorg0001",
            "rotation_days": 30,
            "cmk": {CENTRAL: {REGION: estate.cmk_arn, REPLICA_REGION: estate.cmk_west_arn}},
        },
    }


def write_scan_dir(out_dir: Path, snapshot: Snapshot, findings: list[Finding]) -> Path:
    """findings.json next to the snapshot, as `scan --out DIR` leaves them."""
    doc = {"schema_version": 1, "tool": {"name": "secretgraph", "version": "0.0.0"},
           "scan": scan_header(snapshot), "coverage": [],
           "findings": [f.to_json() for f in findings]}
    (out_dir / "findings.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return out_dir


@dataclass(frozen=True, kw_only=True)
class Scanned:
    """The estate built in moto, scanned: what the ``scanned`` fixture gives a test."""

    estate: Estate
    snapshot: Snapshot
    findings: list[Finding]
    config: RemediationConfig
    scan_dir: Path
    config_path: Path

    def plan_into(self, plan: Path, rules: str | None = None) -> None:
        """`remediate --in <the scan> --config <its config> --plan-out PLAN [--rule RULES]`,
        which must exit 0."""
        from scanner.cli import main

        args = ["remediate", "--in", str(self.scan_dir), "--config", str(self.config_path),
                "--plan-out", str(plan)]
        assert main(args + (["--rule", rules] if rules else [])) == 0
