"""``gc_paused``: no cyclic garbage collection while a step allocates millions of long-lived
objects (reading a snapshot, findings, document rows, writing findings.json). Each full
collection would walk all of them again, and they make no reference cycles; reference counting
still frees everything else. The previous state is restored afterwards."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
