"""Open a history store from a URI: an explicit table of schemes -> store classes.

* ``PATH`` or ``sqlite:PATH`` (the default): SqliteHistoryStore, one file.
* ``s3://bucket/prefix``: S3HistoryStore (the scheduled deployment).
"""

from __future__ import annotations

import os
from typing import Any, Callable

from scanner.errors import UsageError
from scanner.history.records import HistoryStore
from scanner.history.s3_store import S3HistoryStore
from scanner.history.sqlite_store import SqliteHistoryStore

#: What `--history` defaults to when neither the flag nor SECRETGRAPH_HISTORY is set.
DEFAULT_HISTORY = "secretgraph-history.db"


class EnvHistory(str):
    """A --history taken from $SECRETGRAPH_HISTORY (a default, not the flag): an empty one is
    named as such."""

    __slots__ = ()


def env_history() -> str | None:
    """$SECRETGRAPH_HISTORY (an ``EnvHistory``), or None when it is not set."""
    value = os.environ.get("SECRETGRAPH_HISTORY")
    return None if value is None else EnvHistory(value)


def check_location(value: object) -> None:
    """An empty or blank --history (``--history "$HISTORY_DB"`` with the variable unset), or
    an empty $SECRETGRAPH_HISTORY, is a mistake: UsageError, exit 2, one line -- never "no
    history" nor the default file (bad-input trial round 1: scan recorded nothing and said
    nothing, history list read ./secretgraph-history.db). None (not given) passes."""
    if isinstance(value, str) and not value.strip():
        raise UsageError("--history: empty location" + (
            " ($SECRETGRAPH_HISTORY is set but empty)" if isinstance(value, EnvHistory) else ""))


def not_created_yet(location: str) -> str:
    """`` (no such file yet: a scan with --history LOCATION creates it)`` for a SQLite history
    that does not exist -- the first morning's, or a misspelt path -- else nothing. Opening
    never creates a store, so every command reading one says it the same way: access,
    remediate and baseline said "no complete scan" in three wordings and diff "the history
    holds 0 complete of 0", none of them that the file was not there (new-user trial 32)."""
    path = location[len("sqlite:"):] if location.startswith("sqlite:") else location
    if "://" in location or os.path.lexists(path):
        return ""
    return f" (no such file yet: a scan with --history {location} creates it)"


def no_complete_scan(location: str) -> str:
    """Why a command reading the latest complete scan of ``location`` has none to read."""
    return "the history holds no complete scan" + not_created_yet(location)


def _sqlite(location: str, s3_client: Any) -> HistoryStore:
    if not location:
        raise UsageError("--history: the sqlite: URI names no file")
    return SqliteHistoryStore(location)


def _s3(location: str, s3_client: Any) -> HistoryStore:
    client = s3_client if s3_client is not None else make_s3_client()
    return S3HistoryStore(f"s3://{location}", client)


#: scheme -> factory(location after "scheme:" / "scheme://", s3 client or None).
SCHEMES: dict[str, Callable[[str, Any], HistoryStore]] = {
    "sqlite": _sqlite,
    "s3": _s3,
}


def make_s3_client() -> Any:
    """An S3 client on the standard credential chain (AWS_ENDPOINT_URL honoured by boto3)."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(retries={"mode": "adaptive", "max_attempts": 8}))


def open_store(uri: str, *, s3_client: Any = None, validate: bool = True) -> HistoryStore:
    """The store behind `uri`, validated read-only unless `validate` is False: a foreign,
    corrupted or newer SQLite file, or an unreadable or foreign S3 prefix, raises InputError
    naming it (exit 2) before anything is scanned, and nothing is modified. Opening never
    creates anything; the first record() does."""
    check_location(uri)
    scheme, sep, rest = uri.partition(":")
    store: HistoryStore
    if sep and scheme in SCHEMES:
        store = SCHEMES[scheme](rest[2:] if rest.startswith("//") else rest, s3_client)
    elif sep and "://" in uri:
        raise UsageError(f"--history: unknown scheme {scheme!r} in {uri!r} "
                         f"(use a file path or one of {', '.join(f'{s}:' for s in SCHEMES)})")
    else:
        store = SqliteHistoryStore(uri)
    if validate:
        store.check()
    return store
