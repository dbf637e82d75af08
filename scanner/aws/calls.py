"""A per-operation API call counter (a botocore ``before-call`` hook; thread-safe)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, Mapping


class CallCounter:
    """Counts the operations actually sent (one per logical call; retries are not recounted)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def _hook(self, model: Any = None, **_: Any) -> None:
        key = f"{model.service_model.service_name}.{model.name}"
        with self._lock:
            self._counts[key] += 1

    def install(self, client: Any) -> Any:
        client.meta.events.register("before-call", self._hook,
                                    unique_id="secretgraph-call-counter")
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
