"""A throttling storm is bounded per AWS quota bucket and account-Region (scanner.aws.throttle):
once a few calls of one bucket gave up on throttling, the remaining calls of that bucket there
are not sent and become ``not_sent`` coverage naming what was not read; a storm that stops
before the budget is spent costs nothing more, and other Regions, services and buckets (other
operations of the same service with their own quota) are untouched.

Fault trial round 3: GetResourcePolicy always throttled in an account with 450 secrets ran 73
attempts in 150 s (about 2 h projected for one account-Region); EC2 RequestLimitExceeded in
one Region took 281 s (seven listings x 8 attempts). Fault-injection trial round 5 on
collection (d3): keyed by service, a throttled GetResourcePolicy stopped every DescribeSecret
there (another AWS quota) and recorded them as ThrottlingException, which AWS never answered."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Callable

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from scanner.aws.executor import SynchronousExecutor, ThreadPoolExecutor
from scanner.aws.throttle import ThrottleBudget, ThrottleBudgetSpent
from scanner.collect import CollectOptions, collect
from scanner.model import Snapshot
from scanner.snapshot_io import read_snapshot

REGION = "us-east-1"
OTHER_REGION = "us-west-2"
HOME = "123456789012"
SECRETS = 12


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def _throttle_answer(service: str, code: str) -> AWSResponse:
    if service == "ec2":
        body = (f"<Response><Errors><Error><Code>{code}</Code><Message>Request limit exceeded."
                "</Message></Error></Errors><RequestID>x</RequestID></Response>").encode()
        return AWSResponse("https://fault", 503, {"Content-Type": "text/xml"}, _Raw(body))
    body = json.dumps({"__type": code, "message": "Rate exceeded"}).encode()
    return AWSResponse("https://fault", 400, {"Content-Type": "application/x-amz-json-1.1",
                                              "x-amzn-ErrorType": code}, _Raw(body))


class Storm:
    """A before-send hook on the scan's session: answers the attempts of ``event`` (a
    ``before-send.SERVICE-ID`` prefix, optionally ``.Operation``) in ``region`` with a
    throttling error while ``raging()``; counts every attempt it saw."""

    def __init__(self, session: boto3.Session, event: str, code: str, *, region: str = REGION,
                 raging: Callable[[int], bool] = lambda n: True) -> None:
        self.code = code
        self.region = region
        self.raging = raging
        self.attempts = 0
        self.throttled = 0
        self._lock = threading.Lock()
        session.events.register_first(event, self.hook)  # before moto answers

    def hook(self, request: Any = None, event_name: str = "", **_: Any) -> Any:
        if f".{self.region}." not in request.url:
            return None
        with self._lock:
            self.attempts += 1
            if not self.raging(self.attempts):
                return None
            self.throttled += 1
        return _throttle_answer(event_name.split(".")[1], self.code)


@pytest.fixture()
def home() -> Any:
    """The scan's own account with SECRETS secrets in us-east-1 (each with a policy) and a VPC
    in both Regions."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=REGION)
    with mock_aws():
        sm = session.client("secretsmanager")
        for n in range(SECRETS):
            arn = sm.create_secret(Name=f"app/{n:02d}", SecretString="x")["ARN"]
            sm.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{HOME}:root"},
                    "Action": "secretsmanager:DescribeSecret", "Resource": "*"}]}))
        yield session


def _scan(tmp_path: Path, session: boto3.Session, *, regions: tuple[str, ...] = (REGION,),
          threads: int = 0, **kwargs: Any) -> Snapshot:
    opts = CollectOptions(out=tmp_path / "snapshot.json.gz", regions=regions, max_attempts=1,
                          inner_workers=max(1, threads), **kwargs)
    executor: Any = ThreadPoolExecutor(threads) if threads else SynchronousExecutor()
    try:
        return read_snapshot(collect(opts, executor=executor,
                                     session_factory=lambda _: session))
    finally:
        if threads:
            executor.close()


def _secrets(snapshot: Snapshot, region: str = REGION) -> list[Any]:
    return [s for a in snapshot.accounts for r in a.regions if r.region == region
            for s in r.secrets]


@pytest.mark.parametrize("threads", [0, 4])
def test_a_policy_read_storm_sends_only_the_budget_and_names_every_secret_not_read(
        tmp_path: Path, home: boto3.Session, threads: int) -> None:
    """fault trial round 3: every GetResourcePolicy throttled -- the attempts sent are bounded
    by the budget (3 calls that gave up, plus at most one in flight per other worker), not one
    per secret; every secret's policy is still a throttled coverage entry naming the secret,
    and the ones not sent say so (fault-injection trial round 5: as not_sent, with no AWS
    error code)."""
    storm = Storm(home, "before-send.secrets-manager.GetResourcePolicy", "ThrottlingException")
    snapshot = _scan(tmp_path, home, threads=threads)
    assert storm.attempts <= 3 + max(0, threads - 1)
    policy_entries = [c for c in snapshot.coverage if c.operation == "GetResourcePolicy"]
    secrets = _secrets(snapshot)
    assert len(secrets) == SECRETS
    assert {c.resource_arn for c in policy_entries} == {s.arn for s in secrets}
    skipped = [c for c in policy_entries if c.error_kind == "not_sent"]
    sent = [c for c in policy_entries if c.error_kind != "not_sent"]
    assert {(c.error_kind, c.error_code) for c in sent} == {("throttled", "ThrottlingException")}
    # fault-injection trial round 5 (d3): a call not sent records no AWS error code
    assert {c.error_code for c in skipped} == {"ThrottleBudgetSpent"}
    assert len(skipped) == SECRETS - storm.attempts
    assert skipped[0].message.startswith(
        "not sent: throttled -- 3 secretsmanager Get/Put/Delete/ValidateResourcePolicy call(s)")
    # unread, never guessed: the rules answer UNKNOWN for these policies
    assert all("resource_policy" in s.unread for s in secrets)


def test_an_ec2_storm_in_one_region_spends_each_listings_own_budget_and_spares_the_other_region(
        tmp_path: Path, home: boto3.Session) -> None:
    """fault trial round 3, fault-injection trial round 5 on collection: EC2
    RequestLimitExceeded in one Region of one account. EC2 gives each API its own token bucket
    ("Limits are per account, per Region, and per API", AWS_FACTS.md 1.3), so one listing's
    throttling says nothing of another's: each of the seven listings is sent and gives up
    (throttled coverage naming it); the other Region's EC2 and the same Region's other
    services are read as usual."""
    storm = Storm(home, "before-send.ec2", "RequestLimitExceeded", region=OTHER_REGION)
    snapshot = _scan(tmp_path, home, regions=(REGION, OTHER_REGION))
    assert storm.attempts == 7
    entries = [c for c in snapshot.coverage if c.service == "ec2"]
    assert {c.region for c in entries} == {OTHER_REGION}
    assert len(entries) == 7  # one per listing, each named by its operation
    assert {(c.error_kind, c.error_code) for c in entries} == {
        ("throttled", "RequestLimitExceeded")}
    other = next(r for a in snapshot.accounts for r in a.regions if r.region == OTHER_REGION)
    assert "ec2" in other.unread_services
    first = next(r for a in snapshot.accounts for r in a.regions if r.region == REGION)
    assert "ec2" not in first.unread_services
    assert {c.service for c in snapshot.coverage} == {"ec2"}


def test_a_policy_read_storm_does_not_stop_describe_secret_another_aws_quota(
        tmp_path: Path, home: boto3.Session) -> None:
    """Fault-injection trial round 5 on collection (d3): only GetResourcePolicy throttled in
    one account-Region. GetResourcePolicy shares its 50/s quota only with Put/Delete/
    ValidateResourcePolicy; DescribeSecret is in another (with GetSecretValue; AWS_FACTS.md
    1.1). The budget was keyed by service, so every DescribeSecret there was not sent and
    recorded as ThrottlingException -- which AWS never answered -- and the replication rules
    went UNKNOWN. Now every DescribeSecret is sent and answered."""
    storm = Storm(home, "before-send.secrets-manager.GetResourcePolicy", "ThrottlingException")
    snapshot = _scan(tmp_path, home, required_replica_regions=(OTHER_REGION,))
    assert storm.attempts == 3
    assert {c.operation for c in snapshot.coverage} == {"GetResourcePolicy"}
    secrets = _secrets(snapshot)
    assert len(secrets) == SECRETS
    assert all("replicas" not in s.unread and s.replicas == () for s in secrets)


def test_quota_buckets_follow_aws_facts() -> None:
    """Fault-injection trial round 5 on collection (d3): one budget per AWS quota bucket, the
    default one per operation. Secrets Manager: GetResourcePolicy with Put/Delete/
    ValidateResourcePolicy, DescribeSecret with GetSecretValue (AWS_FACTS.md 1.1); KMS: "Each
    management API has its own per-second quota" (1.2); EC2: per API (1.3)."""
    from scanner.aws.throttle import bucket_of

    policy = {bucket_of("secretsmanager", op) for op in (
        "GetResourcePolicy", "PutResourcePolicy", "DeleteResourcePolicy",
        "ValidateResourcePolicy")}
    assert len(policy) == 1
    describe = bucket_of("secretsmanager", "DescribeSecret")
    assert describe == bucket_of("secretsmanager", "GetSecretValue")
    assert describe not in policy
    assert bucket_of("secretsmanager", "ListSecrets") not in policy | {describe}
    kms = {bucket_of("kms", op) for op in ("DescribeKey", "GetKeyPolicy",
                                           "GetKeyRotationStatus", "ListKeys", "ListAliases")}
    assert len(kms) == 5
    assert bucket_of("ec2", "DescribeVpcs") != bucket_of("ec2", "DescribeSubnets")


def test_a_storm_that_stops_before_the_budget_is_spent_costs_only_its_own_calls(
        tmp_path: Path, home: boto3.Session) -> None:
    """fault trial round 3: an account-Region that recovers is not affected beyond the budget
    -- two policy reads give up, throttling stops, every other policy is read."""
    storm = Storm(home, "before-send.secrets-manager.GetResourcePolicy", "ThrottlingException",
                  raging=lambda n: n <= 2)
    snapshot = _scan(tmp_path, home)
    assert storm.attempts == SECRETS
    entries = [c for c in snapshot.coverage if c.operation == "GetResourcePolicy"]
    assert len(entries) == 2
    assert not any(c.error_kind == "not_sent" for c in entries)
    assert sum(s.resource_policy is not None for s in _secrets(snapshot)) == SECRETS - 2


def test_the_budget_can_be_widened_or_switched_off(tmp_path: Path,
                                                   home: boto3.Session) -> None:
    """fault trial round 3: the limits are CollectOptions knobs; 0 and 0 is botocore's
    per-call retries alone (every call sent)."""
    storm = Storm(home, "before-send.secrets-manager.GetResourcePolicy", "ThrottlingException")
    _scan(tmp_path, home, throttle_give_ups=0, throttle_seconds=0)
    assert storm.attempts == SECRETS


def test_seconds_spent_by_calls_that_gave_up_also_spend_the_budget() -> None:
    """fault trial round 3: calls each throttled for about 40 s -- the budget's seconds run
    out before its count does. A call then not sent records no AWS error code (fault-injection
    trial round 5: it is not_sent, ThrottleBudgetSpent)."""
    now = [0.0]
    budget = ThrottleBudget(give_ups=3, seconds=60, clock=lambda: now[0])
    key = ("111122223333", REGION, "ec2", "DescribeRouteTables")
    budget.gave_up(key, "RequestLimitExceeded", 40.0)
    budget.check(key, "DescribeRouteTables")  # 40 s: still sent
    budget.gave_up(key, "RequestLimitExceeded", 40.0)
    with pytest.raises(ThrottleBudgetSpent) as raised:
        budget.check(key, "DescribeRouteTables")
    assert raised.value.response["Error"]["Code"] == "ThrottleBudgetSpent"
    assert "80 s" in raised.value.response["Error"]["Message"]
    budget.check(("111122223333", OTHER_REGION, "ec2", "DescribeRouteTables"),
                 "DescribeRouteTables")  # another Region
    budget.check(("111122223333", REGION, "ec2", "DescribeVpcs"), "DescribeVpcs")  # another API
    assert budget.spent() == {key: (2, 80.0, 1)}


def test_the_budget_is_shared_safely_by_threads() -> None:
    """fault trial round 3 (collection runs --max-workers threads): many calls giving up at
    once spend the budget once, and every later call is refused."""
    budget = ThrottleBudget(give_ups=5, seconds=0)
    key = ("111122223333", REGION, "secretsmanager", "GetResourcePolicy")
    start = threading.Barrier(16)

    def give_up() -> None:
        start.wait()
        for _ in range(100):
            budget.gave_up(key, "ThrottlingException", 0.1)

    workers = [threading.Thread(target=give_up) for _ in range(16)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    with pytest.raises(ThrottleBudgetSpent):
        budget.check(key, "GetResourcePolicy")
    give_ups, seconds, skipped = budget.spent()[key]
    assert (give_ups, skipped) == (1600, 1)
    assert seconds == pytest.approx(160.0)


def test_a_call_still_retrying_when_the_budget_is_spent_stops_at_its_next_attempt() -> None:
    """fault trial round 3: with --max-workers, other calls may spend the budget while one is
    backing off; its remaining attempts are not sent (it ends as throttled coverage too, with
    the throttling code it was answered: fault-injection trial round 5)."""
    from scanner.aws.calls import CallCounter
    from scanner.aws.guard import ReadOnlyGuard
    from scanner.aws.permissions import allowed_operations
    from scanner.aws.session import AwsSessions, ClientSettings

    budget = ThrottleBudget(give_ups=3, seconds=0)
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=REGION)
    with mock_aws():
        sessions = AwsSessions(session, guard=ReadOnlyGuard(allowed_operations()),
                               counter=CallCounter(), settings=ClientSettings(max_attempts=4),
                               sts_region=REGION, throttle=budget)
        client = sessions.client("secretsmanager", account_id=HOME, region=REGION)
        attempts: list[int] = []

        def throttled(**_: Any) -> AWSResponse:
            attempts.append(1)
            for _n in range(3):  # meanwhile, three other reads there gave up
                budget.gave_up((HOME, REGION, "secretsmanager", "ListSecrets"),
                               "ThrottlingException", 1.0)
            return _throttle_answer("secretsmanager", "ThrottlingException")

        client.meta.events.register("before-send.secrets-manager.ListSecrets", throttled)
        with pytest.raises(ThrottleBudgetSpent) as raised:
            client.list_secrets()
    assert attempts == [1]
    assert "this call's next attempt was not sent" in raised.value.response["Error"]["Message"]
    # it was sent and throttled: the throttling code AWS answered, not ThrottleBudgetSpent
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
