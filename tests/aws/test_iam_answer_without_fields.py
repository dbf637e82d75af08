"""A GetAccountAuthorizationDetails answer whose role lacks its inline policy's name, an
attached policy's ARN or its permissions boundary's ARN is a gap of the account's IAM -- not a
crash of the collector, and not a role without that policy or boundary (fault-injection trial
round 25).

Before, the inline policy without ``PolicyName`` was a KeyError ("iam collector failed on a
record without PolicyName"); the attached policy without ``PolicyArn`` and the boundary without
``PermissionsBoundaryArn`` were dropped without a word, so every access verdict of the role
was made without them (a boundary that denies, gone: reads reported that it stops). The answer
is edited after botocore parsed it (IAM answers in XML, where a missing element is a missing
key).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.model import AccountSnapshot, Snapshot
from scanner.snapshot_io import read_snapshot

REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"
APP_ROLE = "AppReader"
_DOC = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})


@pytest.fixture(scope="module")
def app_role(estate: Any) -> str:
    """A role of the security account with an inline policy, an attached customer-managed
    policy and a permissions boundary."""
    creds = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                          region_name=REGION).client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{estate.security}:role/{ROLE}",
        RoleSessionName="iam-setup")["Credentials"]
    iam = boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"],
                        region_name=REGION).client("iam")
    policy = iam.create_policy(PolicyName="read-secrets", PolicyDocument=_DOC)["Policy"]["Arn"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
         "Action": "sts:AssumeRole"}]})
    arn = iam.create_role(RoleName=APP_ROLE, AssumeRolePolicyDocument=trust,
                          PermissionsBoundary=policy)["Role"]["Arn"]
    iam.attach_role_policy(RoleName=APP_ROLE, PolicyArn=policy)
    iam.put_role_policy(RoleName=APP_ROLE, PolicyName="inline-read", PolicyDocument=_DOC)
    return str(arn)


def _without(session: boto3.Session, role_arn: str, *path: str) -> None:
    """The role's entry arrives without ``path`` (``*``: every item of a list)."""

    def drop(holder: Any, rest: tuple[str, ...]) -> None:
        if rest[0] == "*":
            for item in holder or []:
                drop(item, rest[1:])
        elif len(rest) == 1:
            holder.pop(rest[0], None)
        else:
            drop(holder.get(rest[0]), rest[1:])

    def hook(parsed: Any = None, model: Any = None, **_: Any) -> None:
        if model is None or model.name != "GetAccountAuthorizationDetails" or \
                not isinstance(parsed, dict):
            return
        for role in parsed.get("RoleDetailList") or []:
            if role.get("Arn") == role_arn:
                drop(role, path)

    session.events.register("after-call", hook)


def _collect(tmp_path: Path, session: boto3.Session, estate: Any) -> Snapshot:
    opts = CollectOptions(out=tmp_path / "snap.json.gz", regions=(REGION,), role_name=ROLE,
                          max_attempts=1, accounts=(estate.security,))
    return read_snapshot(collect(opts, executor=SynchronousExecutor(),
                                 session_factory=lambda _: session))


def _account(snapshot: Snapshot, account_id: str) -> AccountSnapshot:
    return next(a for a in snapshot.accounts if a.account_id == account_id)


def test_the_roles_policies_and_boundary_are_read_when_the_answer_is_whole(
        tmp_path: Path, estate: Any, scan_session: boto3.Session, app_role: str) -> None:
    iam = _account(_collect(tmp_path, scan_session, estate), estate.security).iam
    assert iam is not None
    role = next(p for p in iam.principals if p.arn == app_role)
    assert list(role.inline_policies) == ["inline-read"]
    assert role.attached_policy_arns == (f"arn:aws:iam::{estate.security}:policy/read-secrets",)
    assert role.permissions_boundary_arn == role.attached_policy_arns[0]


@pytest.mark.parametrize("path,shown", [
    (("RolePolicyList", "*", "PolicyName"), "an entry without PolicyName"),
    (("AttachedManagedPolicies", "*", "PolicyArn"), "an entry without PolicyArn"),
    (("PermissionsBoundary", "PermissionsBoundaryArn"),
     "the PermissionsBoundary of {arn} without PermissionsBoundaryArn"),
])
def test_a_role_without_a_policys_name_or_arn_is_a_gap_of_the_accounts_iam(
        tmp_path: Path, estate: Any, scan_session: boto3.Session, app_role: str,
        path: tuple[str, ...], shown: str) -> None:
    _without(scan_session, app_role, *path)
    snapshot = _collect(tmp_path, scan_session, estate)
    gaps = [c for c in snapshot.coverage if c.service == "iam"]
    assert [(g.operation, g.error_code) for g in gaps] == \
        [("GetAccountAuthorizationDetails", "UnexpectedAnswer")]
    assert gaps[0].message == \
        f"GetAccountAuthorizationDetails answered {shown.format(arn=app_role)}"
    assert _account(snapshot, estate.security).iam is None  # unread: not read without it
    assert not snapshot.complete
