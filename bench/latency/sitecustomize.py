"""Simulated AWS latency for bench/collection.py: with BENCH_LATENCY_MS set, every botocore
session registers a ``before-send`` hook that sleeps that long before each HTTP request (in
every process started with this directory on PYTHONPATH: scan --processes and the shards too).
"""

from __future__ import annotations

import os
import time
from typing import Any

_MS = float(os.environ.get("BENCH_LATENCY_MS") or 0)

if _MS > 0:
    import botocore.session

    _init = botocore.session.Session.__init__

    def _sleep(**_: Any) -> None:
        time.sleep(_MS / 1000.0)

    def _patched(self: Any, *args: Any, **kwargs: Any) -> None:
        _init(self, *args, **kwargs)
        self.get_component("event_emitter").register(
            "before-send", _sleep, unique_id="bench-simulated-latency")

    botocore.session.Session.__init__ = _patched  # type: ignore[method-assign]
