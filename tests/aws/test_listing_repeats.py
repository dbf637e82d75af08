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
