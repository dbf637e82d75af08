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


def test_remediation_takes_the_profile_and_external_id(mgmt_session: boto3.Session,
                                                       tmp_path: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.remediate.sessions import remediation_clients

    sent: list[dict[str, Any]] = []
    mgmt_session.events.register("provide-client-params.sts.AssumeRole",
                                 lambda params, **_: sent.append(dict(params)))
    with mock_aws():
        clients = remediation_clients(role_name="Remediate", endpoint_url=None,
                                      base=mgmt_session, external_id="ext-123")
        clients(OTHER).client("sts", REGION).get_caller_identity()
    assert [p.get("ExternalId") for p in sent] == ["ext-123"]
    with pytest.raises(CredentialsError, match="no-such-profile"):
        remediation_clients(role_name="R", endpoint_url=None, profile="no-such-profile")


def test_a_role_arn_template_covers_paths(mgmt_session: boto3.Session) -> None:
    from scanner.aws.session import check_role_arn_template, check_role_name
    from scanner.errors import UsageError

    with mock_aws():
        sessions, _ = make(mgmt_session, role_arn="arn:aws:iam::{account_id}:role/sec/Audit")
        assert sessions.role_arn(OTHER) == f"arn:aws:iam::{OTHER}:role/sec/Audit"
        assert caller_arn(sessions, OTHER) == \
            f"arn:aws:sts::{OTHER}:assumed-role/Audit/secretgraph-audit"
    for bad in ("arn:aws:iam::111122223333:role/Audit", "Audit", "arn:aws:iam::{id}:role/A"):
        with pytest.raises(UsageError, match="--role-arn"):
            check_role_arn_template(bad)
    with pytest.raises(UsageError, match="not an ARN"):
        check_role_name("arn:aws:iam::111122223333:role/Audit")
    assert check_role_name("Audit+Role=1,x.y@z-_") == "Audit+Role=1,x.y@z-_"


def test_an_expired_sso_session_is_one_line_naming_aws_sso_login(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    config.write_text("[profile corp]\nsso_start_url = https://example.awsapps.com/start\n"
                      "sso_region = us-east-1\nsso_account_id = 123456789012\n"
                      "sso_role_name = Audit\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("HOME", str(tmp_path))  # no cached SSO token under ~/.aws/sso/cache
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(CredentialsError) as caught:
        sessions = AwsSessions(base_session("corp"), guard=ReadOnlyGuard(allowed_operations()),
                               settings=ClientSettings(endpoint_url="http://127.0.0.1:9"))
        sessions.home_account()
    message = str(caught.value)
    assert "aws sso login --profile corp" in message and "\n" not in message


def test_an_unreachable_endpoint_is_a_network_error_not_a_credentials_one(
        mgmt_session: boto3.Session) -> None:
    sessions = AwsSessions(mgmt_session, guard=ReadOnlyGuard(allowed_operations()),
                           settings=ClientSettings(endpoint_url="http://127.0.0.1:9",
                                                   max_attempts=1, connect_timeout=1))
    with pytest.raises(CredentialsError) as caught:
        sessions.home_account()
    message = str(caught.value)
    assert message.startswith("cannot reach AWS (sts:GetCallerIdentity)")
    assert "not a credentials problem" in message and "rejected" not in message


def test_a_hanging_call_is_named_with_account_region_and_operation(
        caplog: pytest.LogCaptureFixture) -> None:
    import time

    from scanner.aws.calls import InFlight
    from scanner.progress import Progress

    counter = CallCounter()
    progress = Progress(counter, hang_after=30)
    started = time.monotonic() - 31
    counter._in_flight[1] = InFlight(operation="secretsmanager.ListSecrets",
                                     account_id=OTHER, region="eu-west-1", started=started)
    with caplog.at_level("WARNING"):
        first = progress.check_hanging()
        again = progress.check_hanging()  # not repeated until another 30 s passed
        later = progress.check_hanging(now=started + 61)
    assert len(first) == 1 and again == [] and len(later) == 1
    assert f"secretsmanager.ListSecrets in account {OTHER} Region eu-west-1 after 31s" in first[0]
    assert caplog.records[0].region == "eu-west-1"  # type: ignore[attr-defined]


def test_the_counter_tracks_calls_in_flight_and_retries(mgmt_session: boto3.Session) -> None:
    with mock_aws():
        sessions, counter = make(mgmt_session)
        sessions.home_account()
        assert counter.in_flight() == [] and counter.total() == 1 and counter.retries() == 0


def test_a_call_backing_off_after_throttling_is_not_named_as_hanging(
        mgmt_session: boto3.Session) -> None:
    """New-user trial: with ListSecrets throttled (answered, retrying) and kms.ListKeys really
    hanging, the warning named ListSecrets only: the wait was counted from the first send."""
    from scanner.progress import Progress

    counter = CallCounter()
    client = mgmt_session.client("secretsmanager", region_name="us-east-1")
    counter.install(client, account_id=OTHER)
    events = client.meta.events
    model = client.meta.service_model.operation_model("ListSecrets")
    context: dict[str, object] = {}
    events.emit("before-call.secrets-manager.ListSecrets", model=model, context=context,
                params={}, request_signer=None)
    [call] = counter.in_flight()
    assert call.answered is None
    events.emit("needs-retry.secrets-manager.ListSecrets",
                response=(None, {"Error": {"Code": "ThrottlingException"}}), endpoint=None,
                operation=model, attempts=1, caught_exception=None,
                request_dict={"context": context})
    [call] = counter.in_flight()
    assert call.throttled == 1 and call.answered is not None and counter.throttles() == 1
    progress = Progress(counter, hang_after=30)
    # answered (throttled) 10 s ago and backing off: not hanging
    assert call.answered - call.started < 1
    assert progress.check_hanging(now=call.answered + 10) == []
    [warned] = progress.check_hanging(now=call.answered + 31)
    assert "after 31s (its last retry: 1 throttling answer(s) before)" in warned


def test_a_call_retrying_when_the_scan_is_cancelled_stops_at_its_next_attempt(
        mgmt_session: boto3.Session) -> None:
    """Cancel was checked only before a call, so a call in its retries (a hung endpoint: 8
    attempts x 60 s) ran all of them after Ctrl-C."""
    from botocore.awsrequest import AWSResponse

    from scanner.errors import Cancelled

    with mock_aws():
        sessions, counter = make(mgmt_session,
                                 settings=ClientSettings(max_attempts=5))
        client = sessions.client("secretsmanager", account_id=HOME, region=REGION)
        attempts: list[int] = []

        class Body:
            def stream(self, **_: Any) -> Any:
                yield b'{"__type": "ServiceUnavailableException", "message": "busy"}'

        def unavailable(**_: Any) -> AWSResponse:
            attempts.append(1)
            sessions.cancel()  # Ctrl-C while the first attempt was out
            return AWSResponse("https://stub", 503, {}, Body())

        client.meta.events.register("before-send.secrets-manager.ListSecrets", unavailable)
        with pytest.raises(Cancelled):
            client.list_secrets()
    assert attempts == [1]


def test_a_hanging_call_says_which_attempt_it_is_on_and_how_long_each_may_wait(
        mgmt_session: boto3.Session) -> None:
    """Trial: "after 182s ... still waiting for the timeout" while botocore was on its 4th
    60-second attempt of 8; the warning now says so."""
    import time

    from botocore.config import Config
    from botocore.exceptions import ReadTimeoutError

    from scanner.progress import Progress

    counter = CallCounter()
    client = mgmt_session.client("kms", region_name=REGION, config=Config(
        read_timeout=60, retries={"mode": "adaptive", "total_max_attempts": 8}))
    counter.install(client, account_id=OTHER)
    model = client.meta.service_model.operation_model("GetKeyPolicy")
    context: dict[str, object] = {}
    client.meta.events.emit("before-call.kms.GetKeyPolicy", model=model, context=context,
                            params={}, request_signer=None)
    for attempt in (1, 2, 3):  # three attempts timed out
        client.meta.events.emit(
            "needs-retry.kms.GetKeyPolicy", response=None, endpoint=None, operation=model,
            attempts=attempt, caught_exception=ReadTimeoutError(endpoint_url="x"),
            request_dict={"context": context})
    [call] = counter.in_flight()
    [message] = Progress(counter, hang_after=30).check_hanging(now=call.started + 182)
    assert message.endswith("attempt 4 of 8, each waiting up to 60s for an answer")
    assert "still waiting for the timeout" not in message


class _Expired:
    """A before-send hook answering the listed attempts (1-based, counted over every
    ``ListSecrets`` attempt) with ExpiredTokenException; records each attempt's access key."""

    def __init__(self, *expired: int) -> None:
        self.expired = set(expired)
        self.keys: list[str] = []

    def __call__(self, request: Any = None, **_: Any) -> Any:
        import re

        from botocore.awsrequest import AWSResponse

        auth = request.headers.get("Authorization", b"")
        auth = auth.decode() if isinstance(auth, bytes) else str(auth)
        self.keys.append(re.search(r"Credential=([^/]+)/", auth).group(1))  # type: ignore[union-attr]
        if len(self.keys) not in self.expired:
            return None

        class Body:
            def stream(self, **_: Any) -> Any:
                yield (b'{"__type": "ExpiredTokenException", '
                       b'"message": "The security token included in the request is expired"}')

        return AWSResponse("https://stub", 400, {"x-amzn-ErrorType": "ExpiredTokenException"},
                           Body())


def _member_secrets(mgmt_session: boto3.Session, count: int) -> None:
    creds = mgmt_session.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{OTHER}:role/Audit", RoleSessionName="setup")["Credentials"]
    member = boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"], region_name=REGION)
    for n in range(count):
        member.client("secretsmanager").create_secret(Name=f"s{n}", SecretString="x")


def test_an_expired_role_session_mid_listing_is_re_assumed_once_and_the_page_retried(
        mgmt_session: boto3.Session) -> None:
    """fault trial round 3: ExpiredTokenException on page 3 of ListSecrets lost the listing as
    'denied' and nothing was re-assumed (credentials were refreshed only on the local clock).
    Now the audit role is assumed again and page 3 is sent again, signed with the new keys."""
    with mock_aws():
        _member_secrets(mgmt_session, 4)
        sessions, counter = make(mgmt_session)
        client = sessions.client("secretsmanager", account_id=OTHER, region=REGION)
        expired = _Expired(3)
        client.meta.events.register("before-send.secrets-manager.ListSecrets", expired)
        pages = client.get_paginator("list_secrets").paginate(
            PaginationConfig={"PageSize": 1})
        names = [s["Name"] for page in pages for s in page["SecretList"]]
        assert sorted(names) == ["s0", "s1", "s2", "s3"]
        assert counter.counts()["sts.AssumeRole"] == 2
        assert expired.keys[3] != expired.keys[2]  # the retried page 3: the new session's key
        assert expired.keys[4] == expired.keys[3]


def test_a_role_session_still_expired_after_re_assuming_it_fails_once_not_in_a_loop(
        mgmt_session: boto3.Session) -> None:
    """fault trial round 3: re-assume once per call; a token AWS still calls expired is the
    call's failure (kind expired_credentials), not a second AssumeRole."""
    from botocore.exceptions import ClientError

    from scanner.aws.errors import error_kind

    with mock_aws():
        sessions, counter = make(mgmt_session)
        client = sessions.client("secretsmanager", account_id=OTHER, region=REGION)
        expired = _Expired(1, 2, 3)
        client.meta.events.register("before-send.secrets-manager.ListSecrets", expired)
        with pytest.raises(ClientError) as raised:
            client.list_secrets()
        assert error_kind(raised.value) == "expired_credentials"
        assert len(expired.keys) == 2
        assert counter.counts()["sts.AssumeRole"] == 2


def test_the_scanners_own_expired_credentials_are_not_re_assumed(
        mgmt_session: boto3.Session) -> None:
    """fault trial round 3: in the home account the base credentials sign the calls; there is
    no role to assume again, so the call fails as expired_credentials at once."""
    from botocore.exceptions import ClientError

    from scanner.aws.errors import error_kind

    with mock_aws():
        sessions, counter = make(mgmt_session)
        client = sessions.client("secretsmanager", account_id=HOME, region=REGION)
        expired = _Expired(1)
        client.meta.events.register("before-send.secrets-manager.ListSecrets", expired)
        with pytest.raises(ClientError) as raised:
            client.list_secrets()
        assert error_kind(raised.value) == "expired_credentials"
        assert len(expired.keys) == 1 and "sts.AssumeRole" not in counter.counts()
