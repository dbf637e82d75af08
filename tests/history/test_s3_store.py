"""The S3 history store on moto: layout, index written last, unreadable or foreign prefixes."""

from __future__ import annotations

import json
from typing import Any, Iterator

import boto3
import pytest
from moto import mock_aws

from scanner.errors import InputError
from scanner.history import open_store
from scanner.history.s3_store import S3HistoryStore

from helpers.scanfactory import access, document, finding, secret, secret_arn, snapshot

BUCKET = "central-secretgraph-history"


@pytest.fixture()
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="testing",
                              aws_secret_access_key="testing")
        client.create_bucket(Bucket=BUCKET)
        yield client


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
