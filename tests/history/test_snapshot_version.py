"""A stored scan whose snapshot has another schema_version (fault trial round 3).

`scan --snapshot` refused a schema_version 2 document ("this secretgraph reads 1"), but the
same document stored as the last complete scan of --history was silently used for drift and
the policy carry; one with new fields got "damaged payload ... unknown field(s)" every later
night without saying a newer secretgraph wrote it. Both now make the one check
(scanner.snapshot_io.check_schema_version): the history names the scan, the version and
"written by a newer secretgraph", exit 2, before anything is collected or stored."""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from scanner.cli import main
from scanner.errors import InputError
from scanner.history.blobs import encode_blob
from scanner.history.sqlite_store import SqliteHistoryStore

from helpers.scanfactory import access, document, secret, snapshot


def _history_with_newer_snapshot(tmp_path: Path, edit: Any) -> Path:
    path = tmp_path / "h.db"
    store = SqliteHistoryStore(path)
    for scan_id, started in (("s1", "2026-11-27T01:00:00Z"), ("s2", "2026-11-28T01:00:00Z")):
        snap = snapshot(scan_id, started, [secret("db")])
        store.record(snap.meta, snap, document(snap), access({}))
    conn = sqlite3.connect(path)
    digest = conn.execute("SELECT snapshot_digest FROM scans WHERE scan_id = 's2'").fetchone()[0]
    data = json.loads(gzip.decompress(
        conn.execute("SELECT data FROM blobs WHERE digest = ?", (digest,)).fetchone()[0]))
    edit(data)
    conn.execute("UPDATE blobs SET data = ? WHERE digest = ?", (encode_blob(data), digest))
    conn.commit()
    conn.close()
    return path


def _v2(data: dict[str, Any]) -> None:
    data["schema_version"] = 2


def _v2_with_a_new_field(data: dict[str, Any]) -> None:
    data["schema_version"] = 2
    data["meta"]["a_field_of_version_2"] = True


@pytest.mark.parametrize("edit", [_v2, _v2_with_a_new_field], ids=["same-fields", "new-field"])
def test_a_stored_snapshot_of_a_newer_schema_is_refused_naming_the_scan(
        tmp_path: Path, edit: Any) -> None:
    """Fault trial round 3 (repro_history_newer_snapshot.sh)."""
    store = SqliteHistoryStore(_history_with_newer_snapshot(tmp_path, edit))
    for read in (store.load, store.load_snapshot):
        with pytest.raises(InputError) as err:
            read("s2")
        text = str(err.value)
        assert "scan 's2'" in text and "schema_version 2" in text
        assert "written by a newer secretgraph" in text and "damaged" not in text
    assert store.load("s1").snapshot.meta.scan_id == "s1"


def test_diff_over_such_a_history_exits_2_and_changes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Fault trial round 3: exit 2 with the one line; nothing stored is lost."""
    path = _history_with_newer_snapshot(tmp_path, _v2)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    assert main(["diff", "--history", str(path)]) == 2
    err = capsys.readouterr().err
    assert "written by a newer secretgraph" in err and "'s2'" in err
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_scan_snapshot_says_the_same_of_the_same_document(tmp_path: Path) -> None:
    """Fault trial round 3: one check for `scan --snapshot` and the history."""
    from scanner.snapshot_io import validate_document

    with pytest.raises(InputError) as err:
        validate_document({"schema_version": 2, "meta": {}}, path="x.json")
    assert "schema_version 2" in str(err.value)
    assert "written by a newer secretgraph" in str(err.value)
    with pytest.raises(InputError, match="schema_version 0"):
        validate_document({"schema_version": 0, "meta": {}}, path="x.json")


def test_the_s3_history_says_the_same() -> None:
    """Fault trial round 3: the S3 store makes the same check."""
    import boto3
    from moto import mock_aws

    from scanner.history.s3_store import S3HistoryStore

    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="testing",
                              aws_secret_access_key="testing")
        client.create_bucket(Bucket="history-bucket")
        store = S3HistoryStore("s3://history-bucket/p", client)
        snap = snapshot("s1", "2026-11-27T01:00:00Z", [secret("db")])
        store.record(snap.meta, snap, document(snap), access({}))
        key = "p/scans/s1/snapshot.json.gz"
        data = json.loads(gzip.decompress(client.get_object(Bucket="history-bucket", Key=key)["Body"].read()))
        data["schema_version"] = 2
        client.put_object(Bucket="history-bucket", Key=key, Body=encode_blob(data))
        with pytest.raises(InputError) as err:
            store.load("s1")
        assert "scan 's1'" in str(err.value)
        assert "written by a newer secretgraph" in str(err.value)
