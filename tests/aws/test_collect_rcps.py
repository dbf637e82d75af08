"""Resource control policies end to end: collected from a moto Organization (ListPolicies with
Filter RESOURCE_CONTROL_POLICY), carried in the snapshot, and applied by the access analysis
(Organizations User Guide, "Resource control policies": an RCP caps access to the resources of
member accounts for every caller)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
from moto import mock_aws

from scanner.access import AccessSettings, analyze_access
from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.graph.builder import build_graph
from scanner.snapshot_io import read_snapshot

REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"


def _session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                         region_name=REGION)


def _assume(mgmt: boto3.Session, account_id: str) -> boto3.Session:
    creds = mgmt.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE}", RoleSessionName="setup")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=REGION)


def test_a_collected_rcp_denies_a_cross_account_reader(tmp_path: Path) -> None:
    mgmt = _session()
    with mock_aws():
        org = mgmt.client("organizations")
        org.create_organization(FeatureSet="ALL")
        root = org.list_roots()["Roots"][0]["Id"]
        security = org.create_account(Email="sec@example.com", AccountName="security")[
            "CreateAccountStatus"]["AccountId"]
        member = org.create_account(Email="a@example.com", AccountName="member-a")[
            "CreateAccountStatus"]["AccountId"]
        org.enable_policy_type(RootId=root, PolicyType="RESOURCE_CONTROL_POLICY")
        rcp = org.create_policy(
            Name="secrets-stay-home", Description="d", Type="RESOURCE_CONTROL_POLICY",
            Content=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:PrincipalAccount": security}}}]}))
        org.attach_policy(PolicyId=rcp["Policy"]["PolicySummary"]["Id"], TargetId=root)

        reader = f"arn:aws:iam::{member}:role/ApplicationRole"
        sec = _assume(mgmt, security)
        key = sec.client("kms").create_key(Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{security}:root"},
                 "Action": "kms:*", "Resource": "*"},
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{member}:root"},
                 "Action": "kms:Decrypt", "Resource": "*"}]}))["KeyMetadata"]
        secret = sec.client("secretsmanager").create_secret(
            Name="db/member-a", SecretString="s3cret", KmsKeyId=key["Arn"])["ARN"]
        sec.client("secretsmanager").put_resource_policy(
            SecretId=secret, ResourcePolicy=json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": reader},
                    "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
        iam = _assume(mgmt, member).client("iam")
        iam.create_role(RoleName="ApplicationRole", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole"}]}))
        iam.put_role_policy(RoleName="ApplicationRole", PolicyName="read",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                                {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                 "Resource": secret},
                                {"Effect": "Allow", "Action": "kms:Decrypt",
                                 "Resource": key["Arn"]}]}))

        path = collect(CollectOptions(out=tmp_path / "snapshot.json.gz", regions=(REGION,),
                                      role_name=ROLE, max_attempts=1, org=True),
                       executor=SynchronousExecutor(), session_factory=lambda _: _session())
        snapshot = read_snapshot(path)

    organization = snapshot.organization
    assert organization is not None and organization.rcps_read
    assert organization.policy_types_enabled is not None
    assert "RESOURCE_CONTROL_POLICY" in organization.policy_types_enabled
    assert "secrets-stay-home" in {p.name for p in organization.policies
                                   if p.policy_type == "RESOURCE_CONTROL_POLICY"}
    graph = build_graph(snapshot)
    report = analyze_access(graph, snapshot, AccessSettings.from_snapshot(snapshot))
    access = report.for_secret(secret)
    assert access is not None
    paths = {p.principal: p for p in access.paths}
    assert reader in paths, sorted(paths)
    verdict = paths[reader]
    assert verdict.decision == "DENIED"
    assert verdict.gates["scp"].status == "DENIED"
    assert verdict.gates["resource_policy"].status == "ALLOWED"
    assert verdict.broken_at == ("scp",)
