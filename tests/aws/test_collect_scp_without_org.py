"""A scan without ``--org`` asks Organizations whether the scanned account is in an organization
at all (DescribeOrganization, once, with the scan's own credentials), and the SCP gate follows
the answer instead of allowing.

New-user trial (scp_single_account.sh, README "Scanning one account"): a member account
whose SCP denies secretsmanager:GetSecretValue, scanned alone with its own credentials, had its
read reported ALLOWED with ``scp: UNKNOWN - no organization data`` -- the --org scan of the same
estate said DENIED. Organizations User Guide, "SCP evaluation": an explicit Deny in an SCP at
any level denies; SCPs do not apply to an account that is in no organization, nor to the
management account.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import boto3
from moto import mock_aws

from scanner.access import AccessSettings, analyze_access
from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.graph.builder import build_graph
from scanner.model import Snapshot
from scanner.snapshot_io import read_snapshot

REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"
MANAGEMENT = "123456789012"  # what moto maps the static test credentials to


def _session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                         region_name=REGION)


def _assume(mgmt: boto3.Session, account_id: str) -> boto3.Session:
    creds = mgmt.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE}", RoleSessionName="setup")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=REGION)


def _app_secret(session: boto3.Session) -> str:
    """member/db (on aws/secretsmanager) and AppRole allowed to read it by its identity
    policy: same-account, nothing but the SCPs can stop the read."""
    account = session.client("sts").get_caller_identity()["Account"]
    arn = session.client("secretsmanager").create_secret(Name="member/db",
                                                         SecretString="x")["ARN"]
    iam = session.client("iam")
    iam.create_role(RoleName="AppRole", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="AppRole", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
            "Resource": f"arn:aws:secretsmanager:{REGION}:{account}:secret:member/*"}]}))
    return arn


def _org_with_denying_scp(mgmt: boto3.Session) -> str:
    """An organization whose member account has an SCP denying GetSecretValue (the trial's
    seed_org_scp.py); returns the member account id."""
    org = mgmt.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    member: str = org.create_account(Email="m@example.com", AccountName="member")[
        "CreateAccountStatus"]["AccountId"]
    policy = org.create_policy(
        Name="deny-secret-read", Type="SERVICE_CONTROL_POLICY", Description="x",
        Content=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    org.attach_policy(PolicyId=policy["Policy"]["PolicySummary"]["Id"], TargetId=member)
    return member


def _scan(tmp_path: Path, session: boto3.Session, **options: Any) -> Snapshot:
    path = collect(CollectOptions(out=tmp_path / "snapshot.json.gz", regions=(REGION,),
                                  max_attempts=1, **options),
                   executor=SynchronousExecutor(), session_factory=lambda _: session)
    return read_snapshot(path)


def _app_role_path(snapshot: Snapshot, secret: str) -> Any:
    report = analyze_access(build_graph(snapshot), snapshot,
                            AccessSettings.from_snapshot(snapshot))
    access = report.for_secret(secret)
    assert access is not None
    [path] = [p for p in access.paths if p.principal.endswith(":role/AppRole")]
    return path


def test_a_member_scanned_alone_is_not_reported_allowed_past_scps_nobody_read(
        tmp_path: Path) -> None:
    mgmt = _session()
    with mock_aws():
        member = _org_with_denying_scp(mgmt)
        member_session = _assume(mgmt, member)
        secret = _app_secret(member_session)
        snapshot = _scan(tmp_path, member_session)

    path = _app_role_path(snapshot, secret)
    assert path.decision != "ALLOWED"
    assert path.decision == "CONDITIONAL"
    assert path.gates["scp"].status == "UNKNOWN"
    assert any("SCPs and RCPs were not read" in r for r in path.gates["scp"].reasons), \
        path.gates["scp"].reasons
    assert not snapshot.coverage  # the account is in an organization: that is an answer


def test_accounts_without_org_do_not_allow_the_member_past_its_scps(tmp_path: Path) -> None:
    mgmt = _session()
    with mock_aws():
        member = _org_with_denying_scp(mgmt)
        secret = _app_secret(_assume(mgmt, member))
        snapshot = _scan(tmp_path, mgmt, accounts=(MANAGEMENT, member), role_name=ROLE)

    path = _app_role_path(snapshot, secret)
    assert path.decision == "CONDITIONAL"
    assert path.gates["scp"].status == "UNKNOWN"


def test_the_org_scan_of_the_same_estate_still_says_denied(tmp_path: Path) -> None:
    mgmt = _session()
    with mock_aws():
        member = _org_with_denying_scp(mgmt)
        secret = _app_secret(_assume(mgmt, member))
        snapshot = _scan(tmp_path, mgmt, org=True, role_name=ROLE)

    path = _app_role_path(snapshot, secret)
    assert path.decision == "DENIED"
    assert path.broken_at == ("scp",)


def test_the_management_account_scanned_alone_is_not_subject_to_scps(tmp_path: Path) -> None:
    mgmt = _session()
    with mock_aws():
        _org_with_denying_scp(mgmt)
        secret = _app_secret(mgmt)
        snapshot = _scan(tmp_path, mgmt)

    path = _app_role_path(snapshot, secret)
    assert path.decision == "ALLOWED"
    assert path.gates["scp"].status == "NOT_APPLICABLE"
    assert not snapshot.coverage


def test_an_account_in_no_organization_is_not_subject_to_scps(tmp_path: Path) -> None:
    session = _session()
    with mock_aws():
        secret = _app_secret(session)
        snapshot = _scan(tmp_path, session)

    path = _app_role_path(snapshot, secret)
    assert path.decision == "ALLOWED"
    assert path.gates["scp"].status == "NOT_APPLICABLE"
    # AWSOrganizationsNotInUseException is the answer, not a gap in the scan
    assert not snapshot.coverage


def test_a_denied_describe_organization_is_a_gap_and_never_allows(
        tmp_path: Path, fail_call: Callable[..., Callable[[boto3.Session], None]]) -> None:
    session = _session()
    fail_call("organizations", "DescribeOrganization", "AccessDeniedException")(session)
    with mock_aws():
        secret = _app_secret(session)
        snapshot = _scan(tmp_path, session)

    [entry] = [c for c in snapshot.coverage if c.service == "organizations"]
    assert (entry.operation, entry.error_code) == ("DescribeOrganization",
                                                   "AccessDeniedException")
    path = _app_role_path(snapshot, secret)
    assert path.decision == "CONDITIONAL"
    assert path.gates["scp"].status == "UNKNOWN"


def test_shards_carry_the_answer_into_the_merged_snapshot(tmp_path: Path) -> None:
    """collect --shard I/N + scan --from-parts: each shard asks once, its manifest carries the
    answer, and the merged snapshot judges the member as the single scan does."""
    from scanner.collect import ShardRequest, collect_shard
    from scanner.shards import LocalParts, Shard, merge_parts

    mgmt = _session()
    with mock_aws():
        member = _org_with_denying_scp(mgmt)
        secret = _app_secret(_assume(mgmt, member))
        options = CollectOptions(out=tmp_path / "unused.json.gz", regions=(REGION,),
                                 max_attempts=1, accounts=(MANAGEMENT, member), role_name=ROLE)
        parts = LocalParts(tmp_path / "parts")
        for index in (1, 2):
            collect_shard(options, ShardRequest(run_id="r", parts=parts,
                                                shard=Shard(index=index, count=2)),
                          executor=SynchronousExecutor(), session_factory=lambda _: mgmt)
    merged = read_snapshot(merge_parts(parts, "r", tmp_path / "merged.json.gz").path)

    assert merged.org_membership is not None
    assert (merged.org_membership.account_id, merged.org_membership.status,
            merged.org_membership.management_account_id) == (MANAGEMENT, "member", MANAGEMENT)
    path = _app_role_path(merged, secret)
    assert (path.decision, path.gates["scp"].status) == ("CONDITIONAL", "UNKNOWN")
