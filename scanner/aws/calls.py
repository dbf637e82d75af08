"""A per-operation API call counter (botocore event hooks; thread-safe).

Besides the logical calls per operation it counts HTTP attempts (so retries = attempts - calls),
throttling answers, and keeps the calls in flight with their account and Region, so a progress
display can show them and a watchdog can name a call that hangs.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Mapping


@dataclass(frozen=True, kw_only=True)
class InFlight:
    """A call that was sent and has not answered yet."""

    operation: str  # "service.Operation"
    account_id: str | None
    region: str | None
    started: float  # time.monotonic()
    #: when its last attempt was answered (a throttling error, a 5xx) and botocore began to
    #: back off and retry; None: no answer yet. A call retrying is waiting, not hanging
    answered: float | None = None
    throttled: int = 0  # of those answers, throttling errors
    #: the HTTP attempt under way (botocore retries a timeout or a 5xx), and the client's
    #: limits: a call may wait max_attempts x read_timeout before it fails
    attempt: int = 1
    max_attempts: int | None = None
    read_timeout: float | None = None


class CallCounter:
    """Counts the operations actually sent (one per logical call; retries are not recounted)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._attempts = 0
        self._throttles = 0
        self._in_flight: dict[int, InFlight] = {}

    def _hook(self, model: Any = None, **_: Any) -> None:
        key = f"{model.service_model.service_name}.{model.name}"
        with self._lock:
            self._counts[key] += 1

    def install(self, client: Any, *, account_id: str | None = None) -> Any:
        events = client.meta.events
        region = client.meta.region_name
        config = client.meta.config
        retries = getattr(config, "retries", None) or {}
        max_attempts = retries.get("total_max_attempts")
        if max_attempts is None and retries.get("max_attempts") is not None:
            max_attempts = int(retries["max_attempts"]) + 1
        read_timeout = getattr(config, "read_timeout", None)
        events.register("before-call", self._hook, unique_id="secretgraph-call-counter")

        def started(model: Any = None, context: Any = None, **_: Any) -> None:
            if context is None:
                return
            call = InFlight(operation=f"{model.service_model.service_name}.{model.name}",
                            account_id=account_id, region=region, started=time.monotonic(),
                            max_attempts=max_attempts, read_timeout=read_timeout)
            with self._lock:
                self._in_flight[id(context)] = call

        def ended(context: Any = None, **_: Any) -> None:
            with self._lock:
                self._in_flight.pop(id(context), None)

        def attempt(**_: Any) -> None:
            with self._lock:
                self._attempts += 1

        def needs_retry(response: Any = None, request_dict: Any = None, attempts: Any = None,
                        **_: Any) -> None:
            from scanner.aws.errors import THROTTLED_CODES

            throttled = False
            if isinstance(response, tuple) and len(response) == 2 and \
                    isinstance(response[1], dict):
                code = response[1].get("Error", {}).get("Code")
                throttled = code in THROTTLED_CODES
            context = request_dict.get("context") if isinstance(request_dict, dict) else None
            with self._lock:
                if throttled:
                    self._throttles += 1
                call = self._in_flight.get(id(context)) if context is not None else None
                if call is not None and isinstance(attempts, int):
                    # attempt ``attempts`` ended (answered or timed out); the next may follow
                    nxt = attempts + 1
                    call = replace(call, attempt=min(nxt, call.max_attempts or nxt))
                    self._in_flight[id(context)] = call
                if call is not None and response is not None:
                    self._in_flight[id(context)] = replace(
                        call, answered=time.monotonic(), throttled=call.throttled + throttled)
            return None

        events.register("before-call", started, unique_id="secretgraph-in-flight-start")
        events.register("after-call", ended, unique_id="secretgraph-in-flight-end")
        events.register("after-call-error", ended, unique_id="secretgraph-in-flight-error")
        events.register("before-send", attempt, unique_id="secretgraph-attempts")
        events.register("needs-retry", needs_retry, unique_id="secretgraph-throttles")
        return client

    def add(self, counts: Mapping[str, int]) -> None:
        """Add counts made elsewhere (the shards of ``scan --processes``)."""
        with self._lock:
            self._counts.update(counts)

    def counts(self) -> dict[str, int]:
        """``{"service.Operation": n}``, sorted by name."""
        with self._lock:
            return dict(sorted(self._counts.items()))

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def retries(self) -> int:
        """HTTP attempts beyond the first of each call (throttling, timeouts, 5xx)."""
        with self._lock:
            return max(0, self._attempts - sum(self._counts.values()))

    def throttles(self) -> int:
        """Answers that were throttling errors (each one was retried or became coverage)."""
        with self._lock:
            return self._throttles

    def in_flight(self) -> list[InFlight]:
        """Calls sent and not answered yet, oldest first."""
        with self._lock:
            return sorted(self._in_flight.values(), key=lambda c: c.started)
