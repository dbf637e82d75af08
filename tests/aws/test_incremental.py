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


# --------------------------------------------------------------------------- re-read marks


ARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-AbCdEf"
READ_AT = "2026-01-01T00:00:00Z"
QUIET = datetime.datetime(2026, 1, 2, 12, tzinfo=datetime.timezone.utc)


def entry(arn: str = ARN, name: str = "app/db") -> dict[str, Any]:
    return {"ARN": arn, "Name": name,
            "LastChangedDate": datetime.datetime(2025, 12, 1, tzinfo=datetime.timezone.utc)}


def carry_of(*marks: Any) -> PolicyCarry:
    from scanner.incremental import CarriedPolicy

    carry = PolicyCarry(policies={ARN: CarriedPolicy(policy='{"Statement": []}',
                                                     read_at=READ_AT)})
    return carry.with_marks(marks)


def mark(resource: str, at: str, **kw: Any) -> Any:
    from scanner.history.records import ReReadMark

    return ReReadMark(resource=resource, marked_at=at, source="test", **kw)


def quiet_for(arn: str) -> datetime.datetime:
    return quiet_night([arn], datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))


def test_a_mark_after_the_read_forces_a_read_and_an_older_one_does_not() -> None:
    night = quiet_for(ARN)
    assert carry_of().reuse(entry(), night) is not None  # unmarked: carried
    assert carry_of(mark(ARN, "2026-01-01T00:00:01Z")).reuse(entry(), night) is None
    assert carry_of(mark(ARN, READ_AT)).reuse(entry(), night) is None  # same moment: read
    assert carry_of(mark(ARN, "2025-12-31T23:59:59Z")).reuse(entry(), night) is not None
    # the latest of several marks counts
    later = carry_of(mark(ARN, "2025-12-30T00:00:00Z"), mark(ARN, "2026-01-01T05:00:00Z"))
    assert later.reuse(entry(), night) is None


@pytest.mark.parametrize("resource,where", [
    ("app/db", {"account_id": "111122223333", "region": "us-east-1"}),  # CloudTrail secretId
    ("arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db", {}),  # partial ARN
    (ARN, {}),
])
def test_a_mark_names_the_secret_by_arn_partial_arn_or_name(resource: str,
                                                            where: dict[str, str]) -> None:
    marked = carry_of(mark(resource, "2026-01-01T06:00:00Z", **where))
    assert marked.reuse(entry(), quiet_for(ARN)) is None


def test_a_name_mark_in_another_account_or_region_does_not_match() -> None:
    night = quiet_for(ARN)
    for where in ({"account_id": "444455556666", "region": "us-east-1"},
                  {"account_id": "111122223333", "region": "eu-west-1"}):
        assert carry_of(mark("app/db", "2026-01-01T06:00:00Z", **where)).reuse(
            entry(), night) is not None


def test_a_carry_travels_per_account_as_bytes_and_merges_back() -> None:
    from scanner.incremental import CarriedPolicy

    other = "arn:aws:secretsmanager:us-east-1:444455556666:secret:b-XyZ123"
    carry = dataclasses.replace(carry_of(mark(ARN, "2026-01-01T06:00:00Z")), policies={
        ARN: CarriedPolicy(policy="p1", read_at=READ_AT),
        other: CarriedPolicy(policy=None, read_at=READ_AT)}, full_refresh_days=5)
    split = carry.by_account(["111122223333", "444455556666", "777788889999"])
    assert set(split["111122223333"].policies) == {ARN}
    assert split["777788889999"].policies == {}
    back = [PolicyCarry.from_bytes(c.to_bytes(), where="x") for c in split.values()]
    merged = back[0].merged(back[1]).merged(back[2])
    assert merged == carry
    assert split["111122223333"] == carry.for_accounts(["111122223333"])


def test_a_damaged_carry_file_is_an_input_error_naming_it() -> None:
    from scanner.errors import InputError

    with pytest.raises(InputError, match="damaged carry file") as info:
        PolicyCarry.from_bytes(b"not gzip", where="s3://b/p/run/carry/1.json.gz")
    assert "s3://b/p/run/carry/1.json.gz" in str(info.value)


def test_sqlite_history_keeps_marks_and_load_carry_applies_them(tmp_path: Path) -> None:
    from scanner.history.store import open_store
    from scanner.incremental import load_carry

    store = open_store(str(tmp_path / "h.db"))
    assert store.reread_marks() == ()  # no file yet, none created
    assert not (tmp_path / "h.db").exists()
    store.mark_reread([mark(ARN, "2026-01-01T06:00:00.000000Z"),
                       mark("other", "2025-01-01T00:00:00.000000Z",
                            account_id="111122223333", region="us-east-1")])
    assert [m.resource for m in store.reread_marks()] == ["other", ARN]
    assert [m.resource for m in store.reread_marks(since="2025-06-01")] == [ARN]
    assert load_carry(store).policies == {}  # no complete scan: nothing carried


def test_s3_history_keeps_marks_from_concurrent_writers() -> None:
    from scanner.history.store import open_store

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="history-bucket")
        one = open_store("s3://history-bucket/sg", s3_client=s3)
        two = open_store("s3://history-bucket/sg", s3_client=s3)
        one.mark_reread([mark(ARN, "2026-01-01T06:00:00.000000Z")])
        two.mark_reread([mark("app/x", "2026-01-01T05:00:00.000000Z",
                              account_id="111122223333", region="us-east-1")])
        marks = one.reread_marks()
        assert [(m.resource, m.account_id) for m in marks] == [
            ("app/x", "111122223333"), (ARN, None)]
        assert one.reread_marks(since="2026-01-01T05:30") == (marks[1],)
        assert one.list() == []  # marks are not scans


def test_a_marked_secret_is_read_again_in_a_real_collection(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    from scanner.incremental import stamp

    first, _ = run(tmp_path, scan_session, "n1")
    started = datetime.datetime.fromisoformat(first.meta.started_at.replace("Z", "+00:00"))
    night = quiet_night(sorted(secrets(first)), started)
    read_at = secrets(first)[estate.shared_secret_arn].read_at["resource_policy"]
    moment = datetime.datetime.fromisoformat(read_at.replace("Z", "+00:00"))
    carry = PolicyCarry.from_snapshot(first).with_marks([
        mark(estate.shared_secret_arn, stamp(moment + datetime.timedelta(seconds=1)))])
    second, reads = run(tmp_path, scan_session, "n2", carry=carry, at=night)
    assert reads == 1
    assert secrets(second)[estate.shared_secret_arn].carried == ()
    assert secrets(second)[estate.plain_secret_arn].carried == ("resource_policy",)
