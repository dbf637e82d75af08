"""A client-side token bucket for the secret-policy bucket of Secrets Manager.

``GetResourcePolicy`` shares one bucket of 50 requests per second per account and Region with
``PutResourcePolicy`` (AWS_FACTS.md: Secrets Manager quotas, "GetResourcePolicy,
PutResourcePolicy, ValidateResourcePolicy: 50 per second", not adjustable). A scan that drained
it would make the organization's own PutResourcePolicy calls fail while it runs, so the scanner
paces its own reads below it: 25 per second by default (``policy_tps``).

The limit is a generic cell rate algorithm (GCRA): one number per key, the "theoretical arrival
time" of the next request; a request may go when it is at most ``burst - 1`` intervals ahead.
The waiting happens outside any lock.

* ``ThreadBucket`` shares the limit between the threads of one process.
* ``FileBucket`` shares it between processes on one machine (``scan --processes N``): the state
  of a key is a small file under a run directory, updated under ``fcntl.flock``.
* The shards of one run split by account, so one account's reads are always in one shard: the
  per-process bucket is the account's only client-side bucket. Two runs at once against the
  same account (or a person's own scripts) still share AWS's bucket; botocore's adaptive
  retries absorb the occasional ThrottlingException.

The bucket is installed as a botocore ``before-send`` hook on the Secrets Manager clients for
``GetResourcePolicy`` only, so it paces every HTTP attempt, retries included.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Protocol

#: The default pace: half of the non-adjustable 50 TPS secret-policy bucket.
DEFAULT_POLICY_TPS = 25.0


class Bucket(Protocol):
    def acquire(self, key: str) -> float:
        """Block until a request for ``key`` may be sent; returns the seconds waited."""
        ...


class _Gcra:
    def __init__(self, rate: float, burst: int) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval

    def reserve(self, tat: float, now: float) -> tuple[float, float]:
        """(new theoretical arrival time, seconds to wait) for one request at ``now``."""
        tat = max(tat, now)
        wait = max(0.0, tat - self.tolerance - now)
        return tat + self.interval, wait


class ThreadBucket:
    """Per-key limits shared by the threads of one process."""

    def __init__(self, rate: float = DEFAULT_POLICY_TPS, *, burst: int = 1,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._gcra = _Gcra(rate, burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tat: dict[str, float] = {}

    def acquire(self, key: str) -> float:
        with self._lock:
            now = self._clock()
            self._tat[key], wait = self._gcra.reserve(self._tat.get(key, 0.0), now)
        if wait > 0:
            self._sleep(wait)
        return wait


class FileBucket:
    """Per-key limits shared by every process that opens the same ``directory``."""

    def __init__(self, directory: Path, rate: float = DEFAULT_POLICY_TPS, *, burst: int = 1,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._gcra = _Gcra(rate, burst)
        self._clock = clock
        self._sleep = sleep

    def _path(self, key: str) -> Path:
        return self.directory / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".bucket")

    def acquire(self, key: str) -> float:
        fd = os.open(self._path(key), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            try:
                tat = float(raw) if raw else 0.0
            except ValueError:
                tat = 0.0  # a torn or foreign file: start afresh (never block forever)
            tat, wait = self._gcra.reserve(tat, self._clock())
            data = f"{tat:.6f}".ljust(32).encode("ascii")
            os.pwrite(fd, data, 0)
        finally:
            os.close(fd)  # closing releases the lock
        if wait > 0:
            self._sleep(wait)
        return wait


def make_bucket(rate: float, directory: Path | None = None) -> Bucket:
    """A FileBucket under ``directory`` when given (several processes), else a ThreadBucket."""
    return FileBucket(directory, rate) if directory is not None else ThreadBucket(rate)


def install_policy_pacing(client: Any, bucket: Bucket, *, account_id: str,
                          region: str) -> Any:
    """Pace this Secrets Manager client's GetResourcePolicy attempts by ``bucket``, keyed by
    account and Region (the scope of AWS's own bucket)."""
    key = f"{account_id}/{region}/secretsmanager-policy"

    def hook(**_: Any) -> None:
        bucket.acquire(key)

    client.meta.events.register("before-send.secrets-manager.GetResourcePolicy", hook,
                                unique_id="secretgraph-policy-pacing")
    return client
