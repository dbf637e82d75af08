"""moto for the collector tests (in-process, one account unless a test builds more)."""

from __future__ import annotations

import os
from typing import Iterator

import boto3
import pytest
from moto import mock_aws

# moto builds ~5,000 AMIs per account-region on first EC2 use; the scanner never reads AMIs.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

REGION = "us-east-1"
ACCOUNT = "123456789012"  # what moto maps the static test credentials to


@pytest.fixture()
def aws() -> Iterator[boto3.Session]:
    """A mocked AWS and a session with static test credentials (account 123456789012)."""
    with mock_aws():
        yield boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=REGION)
