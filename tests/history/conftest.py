"""Fixtures of the history tests."""

from __future__ import annotations

from typing import Any, Iterator

import boto3
import pytest
from moto import mock_aws


@pytest.fixture()
def s3(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An in-process moto S3 client with the test module's ``BUCKET`` created (the history
    store's S3 backend; no moto server: an ``AWS_ENDPOINT_URL`` of the environment is dropped)."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="testing",
                              aws_secret_access_key="testing")
        client.create_bucket(Bucket=request.module.BUCKET)
        yield client
