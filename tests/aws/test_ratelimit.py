"""The client-side pace of GetResourcePolicy (scanner.aws.ratelimit): the arithmetic with a fake
clock, the limit held across threads and across processes, and the hook on the wire."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from scanner.aws.ratelimit import FileBucket, ThreadBucket
from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.errors import UsageError

REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_requests_at_one_instant_are_spaced_by_the_interval() -> None:
    clock = FakeClock()
    bucket = ThreadBucket(25, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire("a/us-east-1") for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.04, 0.08, 0.12, 0.16])
    # another account or Region has its own bucket
    assert bucket.acquire("b/us-east-1") == 0.0
    # after a quiet second the key starts afresh (no debt is kept)
    clock.now += 1.0
    assert bucket.acquire("a/us-east-1") == 0.0


def test_burst_lets_that_many_through_at_once() -> None:
    clock = FakeClock()
    bucket = ThreadBucket(10, burst=3, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire("k") for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.2])


def test_threads_share_one_limit() -> None:
    bucket = ThreadBucket(100)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            bucket.acquire("central/us-east-1")
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 40 requests at 100/s: the last may go 39 intervals after the first
    assert max(stamps) - started >= 0.39 - 0.01


def _hammer(directory: str, count: int, out: Any) -> None:
    bucket = FileBucket(Path(directory), 50)
    for _ in range(count):
        bucket.acquire("central/us-east-1")
        out.put(time.time())


def test_processes_share_one_limit_through_the_run_directory(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    procs = [context.Process(target=_hammer, args=(str(tmp_path), 10, queue))
             for _ in range(2)]
    for p in procs:
        p.start()
    stamps = sorted(queue.get(timeout=60) for _ in range(20))
    for p in procs:
        p.join(timeout=60)
    # 20 requests at 50/s from two processes: never faster than the limit, in any window
    assert stamps[-1] - stamps[0] >= 19 / 50 - 0.02
    for i in range(len(stamps) - 5):
        assert stamps[i + 5] - stamps[i] >= 5 / 50 - 0.02


def test_a_torn_state_file_does_not_block(tmp_path: Path) -> None:
    bucket = FileBucket(tmp_path, 10)
    bucket.acquire("k")
    for path in tmp_path.iterdir():
        path.write_bytes(b"\x00garbage")
    assert bucket.acquire("k") == 0.0


class Recording:
    def __init__(self) -> None:
        self.keys: list[str] = []

    def acquire(self, key: str) -> float:
        self.keys.append(key)
        return 0.0


def test_every_get_resource_policy_attempt_is_paced(
        tmp_path: Path, estate: Any, scan_session: boto3.Session,
        monkeypatch: pytest.MonkeyPatch) -> None:
    recording = Recording()
    monkeypatch.setattr("scanner.discovery.make_bucket", lambda rate, directory: recording)
    collect(CollectOptions(out=tmp_path / "s.json.gz", regions=(REGION,), role_name=ROLE,
                           org=True, max_attempts=1), executor=SynchronousExecutor(),
            session_factory=lambda _: scan_session)
    # the security account holds two primary secrets in us-east-1: two paced reads, keyed by
    # account and Region; no other operation goes through the bucket
    assert sorted(recording.keys) == [f"{estate.security}/{REGION}/secretsmanager-policy"] * 2


def test_policy_tps_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="policy-tps"):
        collect(CollectOptions(out=tmp_path / "s.json", regions=(REGION,), policy_tps=0))
