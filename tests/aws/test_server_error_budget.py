"""An API answering HTTP 5xx is bounded like a throttling storm (scanner.aws.throttle, "Server
errors have a budget too"): once three calls of one AWS quota bucket in one account-Region
ended on a 5xx answer through all their attempts, its remaining calls there are not sent and
become ``not_sent`` coverage naming what was not read.

Fault-injection trial round 11 (left open by round 10): a 5xx had no budget of its own beyond
botocore's retry quota (500 tokens per client, 14 a retry: 35 retries), after which every call
was still sent once. GetResourcePolicy answering 500 after 1 s for 40 secrets took 75
attempts; a gateway answering 504 after 30 s would cost an account-Region of 450 secrets about
an hour (485 attempts x 30 s over 4 readers)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Callable

import boto3
from botocore.awsrequest import AWSResponse

from scanner.aws.errors import error_kind
from scanner.aws.executor import SynchronousExecutor
from scanner.aws.throttle import ThrottleBudget, ThrottleBudgetSpent
from scanner.collect import CollectOptions, collect
from scanner.model import Snapshot
from scanner.snapshot_io import read_snapshot

# the ``home`` fixture: the scan's own account with SECRETS secrets, each with a policy
from test_throttle_budget import HOME, REGION, SECRETS, home  # noqa: F401


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


class Failing:
    """A before-send hook: every attempt of ``event`` in ``region`` is answered HTTP
    ``status`` with ``code`` while ``failing(n)`` (n: the attempt's number)."""

    def __init__(self, session: boto3.Session, event: str, *, status: int = 500,
                 code: str = "InternalServiceError",
                 failing: Callable[[int], bool] = lambda n: True) -> None:
        self.status = status
        self.code = code
        self.failing = failing
        self.attempts = 0
        self._lock = threading.Lock()
        session.events.register_first(event, self.hook)

    def hook(self, request: Any = None, **_: Any) -> Any:
        if f".{REGION}." not in request.url:
            return None
        with self._lock:
            self.attempts += 1
            n = self.attempts
        if not self.failing(n):
            return None
        body = json.dumps({"__type": self.code, "message": "internal failure"}).encode()
        return AWSResponse("https://fault", self.status,
                           {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body))


def _scan(tmp_path: Path, session: boto3.Session, **kwargs: Any) -> Snapshot:
    opts = CollectOptions(out=tmp_path / "snapshot.json.gz", regions=(REGION,), inner_workers=1,
                          **kwargs)
    return read_snapshot(collect(opts, executor=SynchronousExecutor(),
                                 session_factory=lambda _: session))


def _secrets(snapshot: Snapshot) -> list[Any]:
    return [s for a in snapshot.accounts for r in a.regions for s in r.secrets]


def test_an_api_answering_500_is_sent_three_calls_and_every_secret_not_read_is_named(
        tmp_path: Path, home: boto3.Session) -> None:
    failing = Failing(home, "before-send.secrets-manager.GetResourcePolicy")
    snapshot = _scan(tmp_path, home, max_attempts=1)

    assert failing.attempts == 3
    entries = [c for c in snapshot.coverage if c.operation == "GetResourcePolicy"]
    secrets = _secrets(snapshot)
    assert len(secrets) == SECRETS
    assert {c.resource_arn for c in entries} == {s.arn for s in secrets}
    sent = [c for c in entries if c.error_kind != "not_sent"]
    skipped = [c for c in entries if c.error_kind == "not_sent"]
    assert {c.error_code for c in sent} == {"InternalServiceError"} and len(sent) == 3
    assert {c.error_code for c in skipped} == {"ServerErrorBudgetSpent"}
    assert len(skipped) == SECRETS - 3
    assert skipped[0].message.startswith(
        "not sent: server errors -- 3 secretsmanager Get/Put/Delete/ValidateResourcePolicy "
        "call(s) in this account-Region were answered HTTP 5xx (InternalServiceError) through "
        "all their attempts")
    # unread, never guessed
    assert all("resource_policy" in s.unread for s in secrets)


def test_with_three_attempts_a_call_three_calls_spend_the_budget(
        tmp_path: Path, home: boto3.Session) -> None:
    failing = Failing(home, "before-send.secrets-manager.GetResourcePolicy", status=503,
                      code="ServiceUnavailable")
    snapshot = _scan(tmp_path, home, max_attempts=3)

    assert failing.attempts == 9
    codes = [c.error_code for c in snapshot.coverage if c.operation == "GetResourcePolicy"]
    assert codes.count("ServiceUnavailable") == 3
    assert codes.count("ServerErrorBudgetSpent") == SECRETS - 3


def test_a_5xx_that_clears_within_a_calls_attempts_spends_nothing(
        tmp_path: Path, home: boto3.Session) -> None:
    failing = Failing(home, "before-send.secrets-manager.GetResourcePolicy",
                      failing=lambda n: n % 2 == 1)
    snapshot = _scan(tmp_path, home, max_attempts=2)

    assert failing.attempts == 2 * SECRETS
    assert [c for c in snapshot.coverage if c.operation == "GetResourcePolicy"] == []


def test_another_bucket_of_the_same_service_goes_on(tmp_path: Path,
                                                    home: boto3.Session) -> None:
    """GetResourcePolicy failing says nothing of ListSecrets or of KMS there."""
    Failing(home, "before-send.secrets-manager.GetResourcePolicy")
    snapshot = _scan(tmp_path, home, max_attempts=1)

    assert {c.operation for c in snapshot.coverage} == {"GetResourcePolicy"}
    assert len(_secrets(snapshot)) == SECRETS


def test_the_budget_can_be_switched_off(tmp_path: Path, home: boto3.Session) -> None:
    failing = Failing(home, "before-send.secrets-manager.GetResourcePolicy")
    snapshot = _scan(tmp_path, home, max_attempts=1, server_give_ups=0)

    assert failing.attempts == SECRETS
    assert {c.error_code for c in snapshot.coverage} == {"InternalServiceError"}


def test_a_spent_server_budget_is_a_not_sent_error() -> None:
    budget = ThrottleBudget(server_give_ups=2)
    key = (HOME, REGION, "secretsmanager", "Get/Put/Delete/ValidateResourcePolicy")
    budget.server_gave_up(key, "InternalFailure", 1.0)
    budget.check_server(key, "GetResourcePolicy")  # not spent yet
    budget.server_gave_up(key, "InternalFailure", 2.0)
    try:
        budget.check_server(key, "GetResourcePolicy")
    except ThrottleBudgetSpent as exc:
        assert error_kind(exc) == "not_sent"
    else:
        raise AssertionError("a spent budget let the call through")
    try:  # a call under way: its code is the server's last answer
        budget.check_server(key, "GetResourcePolicy", attempt=True)
    except ThrottleBudgetSpent as exc:
        assert error_kind(exc) == "fatal" and "InternalFailure" in str(exc)
    else:
        raise AssertionError("a spent budget let the attempt through")
