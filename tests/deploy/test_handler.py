"""The scheduled Lambda end to end on moto: history in S3, SNS notification on drift,
Security Hub import. The handler runs scanner.pipeline (the only orchestrator); tests either let
it collect from moto or hand it snapshots built with helpers.scanfactory (``snapshot_for``)."""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from moto import mock_aws

from helpers.scanfactory import CENTRAL, MEMBER, policy, read_statement, secret, secret_arn, snapshot
from scanner.deploy.handler import Collaborators, HandlerConfig, handler
from scanner.errors import InputError
from scanner.history import open_store
from scanner.model import ControlPolicy, KmsKey, Organization, OrgAccount
from scanner.snapshot_io import write_snapshot

BUCKET = "secretgraph-history-central"
REGION = "us-east-1"
DB = secret_arn("prod/db")
APP = f"arn:aws:iam::{MEMBER}:role/app"
VENDOR = "arn:aws:iam::999999999999:role/vendor"
KEY = f"arn:aws:kms:{REGION}:{CENTRAL}:key/k1"


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


def _night(n: int, readers: list[str]) -> Any:
    """A snapshot of night ``n``: prod/db without rotation, its policy and key granting
    ``readers`` read and decrypt."""
    key_policy = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
                         "Action": "kms:*", "Resource": "*"},
                        {"Effect": "Allow", "Principal": {"AWS": readers},
                         "Action": "kms:Decrypt", "Resource": "*"})
    key = KmsKey(arn=KEY, key_id="k1", account_id=CENTRAL, region=REGION, key_manager="CUSTOMER",
                 key_state="Enabled", rotation_enabled=True, policy=key_policy)
    snap = snapshot(f"night-{n}", f"2026-11-{20 + n:02d}T02:00:00Z",
                    [secret("prod/db", rotation=False,
                            resource_policy=policy(*(read_statement(r) for r in readers)))],
                    keys=[key])

    def write(config: HandlerConfig, work_dir: Path) -> Path:
        return write_snapshot(work_dir / "snapshot.json.gz", snap)

    return write


def _messages(queue: str) -> list[dict[str, Any]]:
    got = _client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                         WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in got]


def test_three_nights_record_history_and_notify_only_on_drift(aws: dict[str, str]) -> None:
    nights = iter([_night(1, [APP]), _night(2, [APP]), _night(3, [APP, VENDOR])])
    env = {**_env(aws["topic"]), "SECRETGRAPH_NOTIFY_SEVERITIES": "CRITICAL,HIGH,MEDIUM"}

    def run_night() -> dict[str, Any]:
        night = next(nights)
        return handler({"source": "secretgraph-schedule"}, None,
                       deps=Collaborators(snapshot_for=night, env=env))

    first = run_night()
    assert first["compared_with"] is None and first["notified"] is True
    (msg,) = _messages(aws["queue"])
    assert "first recorded scan" in msg["Message"]
    assert "secret-rotation-disabled" in msg["Message"]  # MEDIUM, FAIL on the first night

    second = run_night()
    assert second["compared_with"] == "night-1" and second["notified"] is False
    assert _messages(aws["queue"]) == []

    third = run_night()
    assert third["compared_with"] == "night-2" and third["notified"] is True
    assert third["drift"]["new_readers"] == 1
    (msg,) = _messages(aws["queue"])
    assert msg["Subject"].startswith("secretgraph: 1 new / 0 lost readers")
    body = msg["Message"]
    assert f"+ {VENDOR} can now read" in body
    assert "secret-rotation-disabled" not in body  # not new: no repeat alarm

    history = open_store(f"s3://{BUCKET}/nightly", s3_client=_client("s3"))
    assert [r.scan_id for r in history.list()] == ["night-1", "night-2", "night-3"]
    assert history.load("night-3").access is not None
    # history carries first_seen: the finding of night 1 is still first seen on night 1
    rotation = [f for f in history.load("night-3").document["findings"]
                if f["rule_id"] == "secret-rotation-disabled"]
    assert rotation and rotation[0]["first_seen"] == "2026-11-21T02:00:00Z"
    keys = {o["Key"] for o in _client("s3").list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert "nightly/index.json" in keys and "nightly/scans/night-3/snapshot.json.gz" in keys


def _publish_fails_once_after_night_1(aws: dict[str, str]) -> Any:
    """run_night(n, readers): the handler's night ``n``; the first publish after night 1
    fails (SNS throttling), every other one is sent."""
    env = _env(aws["topic"])
    failures = [RuntimeError("sns:Publish throttled")]

    def flaky(topic: str, subject: str, message: str) -> None:
        if failures:
            raise failures.pop()
        _client("sns").publish(TopicArn=topic, Subject=subject, Message=message)

    def run_night(n: int, readers: list[str]) -> dict[str, Any]:
        return handler({}, None, deps=Collaborators(snapshot_for=_night(n, readers), env=env,
                                                    publish=flaky if n > 1 else
                                                    Collaborators().publish))
    return run_night


def test_a_notification_that_fails_once_is_sent_by_the_next_run(aws: dict[str, str]) -> None:
    """Deployment-as-documented trial: the scan was recorded before the publish, so when the
    publish failed once the retry (or the next night) compared with the recorded scan and the
    new reader was never reported. The history's notification ledger keeps it owed: the next
    run sends it (marked late), and nothing recorded is lost or recorded again."""
    run_night = _publish_fails_once_after_night_1(aws)

    run_night(1, [APP])
    _messages(aws["queue"])  # the first night's report
    with pytest.raises(RuntimeError, match="throttled"):
        run_night(2, [APP, VENDOR])  # VENDOR can now read: the publish fails
    assert _messages(aws["queue"]) == []

    retry = run_night(3, [APP, VENDOR])  # the estate unchanged: nothing new tonight
    assert retry["compared_with"] == "night-2" and retry["drift"]["new_readers"] == 0
    assert retry["notified"] is False and retry["notified_late"] == ["night-2"]
    (msg,) = _messages(aws["queue"])
    assert msg["Subject"].startswith("secretgraph: 1 new / 0 lost readers")
    assert msg["Subject"].endswith("(late)")
    assert "secretgraph scan night-2" in msg["Message"]
    assert f"+ {VENDOR} can now read" in msg["Message"]
    assert "sent late" in msg["Message"]

    quiet = run_night(4, [APP, VENDOR])  # settled: never sent twice
    assert quiet["notified_late"] == [] and _messages(aws["queue"]) == []
    history = open_store(f"s3://{BUCKET}/nightly", s3_client=_client("s3"))
    assert [r.scan_id for r in history.list()] == ["night-1", "night-2", "night-3", "night-4"]


def test_unreadable_history_fails_before_scanning(aws: dict[str, str]) -> None:
    scanned: list[HandlerConfig] = []

    def snapshot_for(config: HandlerConfig, work_dir: Path) -> Path:
        scanned.append(config)
        raise AssertionError("must not scan")

    env = {**_env(aws["topic"]), "SECRETGRAPH_HISTORY_URI": "s3://no-such-bucket/x"}
    with pytest.raises(InputError, match="no-such-bucket"):
        handler({}, None, deps=Collaborators(snapshot_for=snapshot_for, env=env))
    assert scanned == []


def _work_dirs() -> set[Path]:
    tmp = Path(tempfile.gettempdir())
    return set(tmp.glob("secretgraph-*")) | set(tmp.glob(".secretgraph-*"))


def test_the_work_folder_is_removed_after_a_run_and_after_a_failure(
        aws: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a temporary folder of this test's own: other processes (parallel tests) make and remove
    # secretgraph-* folders in the shared one while this runs
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = _work_dirs()
    seen: list[Path] = []

    def night(config: HandlerConfig, work_dir: Path) -> Path:
        seen.append(work_dir)
        return _night(1, [APP])(config, work_dir)

    handler({}, None, deps=Collaborators(snapshot_for=night, env=_env(aws["topic"])))

    def broken(config: HandlerConfig, work_dir: Path) -> Path:
        seen.append(work_dir)
        (work_dir / "partial.json").write_text("{}", encoding="utf-8")
        raise RuntimeError("collection failed half way")

    with pytest.raises(RuntimeError, match="half way"):
        handler({}, None, deps=Collaborators(snapshot_for=broken, env=_env(aws["topic"])))
    # collection writes into the staging folder beside the handler's work folder
    assert len(seen) == 2 and all(d.name.startswith(".secretgraph-") for d in seen)
    assert not any(d.exists() for d in seen)
    assert _work_dirs() - before == set()


@pytest.mark.parametrize("change, words", [
    ({"SECRETGRAPH_HISTORY_URI": "/tmp/h.db"}, "s3://"),
    ({"SECRETGRAPH_ROLE_NAME": ""}, "SECRETGRAPH_ROLE_NAME"),
    ({"SECRETGRAPH_SECURITYHUB": "everywhere"}, "off or central"),
    ({"SECRETGRAPH_ORG_MODE": "false", "SECRETGRAPH_CENTRAL_ACCOUNT": ""},
     "SECRETGRAPH_ACCOUNTS"),
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

    time.sleep(1.1)  # the scan times have a resolution of one second
    # AWS moves LastChangedDate when a secret is modified; moto does not on PutResourcePolicy
    # (tests/aws/test_incremental.py pins that), so the change is marked the way AWS marks it:
    # without it the second night may carry the first night's policy (incremental collection)
    sm.update_secret(SecretId="prod/db", Description="made public between the nights")
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


def test_accounts_without_the_central_account_scan_it_too(aws: dict[str, str]) -> None:
    """Deployment-as-documented trial: OrgMode=false with Accounts listing only members failed
    every night ("--central-account ... is not one of the scanned accounts", a flag the Lambda
    user never set). The central account (the function's own) is scanned too, with the
    function's own credentials, as docs/deployment.md says."""
    _client("secretsmanager").create_secret(Name="central/db", SecretString="never read")
    env = {**_env(aws["topic"]), "SECRETGRAPH_ORG_MODE": "false",
           "SECRETGRAPH_ACCOUNTS": "222222222222",
           "SECRETGRAPH_CENTRAL_ACCOUNT": "123456789012"}
    assert HandlerConfig.from_env(env).accounts == ("222222222222", "123456789012")
    result = handler({}, None, deps=Collaborators(env=env))
    (record,) = open_store(f"s3://{BUCKET}/nightly", s3_client=_client("s3")).list()
    assert record.scan_id == result["scan_id"]
    assert record.accounts == ("123456789012", "222222222222")
    scan = open_store(f"s3://{BUCKET}/nightly", s3_client=_client("s3")).load(record.scan_id)
    assert scan.snapshot.meta.central_account == "123456789012"
    central = [a for a in scan.snapshot.accounts if a.account_id == "123456789012"]
    assert [s.name for a in central for r in a.regions for s in r.secrets] == ["central/db"]


def test_org_mode_false_with_no_accounts_scans_the_central_account_alone() -> None:
    """docs/deployment.md: with OrgMode=false, Accounts lists the accounts to scan besides the
    central one, which is always scanned. The template's Accounts defaults to empty, and
    OrgMode=false with it failed every night ("SECRETGRAPH_ACCOUNTS is empty"), where `scan`
    without --org or --accounts scans the credentials' own account."""
    env = {**_env("arn:aws:sns:us-east-1:111111111111:t"), "SECRETGRAPH_ORG_MODE": "false",
           "SECRETGRAPH_ACCOUNTS": ""}
    config = HandlerConfig.from_env(env)
    assert (config.org, config.accounts, config.central_account) == (
        False, ("111111111111",), "111111111111")


def _hub_findings() -> dict[str, dict[str, Any]]:
    found = _client("securityhub").get_findings(MaxResults=100)["Findings"]
    return {f["Id"]: f for f in found}


def test_two_nights_keep_created_at_and_archive_what_was_fixed(aws: dict[str, str]) -> None:
    """Night 1: prod/db is public and not rotated. Between the nights the public policy is
    removed. Night 2: the unchanged finding keeps CreatedAt / FirstObservedAt while UpdatedAt /
    LastObservedAt move; the fixed one is archived and resolved."""
    sm = _client("secretsmanager")
    sm.create_secret(Name="prod/db", SecretString="never read")
    sm.put_resource_policy(SecretId="prod/db", ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "Everyone", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    env = {**_env(aws["topic"], "central"), "SECRETGRAPH_ORG_MODE": "false",
           "SECRETGRAPH_ACCOUNTS": "123456789012",
           "SECRETGRAPH_CENTRAL_ACCOUNT": "123456789012"}
    deps = Collaborators(env=env)

    first = handler({}, None, deps=deps)
    assert first["securityhub"]["undelivered"] == [], first["securityhub"]
    night1 = _hub_findings()
    by_rule = {f["GeneratorId"].rsplit("/", 1)[-1]: f for f in night1.values()}
    public, rotation = by_rule["secret-policy-public"], by_rule["secret-rotation-disabled"]
    assert public["Compliance"]["Status"] == "FAILED" and public["RecordState"] == "ACTIVE"
    assert rotation["Compliance"]["Status"] == "FAILED"

    time.sleep(1.1)  # the scan times have a resolution of one second
    sm.delete_resource_policy(SecretId="prod/db")
    # AWS marks the modification in LastChangedDate; moto does not on DeleteResourcePolicy
    sm.update_secret(SecretId="prod/db", Description="made private between the nights")
    second = handler({}, None, deps=deps)
    assert second["compared_with"] == first["scan_id"]
    assert second["securityhub"]["archived"] == 1, second["securityhub"]
    night2 = _hub_findings()

    kept = night2[rotation["Id"]]
    assert kept["RecordState"] == "ACTIVE" and kept["Compliance"]["Status"] == "FAILED"
    assert kept["CreatedAt"] == rotation["CreatedAt"]
    assert kept["FirstObservedAt"] == rotation["FirstObservedAt"]
    assert kept["UpdatedAt"] > rotation["UpdatedAt"]
    assert kept["LastObservedAt"] > rotation["LastObservedAt"]

    fixed = night2[public["Id"]]
    assert fixed["RecordState"] == "ARCHIVED"
    assert fixed["Workflow"]["Status"] == "RESOLVED"
    assert fixed["Compliance"]["Status"] == "PASSED"
    assert fixed["CreatedAt"] == public["CreatedAt"]
    assert fixed["UpdatedAt"] > public["UpdatedAt"]


def test_accounts_with_org_mode_are_ignored_with_a_warning(
        aws: dict[str, str], caplog: pytest.LogCaptureFixture) -> None:
    """Deployment trial round 2: the central template's OrgMode defaults to true, and an
    operator who also filled Accounts (documented "when OrgMode is false") had every night
    fail with "give --org or --accounts, not both", a command-line flag the Lambda user never
    typed. With OrgMode true the organization is scanned and Accounts is ignored, with a
    warning naming both settings."""
    org = _client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(Email="a@example.com", AccountName="a")[
        "CreateAccountStatus"]["AccountId"]
    env = {**_env(aws["topic"]), "SECRETGRAPH_ORG_MODE": "true",
           "SECRETGRAPH_ACCOUNTS": member, "SECRETGRAPH_CENTRAL_ACCOUNT": "123456789012"}
    with caplog.at_level("WARNING", logger="secretgraph.deploy"):
        config = HandlerConfig.from_env(env)
    assert config.org is True and config.accounts == ()
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "SECRETGRAPH_ACCOUNTS" in warning and "Accounts" in warning
    assert "SECRETGRAPH_ORG_MODE" in warning and "ignored" in warning
    result = handler({}, None, deps=Collaborators(env=env))
    (record,) = open_store(f"s3://{BUCKET}/nightly", s3_client=_client("s3")).list()
    assert record.scan_id == result["scan_id"]
    assert member in record.accounts and "123456789012" in record.accounts


@pytest.mark.parametrize("change, words", [
    ({"SECRETGRAPH_ORG_MODE": "false", "SECRETGRAPH_ACCOUNTS": "2222"},
     "SECRETGRAPH_ACCOUNTS"),
    ({"SECRETGRAPH_REGIONS": "us-east-1,us-east-1"}, "SECRETGRAPH_REGIONS"),
    ({"SECRETGRAPH_REGIONS": "us-est-1"}, "SECRETGRAPH_REGIONS"),
    ({"SECRETGRAPH_CENTRAL_ACCOUNT": "central"}, "SECRETGRAPH_CENTRAL_ACCOUNT"),
])
def test_a_bad_setting_names_the_environment_variable_not_a_flag(
        change: dict[str, str], words: str) -> None:
    """Deployment trial round 2: errors of the scheduled function name the environment
    variables (the stack's parameters) the operator set, never a CLI flag (--accounts,
    --regions, --central-account) they never typed."""
    env = {**_env("arn:aws:sns:us-east-1:111111111111:t"), **change}
    with pytest.raises(InputError, match=words) as caught:
        HandlerConfig.from_env(env)
    assert "--" not in str(caught.value)


def test_the_subject_names_the_configured_severities_and_counts_in_the_singular(
        aws: dict[str, str]) -> None:
    """Deployment trial round 2: the subject always said "HIGH/CRITICAL" whatever
    SECRETGRAPH_NOTIFY_SEVERITIES was (night 1: "4 new HIGH/CRITICAL findings" listing MEDIUM
    ones), and "1 new ... findings". It names the severities notified, and one finding is
    one finding."""
    env = {**_env(aws["topic"]), "SECRETGRAPH_NOTIFY_SEVERITIES": "MEDIUM"}
    first = handler({}, None, deps=Collaborators(snapshot_for=_night(1, [APP]), env=env))
    assert first["notified"] is True
    (msg,) = _messages(aws["queue"])
    listed = [line for line in msg["Message"].splitlines() if line.startswith("  MEDIUM ")]
    assert len(listed) == 1, msg["Message"]  # secret-rotation-disabled
    assert msg["Subject"] == "secretgraph: 1 new MEDIUM finding"

    env = {**env, "SECRETGRAPH_NOTIFY_SEVERITIES": "medium,critical,high,low"}
    second = handler({}, None, deps=Collaborators(snapshot_for=_night(2, [APP, VENDOR]),
                                                  env=env))
    assert second["notified"] is True
    (msg,) = _messages(aws["queue"])
    assert "HIGH/CRITICAL" not in msg["Subject"]
    assert msg["Subject"].startswith("secretgraph: 1 new / 0 lost readers, ")
    # the vendor's read is the one new finding at the four severities, CRITICAL down to LOW
    assert msg["Subject"] == ("secretgraph: 1 new / 0 lost readers, "
                              "1 new finding at or above LOW"), msg["Subject"]


@pytest.mark.parametrize("count, severities, label", [
    (2, {"HIGH", "CRITICAL"}, "2 new CRITICAL/HIGH findings"),
    (1, {"HIGH", "CRITICAL"}, "1 new CRITICAL/HIGH finding"),
    (4, {"CRITICAL", "HIGH", "MEDIUM"}, "4 new findings at or above MEDIUM"),
    (3, {"HIGH", "MEDIUM"}, "3 new HIGH/MEDIUM findings"),
    (1, {"LOW"}, "1 new LOW finding"),
])
def test_the_new_findings_label_follows_the_notified_severities(
        count: int, severities: set[str], label: str) -> None:
    """Deployment trial round 2 (the subject said "HIGH/CRITICAL" whatever was notified)."""
    from scanner.deploy.handler import new_findings_label

    assert new_findings_label(count, frozenset(severities)) == label


INPUTS = "secretgraph-inputs"


def _put_input(key: str, text: str) -> str:
    s3 = _client("s3")
    if INPUTS not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=INPUTS)
    s3.put_object(Bucket=INPUTS, Key=key, Body=text.encode("utf-8"))
    return f"s3://{INPUTS}/{key}"


SUPPRESSIONS = """suppressions:
  - rule: secret-rotation-disabled
    resource: "*:secret:prod/db*"
    reason: rotated by the vendor's own job, ticket SEC-7
    expires: 2099-12-31
"""
CONFIG = """allowed_external_accounts: ["999999999999"]
"""
BASELINE = f"""version: 1
secrets:
  - secret: "prod/db"
    readers: ["{APP}"]
"""


def test_the_nightly_run_takes_a_config_suppressions_and_a_baseline(
        aws: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deployment trial round 2: the scheduled deployment could mute nothing and take no
    configuration or access baseline (no variable, no parameter; the scan options had no
    suppressions). SECRETGRAPH_CONFIG, SECRETGRAPH_SUPPRESSIONS and SECRETGRAPH_BASELINE name
    a file of the Lambda package (relative to its root) or an s3://bucket/key read with the
    function's role; the findings name the file as it was configured."""
    package = tmp_path / "package"
    (package / "secretgraph").mkdir(parents=True)
    (package / "secretgraph" / "config.yaml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # the package root is LAMBDA_TASK_ROOT, not the cwd
    suppressions = _put_input("sg/suppressions.yaml", SUPPRESSIONS)
    baseline = _put_input("sg/baseline.yaml", BASELINE)
    env = {**_env(aws["topic"]), "LAMBDA_TASK_ROOT": str(package),
           "SECRETGRAPH_CONFIG": "secretgraph/config.yaml",
           "SECRETGRAPH_SUPPRESSIONS": suppressions, "SECRETGRAPH_BASELINE": baseline}
    result = handler({}, None, deps=Collaborators(snapshot_for=_night(1, [APP, VENDOR]),
                                                  env=env))
    scan = open_store(f"s3://{BUCKET}/nightly", s3_client=_client("s3")).load(result["scan_id"])
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in scan.document["findings"]:
        by_rule.setdefault(f["rule_id"], []).append(f)
    (rotation,) = by_rule["secret-rotation-disabled"]
    assert rotation["status"] == "MUTED"
    assert rotation["muted_by"]["file"] == suppressions  # as configured, not a /tmp copy
    # the config's allowed external account: the vendor's read is not an external finding
    assert all(f["status"] != "FAIL" for f in by_rule.get("secret-policy-external-account", ()))
    # the vendor is not in the baseline (UNKNOWN: the snapshot cannot settle its own gates)
    (outside,) = by_rule["access-outside-baseline"]
    assert outside["principal"] == VENDOR and baseline in outside["message"]
    assert result["inputs"] == {"config": "secretgraph/config.yaml",
                                "suppressions": suppressions, "baseline": baseline}


@pytest.mark.parametrize("variable, text, words", [
    ("SECRETGRAPH_SUPPRESSIONS", "suppressions:\n  - rule: no-such-rule\n    reason: x\n"
     "    expires: 2099-12-31\n", "no-such-rule"),
    ("SECRETGRAPH_CONFIG", "trusted_acounts: []\n", "trusted_acounts"),
    ("SECRETGRAPH_BASELINE", "version: 1\nsecrets: 3\n", "secrets"),
    ("SECRETGRAPH_SUPPRESSIONS", None, "NoSuchKey"),
])
def test_a_bad_input_file_fails_the_night_naming_it_before_scanning(
        aws: dict[str, str], variable: str, text: str | None, words: str) -> None:
    """Deployment trial round 2: a bad file fails the night with one line naming the file
    as configured (the s3:// URI, never the function's local copy), before anything is
    scanned or recorded, as `secretgraph scan` refuses it with exit 2."""
    key = f"sg/{variable.lower()}.yaml"
    uri = _put_input(key, text) if text is not None else f"s3://{INPUTS}/sg/missing.yaml"
    if text is None:
        _put_input("sg/other.yaml", "")
    scanned: list[Path] = []

    def snapshot_for(config: HandlerConfig, work_dir: Path) -> Path:
        scanned.append(work_dir)
        raise AssertionError("must not scan")

    env = {**_env(aws["topic"]), variable: uri}
    with pytest.raises(InputError, match=words) as caught:
        handler({}, None, deps=Collaborators(snapshot_for=snapshot_for, env=env))
    assert str(caught.value).startswith(uri), str(caught.value)
    assert "/tmp" not in str(caught.value) and scanned == []
    assert open_store(f"s3://{BUCKET}/nightly", s3_client=_client("s3")).list() == []


def test_an_input_file_missing_from_the_package_names_the_variable(aws: dict[str, str],
                                                                    tmp_path: Path) -> None:
    """Deployment trial round 2."""
    env = {**_env(aws["topic"]), "LAMBDA_TASK_ROOT": str(tmp_path),
           "SECRETGRAPH_CONFIG": "secretgraph/config.yaml"}
    with pytest.raises(InputError, match="secretgraph/config.yaml") as caught:
        handler({}, None, deps=Collaborators(snapshot_for=_night(1, [APP]), env=env))
    assert "SECRETGRAPH_CONFIG" in str(caught.value)


@pytest.mark.parametrize("value", ["s3://", "s3://bucket", "s3://bucket/", "s3://bucket/dir/"])
def test_an_s3_input_must_name_an_object(value: str) -> None:
    """Deployment trial round 2."""
    env = {**_env("arn:aws:sns:us-east-1:111111111111:t"), "SECRETGRAPH_BASELINE": value}
    with pytest.raises(InputError, match="SECRETGRAPH_BASELINE"):
        HandlerConfig.from_env(env)


def test_a_finding_whose_suppression_expired_or_was_removed_is_notified(
        aws: dict[str, str]) -> None:
    """Deployment trial round 2: an expired suppression brought a HIGH finding back (MUTED ->
    FAIL, "changed" in drift) and nothing was sent, though docs/configuration.md promises the
    expiry is reported "so nothing stays hidden by accident". A finding that was MUTED and
    FAILs again at a notified severity is notable, and the message says why."""
    def muting(expires: str) -> str:
        return _put_input("sg/suppressions.yaml", f"""suppressions:
  - rule: secret-policy-external-account
    reason: vendor access approved, SEC-1
    expires: {expires}
""")

    env = {**_env(aws["topic"]), "SECRETGRAPH_SUPPRESSIONS": muting("2099-12-31")}

    def night(n: int) -> dict[str, Any]:
        return handler({}, None, deps=Collaborators(snapshot_for=_night(n, [APP, VENDOR]),
                                                    env=env))

    night(1)
    _messages(aws["queue"])  # the first night's report
    assert night(2)["notified"] is False  # still muted: quiet

    muting("2020-01-01")
    expired = night(3)
    assert expired["notified"] is True
    (msg,) = _messages(aws["queue"])
    assert msg["Subject"] == "secretgraph: 1 finding no longer muted", msg["Subject"]
    assert "No longer muted:" in msg["Message"]
    assert "HIGH secret-policy-external-account" in msg["Message"]
    assert "its suppression expired on 2020-01-01" in msg["Message"]

    muting("2099-12-31")
    night(4)
    _messages(aws["queue"])
    del env["SECRETGRAPH_SUPPRESSIONS"]
    removed = night(5)
    assert removed["notified"] is True
    (msg,) = _messages(aws["queue"])
    assert "its suppression was removed or no longer matches" in msg["Message"]


def _with_org(night: Any, scps: list[ControlPolicy]) -> Any:
    """``night``'s snapshot inside an organization whose root carries ``scps``."""
    def write(config: HandlerConfig, work_dir: Path) -> Path:
        from scanner.snapshot_io import read_snapshot

        snap = read_snapshot(night(config, work_dir))
        org = Organization(org_id="o-abcdef1234", management_account_id=CENTRAL,
                           root_id="r-root",
                           accounts=(OrgAccount(account_id=CENTRAL, parent_id="r-root"),
                                     OrgAccount(account_id=MEMBER, parent_id="r-root")),
                           policies=tuple(scps), policies_read=True)
        return write_snapshot(work_dir / "snapshot.json.gz", dataclasses.replace(
            snap, organization=org,
            meta=dataclasses.replace(snap.meta, org_id="o-abcdef1234")))
    return write


def test_an_organization_change_alone_is_notified(aws: dict[str, str]) -> None:
    """An SCP attached overnight that moved no reader and no finding is still the morning's
    news: SCPs gate every read, and the drift already lists the change (ground-truth trial
    round 9) -- but the deployment's topic stayed silent. It is notified, with the policy and
    where it is attached."""
    full = ControlPolicy(policy_id="p-FullAWSAccess", name="FullAWSAccess",
                         policy_type="SERVICE_CONTROL_POLICY", targets=("r-root",),
                         content=json.dumps({"Version": "2012-10-17", "Statement": [
                             {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    deny = ControlPolicy(policy_id="p-denyec2", name="DenyEc2",
                         policy_type="SERVICE_CONTROL_POLICY", targets=("r-root",),
                         content=json.dumps({"Version": "2012-10-17", "Statement": [
                             {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}]}))
    env = _env(aws["topic"])
    handler({}, None, deps=Collaborators(snapshot_for=_with_org(_night(1, [APP]), [full]),
                                         env=env))
    _messages(aws["queue"])  # the first night's report
    quiet = handler({}, None, deps=Collaborators(
        snapshot_for=_with_org(_night(2, [APP]), [full]), env=env))
    assert quiet["notified"] is False

    third = handler({}, None, deps=Collaborators(
        snapshot_for=_with_org(_night(3, [APP]), [full, deny]), env=env))
    assert third["drift"]["new_readers"] == 0 and third["drift"]["findings_new"] == 0
    assert third["notified"] is True
    (msg,) = _messages(aws["queue"])
    assert msg["Subject"] == "secretgraph: 1 organization change", msg["Subject"]
    body = msg["Message"]
    assert "Organization changes:" in body
    assert "added    scp p-denyec2 (DenyEc2)" in body, body
    assert '"ec2:*"' in body and "r-root" in body, body


def test_an_owed_notification_of_a_damaged_scan_does_not_fail_every_later_run(
        aws: dict[str, str]) -> None:
    """Fault-injection trial round 9 (left open there): the scan owed its notification is
    damaged in the history (its stored snapshot cut short); the next run warns, moves the
    ledger past it and succeeds -- it raised DamagedScan night after night. Tonight's scan
    passes the damaged one over and compares with night-1, so the new reader is told tonight."""
    run_night = _publish_fails_once_after_night_1(aws)

    run_night(1, [APP])
    _messages(aws["queue"])
    with pytest.raises(RuntimeError, match="throttled"):
        run_night(2, [APP, VENDOR])  # recorded, its notification owed
    s3 = _client("s3")
    key = "nightly/scans/night-2/snapshot.json.gz"
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    s3.put_object(Bucket=BUCKET, Key=key, Body=body[: len(body) // 2])

    tonight = run_night(3, [APP, VENDOR])

    assert tonight["notified_late"] == [] and tonight["notify_damaged"] == ["night-2"]
    assert tonight["compared_with"] == "night-1" and tonight["drift"]["new_readers"] == 1
    assert tonight["notified"] is True
    quiet = run_night(4, [APP, VENDOR])  # settled: nothing owed, nothing damaged to tell
    assert quiet["notified_late"] == [] and "notify_damaged" not in quiet


def _public_between_two_nights(env: dict[str, str], queue: str,
                               monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Night 1 on moto, then prod/db's policy made public with PutResourcePolicy alone (moto
    does not move LastChangedDate on it; AWS does not document whether it does), then night 2
    -- not the secret's rolling refresh night (one in 7, by its ARN's hash and the day: the
    answer would otherwise depend on the date)."""
    import scanner.incremental

    monkeypatch.setattr(scanner.incremental, "refresh_night", lambda *_: False)
    sm = _client("secretsmanager")
    sm.create_secret(Name="prod/db", SecretString="never read")
    deps = Collaborators(env=env)
    handler({}, None, deps=deps)
    _messages(queue)
    time.sleep(1.1)  # the scan times have a resolution of one second
    sm.put_resource_policy(SecretId="prod/db", ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "Everyone", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    return handler({}, None, deps=deps)


def test_the_nightly_function_collects_incrementally_and_takes_the_full_refresh_period(
        aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Docs round 14: the single function carries unchanged secret policies from the last
    complete scan as `scan --history` does (re-read every 7 days), but only the
    organization-scale tasks read SECRETGRAPH_FULL_REFRESH_DAYS: set on the function, it was
    ignored, and a policy made public by hand stayed unreported for up to a week. With 1, every
    policy is read every night, as `--full-refresh-days 1` does."""
    env = {**_env(aws["topic"]), "SECRETGRAPH_ORG_MODE": "false",
           "SECRETGRAPH_ACCOUNTS": "123456789012", "SECRETGRAPH_CENTRAL_ACCOUNT": "123456789012",
           "SECRETGRAPH_FULL_REFRESH_DAYS": "1"}
    second = _public_between_two_nights(env, aws["queue"], monkeypatch)
    assert second["notified"] is True
    (msg,) = _messages(aws["queue"])
    assert "secret-policy-public" in msg["Message"]


def test_by_default_the_nightly_function_carries_a_policy_whose_secret_did_not_change(
        aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The other side of the test above (docs/deployment.md, "What the function does each
    night"): without SECRETGRAPH_FULL_REFRESH_DAYS the policy is carried for up to 7 nights."""
    env = {**_env(aws["topic"]), "SECRETGRAPH_ORG_MODE": "false",
           "SECRETGRAPH_ACCOUNTS": "123456789012", "SECRETGRAPH_CENTRAL_ACCOUNT": "123456789012"}
    second = _public_between_two_nights(env, aws["queue"], monkeypatch)
    assert second["notified"] is False and _messages(aws["queue"]) == []


@pytest.mark.parametrize("name, value, words", [
    ("SECRETGRAPH_FULL_REFRESH_DAYS", "0", "whole number of days from 1 to 3650, not '0'"),
    ("SECRETGRAPH_FULL_REFRESH_DAYS", "week", "whole number of days"),
    ("SECRETGRAPH_POLICY_TPS", "fast", "must be a number, not 'fast'"),
    ("SECRETGRAPH_POLICY_TPS", "0", "positive number of requests per second"),
    ("SECRETGRAPH_POLICY_TPS", "inf", "positive number of requests per second"),
])
def test_the_nightly_function_refuses_a_bad_refresh_period_or_pace(
        name: str, value: str, words: str) -> None:
    """Both are read by the single function and the organization-scale tasks alike, refused
    as `scan --full-refresh-days` / `--policy-tps` refuse them (`inf` was taken by the tasks,
    where `--policy-tps inf` is refused), naming the variable."""
    from scanner.deploy.handler import scan_options
    from scanner.deploy.tasks import TaskConfig

    env = {**_env("arn:aws:sns:us-east-1:111111111111:t"), name: value}
    with pytest.raises(InputError, match=f"{name} must be") as caught:
        HandlerConfig.from_env(env)
    assert words in str(caught.value)
    with pytest.raises(InputError, match=name):
        TaskConfig.from_env({**env, "SECRETGRAPH_PARTS_URI": "s3://b/parts"})
    good = {**_env("arn:aws:sns:us-east-1:111111111111:t"),
            "SECRETGRAPH_FULL_REFRESH_DAYS": "3", "SECRETGRAPH_POLICY_TPS": "10"}
    options = scan_options(HandlerConfig.from_env(good), Path("/nonexistent"))
    assert (options.full_refresh_days, options.policy_tps) == (3, 10.0)
