"""A stored payload whose JSON is valid but whose fields have the wrong types (fault-injection
trial round 9, MEDIUM).

The history decoded a stored snapshot without the snapshot schema and read a stored findings
document as it came: `secrets: null` or `tags` as a list in the previous scan's snapshot, a
findings document whose `findings` or `scan` is null, a row that is a number or a `scan.scope`
that is a list ended the next `scan --history` with "internal error: TypeError ...", naming
nothing, every night; an account id or a secret name that is a number was taken as it was
(the drift compared it); a `first_seen` that is a number was carried into tonight's
findings.json and failed its validation in the staging folder. Such a scan is now damaged:
skipped as the previous scan with the warning naming the field (test_damaged_newest_scan)."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path
from typing import Any, Callable

import pytest

from scanner.cli import main
from scanner.errors import InputError
from scanner.history.records import DamagedScan
from scanner.history.blobs import encode_blob
from scanner.history.sqlite_store import SqliteHistoryStore
from scanner.snapshot_io import write_snapshot

from helpers.scanfactory import finding, secret, secret_arn, snapshot


def _secret(d: dict[str, Any]) -> dict[str, Any]:
    return d["accounts"][0]["regions"][0]["secrets"][0]  # type: ignore[no-any-return]


SNAPSHOT_EDITS: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "secrets-null": (lambda d: d["accounts"][0]["regions"][0].__setitem__("secrets", None),
                     "accounts[0].regions[0].secrets"),
    "tags-a-list": (lambda d: _secret(d).__setitem__("tags", [["k", "v"]]),
                    "accounts[0].regions[0].secrets[0].tags"),
    "coverage-null": (lambda d: d.__setitem__("coverage", None), "coverage"),
    "account-id-a-number": (lambda d: d["accounts"][0].__setitem__("account_id", 1),
                            "accounts[0].account_id"),
    "name-a-number": (lambda d: _secret(d).__setitem__("name", 5),
                      "accounts[0].regions[0].secrets[0].name"),
    "policy-an-object": (lambda d: _secret(d).__setitem__("resource_policy", {}),
                         "accounts[0].regions[0].secrets[0].resource_policy"),
}

DOCUMENT_EDITS: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "findings-null": (lambda d: d.__setitem__("findings", None), "findings"),
    "findings-a-string": (lambda d: d.__setitem__("findings", "x"), "findings"),
    "row-a-number": (lambda d: d["findings"].__setitem__(0, 5), "findings[0]"),
    "scan-null": (lambda d: d.__setitem__("scan", None), "scan"),
    "scope-a-list": (lambda d: d["scan"].__setitem__("scope", [1]), "scan.scope"),
    "first-seen-a-number": (lambda d: d["findings"][0].__setitem__("first_seen", 3),
                            "findings[0].first_seen"),
    "id-null": (lambda d: d["findings"][0].__setitem__("id", None), "findings[0].id"),
}


def _history(tmp_path: Path, payload: str, edit: Callable[[dict[str, Any]], Any]) -> Path:
    """Nights n1 and n2 scanned into a history; n2's stored payload edited."""
    history = tmp_path / "h.db"
    for n in (1, 2):
        snap = snapshot(f"n{n}", f"2026-11-2{n}T01:00:00Z", [secret("db", rotation=False)])
        path = write_snapshot(tmp_path / f"n{n}.json.gz", snap)
        assert main(["scan", "--snapshot", str(path), "--history", str(history), "-q",
                     "--out", str(tmp_path / f"out-n{n}")]) in (0, 1)
    conn = sqlite3.connect(history)
    digest = conn.execute(f"SELECT {payload}_digest FROM scans WHERE scan_id = 'n2'"
                          ).fetchone()[0]
    data = json.loads(gzip.decompress(conn.execute(
        "SELECT data FROM blobs WHERE digest = ?", (digest,)).fetchone()[0]))
    edit(data)
    conn.execute("UPDATE blobs SET data = ? WHERE digest = ?", (encode_blob(data), digest))
    conn.commit()
    conn.close()
    return history


@pytest.mark.parametrize("payload,name,edit,field", [
    *(("snapshot", k, e, f) for k, (e, f) in SNAPSHOT_EDITS.items()),
    *(("document", k, e, f) for k, (e, f) in DOCUMENT_EDITS.items()),
])
def test_a_stored_payload_of_wrong_types_is_damaged_naming_the_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], payload: str, name: str,
        edit: Callable[[dict[str, Any]], Any], field: str) -> None:
    history = _history(tmp_path, payload, edit)
    store = SqliteHistoryStore(history)
    with pytest.raises(DamagedScan) as err:
        store.load("n2")
    assert err.value.scan_id == "n2" and field in str(err.value)
    if payload == "snapshot":
        with pytest.raises(DamagedScan):
            store.load_snapshot("n2")
    else:
        with pytest.raises(DamagedScan):
            store.load_document("n2")
    assert store.load("n1").record.scan_id == "n1"
    capsys.readouterr()

    snap = snapshot("n3", "2026-11-23T01:00:00Z", [secret("db", rotation=False)])
    path = write_snapshot(tmp_path / "n3.json.gz", snap)
    code = main(["scan", "--snapshot", str(path), "--history", str(history),
                 "--out", str(tmp_path / "out-n3")])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    assert "internal error" not in captured.err and "Traceback" not in captured.err
    [warning] = [line for line in captured.err.splitlines() if "'n2' is damaged" in line]
    assert field in warning
    assert "Drift n1 (" in captured.out
    out = json.loads((tmp_path / "out-n3" / "findings.json").read_text())
    assert all(isinstance(f.get("first_seen"), (str, type(None))) for f in out["findings"])


def test_a_stored_snapshot_read_against_tonight_is_checked_as_the_plain_read(
        tmp_path: Path) -> None:
    """The nightly read decodes the previous snapshot account by account against tonight's
    (records.Tonight): an account of wrong types is damaged there too, not taken as it is."""
    from scanner.history.records import Tonight

    history = _history(tmp_path, "snapshot", SNAPSHOT_EDITS["name-a-number"][0])
    store = SqliteHistoryStore(history)
    tonight = store.load("n1")
    like = Tonight.of(tonight.document, tonight.access, snapshot=tonight.snapshot)
    with pytest.raises(DamagedScan) as err:
        store.load("n2", like=like)
    assert "accounts[0].regions[0].secrets[0].name" in str(err.value)


def test_a_newer_schema_version_is_still_refused_not_damaged(tmp_path: Path) -> None:
    history = _history(tmp_path, "snapshot", lambda d: d.__setitem__("schema_version", 2))
    with pytest.raises(InputError) as err:
        SqliteHistoryStore(history).load("n2")
    assert not isinstance(err.value, DamagedScan)
    assert "written by a newer secretgraph" in str(err.value)


def test_s3_a_stored_document_of_wrong_types_is_damaged() -> None:
    import boto3
    from moto import mock_aws

    from scanner.history.s3_store import S3HistoryStore

    from helpers.scanfactory import document

    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="sg-types")
        store = S3HistoryStore("s3://sg-types/p", client)
        snap = snapshot("s1", "2026-11-27T01:00:00Z", [secret("db")])
        store.record(snap.meta, snap, document(snap, [finding("secret-rotation-disabled",
                                                              secret_arn("db"))]), None)
        key = "p/scans/s1/findings.json.gz"
        data = json.loads(gzip.decompress(client.get_object(Bucket="sg-types", Key=key)["Body"].read()))
        data["findings"] = None
        client.put_object(Bucket="sg-types", Key=key, Body=encode_blob(data))
        for read in (store.load, store.load_document):
            with pytest.raises(DamagedScan) as err:
                read("s1")
            assert "findings" in str(err.value) and err.value.scan_id == "s1"
