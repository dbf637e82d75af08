"""Sessions: home-account credentials used directly, one AssumeRole per other account (cached),
refreshed before expiry, ExternalId, endpoint and the one Config; bad credentials are exit-2 errors."""

from __future__ import annotations

import datetime
from typing import Any, Callable

import boto3
import pytest
from moto import mock_aws

from scanner.aws.calls import CallCounter
from scanner.aws.guard import ReadOnlyGuard
from scanner.aws.permissions import allowed_operations
from scanner.aws.session import AwsSessions, ClientSettings, base_session
from scanner.errors import CredentialsError

REGION = "us-east-1"
HOME = "123456789012"
OTHER = "111122223333"


def make(base: boto3.Session, **kwargs: Any) -> tuple[AwsSessions, CallCounter]:
    counter = CallCounter()
    sessions = AwsSessions(base, guard=ReadOnlyGuard(allowed_operations()), counter=counter,
                           role_name="Audit", sts_region=REGION, **kwargs)
    return sessions, counter


def caller_arn(sessions: AwsSessions, account_id: str, region: str = REGION) -> str:
    client = sessions.client("sts", account_id=account_id, region=region)
    return str(client.get_caller_identity()["Arn"])


def test_the_home_account_uses_the_scan_credentials_without_assuming_a_role(
        mgmt_session: boto3.Session) -> None:
    with mock_aws():
        sessions, counter = make(mgmt_session)
        assert sessions.home_account() == HOME
        assert caller_arn(sessions, HOME) == f"arn:aws:sts::{HOME}:user/moto"
        assert "sts.AssumeRole" not in counter.counts()


def test_other_accounts_assume_the_role_once_and_reuse_it_across_clients_and_regions(
        mgmt_session: boto3.Session) -> None:
    with mock_aws():
        sessions, counter = make(mgmt_session)
        for region in (REGION, "eu-west-1", REGION):
            assert caller_arn(sessions, OTHER, region) == \
                f"arn:aws:sts::{OTHER}:assumed-role/Audit/secretgraph-audit"
        assert counter.counts()["sts.AssumeRole"] == 1
        assert sessions.role_arn(OTHER) == f"arn:aws:iam::{OTHER}:role/Audit"


def test_the_external_id_is_sent_with_assume_role(mgmt_session: boto3.Session) -> None:
    sent: list[dict[str, Any]] = []

    def capture(params: Any = None, model: Any = None, **_: Any) -> None:
        if model.name == "AssumeRole":
            sent.append(dict(params))

    with mock_aws():
        mgmt_session.events.register("provide-client-params.sts.AssumeRole", capture)
        sessions, _ = make(mgmt_session, external_id="ext-123")
        sessions.credentials(OTHER)
    assert [(p["RoleArn"], p["ExternalId"], p["DurationSeconds"]) for p in sent] == [
        (f"arn:aws:iam::{OTHER}:role/Audit", "ext-123", 3600)]


def test_the_role_session_name_is_a_parameter_so_cloudtrail_tells_audit_from_remediation(
        mgmt_session: boto3.Session) -> None:
    with mock_aws():
        default, _ = make(mgmt_session)
        named, _ = make(mgmt_session, session_name="secretgraph-remediate")
        assert caller_arn(default, OTHER) == \
            f"arn:aws:sts::{OTHER}:assumed-role/Audit/secretgraph-audit"
        assert caller_arn(named, OTHER) == \
            f"arn:aws:sts::{OTHER}:assumed-role/Audit/secretgraph-remediate"


def test_remediation_assumes_its_role_under_the_remediate_session_name(
        mgmt_session: boto3.Session) -> None:
    from scanner.remediate.sessions import remediation_clients

    with mock_aws():
        clients = remediation_clients(role_name="Remediate", endpoint_url=None,
                                      base=mgmt_session)
        sts = clients(OTHER).client("sts", REGION)
        assert sts.get_caller_identity()["Arn"] == \
            f"arn:aws:sts::{OTHER}:assumed-role/Remediate/secretgraph-remediate"


def test_role_credentials_are_refreshed_before_they_expire(mgmt_session: boto3.Session) -> None:
    now = [datetime.datetime.now(datetime.timezone.utc)]
    clock: Callable[[], datetime.datetime] = lambda: now[0]  # noqa: E731
    with mock_aws():
        sessions, counter = make(mgmt_session, clock=clock)
        first = sessions.credentials(OTHER).get_frozen_credentials().access_key
        assert caller_arn(sessions, OTHER).startswith(f"arn:aws:sts::{OTHER}:")
        assert counter.counts()["sts.AssumeRole"] == 1
        # 55 minutes into a one-hour session: inside botocore's refresh window.
        now[0] += datetime.timedelta(minutes=55)
        assert caller_arn(sessions, OTHER).startswith(f"arn:aws:sts::{OTHER}:")
        assert counter.counts()["sts.AssumeRole"] == 2
        assert sessions.credentials(OTHER).get_frozen_credentials().access_key != first


def test_clients_get_the_endpoint_and_the_one_config(mgmt_session: boto3.Session) -> None:
    with mock_aws():
        settings = ClientSettings(endpoint_url="http://127.0.0.1:4566", max_attempts=1,
                                  connect_timeout=2, read_timeout=3)
        sessions, _ = make(mgmt_session, settings=settings)
        sessions._home = HOME  # the endpoint is not served: skip GetCallerIdentity
        client = sessions.client("kms", account_id=HOME, region="eu-west-1")
    assert client.meta.endpoint_url == "http://127.0.0.1:4566"
    assert client.meta.region_name == "eu-west-1"
    config = client.meta.config
    assert config.retries["mode"] == "adaptive"
    assert config.retries["total_max_attempts"] == 1
    assert (config.connect_timeout, config.read_timeout) == (2, 3)


def test_an_unknown_profile_is_a_credentials_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CredentialsError, match="unknown AWS profile 'nope'"):
        base_session("nope")


def test_no_credentials_at_all_is_a_credentials_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(CredentialsError, match="no AWS credentials found"):
        base_session(None)


def test_rejected_credentials_are_a_credentials_error(
        mgmt_session: boto3.Session, fail_call: Callable[..., Any]) -> None:
    with mock_aws():
        fail_call("sts", "GetCallerIdentity", "InvalidClientTokenId")(mgmt_session)
        sessions, _ = make(mgmt_session)
        with pytest.raises(CredentialsError, match="InvalidClientTokenId"):
            sessions.home_account()
