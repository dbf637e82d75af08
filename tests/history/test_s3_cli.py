"""`history list` / `diff` on an S3 prefix through the CLI, against a moto server."""

from __future__ import annotations

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
