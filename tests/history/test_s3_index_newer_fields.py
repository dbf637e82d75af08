"""index.json written by a newer secretgraph (same index schema, more fields) keeps those
fields when this version adds a scan to it (fault-injection trial round 11)."""

from __future__ import annotations

import json
from typing import Any


from scanner.history import open_store

from helpers.scanfactory import access, document, finding, secret, secret_arn, snapshot

BUCKET = "central-secretgraph-history"



def _record(store: Any, scan_id: str, started: str) -> None:
    snap = snapshot(scan_id, started, [secret("db")])
    store.record(snap.meta, snap, document(snap, [finding("secret-rotation-disabled",
                                                          secret_arn("db"))]),
                 access({secret_arn("db"): [("arn:aws:iam::222222222222:role/app", "allow")]}))


def _index(s3: Any) -> dict[str, Any]:
    return json.loads(s3.get_object(Bucket=BUCKET, Key="p/index.json")["Body"].read())


def test_a_newer_writers_fields_survive_an_older_writer(s3: Any) -> None:
    store = open_store(f"s3://{BUCKET}/p", s3_client=s3)
    _record(store, "s1", "2026-11-28T01:00:00Z")
    newer = _index(s3)
    newer["retention"] = {"keep_days": 400}           # a top-level field of a newer version
    newer["scans"][0]["shards"] = {"count": 4}        # a field of one record
    s3.put_object(Bucket=BUCKET, Key="p/index.json", Body=json.dumps(newer).encode())

    _record(store, "s2", "2026-11-29T01:00:00Z")

    after = _index(s3)
    assert after["retention"] == {"keep_days": 400}
    by_id = {r["scan_id"]: r for r in after["scans"]}
    assert by_id["s1"]["shards"] == {"count": 4}
    assert "shards" not in by_id["s2"]
    assert [r.scan_id for r in store.list()] == ["s1", "s2"]


def test_our_own_fields_are_still_ours_to_write(s3: Any) -> None:
    """A top-level field this version writes (format, schema_version, scans) is never taken
    from what was read."""
    store = open_store(f"s3://{BUCKET}/p", s3_client=s3)
    _record(store, "s1", "2026-11-28T01:00:00Z")
    _record(store, "s2", "2026-11-29T01:00:00Z")
    after = _index(s3)
    assert set(after) == {"format", "schema_version", "scans"}
    assert [r["scan_id"] for r in after["scans"]] == ["s1", "s2"]
