"""Fixtures for the AWS I/O tests: a small moto Organization, and a stub that makes one
operation fail the way AWS would (moto never denies anything, so denials are stubbed)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

# moto builds ~5,000 AMIs per account-region on first EC2 use (~1 s each time); the scanner
# never reads AMIs.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

REGION = "us-east-1"
OTHER_REGION = "us-west-2"
ROLE = "OrganizationAccountAccessRole"


@dataclass
class Estate:
    management: str
    security: str
    member: str
    key_arn: str
    shared_secret_arn: str
    plain_secret_arn: str
    vpc_id: str


def account_session(mgmt: boto3.Session, account_id: str) -> boto3.Session:
    creds = mgmt.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE}", RoleSessionName="estate-setup"
    )["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=REGION)


def fresh_session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                         region_name=REGION)


@pytest.fixture()
def scan_session() -> boto3.Session:
    """The scan's own (management-account) session: a fresh one per test, so the hooks a test
    installs on it never leak into another test."""
    return fresh_session()


@pytest.fixture(scope="module")
def estate() -> Iterator[Estate]:
    """Management account + security account (a CMK, a secret shared with the member, a
    replicated secret, a default-key secret, a VPC) + a member account, in an Organization.

    Module-scoped: the scanner never writes, so every test of a module can read the same one."""
    mgmt_session = fresh_session()
    with mock_aws():
        org = mgmt_session.client("organizations", region_name=REGION)
        org.create_organization(FeatureSet="ALL")
        security = org.create_account(Email="sec@example.com", AccountName="security")[
            "CreateAccountStatus"]["AccountId"]
        member = org.create_account(Email="a@example.com", AccountName="member-a")[
            "CreateAccountStatus"]["AccountId"]
        sec = account_session(mgmt_session, security)
        key = sec.client("kms").create_key(Description="central secrets key")["KeyMetadata"]
        sec.client("kms").create_alias(AliasName="alias/central", TargetKeyId=key["KeyId"])
        sm = sec.client("secretsmanager")
        shared = sm.create_secret(Name="db/member-a", SecretString="s3cret", KmsKeyId=key["Arn"],
                                  AddReplicaRegions=[{"Region": OTHER_REGION,
                                                      "KmsKeyId": key["Arn"]}])["ARN"]
        sm.put_resource_policy(SecretId=shared, ResourcePolicy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow",
                           "Principal": {"AWS": f"arn:aws:iam::{member}:role/ApplicationRole"},
                           "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
        plain = sm.create_secret(Name="plain", SecretString="x")["ARN"]
        vpc = sec.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        yield Estate(management="123456789012", security=security, member=member,
                     key_arn=key["Arn"], shared_secret_arn=shared, plain_secret_arn=plain,
                     vpc_id=vpc)


Failure = Callable[..., None]


@pytest.fixture()
def fail_call() -> Callable[..., Callable[[boto3.Session], None]]:
    """``fail_call(service, operation, code, when=lambda params: True, status=403)`` returns a
    function that installs, on a boto3 session, a before-call hook answering that operation
    with the AWS error ``code`` (every client made from the session inherits the hook)."""

    def make(service: str, operation: str, code: str, *, status: int = 403,
             when: Callable[[dict[str, Any]], bool] = lambda params: True,
             message: str = "stubbed failure") -> Callable[[boto3.Session], None]:
        def remember(params: Any = None, context: Any = None, **_: Any) -> None:
            if context is not None:
                context["stub_api_params"] = dict(params or {})

        def hook(model: Any = None, context: Any = None, **_: Any) -> Any:
            api_params = (context or {}).get("stub_api_params", {})
            if model.service_model.service_name == service and model.name == operation \
                    and when(api_params):
                return (AWSResponse("https://stub", status, {}, None),
                        {"Error": {"Code": code, "Message": message},
                         "ResponseMetadata": {"HTTPStatusCode": status}})
            return None

        def install(session: boto3.Session) -> None:
            session.events.register("provide-client-params", remember)
            session.events.register("before-call", hook)

        return install

    return make
