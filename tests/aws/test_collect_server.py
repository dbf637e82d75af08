"""collect() against a moto *server* on 127.0.0.1, reached through AWS_ENDPOINT_URL (the path a
user takes with any AWS-compatible endpoint), with one attempt per call."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from scanner.aws.calls import CallCounter
from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.snapshot_io import read_snapshot


@pytest.mark.e2e
def test_a_scan_honours_aws_endpoint_url(moto_endpoint: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    setup = boto3.client("secretsmanager", region_name="eu-west-1", endpoint_url=moto_endpoint,
                         aws_access_key_id="testing", aws_secret_access_key="testing")
    setup.create_secret(Name="served", SecretString="x")
    counter = CallCounter()
    path = collect(CollectOptions(out=tmp_path / "s.json", regions=("eu-west-1",),
                                  max_attempts=1),
                   executor=SynchronousExecutor(), counter=counter)
    snapshot = read_snapshot(path)
    assert snapshot.coverage == ()
    assert [s.name for s in snapshot.accounts[0].regions[0].secrets] == ["served"]
    assert counter.counts()["secretsmanager.ListSecrets"] == 1
