"""Where the parts of a sharded run live (scanner.shards): a directory or an S3 prefix, atomic
writes, SSE-KMS with the given key, and one-line errors for damaged or foreign parts."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from scanner.errors import InputError, UsageError
from scanner.shards import (
    LocalParts,
    S3Parts,
    ShardManifest,
    merge_parts,
    open_parts,
    part_key,
    write_manifest,
)

REGION = "us-east-1"


def test_local_parts_write_atomically_and_list(tmp_path: Path) -> None:
    store = LocalParts(tmp_path)
    store.write("r/accounts/111122223333.json.gz", b"one")
    store.write("r/accounts/111122223333.json.gz", b"two")  # a retried shard overwrites
    assert store.read("r/accounts/111122223333.json.gz") == b"two"
    assert store.read("r/accounts/999999999999.json.gz") is None
    assert store.list("r/") == ["r/accounts/111122223333.json.gz"]
    assert not [p for p in tmp_path.rglob("*") if "partial" in p.name]


def test_s3_parts_are_encrypted_with_the_given_key() -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="parts-bucket")
        key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        store = open_parts("s3://parts-bucket/runs", s3_client=s3, kms_key_id=key)
        assert isinstance(store, S3Parts)
        store.write("r/shards/x.json", b"{}")
        head = s3.head_object(Bucket="parts-bucket", Key="runs/r/shards/x.json")
        assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key)
        assert store.list("r/") == ["r/shards/x.json"]
        assert store.read("r/shards/missing.json") is None


def test_bad_locations_and_damaged_parts_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        open_parts("ftp://x/y")
    store = LocalParts(tmp_path)
    write_manifest(store, ShardManifest(run_id="r", shard="1/1", accounts=("111122223333",),
                                        expected_accounts=("111122223333",),
                                        regions=("us-east-1",)), "0001-of-0001")
    store.write(part_key("r", "111122223333"), b"not gzip")
    with pytest.raises(InputError, match="damaged part"):
        merge_parts(store, "r", tmp_path / "out.json.gz")
    # a part cut short (a copy interrupted): the same one line, not an internal error
    store.write(part_key("r", "111122223333"), gzip.compress(b'{"format": "x"}' * 50)[:40])
    with pytest.raises(InputError, match="damaged part"):
        merge_parts(store, "r", tmp_path / "out.json.gz")
    store.write(part_key("r", "111122223333"), gzip.compress(json.dumps(
        {"format": "secretgraph-part", "run_id": "other", "account_id": "111122223333"}
    ).encode()))
    with pytest.raises(InputError, match="holds run 'other'"):
        merge_parts(store, "r", tmp_path / "out.json.gz")
    (tmp_path / "r" / "shards" / "0001-of-0001.json").write_text("{}")
    with pytest.raises(InputError, match="not a secretgraph shard manifest"):
        merge_parts(store, "r", tmp_path / "out.json.gz")


def test_run_id_is_needed_when_the_location_holds_several_runs(tmp_path: Path) -> None:
    store = LocalParts(tmp_path)
    for run in ("a", "b"):
        write_manifest(store, ShardManifest(run_id=run, shard="1/1", accounts=(),
                                            expected_accounts=("111122223333",),
                                            regions=("us-east-1",)), "0001-of-0001")
    with pytest.raises(UsageError, match="name one with --run-id"):
        merge_parts(store, None, tmp_path / "out.json.gz")
    # run b has no part for its one account: the merge says so instead of dropping it
    result = merge_parts(store, "b", tmp_path / "out.json.gz")
    assert result.missing == ("111122223333",)


def test_a_run_collected_with_two_shard_counts_is_merged_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A new user's trial: `collect --shard 1/2` into a run collected as 3 shards merged
    without a word, and its API call total counted both collections."""
    store = LocalParts(tmp_path)
    for shard, name in (("1/3", "0001-of-0003"), ("1/2", "0001-of-0002")):
        write_manifest(store, ShardManifest(run_id="r", shard=shard, accounts=(),
                                            expected_accounts=("111122223333",),
                                            regions=("us-east-1",)), name)
    with caplog.at_level("WARNING", logger="scanner.shards"):
        merge_parts(store, "r", tmp_path / "out.json.gz")
    assert "collected with different shard counts (2, 3)" in caplog.text
