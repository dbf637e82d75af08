"""The S3 history store on moto: layout, index written last, unreadable or foreign prefixes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scanner.errors import InputError
from scanner.history import open_store
from scanner.history.s3_store import S3HistoryStore

from helpers.scanfactory import access, document, finding, secret, secret_arn, snapshot

BUCKET = "central-secretgraph-history"



def _record(store: Any, scan_id: str, started: str) -> None:
    snap = snapshot(scan_id, started, [secret("db")])
    store.record(snap.meta, snap, document(snap, [finding("secret-rotation-disabled",
                                                          secret_arn("db"))]),
                 access({secret_arn("db"): [("arn:aws:iam::222222222222:role/app", "allow")]}))


def test_round_trip_and_layout(s3: Any) -> None:
    store = open_store(f"s3://{BUCKET}/nightly", s3_client=s3)
    assert store.list() == []
    _record(store, "s1", "2026-11-28T01:00:00Z")
    _record(store, "s2", "2026-11-29T01:00:00Z")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == ["nightly/index.json",
                    "nightly/scans/s1/access.json.gz", "nightly/scans/s1/findings.json.gz",
                    "nightly/scans/s1/snapshot.json.gz",
                    "nightly/scans/s2/access.json.gz", "nightly/scans/s2/findings.json.gz",
                    "nightly/scans/s2/snapshot.json.gz"]
    assert [r.scan_id for r in store.list()] == ["s1", "s2"]
    loaded = store.load("s2")
    assert loaded.snapshot.meta.scan_id == "s2" and loaded.record.counts["fail"] == 1
    assert loaded.access is not None
    assert store.latest_complete(before="s2").scan_id == "s1"  # type: ignore[union-attr]


def test_crash_before_the_index_leaves_no_half_scan(s3: Any) -> None:
    store = S3HistoryStore(f"s3://{BUCKET}/p", s3)
    _record(store, "s1", "2026-11-28T01:00:00Z")
    real_put = s3.put_object

    def put_but_die_on_index(**kwargs: Any) -> Any:
        if kwargs["Key"].endswith("index.json"):
            raise ConnectionError("simulated crash before the index")
        return real_put(**kwargs)

    crashing = S3HistoryStore(f"s3://{BUCKET}/p", s3)
    s3.put_object = put_but_die_on_index
    try:
        with pytest.raises(InputError, match="cannot write the history"):
            _record(crashing, "s2", "2026-11-29T01:00:00Z")
    finally:
        s3.put_object = real_put
    assert [r.scan_id for r in store.list()] == ["s1"]
    _record(store, "s2", "2026-11-29T01:00:00Z")  # the retry succeeds over the orphans
    assert [r.scan_id for r in store.list()] == ["s1", "s2"]


def test_missing_bucket_is_a_clear_error_when_opening(s3: Any) -> None:
    with pytest.raises(InputError) as err:
        open_store("s3://no-such-bucket/x", s3_client=s3)
    assert "s3://no-such-bucket/x" in str(err.value) and "NoSuchBucket" in str(err.value)
    store = open_store("s3://no-such-bucket/x", s3_client=s3, validate=False)
    with pytest.raises(InputError, match="NoSuchBucket"):
        _record(store, "s1", "2026-11-28T01:00:00Z")


def test_foreign_index_is_refused_and_nothing_written(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="other/index.json", Body=b'{"pages": [1, 2]}')
    with pytest.raises(InputError, match="not a usable secretgraph history"):
        open_store(f"s3://{BUCKET}/other", s3_client=s3)
    store = open_store(f"s3://{BUCKET}/other", s3_client=s3, validate=False)
    with pytest.raises(InputError, match="not a usable secretgraph history"):
        _record(store, "s1", "2026-11-28T01:00:00Z")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == ["other/index.json"]
    body = s3.get_object(Bucket=BUCKET, Key="other/index.json")["Body"].read()
    assert json.loads(body) == {"pages": [1, 2]}


def test_denied_prefix_is_a_clear_error() -> None:
    """A principal without s3:GetObject/ListBucket gets an InputError, never a traceback."""

    class Denied:
        def get_object(self, **kw: Any) -> Any:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}},
                              "GetObject")

        def list_objects_v2(self, **kw: Any) -> Any:
            return self.get_object()

    with pytest.raises(InputError, match="AccessDenied"):
        open_store(f"s3://{BUCKET}/p", s3_client=Denied())


def _index_ids(s3: Any, prefix: str) -> list[str]:
    body = s3.get_object(Bucket=BUCKET, Key=f"{prefix}/index.json")["Body"].read()
    return sorted(r["scan_id"] for r in json.loads(body)["scans"])


class _RivalFirst:
    """An S3 client whose first index write (from one store) lets a rival writer record its
    own scan in between: the index the store read is then no longer the one in S3."""

    def __init__(self, client: Any, rival: Any) -> None:
        self._client, self._rival, self.rival_ran = client, rival, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_object(self, **kwargs: Any) -> Any:
        if kwargs["Key"].endswith("index.json") and not self.rival_ran:
            self.rival_ran = True
            self._rival()
        return self._client.put_object(**kwargs)


@pytest.mark.parametrize("first_scan", [True, False], ids=["new-prefix", "existing-index"])
def test_two_scans_recorded_at_the_same_time_are_both_in_the_index(s3: Any,
                                                                   first_scan: bool) -> None:
    """Fault-injection trial round 2: 3 parallel `scan --history s3://hist/race-N` all exited
    normally, yet the index named 3 scans of the 4 whose payloads were written -- each writer
    read index.json, wrote its payloads, then put the index back unconditionally over the
    entry a concurrent writer had just added. The index is now written only if it is still
    the one read (If-Match on its ETag; If-None-Match "*" for a new prefix), and a writer
    that lost the race reads it again and adds its scan to what is there."""
    prefix = "race"
    if not first_scan:
        _record(S3HistoryStore(f"s3://{BUCKET}/{prefix}", s3), "s0", "2026-11-27T01:00:00Z")
    rival = S3HistoryStore(f"s3://{BUCKET}/{prefix}", s3)
    racing = _RivalFirst(s3, lambda: _record(rival, "s1", "2026-11-28T01:00:00Z"))
    _record(S3HistoryStore(f"s3://{BUCKET}/{prefix}", racing), "s2", "2026-11-28T01:00:01Z")
    assert racing.rival_ran
    expected = ["s1", "s2"] if first_scan else ["s0", "s1", "s2"]
    assert _index_ids(s3, prefix) == expected
    assert [r.scan_id for r in S3HistoryStore(f"s3://{BUCKET}/{prefix}", s3).list()] \
        == expected


def test_an_index_that_keeps_changing_fails_the_record_naming_the_history(
        s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault-injection trial round 2: a writer that loses the race for index.json every time
    (another writer changes it before each of its conditional writes) stops after a bounded
    number of attempts with an InputError naming the history -- the scan is not recorded,
    and the other writers' scans are all still there."""
    from scanner.history import s3_store

    monkeypatch.setattr(s3_store, "_backoff_sleep", lambda attempt: None)
    store_uri = f"s3://{BUCKET}/busy"
    _record(S3HistoryStore(store_uri, s3), "s0", "2026-11-27T01:00:00Z")
    rivals = iter(range(100))

    class RivalEveryTime(_RivalFirst):
        def put_object(self, **kwargs: Any) -> Any:
            if kwargs["Key"].endswith("index.json"):
                n = next(rivals)
                _record(S3HistoryStore(store_uri, s3), f"r{n:02d}",
                        f"2026-11-28T01:00:{n:02d}Z")
            return self._client.put_object(**kwargs)

    busy = S3HistoryStore(store_uri, RivalEveryTime(s3, None))
    with pytest.raises(InputError) as err:
        _record(busy, "mine", "2026-11-29T01:00:00Z")
    assert err.value.path == store_uri
    assert "index.json" in err.value.detail and "PreconditionFailed" in err.value.detail
    ids = _index_ids(s3, "busy")
    assert "mine" not in ids and len(ids) == 1 + s3_store.INDEX_WRITE_ATTEMPTS


def test_an_index_write_whose_answer_was_lost_is_not_a_lost_race(s3: Any) -> None:
    """Review: botocore retries a PutObject whose answer it did not get; when the first attempt
    had landed, the retry met the index's new ETag (412), the re-read index held this very
    scan, and the record failed as "recorded by another writer meanwhile" -- reported as not
    recorded, and a rerun then said "already recorded"."""
    from botocore.exceptions import ClientError

    store_uri = f"s3://{BUCKET}/lost-answer"
    _record(S3HistoryStore(store_uri, s3), "s1", "2026-11-27T01:00:00Z")

    class LandedThenLost(_RivalFirst):
        def put_object(self, **kwargs: Any) -> Any:
            answer = self._client.put_object(**kwargs)
            if kwargs["Key"].endswith("index.json"):  # landed; its retry meets our ETag
                raise ClientError({"Error": {"Code": "PreconditionFailed", "Message": "412"}},
                                  "PutObject")
            return answer

    _record(S3HistoryStore(store_uri, LandedThenLost(s3, None)), "s2", "2026-11-28T01:00:00Z")
    assert _index_ids(s3, "lost-answer") == ["s1", "s2"]


def test_a_scan_read_against_tonight_is_read_as_the_plain_read(s3: Any) -> None:
    """Fifteenth session: the nightly scan reads the previous scan against tonight's -- its
    snapshot account by account (an equal account is tonight's object); a damaged snapshot
    read so says what the plain read says."""
    from scanner.history.records import Tonight

    store = S3HistoryStore(f"s3://{BUCKET}/t", s3)
    _record(store, "s1", "2026-11-28T01:00:00Z")
    _record(store, "s2", "2026-11-29T01:00:00Z")
    tonight = store.load("s2")
    like = Tonight.of(tonight.document, tonight.access, snapshot=tonight.snapshot)
    plain, shared = store.load("s1"), store.load("s1", like=like)
    assert shared.snapshot == plain.snapshot and shared.snapshot.meta.scan_id == "s1"
    assert shared.snapshot.accounts[0] is tonight.snapshot.accounts[0]
    assert shared.document == plain.document and shared.access == plain.access
    s3.put_object(Bucket=BUCKET, Key="t/scans/s1/snapshot.json.gz", Body=b"not gzip")
    with pytest.raises(InputError) as plain_error:
        store.load("s1")
    with pytest.raises(InputError) as shared_error:
        store.load("s1", like=like)
    assert str(shared_error.value) == str(plain_error.value)
    assert "damaged payload t/scans/s1/snapshot.json.gz" in str(shared_error.value)
