"""Where the parts of a sharded run live (scanner.shards): a directory or an S3 prefix, atomic
writes, SSE-KMS with the given key, and one-line errors for damaged or foreign parts."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

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


def _run_with_one_part(tmp_path: Path, edit: Any) -> tuple[LocalParts, str, Path]:
    """A one-account run whose part (a valid account with one secret) is then edited."""
    from helpers.scanfactory import CENTRAL, secret, snapshot

    from scanner.model import to_jsonable
    from scanner.shards import encode_part

    store = LocalParts(tmp_path / "parts")
    write_manifest(store, ShardManifest(run_id="r", shard="1/1", accounts=(CENTRAL,),
                                        expected_accounts=(CENTRAL,),
                                        regions=("us-east-1",)), "0001-of-0001")
    account = to_jsonable(snapshot("r", "2026-11-28T01:00:00Z", [secret("db")]).accounts[0])
    body = json.loads(gzip.decompress(encode_part(
        run_id="r", account=account, coverage=(), stats={"secrets": 1},
        collected_at="2026-11-28T01:00:00Z", seconds=1.0)))
    edit(body)
    store.write(part_key("r", CENTRAL), gzip.compress(json.dumps(body).encode()))
    return store, f"{store.uri}/{part_key('r', CENTRAL)}", tmp_path / "out.json.gz"


@pytest.mark.parametrize(("edit", "field", "says"), [
    (lambda d: d["account"]["regions"][0]["secrets"][0].pop("arn"),
     "account.regions[0].secrets[0]", "'arn' is a required property"),
    (lambda d: d.__setitem__("account", "oops"), "account", "'oops' is not of type 'object'"),
    (lambda d: d["account"].__setitem__("regions", {"us-east-1": []}), "account.regions",
     "is not of type 'array'"),
    (lambda d: d["account"].__setitem__("account_id", "222222222222"), "account.account_id",
     "names account '222222222222', not the part's account 111111111111"),
    (lambda d: d.__setitem__("coverage", [{"service": "kms"}]), "coverage[0]",
     "is a required property"),
    (lambda d: d.__setitem__("stats", {"secrets": "many"}), "stats.secrets",
     "not a whole number"),
], ids=["secret-without-arn", "account-not-an-object", "regions-not-a-list",
        "another-accounts-record", "coverage-entry", "stats"])
def test_a_malformed_part_is_named_with_its_field_when_it_is_read(
        tmp_path: Path, edit: Any, field: str, says: str) -> None:
    """Fault-injection trial round 2: `scan --from-parts` checked a part's format, run,
    account id and version only; a part whose secret lacked `arn` was blamed on the merged
    snapshot in a staging folder that no longer existed (`.fpz.staging-xxx/snapshot.json.gz:
    field accounts[0]...`), never naming the part, and a part whose `account` was not an object
    ended in `internal error: TypeError`. The part is now checked against the snapshot
    schema's account definition when it is read: one InputError naming the part file and the
    field."""
    store, where, out = _run_with_one_part(tmp_path, edit)
    with pytest.raises(InputError) as err:
        merge_parts(store, "r", out)
    assert err.value.path == where and err.value.field == field
    assert says in err.value.detail
    assert not out.exists()


def test_a_well_formed_part_still_merges(tmp_path: Path) -> None:
    store, _, out = _run_with_one_part(tmp_path, lambda d: None)
    result = merge_parts(store, "r", out)
    assert result.missing == () and out.exists()


def test_scan_from_a_malformed_part_is_one_line_naming_the_part_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Fault-injection trial round 2: the same through `scan --from-parts`: exit 2, one line
    naming the part file and the field, no report written."""
    from scanner.cli import main

    store, where, _ = _run_with_one_part(
        tmp_path, lambda d: d["account"]["regions"][0]["secrets"][0].pop("arn"))
    out = tmp_path / "fpz"
    assert main(["scan", "--from-parts", str(tmp_path / "parts"), "--out", str(out),
                 "-q"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"secretgraph scan: error: {where}: field account.regions[0].secrets[0]: does not "
        "match the snapshot schema: 'arn' is a required property"]
    assert not out.exists() and not list(tmp_path.glob(".fpz*"))


def test_a_part_that_does_not_fit_on_the_disk_is_one_line_naming_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault-injection trial round 4: `collect --parts DIR` on a full disk was "internal error:
    OSError ... No space left on device", naming no file, and left its ``.partial`` temporary
    file. Now one line naming the part (exit 2), the temporary file removed, the part written
    before (a retried shard) as it was."""
    from helpers.full_disk import NearlyFullDisk

    from scanner.errors import OutputError

    store = LocalParts(tmp_path / "parts")
    key = "r/accounts/111122223333.json.gz"
    store.write(key, b"the first try")
    NearlyFullDisk(tmp_path / "parts", free=5).install(monkeypatch)
    with pytest.raises(OutputError) as caught:
        store.write(key, b"the retried shard's part")
    assert caught.value.exit_code == 2
    assert str(caught.value) == (
        f"{tmp_path / 'parts' / key}: cannot write it (No space left on device); this shard "
        "is not complete in the parts (its manifest is written last): run it again")
    monkeypatch.undo()
    assert store.read(key) == b"the first try"
    assert [p.name for p in (tmp_path / "parts").rglob("*") if p.is_file()] == \
        ["111122223333.json.gz"]


def test_a_run_collected_by_different_secretgraph_versions_is_merged_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Fault-injection trial round 9: shards whose manifests name different tool versions
    (an upgrade between two shards of one night) merged without a word, and the snapshot
    said only the merging version. The merge names them."""
    from scanner import __version__

    store = LocalParts(tmp_path)
    for shard, name, version in (("1/2", "0001-of-0002", "0.0.9"),
                                 ("2/2", "0002-of-0002", __version__)):
        write_manifest(store, ShardManifest(run_id="r", shard=shard, accounts=(),
                                            expected_accounts=("111122223333",),
                                            regions=("us-east-1",), tool_version=version),
                       name)
    with caplog.at_level("WARNING", logger="scanner.shards"):
        merge_parts(store, "r", tmp_path / "out.json.gz")
    assert f"run r was collected by different secretgraph versions (0.0.9: shard 1/2; " \
        f"{__version__}: shard 2/2)" in caplog.text


def test_a_run_collected_by_one_version_merges_without_that_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = LocalParts(tmp_path)
    for shard, name in (("1/2", "0001-of-0002"), ("2/2", "0002-of-0002")):
        write_manifest(store, ShardManifest(run_id="r", shard=shard, accounts=(),
                                            expected_accounts=("111122223333",),
                                            regions=("us-east-1",)), name)
    with caplog.at_level("WARNING", logger="scanner.shards"):
        merge_parts(store, "r", tmp_path / "out.json.gz")
    assert "different secretgraph versions" not in caplog.text
