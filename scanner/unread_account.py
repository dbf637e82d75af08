"""Why nothing of an account was read, in one wording for every report.

An account of the scan whose snapshot holds no data (``AccountSnapshot.assumed`` False) was
either refused by its audit role (an ``AssumeRole`` coverage entry) or, in a sharded run, left
without a snapshot part by its shard (a ``PartMissing`` coverage entry: scanner/shards.py).
The rules' UNKNOWN findings, drift's "not assessed" lines and the HTML report's network cards
said "the audit role could not be assumed" for both, and sent a reader of a missing shard to
debug a trust policy that was fine (new-user trial round 18)."""

from __future__ import annotations

from typing import Iterable

#: the coverage error code of an account whose shard wrote no part (scanner.shards)
PART_MISSING = "PartMissing"
ROLE_NOT_ASSUMED = "the audit role could not be assumed"
NO_PART = "its shard wrote no snapshot part: run its secretgraph collect again"


def parts_missing(entries: Iterable[tuple[str | None, str | None]]) -> frozenset[str]:
    """The accounts of (account id, error code) coverage pairs whose part is missing."""
    return frozenset(a for a, code in entries if a and code == PART_MISSING)


def why_unread(account_id: str, missing: frozenset[str]) -> str:
    """Why the account (one the scan did not read) was not read: ``missing`` from
    ``parts_missing``."""
    return NO_PART if account_id in missing else ROLE_NOT_ASSUMED
