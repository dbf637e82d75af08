"""``gc_paused``: no cyclic garbage collection while a step allocates millions of long-lived
objects (reading a snapshot, findings, document rows, writing findings.json). Each full
collection would walk all of them again, and they make no reference cycles; reference counting
still frees everything else. The previous state is restored afterwards.

Re-enabling the collector after such a step used to cost a walk of everything the step had
made: all of it was still in the youngest generation, so the first allocation afterwards
started a collection over millions of objects (0.2-0.5 s per step at 30,000 secrets). Inside
``freezing()`` (a scan: ``pipeline.run_scan``) a paused step ends with ``gc.freeze()``
instead: what exists is moved out of the collector's sight, and ``freezing()`` hands it back
(``gc.unfreeze()``) when the scan is over, so a process that goes on (tests, a warm Lambda)
collects it as before."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

_freezing = 0  # how many freezing() blocks are open


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if _freezing:
                gc.freeze()
            gc.enable()


@contextmanager
def freezing() -> Iterator[None]:
    """Paused steps inside end by freezing what exists (see the module docstring); on the
    way out everything frozen is handed back to the collector."""
    global _freezing
    _freezing += 1
    try:
        yield
    finally:
        _freezing -= 1
        if not _freezing:
            gc.unfreeze()


def collect_frozen() -> None:
    """Inside ``freezing()``: collect what was frozen and is garbage now (a long run of paused
    steps -- a remediation plan analyses the estate once per change -- would otherwise keep
    every cyclic leftover it froze), then freeze what is left. One full collection: call it
    every so many steps, not after each."""
    if _freezing:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
