"""`history list` / `diff` on an S3 prefix through the CLI, against a moto server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from scanner.cli import main
from scanner.history import open_store

from helpers.scanfactory import document, secret, snapshot

pytestmark = pytest.mark.e2e


def test_history_list_on_s3_and_unreadable_prefix(moto_endpoint: str,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_endpoint,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="sg-history")
    store = open_store("s3://sg-history/nightly", s3_client=s3)
    for sid, day in (("n1", "28"), ("n2", "29")):
        snap = snapshot(sid, f"2026-11-{day}T02:00:00Z", [secret("db", rotation=sid == "n1")])
        store.record(snap.meta, snap, document(snap), None)

    assert main(["history", "list", "--history", "s3://sg-history/nightly"]) == 0
    out = capsys.readouterr().out
    assert "n1" in out and "n2" in out
    assert main(["diff", "--history", "s3://sg-history/nightly"]) == 0
    assert "rotation switched off" in capsys.readouterr().out

    assert main(["history", "list", "--history", "s3://no-such-bucket/nightly"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "s3://no-such-bucket/nightly" in err[0] and "NoSuchBucket" in err[0]


def test_a_scan_that_cannot_get_into_a_busy_s3_index_exits_2_saying_what_was_written(
        moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Fault-injection trial round 2: scans recording into one S3 history at the same time
    lost one another's index entries and all exited normally. A scan whose conditional
    write of index.json loses every attempt to another writer now ends, as a locked SQLite
    history does, with one line naming the history, exit 2: its reports were written, it was
    not recorded."""
    from scanner.history import s3_store
    from scanner.history.s3_store import S3HistoryStore
    from scanner.snapshot_io import write_snapshot

    from helpers.access_estate import estate

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket="sg-history")
    uri = "s3://sg-history/busy"
    rival = S3HistoryStore(uri, s3)
    nights = iter(range(1, 100))
    real_put_index = S3HistoryStore._put_index

    def another_writer_first(self: S3HistoryStore, records: Any, etag: Any) -> None:
        if self is not rival:  # every write of the scan's index loses to another scan
            n = next(nights)
            snap = snapshot(f"other-{n:02d}", f"2026-11-28T02:{n:02d}:00Z", [secret("db")])
            rival.record(snap.meta, snap, document(snap), None)
        real_put_index(self, records, etag)

    monkeypatch.setattr(S3HistoryStore, "_put_index", another_writer_first)
    monkeypatch.setattr(s3_store, "_backoff_sleep", lambda attempt: None)
    snapshot_file = write_snapshot(tmp_path / "snapshot.json.gz", estate(secret_policy=None))
    out = tmp_path / "out"
    code = main(["scan", "--snapshot", str(snapshot_file), "--out", str(out), "-q",
                 "--history", uri])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith(f"secretgraph scan: error: {uri}: cannot add scan ")
    assert err[0].endswith(f"(last: PreconditionFailed); the reports were written to {out}, "
                           "the scan was not recorded in the history")
    assert (out / "findings.json").is_file()
    monkeypatch.setattr(S3HistoryStore, "_put_index", real_put_index)
    listed = [r.scan_id for r in S3HistoryStore(uri, s3).list()]
    assert len(listed) == s3_store.INDEX_WRITE_ATTEMPTS
    assert all(sid.startswith("other-") for sid in listed)
