"""A failing endpoint is bounded like a throttling storm (scanner.aws.throttle, "The network
has a budget too"): once two calls to one endpoint failed on the network through all their
attempts, the endpoint's remaining calls are not sent and become ``not_sent`` coverage naming
what was not read. Fault-injection trial round 8: a hung endpoint had no total-time bound --
every call of every account waited max_attempts x read_timeout (8 x 60 s)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable

import boto3
from botocore.exceptions import ReadTimeoutError

from scanner.aws.executor import SynchronousExecutor
from scanner.aws.throttle import ThrottleBudget
from scanner.collect import CollectOptions, collect
from scanner.model import Snapshot
from scanner.snapshot_io import read_snapshot

# the ``home`` fixture: the scan's own account with SECRETS secrets, each with a policy
from test_throttle_budget import HOME, REGION, SECRETS, home  # noqa: F401


class HungEndpoint:
    """A before-send hook: every attempt of ``event`` in ``region`` times out while
    ``hung(n)`` (n: the attempt's number); counts the attempts it saw."""

    def __init__(self, session: boto3.Session, event: str, *,
                 hung: Callable[[int], bool] = lambda n: True) -> None:
        self.hung = hung
        self.attempts = 0
        self._lock = threading.Lock()
        session.events.register_first(event, self.hook)

    def hook(self, request: Any = None, **_: Any) -> Any:
        if f".{REGION}." not in request.url:
            return None
        with self._lock:
            self.attempts += 1
            n = self.attempts
        if self.hung(n):
            raise ReadTimeoutError(endpoint_url=request.url, error="timed out")
        return None


def _scan(tmp_path: Path, session: boto3.Session, **kwargs: Any) -> Snapshot:
    # one call at a time (inner_workers=1): the budget is checked before each call is sent
    opts = CollectOptions(out=tmp_path / "snapshot.json.gz", regions=(REGION,), inner_workers=1,
                          **kwargs)
    return read_snapshot(collect(opts, executor=SynchronousExecutor(),
                                 session_factory=lambda _: session))


def test_a_hung_endpoint_is_sent_two_calls_and_every_secret_not_read_is_named(
        tmp_path: Path, home: boto3.Session) -> None:
    hung = HungEndpoint(home, "before-send.secrets-manager.GetResourcePolicy")
    snapshot = _scan(tmp_path, home, max_attempts=1)

    assert hung.attempts == 2
    entries = [c for c in snapshot.coverage if c.operation == "GetResourcePolicy"]
    secrets = [s for a in snapshot.accounts for r in a.regions for s in r.secrets]
    assert len(secrets) == SECRETS
    assert {c.resource_arn for c in entries} == {s.arn for s in secrets}
    sent = [c for c in entries if c.error_kind != "not_sent"]
    skipped = [c for c in entries if c.error_kind == "not_sent"]
    assert {c.error_code for c in sent} == {"ReadTimeoutError"} and len(sent) == 2
    assert {c.error_code for c in skipped} == {"EndpointGaveUp"}
    assert skipped[0].message.startswith(
        "not sent: the endpoint secretsmanager.us-east-1.amazonaws.com:443 is failing -- 2 "
        "call(s) to the endpoint secretsmanager.us-east-1.amazonaws.com:443 failed "
        "(ReadTimeoutError)")
    # unread, never guessed
    assert all("resource_policy" in s.unread for s in secrets)


def test_with_three_attempts_a_call_two_calls_spend_the_budget(
        tmp_path: Path, home: boto3.Session) -> None:
    """Three attempts a call: the first two calls spend the budget (3 attempts each); the
    next calls are not sent at all."""
    hung = HungEndpoint(home, "before-send.secrets-manager.GetResourcePolicy")
    snapshot = _scan(tmp_path, home, max_attempts=3)

    assert hung.attempts == 6
    codes = [c.error_code for c in snapshot.coverage if c.operation == "GetResourcePolicy"]
    assert codes.count("ReadTimeoutError") == 2
    assert codes.count("EndpointGaveUp") == SECRETS - 2


def test_a_timeout_that_clears_within_a_calls_attempts_spends_nothing(
        tmp_path: Path, home: boto3.Session) -> None:
    """Every first attempt times out, every second is answered: all policies are read."""
    hung = HungEndpoint(home, "before-send.secrets-manager.GetResourcePolicy",
                        hung=lambda n: n % 2 == 1)
    snapshot = _scan(tmp_path, home, max_attempts=2)

    assert hung.attempts == 2 * SECRETS
    assert [c for c in snapshot.coverage if c.operation == "GetResourcePolicy"] == []


def test_another_endpoint_goes_on_as_before(tmp_path: Path, home: boto3.Session) -> None:
    """The Secrets Manager endpoint of the Region failing says nothing of KMS's or EC2's."""
    HungEndpoint(home, "before-send.secrets-manager.GetResourcePolicy")
    snapshot = _scan(tmp_path, home, max_attempts=1)

    assert {c.service for c in snapshot.coverage} == {"secretsmanager"}


def test_a_real_silent_server_is_given_up_on_after_two_calls() -> None:
    """A TCP server that accepts and never answers (a hung endpoint): with a 0.2 s read
    timeout and 2 attempts a call, ten calls take about two calls' time, not ten."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(conn)  # held open, never answered
    threading.Thread(target=accept, daemon=True).start()
    from botocore.config import Config

    client = boto3.client(
        "secretsmanager", region_name=REGION, aws_access_key_id="testing",
        aws_secret_access_key="testing",
        endpoint_url=f"http://127.0.0.1:{server.getsockname()[1]}",
        config=Config(read_timeout=0.2, connect_timeout=0.2,
                      retries={"mode": "standard", "total_max_attempts": 2}))
    budget = ThrottleBudget()
    budget.install(client, account_id=HOME)
    codes = []
    started = time.monotonic()
    try:
        for n in range(10):
            try:
                client.get_resource_policy(SecretId=f"app/{n}")
            except Exception as exc:  # noqa: BLE001 -- what each call ended on
                from scanner.aws.errors import error_code
                codes.append(error_code(exc))
    finally:
        server.close()
        for conn in accepted:
            conn.close()
    elapsed = time.monotonic() - started

    assert codes == ["ReadTimeoutError"] * 2 + ["EndpointGaveUp"] * 8
    assert elapsed < 5  # two calls of two 0.2 s attempts (and back-off), not ten
