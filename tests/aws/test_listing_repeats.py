"""A listing that answers the same resource twice -- on two pages, as an eventually consistent
ListSecrets may while a secret changes during the listing -- holds it once: one secret in the
snapshot, its policy read once, its entry the one answered last (fault-injection trial round
19: the snapshot held the secret twice, GetResourcePolicy was asked twice, and a key listed
twice was two keys of the account-Region)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from moto import mock_aws

from helpers.answers import rewrite_answers
from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.model import RegionSnapshot
from scanner.snapshot_io import read_snapshot

REGION = "us-east-1"


def _session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                         region_name=REGION)


@pytest.fixture()
def estate() -> Iterator[None]:
    with mock_aws():
        sm = _session().client("secretsmanager")
        sm.create_secret(Name="app/db", SecretString="x", Description="as first listed")
        sm.create_secret(Name="app/other", SecretString="x")
        _session().client("kms").create_key(Description="one key")
        yield


def _collect(tmp_path: Path, session: boto3.Session) -> RegionSnapshot:
    opts = CollectOptions(out=tmp_path / "snap.json.gz", regions=(REGION,), max_attempts=1)
    snapshot = read_snapshot(collect(opts, executor=SynchronousExecutor(),
                                     session_factory=lambda _: session))
    assert snapshot.coverage == ()
    return snapshot.accounts[0].regions[0]


def test_a_secret_listed_again_on_a_later_page_is_one_secret_as_last_answered(
        tmp_path: Path, estate: None) -> None:
    session = _session()
    policy_reads: list[str] = []

    def list_again(body: dict[str, Any]) -> None:
        again = dict(body["SecretList"][0], Description="changed while listed")
        body["SecretList"].append(again)

    rewrite_answers(session, "secretsmanager", "ListSecrets", list_again)
    session.events.register("provide-client-params.secretsmanager.GetResourcePolicy",
                            lambda params, **_: policy_reads.append(params["SecretId"]))
    region = _collect(tmp_path, session)
    assert sorted(s.name for s in region.secrets) == ["app/db", "app/other"]
    [db] = [s for s in region.secrets if s.name == "app/db"]
    assert db.description == "changed while listed"
    assert sorted(policy_reads) == sorted(s.arn for s in region.secrets)


def test_a_key_listed_twice_is_one_key(tmp_path: Path, estate: None) -> None:
    session = _session()
    rewrite_answers(session, "kms", "ListKeys",
                    lambda body: body["Keys"].append(dict(body["Keys"][0])))
    region = _collect(tmp_path, session)
    assert len(region.kms_keys) == 1


def test_a_listing_answering_its_first_page_again_under_fresh_tokens_is_given_up() -> None:
    """An endpoint ignoring NextToken answers page 1 again under a new token each time: it
    went on for MAX_PAGES (10,000) calls; given up after STALE_PAGES such pages."""
    import botocore.session
    from botocore.stub import Stubber

    from scanner.collectors import secretsmanager
    from scanner.collectors.base import STALE_PAGES, Recorder

    client = botocore.session.get_session().create_client(
        "secretsmanager", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    entry = {"ARN": "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf",
             "Name": "app/db"}
    stub = Stubber(client)
    for n in range(STALE_PAGES + 1):
        stub.add_response("list_secrets", {"SecretList": [entry], "NextToken": f"t{n}"})
    with stub:
        rec = Recorder(account_id="111111111111", region=REGION, service="secretsmanager")
        raw = secretsmanager.fetch_secrets(client, rec)
    assert raw["secrets"] is None
    [gap] = rec.coverage
    assert (gap.operation, gap.error_code) == ("ListSecrets", "PaginationError")
    assert "the listing does not advance" in gap.message
