"""An audit-role session that expires mid-scan is assumed again (tests/aws/test_session.py);
when the role can no longer be assumed -- deleted, its trust changed, STS throttled -- the
calls of that account are coverage, and the log says so in one line: botocore logs the failed
refresh at WARNING with its traceback, which reached stderr in an ordinary run
(fault-injection trial round 16)."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.logging_setup import configure
from scanner.snapshot_io import read_snapshot

REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"


@pytest.fixture()
def stderr() -> Iterator[io.StringIO]:
    """The log as an ordinary run (no --debug) prints it."""
    stream = io.StringIO()
    handler = configure(level=logging.WARNING, stream=stream)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)


def _expired_session_and_role_gone(session: boto3.Session) -> None:
    """Every ListSecrets is answered ExpiredTokenException (on the wire: the answer botocore
    retries on), and every AssumeRole after the first is refused."""
    assumed = []

    def refuse(model: Any = None, **_: Any) -> Any:
        if model.name != "AssumeRole":
            return None
        assumed.append(1)
        if len(assumed) == 1:
            return None
        return (AWSResponse("https://stub", 403, {}, None),
                {"Error": {"Code": "AccessDenied",
                           "Message": "User is not authorized to perform: sts:AssumeRole"},
                 "ResponseMetadata": {"HTTPStatusCode": 403}})

    class Body:
        def stream(self, **_: Any) -> Any:
            yield (b'{"__type": "ExpiredTokenException", '
                   b'"message": "The security token included in the request is expired"}')

    def expire(**_: Any) -> Any:
        return AWSResponse("https://stub", 400,
                           {"x-amzn-ErrorType": "ExpiredTokenException"}, Body())

    session.events.register("before-call", refuse)
    session.events.register_first("before-send.secrets-manager.ListSecrets", expire)


def test_a_role_that_cannot_be_assumed_again_is_coverage_and_one_log_line_no_traceback(
        tmp_path: Path, estate: Any, scan_session: boto3.Session,
        stderr: io.StringIO) -> None:
    _expired_session_and_role_gone(scan_session)
    opts = CollectOptions(out=tmp_path / "snap.json.gz", regions=(REGION,), role_name=ROLE,
                          max_attempts=1, accounts=(estate.member,))
    snapshot = read_snapshot(collect(opts, executor=SynchronousExecutor(),
                                     session_factory=lambda _: scan_session))
    assert {(c.account_id, c.operation, c.error_kind) for c in snapshot.coverage} == {
        (estate.member, "ListSecrets", "expired_credentials")}
    log = stderr.getvalue()
    assert "Traceback" not in log
    refresh = [line for line in log.splitlines() if "Refreshing temporary credentials" in line]
    assert refresh == ["WARNING botocore.credentials: Refreshing temporary credentials failed "
                       "during mandatory refresh period. (ClientError: An error occurred "
                       "(AccessDenied) when calling the AssumeRole operation: User is not "
                       "authorized to perform: sts:AssumeRole)"]


def test_with_debug_the_traceback_is_still_logged(stderr: io.StringIO) -> None:
    configure(level=logging.DEBUG, stream=stderr)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("botocore.credentials").warning("failed", exc_info=True)
    assert "Traceback (most recent call last)" in stderr.getvalue()


def test_a_role_that_cannot_be_assumed_again_is_asked_once_not_once_per_call(
        tmp_path: Path, estate: Any, scan_session: boto3.Session,
        stderr: io.StringIO) -> None:
    """Fault-injection trial round 17: every call answered expired after the session expired
    re-assumed the role for itself, each refused -- an account with 5,000 secrets left sent
    5,000 AssumeRole calls and printed 5,000 'Refreshing temporary credentials failed' lines.
    Once the role could not be assumed again for a session, the session's later expired calls
    are their own gaps at once."""
    assumed: list[str] = []

    def refuse_again(model: Any = None, **_: Any) -> Any:
        if model.name != "AssumeRole":
            return None
        assumed.append(model.name)
        if len(assumed) == 1:
            return None
        return (AWSResponse("https://stub", 403, {}, None),
                {"Error": {"Code": "AccessDenied",
                           "Message": "User is not authorized to perform: sts:AssumeRole"},
                 "ResponseMetadata": {"HTTPStatusCode": 403}})

    class Body:
        def stream(self, **_: Any) -> Any:
            yield b'{"__type": "ExpiredTokenException", "message": "expired"}'

    def expire(**_: Any) -> Any:
        return AWSResponse("https://stub", 400,
                           {"x-amzn-ErrorType": "ExpiredTokenException"}, Body())

    scan_session.events.register("before-call", refuse_again)
    for service in ("secrets-manager", "kms"):
        scan_session.events.register_first(f"before-send.{service}", expire)
    opts = CollectOptions(out=tmp_path / "snap.json.gz", regions=(REGION,), role_name=ROLE,
                          max_attempts=1, accounts=(estate.security,))
    snapshot = read_snapshot(collect(opts, executor=SynchronousExecutor(),
                                     session_factory=lambda _: scan_session))
    expired = {(c.service, c.operation) for c in snapshot.coverage
               if c.error_kind == "expired_credentials"}
    assert expired == {("secretsmanager", "ListSecrets"), ("kms", "ListKeys")}
    assert len(assumed) == 2  # the scan's own, and one refused
    assert len([line for line in stderr.getvalue().splitlines()
                if "Refreshing temporary credentials failed" in line]) == 1
