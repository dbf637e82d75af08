"""Incremental collection (scanner.incremental): an unchanged secret policy is carried from the
last complete scan instead of read again; a change marker, the rolling refresh, the age bound
and a deletion all win over carrying. moto does not move LastChangedDate on PutResourcePolicy
(pinned below), so changed markers are stubbed on the wire (an after-call hook on ListSecrets).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from pathlib import Path
from typing import Any, Callable

import boto3
import pytest
from moto import mock_aws

from scanner.aws.calls import CallCounter
from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.incremental import PolicyCarry, refresh_night
from scanner.model import Secret, Snapshot
from scanner.snapshot_io import read_snapshot

REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"
POLICY_CALL = "secretsmanager.GetResourcePolicy"


def secrets(snapshot: Snapshot) -> dict[str, Secret]:
    return {s.arn: s for a in snapshot.accounts for r in a.regions for s in r.secrets
            if not s.is_replica}


def run(tmp_path: Path, session: boto3.Session, name: str, *, carry: PolicyCarry | None = None,
        at: datetime.datetime | None = None,
        clock: Callable[[], datetime.datetime] | None = None) -> tuple[Snapshot, int]:
    counter = CallCounter()
    if carry is not None and at is not None:
        carry = dataclasses.replace(carry, now=at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    path = collect(CollectOptions(out=tmp_path / f"{name}.json.gz", regions=(REGION,),
                                  role_name=ROLE, org=True, max_attempts=1, carry=carry),
                   executor=SynchronousExecutor(), session_factory=lambda _: session,
                   counter=counter, clock=clock)
    return read_snapshot(path), counter.counts().get(POLICY_CALL, 0)


def quiet_night(arns: list[str], after: datetime.datetime, days: int = 7) -> datetime.datetime:
    """A moment 1-6 days after ``after`` that is no ARN's refresh night."""
    for k in range(1, days):
        moment = after + datetime.timedelta(days=k)
        if not any(refresh_night(a, moment.date(), days) for a in arns):
            return moment
    raise AssertionError("every night refreshes one of these ARNs")


def test_moto_does_not_move_last_changed_date_on_put_resource_policy() -> None:
    with mock_aws():
        sm = boto3.client("secretsmanager", region_name=REGION, aws_access_key_id="a",
                          aws_secret_access_key="b")
        arn = sm.create_secret(Name="x", SecretString="y")["ARN"]
        before = sm.describe_secret(SecretId=arn)["LastChangedDate"]
        sm.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps(
            {"Version": "2012-10-17", "Statement": []}))
        after = sm.list_secrets()["SecretList"][0]["LastChangedDate"]
    # AWS: "The last date and time that this secret was modified in any way" (whether a policy
    # change counts is not documented); moto keeps the creation time
    assert after == before


def test_unchanged_policies_are_carried_and_say_so(
        tmp_path: Path, estate: Any, scan_session: boto3.Session,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # LastChangedDate and read_at have whole seconds: a first read in the second the estate
    # was made would not be newer than the change (so never carried); read two minutes later
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=2)
    first, reads = run(tmp_path, scan_session, "n1", clock=lambda: later)
    assert reads == 2  # the two primary secrets of the security account
    read_at = {arn: s.read_at["resource_policy"] for arn, s in secrets(first).items()}
    assert set(read_at) == {estate.shared_secret_arn, estate.plain_secret_arn}
    started = datetime.datetime.fromisoformat(first.meta.started_at.replace("Z", "+00:00"))
    night = quiet_night(sorted(read_at), started)
    carry = PolicyCarry.from_snapshot(first)

    second, reads = run(tmp_path, scan_session, "n2", carry=carry, at=night)
    assert reads == 0
    for arn, secret in secrets(second).items():
        assert secret.carried == ("resource_policy",)
        assert secret.read_at["resource_policy"] == read_at[arn]
        assert secret.resource_policy == secrets(first)[arn].resource_policy
    # a carried value is never carried again: the next night starts from tonight's reads only
    assert PolicyCarry.from_snapshot(second).policies == {}

    # LastChangedDate newer than the read: read again (only that one)
    def touch(parsed: Any = None, **_: Any) -> None:
        for entry in (parsed or {}).get("SecretList", ()):
            if entry["ARN"] == estate.shared_secret_arn:
                entry["LastChangedDate"] = night - datetime.timedelta(hours=1)

    scan_session.events.register("after-call.secrets-manager.ListSecrets", touch)
    third, reads = run(tmp_path, scan_session, "n3", carry=carry, at=night)
    assert reads == 1
    assert secrets(third)[estate.shared_secret_arn].carried == ()
    assert secrets(third)[estate.plain_secret_arn].carried == ("resource_policy",)
    scan_session.events.unregister("after-call.secrets-manager.ListSecrets", touch)

    # a secret gone from ListSecrets is gone, whatever the previous scan read
    def drop(parsed: Any = None, **_: Any) -> None:
        if parsed is not None and "SecretList" in parsed:
            parsed["SecretList"] = [e for e in parsed["SecretList"]
                                    if e["ARN"] != estate.plain_secret_arn]

    scan_session.events.register("after-call.secrets-manager.ListSecrets", drop)
    fourth, reads = run(tmp_path, scan_session, "n4", carry=carry, at=night)
    assert estate.plain_secret_arn not in secrets(fourth)
    assert reads == 0
    scan_session.events.unregister("after-call.secrets-manager.ListSecrets", drop)

    # a week after the read, everything is read again
    week, reads = run(tmp_path, scan_session, "n5", carry=carry,
                      at=started + datetime.timedelta(days=7, minutes=1))
    assert reads == 2 and all(s.carried == () for s in secrets(week).values())
    # a forced re-read (the CloudTrail marker) wins too
    forced = dataclasses.replace(carry, force=frozenset({estate.plain_secret_arn}))
    _, reads = run(tmp_path, scan_session, "n6", carry=forced, at=night)
    assert reads == 1


def test_refresh_nights_spread_evenly_and_cover_every_policy() -> None:
    arns = [f"arn:aws:secretsmanager:us-east-1:111122223333:secret:s{i}-AbCdEf"
            for i in range(10_000)]
    start = datetime.date(2026, 1, 1)
    nights = [sum(refresh_night(a, start + datetime.timedelta(days=d), 7) for a in arns)
              for d in range(7)]
    assert sum(nights) == len(arns)  # each policy exactly once a week
    assert max(nights) - min(nights) < 0.1 * len(arns) / 7 * 2  # about 1/7 each night


def test_an_incomplete_previous_scan_carries_nothing() -> None:
    from scanner.model import CoverageEntry, ScanMeta

    snapshot = Snapshot(meta=ScanMeta(scan_id="s", started_at="2026-01-01T00:00:00Z"),
                        coverage=(CoverageEntry(account_id="111122223333", region="us-east-1",
                                                service="kms", operation="ListKeys",
                                                error_code="AccessDenied", error_kind="denied",
                                                message="no"),))
    assert PolicyCarry.from_snapshot(snapshot).policies == {}
