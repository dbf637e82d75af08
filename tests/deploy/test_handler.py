"""The scheduled Lambda end to end on moto: history in S3, SNS notification on drift,
Security Hub import. Only the scan itself is replaced (by nights of a small estate)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, Iterator

import boto3
import pytest
from moto import mock_aws

from scanner.deploy.handler import Collaborators, HandlerConfig, handler
from scanner.errors import InputError
from scanner.history import open_store

from helpers.scanfactory import MEMBER, access, document, finding, secret, secret_arn, snapshot

BUCKET = "secretgraph-history-central"
REGION = "us-east-1"
DB = secret_arn("prod/db")
APP = f"arn:aws:iam::{MEMBER}:role/app"
VENDOR = "arn:aws:iam::999999999999:role/vendor"


def _client(service: str) -> Any:
    return boto3.client(service, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


@pytest.fixture()
def aws() -> Iterator[dict[str, str]]:
    with mock_aws():
        _client("s3").create_bucket(Bucket=BUCKET)
        topic = _client("sns").create_topic(Name="secretgraph-drift")["TopicArn"]
        sqs = _client("sqs")
        queue_url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        _client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        _client("securityhub").enable_security_hub()
        yield {"topic": topic, "queue": queue_url}


def _env(topic: str, securityhub: str = "off") -> dict[str, str]:
    return {
        "SECRETGRAPH_ROLE_NAME": "SecretgraphAudit", "SECRETGRAPH_REGIONS": REGION,
        "SECRETGRAPH_ORG_MODE": "true", "SECRETGRAPH_HISTORY_URI": f"s3://{BUCKET}/nightly",
        "SECRETGRAPH_SNS_TOPIC_ARN": topic, "SECRETGRAPH_SECURITYHUB": securityhub,
        "SECRETGRAPH_CENTRAL_ACCOUNT": "111111111111",
    }


def _night(n: int, *, readers: list[tuple[str, str]], failing: list[str]) -> SimpleNamespace:
    snap = snapshot(f"night-{n}", f"2026-11-{20 + n:02d}T02:00:00Z", [secret("prod/db")])
    doc = document(snap, [finding(rule, DB, severity="HIGH") for rule in failing])
    return SimpleNamespace(snapshot=snap, document=doc, access=access({DB: readers}),
                           graph=None)


def _messages(queue: str) -> list[dict[str, Any]]:
    got = _client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                         WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in got]


def test_three_nights_record_history_and_notify_only_on_drift(aws: dict[str, str]) -> None:
    nights = iter([
        _night(1, readers=[(APP, "allow")], failing=["secret-rotation-disabled"]),
        _night(2, readers=[(APP, "allow")], failing=["secret-rotation-disabled"]),
        _night(3, readers=[(APP, "allow"), (VENDOR, "allow")],
               failing=["secret-rotation-disabled", "secret-policy-external-account"]),
    ])
    deps = Collaborators(scan=lambda config: next(nights), env=_env(aws["topic"]))

    first = handler({"source": "secretgraph-schedule"}, None, deps=deps)
    assert first["compared_with"] is None and first["notified"] is True
    (msg,) = _messages(aws["queue"])
    assert "first recorded scan" in msg["Message"]
    assert "secret-rotation-disabled" in msg["Message"]

    second = handler({}, None, deps=deps)
    assert second["compared_with"] == "night-1" and second["notified"] is False
    assert _messages(aws["queue"]) == []

    third = handler({}, None, deps=deps)
    assert third["compared_with"] == "night-2" and third["notified"] is True
    assert third["drift"]["new_readers"] == 1 and third["drift"]["findings_new"] == 1
    (msg,) = _messages(aws["queue"])
    assert msg["Subject"].startswith("secretgraph: 1 new / 0 lost readers, 1 new HIGH")
    body = msg["Message"]
    assert body.index("Access changes") < body.index("New findings")
    assert f"+ {VENDOR} can now read" in body
    assert "secret-policy-external-account" in body
    assert "secret-rotation-disabled" not in body  # not new: no repeat alarm

    history = open_store(f"s3://{BUCKET}/nightly", s3_client=_client("s3"))
    assert [r.scan_id for r in history.list()] == ["night-1", "night-2", "night-3"]
    assert history.load("night-3").access is not None
    keys = {o["Key"] for o in _client("s3").list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert "nightly/index.json" in keys and "nightly/scans/night-3/snapshot.json.gz" in keys


def test_security_hub_import_in_central_mode(aws: dict[str, str]) -> None:
    night = _night(1, readers=[(APP, "allow")], failing=["secret-rotation-disabled"])
    deps = Collaborators(scan=lambda config: night, env=_env(aws["topic"], "central"))
    result = handler({}, None, deps=deps)
    assert result["securityhub"]["delivered"] == 1, result["securityhub"]
    found = _client("securityhub").get_findings()["Findings"]
    assert [f["AwsAccountId"] for f in found] == ["111111111111"]


def test_unreadable_history_fails_before_scanning(aws: dict[str, str]) -> None:
    scanned: list[HandlerConfig] = []

    def scan(config: HandlerConfig) -> Any:
        scanned.append(config)
        raise AssertionError("must not scan")

    env = {**_env(aws["topic"]), "SECRETGRAPH_HISTORY_URI": "s3://no-such-bucket/x"}
    with pytest.raises(InputError, match="no-such-bucket"):
        handler({}, None, deps=Collaborators(scan=scan, env=env))
    assert scanned == []


@pytest.mark.parametrize("change, words", [
    ({"SECRETGRAPH_HISTORY_URI": "/tmp/h.db"}, "s3://"),
    ({"SECRETGRAPH_ROLE_NAME": ""}, "SECRETGRAPH_ROLE_NAME"),
    ({"SECRETGRAPH_SECURITYHUB": "everywhere"}, "off or central"),
    ({"SECRETGRAPH_ORG_MODE": "false"}, "SECRETGRAPH_ACCOUNTS"),
    ({"SECRETGRAPH_NOTIFY_SEVERITIES": "HIGH,SEVERE"}, "SEVERE"),
])
def test_bad_configuration_is_a_one_line_error(change: dict[str, str], words: str) -> None:
    env = {**_env("arn:aws:sns:us-east-1:111111111111:t"), **change}
    with pytest.raises(InputError, match=words):
        HandlerConfig.from_env(env)


def test_real_pipeline_scan_in_the_handler(aws: dict[str, str]) -> None:
    """No injected scan: the handler runs scanner.pipeline against moto (one account)."""
    sm = _client("secretsmanager")
    sm.create_secret(Name="prod/db", SecretString="never read")
    env = {**_env(aws["topic"]), "SECRETGRAPH_ORG_MODE": "false",
           "SECRETGRAPH_ACCOUNTS": "123456789012", "SECRETGRAPH_CENTRAL_ACCOUNT": "123456789012"}
    deps = Collaborators(env=env)
    first = handler({}, None, deps=deps)
    assert first["complete"] is True and first["compared_with"] is None
    _messages(aws["queue"])  # whatever the first night said

    sm.put_resource_policy(SecretId="prod/db", ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "Everyone", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    second = handler({}, None, deps=deps)
    assert second["compared_with"] == first["scan_id"]
    assert second["drift"]["resources_changed"] == 1
    assert second["notified"] is True
    (msg,) = _messages(aws["queue"])
    assert "secret-policy-public" in msg["Message"]
    history = open_store(f"s3://{BUCKET}/nightly", s3_client=_client("s3"))
    assert [r.scan_id for r in history.list()] == [first["scan_id"], second["scan_id"]]
