"""The progress of `scan --processes N`'s shard processes, shown by the parent's bar.

Each shard process collects its accounts as `scan` does and tells its own phases to a
``ShardProgress``, which writes them into a few integers of memory shared with the parent
(``new_slots``): the phase, then how many of the assume and collect phases' units are done,
and out of how many. The parent reads them while it waits (``ShardsShown.show``) and tells its
own ``scanner.progress.Progress`` one phase for all the shards -- the earliest any shard is
in -- with the sums, so the bar reads as a scan in one process does ("collect 412/4,004
accounts x Regions"). Before, it named the phase and showed no count for the whole collection:
minutes at 1,000 accounts with nothing moving (known since the fourteenth session).

Shared memory and not a queue: each shard writes only its own slots, so a shard killed mid-write
leaves no lock held that the others or the parent would wait on; the parent reads a count that
is at worst a frame old.
"""

from __future__ import annotations

from typing import Any, Sequence

#: the phases a shard tells, in order (scanner.collect: collect_shard, _collect_accounts)
PHASES = ("discover", "assume", "collect")
#: each phase's unit, as the bar of a scan in one process names it
UNITS = {"assume": "accounts", "collect": "accounts x Regions"}
#: the slots of one shard: phase (-1 not started), assume total, assume done, collect total,
#: collect done, then its API calls, throttles and retries so far
SLOTS = 8
_CALLS = 5


def new_slots(context: Any, shards: int) -> Any:
    """Memory shared with the shard processes of ``context`` (a multiprocessing context),
    passed to each as it starts: ``SLOTS`` signed 64-bit integers a shard, no lock."""
    slots = context.Array("q", SLOTS * shards, lock=False)
    for i in range(shards):
        slots[i * SLOTS] = -1
    return slots


class ShardProgress:
    """What one shard process (``index`` from 0) tells: ``scanner.progress.Progress``'s
    ``phase`` and ``advance``, written into its slots, with what its ``counter`` (a
    scanner.aws.calls.CallCounter) has counted by then."""

    def __init__(self, slots: Any, index: int, counter: Any = None) -> None:
        self.slots, self.base, self.current = slots, index * SLOTS, 0
        self.counter = counter

    def _calls(self) -> None:
        if self.counter is not None:
            at = self.base + _CALLS
            self.slots[at] = self.counter.total()
            self.slots[at + 1] = self.counter.throttles()
            self.slots[at + 2] = self.counter.retries()

    def phase(self, name: str, *, total: int | None = None, unit: str = "") -> None:
        if name not in PHASES:
            return
        p = PHASES.index(name)
        if p:  # the total first: the parent never reads a phase with the last one's total
            self.slots[self.base + 2 * p - 1] = total or 0
            self.slots[self.base + 2 * p] = 0
        self.slots[self.base] = p
        self.current = p
        self._calls()

    def advance(self, n: int = 1) -> None:
        if self.current:
            self.slots[self.base + 2 * self.current] += n
        self._calls()


def shards_phase(slots: Sequence[int], shards: int) -> tuple[str, int | None, int]:
    """(phase, total, done) of all the shards: the earliest phase any shard is in, and the sums
    of every shard's units of it (a shard past it has done all of them). No total while a
    shard has not started, or is still finding its accounts."""
    phases = [slots[i * SLOTS] for i in range(shards)]
    p = min(phases)
    if p < 1:
        return PHASES[0], None, 0
    total = sum(slots[i * SLOTS + 2 * p - 1] for i in range(shards))
    done = sum(slots[i * SLOTS + 2 * p] for i in range(shards))
    return PHASES[p], total, min(done, total)


def shards_calls(slots: Sequence[int], shards: int) -> tuple[int, int, int]:
    """(calls, throttles, retries) the shards have told so far, summed."""
    calls, throttles, retries = (sum(slots[i * SLOTS + _CALLS + k] for i in range(shards))
                                 for k in range(3))
    return calls, throttles, retries


class ShardsShown:
    """The parent's side: ``show`` tells ``progress`` (a scanner.progress.Progress) what the
    shards' slots say, a new phase when it changes, else the units done since; ``calls``
    is what they have called (``Progress.elsewhere`` while they run)."""

    def __init__(self, progress: Any, slots: Sequence[int], shards: int) -> None:
        self.progress, self.slots, self.shards = progress, slots, shards
        self.name: str | None = None
        self.done = 0

    def show(self) -> None:
        name, total, done = shards_phase(self.slots, self.shards)
        if name != self.name and self.name in UNITS:
            # every shard is past the phase that ends: it is drawn as it ended (5/5, not the
            # 4/5 of the last look), as a scan in one process draws it
            p = PHASES.index(self.name)
            ended = sum(self.slots[i * SLOTS + 2 * p] for i in range(self.shards))
            if ended > self.done:
                self.progress.advance(ended - self.done)
        if name != self.name:
            plural = "es" if self.shards != 1 else ""
            self.progress.phase(name, total=total,
                                unit=UNITS.get(name, f"{self.shards} shard process{plural}"))
            self.name, self.done = name, 0
        if done > self.done:
            self.progress.advance(done - self.done)
            self.done = done

    def calls(self) -> tuple[int, int, int]:
        return shards_calls(self.slots, self.shards)
