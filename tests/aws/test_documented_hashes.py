"""docs/collection.md spells out the two hashes that spread work, so that an operator can say
which shard holds an account and which night re-reads a policy: the first 8 bytes of the
SHA-256, read big-endian, modulo the count (the page said `sha256(...)` modulo N, which is
another number: the whole digest modulo 3 differs for an account id as plain as
111122223333)."""

from __future__ import annotations

import datetime
import hashlib

from scanner.incremental import refresh_night
from scanner.shards import shard_of


def _head(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def test_an_accounts_shard_is_the_digests_first_8_bytes_modulo_n_plus_one() -> None:
    accounts = [f"{n:012d}" for n in range(111122223333, 111122223333 + 50)]
    assert [shard_of(a, 3) for a in accounts] == [_head(a) % 3 + 1 for a in accounts]
    whole = int.from_bytes(hashlib.sha256(b"111122223333").digest(), "big")
    assert whole % 3 != _head("111122223333") % 3  # why the page names the 8 bytes


def test_a_policys_refresh_night_is_its_digests_head_against_the_days_ordinal() -> None:
    arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-AbCdEf"
    days = [datetime.date(2026, 12, 1) + datetime.timedelta(days=n) for n in range(14)]
    assert [d for d in days if refresh_night(arn, d, 7)] == \
        [d for d in days if _head(arn) % 7 == d.toordinal() % 7]
