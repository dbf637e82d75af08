"""`secretgraph history prune`: which recorded scans may be deleted (pure; the store deletes).

The user says how much history to keep (``--keep-days N``: scans started in the last N days;
``--keep N``: the N newest scans; both: a scan either keeps is kept). Whatever they say, a
prune never deletes a scan a later command still needs:

* **the newest complete scan and every scan after it.** The next scan diffs against the
  newest complete scan and carries unchanged policies from its snapshot
  (scanner.pipeline.run_scan, scanner.incremental.load_carry); it carries first_seen from
  that scan's findings document and from the newest scan's when that one is incomplete
  (scanner.scan_history.with_first_seen); and without an export ledger (the SQLite store keeps
  none) its Security Hub export archives against the newest complete scan's export and every
  export after it (scanner.hub_export.export_with_ledger). The newest scan is always among
  these (with no complete scan it is kept as the newest of ``EXPORT_WINDOW``).
* **with no complete scan at all**, the newest ``EXPORT_WINDOW`` scans: the next export reads
  as many, and first_seen is carried from the newest.
* **the scans a ledger names** (``pinned``: the S3 store's notification ledger and Security
  Hub export ledger name the last settled scan, and the scans after it are read from there).

Nothing else in a store points at a scan: first_seen is carried inside each findings document
(a kept scan's document holds the dates it carried, whatever was deleted since), and re-read
marks are kept by time, not by scan (a mark older than every policy read a kept scan carries
no longer matters, and the marks table is not pruned).

A scan whose start time cannot be read is kept (a prune never deletes on input it cannot
judge)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Iterable, Sequence

from scanner.errors import UsageError
from scanner.history.records import ScanRecord, future_scans, started_at_of

#: how many recorded scans the Security Hub export reads at the most (scanner.hub_export
#: imports it: one constant for what the export reads and what pruning keeps)
EXPORT_WINDOW = 31


@dataclass(frozen=True, kw_only=True)
class Retention:
    """What the user keeps: scans started in the last ``days`` days and/or the ``count``
    newest scans (at least one of them; each at least 1)."""

    days: int | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if self.days is None and self.count is None:
            raise UsageError("prune needs --keep-days N and/or --keep N (how much history to "
                             "keep)")
        if self.days is not None and self.days < 1:
            raise UsageError(f"--keep-days {self.days}: keep at least 1 day (the scans a "
                             "later scan needs are kept whatever it says)")
        if self.count is not None and self.count < 1:
            raise UsageError(f"--keep {self.count}: keep at least 1 scan (the scans a later "
                             "scan needs are kept whatever it says)")


@dataclass(frozen=True, kw_only=True)
class PrunePlan:
    """``remove``: the scans to delete, oldest first; ``keep``: the scans kept, with why
    (``needed``: the ids kept because a later command needs them, whatever the retention)."""

    remove: tuple[ScanRecord, ...]
    keep: tuple[ScanRecord, ...]
    needed: frozenset[str]


def needed_scans(records: Sequence[ScanRecord], pinned: Iterable[str] = (),
                 now: datetime.datetime | None = None, *,
                 damaged: Iterable[str] = ()) -> frozenset[str]:
    """The ids of the scans a later command needs (records oldest first, as ``list()``).
    A scan started in the future (``future_scans``) is kept and is not taken as the newest:
    fault-injection trial round 5 -- one scan made with a clock 200 days ahead sorted last,
    and ``--keep 1`` kept it and listed the three nights recorded after it for deletion.
    A ``damaged`` scan (scanner.history.damage) is kept when it is among them, but is not
    the complete scan the next night diffs against, which the nightly scan skips it for
    (fault-injection trial round 9: ``--keep 1`` deleted that intact scan)."""
    future = {r.scan_id for r in future_scans(records, now)}
    ordinary = [r for r in records if r.scan_id not in future]
    ids = [r.scan_id for r in ordinary]
    skip = set(damaged)
    complete = [i for i, r in enumerate(ordinary) if r.complete and r.scan_id not in skip]
    start = _covering(ordinary, complete) if complete else max(0, len(ids) - EXPORT_WINDOW)
    for scan_id in pinned:  # a ledger's scan and every scan after it
        if scan_id in ids:
            start = min(start, ids.index(scan_id))
    return frozenset(ids[start:]) | future


def _covering(ordinary: Sequence[ScanRecord], complete: Sequence[int]) -> int:
    """The index of the newest complete scan that the next full night may diff against: run
    without --severity / --rules / --exclude-rules / --compliance (its record's
    ``scope_limited`` count) and covering every account and Region the complete scans of the
    look-back window covered. The next night passes over a narrower scan and diffs against
    that one (scanner.history.scope), so it is kept. None within ``LOOK_BACK`` complete scans:
    the newest complete scan, as the next night then takes it."""
    from scanner.history.scope import LOOK_BACK

    window = list(reversed(complete))[:LOOK_BACK]
    accounts = {a for i in window for a in ordinary[i].accounts}
    regions = {g for i in window for g in ordinary[i].regions}
    for i in window:
        record = ordinary[i]
        if not record.counts.get("scope_limited") and accounts <= set(record.accounts) \
                and regions <= set(record.regions):
            return i
    return complete[-1]


def plan_prune(records: Sequence[ScanRecord], retention: Retention, now: datetime.datetime,
               *, pinned: Iterable[str] = (), damaged: Iterable[str] = ()) -> PrunePlan:
    """The scans ``retention`` lets go at ``now``, less those a later command needs."""
    damaged = tuple(damaged)
    needed = needed_scans(records, pinned, now, damaged=damaged) if damaged else \
        needed_scans(records, pinned, now)
    ordinary = [r for r in records if r.scan_id not in {f.scan_id for f in
                                                         future_scans(records, now)}]
    newest = {r.scan_id for r in ordinary[-retention.count:]} if retention.count else set()
    cutoff = None
    if retention.days:
        # a retention longer than the calendar ("keep everything": --keep-days 999999999)
        # keeps every scan, where the subtraction overflowed (fault-injection trial round 5)
        try:
            cutoff = now - datetime.timedelta(days=retention.days)
        except OverflowError:
            cutoff = datetime.datetime.min.replace(tzinfo=now.tzinfo)
    remove: list[ScanRecord] = []
    keep: list[ScanRecord] = []
    for record in records:
        started = started_at_of(record)
        kept = (record.scan_id in needed or record.scan_id in newest or started is None
                or (cutoff is not None and started >= cutoff))
        (keep if kept else remove).append(record)
    return PrunePlan(remove=tuple(remove), keep=tuple(keep), needed=needed)
