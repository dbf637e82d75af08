"""Benchmark: the incremental-collection hand-off of the organization-scale workflow.

    python bench/carry.py [--accounts 1000] [--secrets 100] [--marks 1000] [--batch 10]

On a synthetic snapshot of ``accounts`` x ``secrets`` secrets (bench/synth.py), as the last
complete scan:

1. discovery: ``PolicyCarry.from_snapshot`` + ``with_marks`` (``marks`` re-read marks) +
   ``by_account`` + one gzipped carry file per account (what ``tasks.prepare_carry`` writes);
2. a collector: reads the carry files of one batch (``batch`` accounts) and merges them
   (what ``tasks.read_carry`` does).

Prints CPU seconds (time.process_time) per phase, the bytes written, and peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synth import make_snapshot  # noqa: E402
from scanner.history.records import ReReadMark  # noqa: E402
from scanner.incremental import PolicyCarry  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--secrets", type=int, default=100)
    ap.add_argument("--marks", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=10)
    args = ap.parse_args()
    snapshot = make_snapshot(accounts=args.accounts, secrets_per_account=args.secrets)
    accounts = [a.account_id for a in snapshot.accounts]
    arns = [s.arn for a in snapshot.accounts for r in a.regions for s in r.secrets]
    print(f"snapshot: {len(accounts)} accounts, {len(arns)} secrets; peak RSS {rss_mb():.0f} MB")

    t0 = time.process_time()
    carry = PolicyCarry.from_snapshot(snapshot)
    marks = [ReReadMark(resource=arns[i * len(arns) // max(args.marks, 1)],
                        marked_at="2030-01-01T00:00:00.000000Z", source="bench")
             for i in range(args.marks)]
    carry = carry.with_marks(marks)
    files = {a: c.to_bytes() for a, c in carry.by_account(accounts).items()}
    t1 = time.process_time()
    size = sum(len(b) for b in files.values())
    print(f"discovery: {len(carry.policies)} policies, {args.marks} marks -> {len(files)} carry "
          f"files, {size / 1e6:.1f} MB gzipped; {t1 - t0:.2f} s CPU; peak RSS {rss_mb():.0f} MB")

    t2 = time.process_time()
    batch = accounts[:args.batch]
    merged: PolicyCarry | None = None
    for account in batch:
        mine = PolicyCarry.from_bytes(files[account], where=account)
        merged = mine if merged is None else merged.merged(mine)
    t3 = time.process_time()
    assert merged is not None
    print(f"collector: {len(batch)} carry files, {len(merged.policies)} policies; "
          f"{t3 - t2:.3f} s CPU")


if __name__ == "__main__":
    main()
