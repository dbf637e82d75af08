"""A rotation ARN qualified with an alias or version is checked against Lambda (ground-truth
trial round 5: ``...:function:rotate:blue`` after ``delete_alias("blue")`` passed
secret-rotation-function-missing, as only ListFunctions was read). One
GetFunctionConfiguration(Qualifier) per distinct qualifier that a secret of the account-Region
names on a listed function; nothing for unqualified ARNs, ``$LATEST`` or unlisted functions."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from moto import mock_aws

from scanner.aws.calls import CallCounter
from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.snapshot_io import read_snapshot

REGION = "us-east-1"


@pytest.fixture()
def aws() -> Iterator[boto3.Session]:
    """moto without Docker: rotate_secret invokes the function (MOTO_NOTES.md, use_docker)."""
    with mock_aws(config={"lambda": {"use_docker": False}}):
        yield boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=REGION)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _rotated_secret(sm: Any, name: str, rotation_arn: str) -> None:
    arn = sm.create_secret(Name=name, SecretString="{}")["ARN"]
    sm.rotate_secret(SecretId=arn, RotationLambdaARN=rotation_arn,
                     RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)


def test_qualified_rotation_arns_are_read_once_each(aws: boto3.Session, tmp_path: Path) -> None:
    role = aws.client("iam").create_role(RoleName="rot", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": []}))["Role"]["Arn"]
    lam = aws.client("lambda")
    fn = lam.create_function(FunctionName="rotate", Runtime="python3.12", Role=role,
                             Handler="index.handler", Code={"ZipFile": _zip()})["FunctionArn"]
    lam.publish_version(FunctionName="rotate")
    lam.update_function_configuration(FunctionName="rotate", Description="v2")
    lam.publish_version(FunctionName="rotate")
    gone = lam.create_function(FunctionName="gone", Runtime="python3.12", Role=role,
                               Handler="index.handler", Code={"ZipFile": _zip()})["FunctionArn"]
    lam.create_alias(FunctionName="gone", Name="blue", FunctionVersion="$LATEST")
    lam.create_alias(FunctionName="rotate", Name="blue", FunctionVersion="1")
    lam.create_alias(FunctionName="rotate", Name="green", FunctionVersion="1")
    sm = aws.client("secretsmanager")
    _rotated_secret(sm, "blue", fn + ":blue")
    _rotated_secret(sm, "blue-too", fn + ":blue")  # the same qualifier: read once
    _rotated_secret(sm, "green", fn + ":green")
    _rotated_secret(sm, "v1", fn + ":1")
    _rotated_secret(sm, "v2", fn + ":2")
    _rotated_secret(sm, "latest", fn + ":$LATEST")
    _rotated_secret(sm, "plain", fn)
    _rotated_secret(sm, "gone", gone + ":blue")
    lam.delete_alias(FunctionName="rotate", Name="blue")
    lam.delete_function(FunctionName="rotate", Qualifier="2")
    lam.delete_function(FunctionName="gone")

    counter = CallCounter()
    path = collect(CollectOptions(out=tmp_path / "s.json.gz", regions=(REGION,), max_attempts=1),
                   executor=SynchronousExecutor(), session_factory=lambda _: aws, counter=counter)
    snapshot = read_snapshot(path)

    assert snapshot.coverage == ()
    (function,) = snapshot.accounts[0].regions[0].lambda_functions
    assert (function.qualifiers, function.missing_qualifiers, function.unread_qualifiers) == (
        ("1", "green"), ("2", "blue"), ())
    assert counter.counts()["lambda.GetFunctionConfiguration"] == 4


def test_a_qualifiers_role_and_vpc_are_the_ones_it_was_published_with(
        aws: boto3.Session, tmp_path: Path) -> None:
    """GetFunctionConfiguration(Qualifier) answers the version's own settings: version 1 (alias
    blue) keeps the role it was published with after $LATEST moved to another
    and VPC after $LATEST moved to others (LambdaFunction.qualifier_settings; role_arn and
    vpc_id stay ListFunctions' -- $LATEST's)."""
    iam = aws.client("iam")
    old, new = (iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": []}))["Role"]["Arn"] for name in ("old", "new"))
    lam = aws.client("lambda")
    fn = lam.create_function(FunctionName="rotate", Runtime="python3.12", Role=old,
                             Handler="index.handler", Code={"ZipFile": _zip()})["FunctionArn"]
    lam.publish_version(FunctionName="rotate")
    lam.create_alias(FunctionName="rotate", Name="blue", FunctionVersion="1")
    ec2 = aws.client("ec2")
    subnet = ec2.describe_subnets()["Subnets"][0]
    group = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    lam.update_function_configuration(FunctionName="rotate", Role=new, VpcConfig={
        "SubnetIds": [subnet["SubnetId"]], "SecurityGroupIds": [group]})
    sm = aws.client("secretsmanager")
    _rotated_secret(sm, "blue", fn + ":blue")
    _rotated_secret(sm, "v1", fn + ":1")

    path = collect(CollectOptions(out=tmp_path / "s.json.gz", regions=(REGION,), max_attempts=1),
                   executor=SynchronousExecutor(), session_factory=lambda _: aws)
    (function,) = read_snapshot(path).accounts[0].regions[0].lambda_functions
    assert (function.role_arn, function.vpc_id) == (new, subnet["VpcId"])
    # version 1 (and alias blue) run as they were published: the old role, outside any VPC
    assert {q: (v.role_arn, v.vpc_id, v.subnet_ids) for q, v in
            function.qualifier_settings.items()} == {"1": (old, None, ()),
                                                     "blue": (old, None, ())}
