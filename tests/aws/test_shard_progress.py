"""`scan --processes N`: the shard processes' phases reach the parent's bar
(scanner.shard_progress). The bar named the collect phase and counted nothing for the whole
collection -- minutes at 1,000 accounts."""

from __future__ import annotations

import multiprocessing

from scanner.progress import Progress
from scanner.shard_progress import ShardProgress, ShardsShown, new_slots, shards_phase


def test_the_bar_shows_the_earliest_phase_any_shard_is_in_with_the_sums_of_its_units() -> None:
    slots = new_slots(multiprocessing.get_context("spawn"), 2)
    one, two = ShardProgress(slots, 0), ShardProgress(slots, 1)
    assert shards_phase(slots, 2) == ("discover", None, 0)  # none started
    one.phase("discover")
    one.phase("assume", total=3, unit="accounts")
    assert shards_phase(slots, 2) == ("discover", None, 0)  # the other has not started
    two.phase("discover")
    two.phase("assume", total=2, unit="accounts")
    one.advance()
    assert shards_phase(slots, 2) == ("assume", 5, 1)
    one.advance(2)
    one.phase("collect", total=9, unit="accounts x Regions")
    one.advance(4)
    # the second shard still assumes: the bar shows assume, the first's done whole
    assert shards_phase(slots, 2) == ("assume", 5, 3)
    two.advance(2)
    two.phase("collect", total=6, unit="accounts x Regions")
    two.advance()
    assert shards_phase(slots, 2) == ("collect", 15, 5)


def test_a_shard_with_no_accounts_has_nothing_to_count() -> None:
    slots = new_slots(multiprocessing.get_context("spawn"), 2)
    for i, total in enumerate((0, 4)):
        shard = ShardProgress(slots, i)
        shard.phase("discover")
        shard.phase("assume", total=total // 2)
        shard.advance(total // 2)
        shard.phase("collect", total=total)
    assert shards_phase(slots, 2) == ("collect", 4, 0)


class _Bar(Progress):
    def __init__(self) -> None:
        super().__init__()
        self.told: list[tuple[str, int | None, str]] = []
        self.advanced: list[int] = []

    def advance(self, n: int = 1) -> None:
        super().advance(n)
        self.advanced.append(n)

    def phase(self, name: str, *, total: int | None = None, unit: str = "") -> None:
        super().phase(name, total=total, unit=unit)
        self.told.append((name, total, unit))


def test_the_parent_tells_its_bar_each_new_phase_once_and_the_units_done_since() -> None:
    slots = new_slots(multiprocessing.get_context("spawn"), 1)
    bar = _Bar()
    shown = ShardsShown(bar, slots, 1)
    shard = ShardProgress(slots, 0)
    shown.show()
    shown.show()
    assert bar.told == [("discover", None, "1 shard process")]
    shard.phase("discover")
    shard.phase("assume", total=2)
    shard.advance()
    shown.show()
    assert (bar.current, bar.total, bar.done) == ("assume", 2, 1)
    shard.advance()
    shard.phase("collect", total=3)
    shard.advance(3)
    shown.show()
    # the assume phase ended between two looks: drawn as it ended, 2/2, before collect starts
    assert bar.advanced == [1, 1, 3]
    shown.show()
    assert bar.told[1:] == [("assume", 2, "accounts"), ("collect", 3, "accounts x Regions")]
    assert (bar.current, bar.total, bar.done) == ("collect", 3, 3)


class _Counter:
    def __init__(self) -> None:
        self.n = 0

    def total(self) -> int:
        return self.n

    def throttles(self) -> int:
        return self.n // 10

    def retries(self) -> int:
        return self.n // 5


def test_the_calls_cell_counts_the_shards_calls_while_they_run() -> None:
    """It said "0 calls" for the whole collection: the shards' calls were counted only when
    their parts were merged."""
    slots = new_slots(multiprocessing.get_context("spawn"), 2)
    counters = (_Counter(), _Counter())
    shards = [ShardProgress(slots, i, c) for i, c in enumerate(counters)]
    bar = _Bar()
    shown = ShardsShown(bar, slots, 2)
    bar.elsewhere = shown.calls
    for shard in shards:
        shard.phase("discover")
        shard.phase("assume", total=1)
    counters[0].n, counters[1].n = 30, 12
    shards[0].advance()
    shards[1].advance()
    shown.show()
    assert bar.current == "assume"
    assert bar._calls_text() == "42 calls 4 throttled 8 retries"
    bar.elsewhere = None  # merged: the parent's counter holds them now
    assert bar._calls_text() == "0 calls 0 throttled 0 retries"
