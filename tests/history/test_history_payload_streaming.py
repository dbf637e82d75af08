"""History payloads are encoded as a stream, byte-identical to the one-string encoding (so
stored histories stay content-addressed and readable), and the SQLite store reads a findings
document alone (organization-scale trial round 3: store.record took +250 MB and 3.1 s CPU at
100 accounts; the SQLite store had no load_document)."""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers.access_estate import estate
from helpers.bench_synth import synth_snapshot

from scanner.cli import main
from scanner.errors import InputError
from scanner.history.blobs import decode_blob, encode_blob
from scanner.history.sqlite_store import SqliteHistoryStore
from scanner.model import Snapshot, to_jsonable
from scanner.snapshot_io import write_snapshot


def _one_string(value: Any) -> bytes:
    """The payload encoding before streaming: one canonical JSON text, gzip level 9."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def _record(tmp_path: Path, snap: Snapshot, scan_id: str) -> Path:
    snap = replace(snap, meta=replace(snap.meta, scan_id=scan_id))
    path = write_snapshot(tmp_path / f"{scan_id}.json.gz", snap)
    history = tmp_path / "h.db"
    assert main(["scan", "--snapshot", str(path), "--history", str(history), "-q",
                 "--out", str(tmp_path / scan_id)]) in (0, 1)
    return history


def _payloads_of(history: Path, scan_id: str) -> list[bytes]:
    conn = sqlite3.connect(history)
    try:
        row = conn.execute("SELECT snapshot_digest, document_digest, access_digest FROM scans"
                           " WHERE scan_id = ?", (scan_id,)).fetchone()
        return [conn.execute("SELECT data FROM blobs WHERE digest = ?", (d,)).fetchone()[0]
                for d in row]
    finally:
        conn.close()


def _assert_stored_as_one_string(history: Path, scan_id: str) -> None:
    stored = SqliteHistoryStore(history).load(scan_id)
    # the snapshot given as it is (not its JSON tree), the document, the access report
    assert encode_blob(stored.snapshot) == _one_string(to_jsonable(stored.snapshot))
    assert encode_blob(dict(stored.document)) == _one_string(dict(stored.document))
    assert stored.access is not None
    assert encode_blob(dict(stored.access)) == _one_string(dict(stored.access))
    blobs = _payloads_of(history, scan_id)  # what record() stored, and its content addresses
    assert blobs == [_one_string(decode_blob(b)) for b in blobs]
    conn = sqlite3.connect(history)
    try:
        digests = conn.execute("SELECT snapshot_digest, document_digest, access_digest"
                               " FROM scans WHERE scan_id = ?", (scan_id,)).fetchone()
    finally:
        conn.close()
    assert list(digests) == [hashlib.sha256(_one_string(decode_blob(b))).hexdigest()
                             for b in blobs]


def test_a_synth_scan_is_recorded_byte_identical_to_the_one_string_encoding(
        tmp_path: Path) -> None:
    """Organization-scale trial round 3: store.record built each payload as one canonical
    JSON string, then its bytes, then gzip. Streamed, the blobs are the same bytes."""
    history = _record(tmp_path, synth_snapshot(12, 15, 4), "s1")
    _assert_stored_as_one_string(history, "s1")


def test_the_demo_scan_is_recorded_byte_identical_to_the_one_string_encoding(
        tmp_path: Path) -> None:
    """Organization-scale trial round 3: the demo's scan (moto), recorded through the
    streaming encoder, is stored as the one-string encoding stored it."""
    from scanner.demo.run import CONFIG

    assert main(["demo", "-q", "--out", str(tmp_path / "demo")]) in (0, 1)
    history = tmp_path / "h.db"
    assert main(["scan", "--snapshot", str(tmp_path / "demo" / "snapshot.json.gz"),
                 "--config", str(CONFIG), "--history", str(history), "-q",
                 "--out", str(tmp_path / "o")]) in (0, 1)
    [record] = SqliteHistoryStore(history).list()
    _assert_stored_as_one_string(history, record.scan_id)


def test_encoding_a_payload_does_not_hold_its_whole_text() -> None:
    """Organization-scale trial round 3: the snapshot's whole JSON tree, then its whole text,
    then its bytes were held at once to compress them."""
    snapshot = synth_snapshot(100, 30, 4)
    text = len(json.dumps(to_jsonable(snapshot), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode("utf-8"))
    tracemalloc.start()
    try:
        encode_blob(snapshot)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < text / 2, (peak, text)


def test_the_sqlite_store_reads_one_scans_findings_document_alone(tmp_path: Path) -> None:
    """Organization-scale trial round 3: the SQLite store had no load_document (the S3
    store had one); a scan read a whole second scan for its document."""
    history = _record(tmp_path, estate(secret_policy=None), "n1")
    store = SqliteHistoryStore(history)
    assert store.load_document("n1") == store.load("n1").document
    with pytest.raises(InputError, match="no scan 'n9'"):
        store.load_document("n9")


def _public(snap: Snapshot, scan_id: str) -> Snapshot:
    """Tonight: one secret more made readable by everyone (new verdicts: the access report's
    verdict indices move), one secret gone."""
    accounts = list(snap.accounts)
    first = accounts[0]
    region = first.regions[0]
    secrets = list(region.secrets)
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Public", "Effect": "Allow", "Principal": "*",
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    secrets[0] = replace(secrets[0], resource_policy=json.dumps(policy))
    del secrets[1]
    accounts[0] = replace(first, regions=(replace(region, secrets=tuple(secrets)),)
                          + first.regions[1:])
    return replace(snap, accounts=tuple(accounts),
                   meta=replace(snap.meta, scan_id=scan_id,
                                started_at="2026-12-05T02:00:00Z"))


def test_the_previous_scan_read_against_tonight_is_equal_and_held_once(
        tmp_path: Path) -> None:
    """Organization-scale trial round 3: the last complete scan's document and access report
    were decoded whole next to tonight's equal ones (+420 MB at 100 accounts). Read against
    tonight, what equals tonight's is tonight's object, and what is given back is equal to
    the plain read (the diff, the first_seen carry and the Security Hub export read it)."""
    from scanner.history.records import Tonight

    base = synth_snapshot(12, 15, 4)
    history = _record(tmp_path, base, "n1")
    _record(tmp_path, _public(base, "n2"), "n2")
    store = SqliteHistoryStore(history)
    tonight = store.load("n2")
    assert tonight.access is not None
    like = Tonight.of(tonight.document, tonight.access)
    tracemalloc.start()
    try:
        plain = store.load("n1")
        plain_held, _ = tracemalloc.get_traced_memory()
        del plain
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        shared = store.load("n1", like=like)
        shared_held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    plain = store.load("n1")
    assert shared.document == plain.document and shared.access == plain.access
    assert shared.snapshot == plain.snapshot and shared.record == plain.record
    assert list(shared.document) == list(plain.document)  # the members in their order
    assert shared_held - before < plain_held / 2, (shared_held - before, plain_held)
    rows = {f["id"]: f for f in tonight.document["findings"]}
    same = [f for f in shared.document["findings"]
            if f["id"] in rows and f["evidence"] is rows[f["id"]]["evidence"]]
    assert len(same) > len(shared.document["findings"]) * 0.9


@pytest.mark.parametrize("damage", ["cut", "garbage", "not-json"])
def test_a_damaged_payload_read_element_by_element_is_a_value_error(damage: str) -> None:
    """Organization-scale trial round 3: the streamed read says what decode_blob says of a
    damaged payload (a ValueError the stores report naming the file and the scan)."""
    from scanner.history.blobs import decode_blob_elements

    blob = encode_blob({"findings": [{"id": str(i), "x": "y" * 50} for i in range(3000)],
                        "scan": {"complete": True}})
    bad = {"cut": blob[: len(blob) // 2], "garbage": b"not gzip at all",
           "not-json": gzip.compress(b'{"findings":[{"id":1},oops]}', mtime=0)}[damage]
    with pytest.raises(ValueError):
        decode_blob(bad)
    with pytest.raises(ValueError):
        decode_blob_elements(bad, lambda member, key, value: value)
    assert decode_blob_elements(blob, lambda member, key, value: value) == decode_blob(blob)


def test_an_incomplete_newest_scans_document_read_against_tonight_is_equal(
        tmp_path: Path) -> None:
    """Organization-scale trial round 3: the night after an incomplete night peaked at
    1,140 MB at 100 accounts -- the incomplete night's document decoded whole next to
    tonight's for its first_seen. Read against tonight, its rows equal tonight's are
    tonight's values, and the document is equal to the plain read."""
    from scanner.history.records import Tonight

    base = synth_snapshot(12, 15, 4)
    history = _record(tmp_path, base, "n1")
    _record(tmp_path, _public(base, "n2"), "n2")
    store = SqliteHistoryStore(history)
    tonight = store.load("n2")
    like = Tonight.of(tonight.document, tonight.access)
    shared = store.load_document("n1", like=like)
    assert shared == store.load_document("n1")
    rows = {f["id"]: f for f in tonight.document["findings"]}
    same = [f for f in shared["findings"]
            if f["id"] in rows and f["evidence"] is rows[f["id"]]["evidence"]]
    assert len(same) > len(shared["findings"]) * 0.9
