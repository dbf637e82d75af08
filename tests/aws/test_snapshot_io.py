"""Snapshot files: round trip (plain and gzip), the shipped schema, and bad files as one-line
InputErrors naming the file and the field."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from scanner import snapshot_io
from scanner.errors import InputError
from scanner.model import (
    AccountSnapshot,
    CoverageEntry,
    KmsKey,
    Organization,
    RegionSnapshot,
    ReplicaStatus,
    ScanMeta,
    Secret,
    Snapshot,
)
from scanner.snapshot_io import SnapshotWriter, read_snapshot, write_snapshot

ACCOUNT = "111122223333"


def sample() -> Snapshot:
    secret = Secret(
        arn=f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbCdEf", name="db",
        account_id=ACCOUNT, region="us-east-1", kms_key_id="alias/central",
        tags={"team": "<script>"}, version_stages={"v1": ("AWSCURRENT",)},
        replicas=(ReplicaStatus(region="us-west-2", kms_key_id=None, status="InSync"),),
        resource_policy='{"Version": "2012-10-17",  "Statement": []}')
    key = KmsKey(arn=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1", key_id="k1", account_id=ACCOUNT,
                 region="us-east-1", key_manager="CUSTOMER", rotation_enabled=False)
    return Snapshot(
        meta=ScanMeta(scan_id="scan-1", started_at="2026-11-29T01:00:00Z",
                      accounts=(ACCOUNT,), regions=("us-east-1",), central_account=ACCOUNT,
                      central_account_source="flag"),
        accounts=(AccountSnapshot(account_id=ACCOUNT, regions=(
            RegionSnapshot(region="us-east-1", secrets=(secret,), kms_keys=(key,)),)),
                  AccountSnapshot(account_id="444455556666", assumed=False, iam=None)),
        organization=Organization(org_id="o-1", management_account_id=ACCOUNT),
        coverage=(CoverageEntry(account_id="444455556666", region="global", service="sts",
                                operation="AssumeRole", error_code="AccessDenied",
                                error_kind="denied", message="no"),),
    )


@pytest.mark.parametrize("name", ["snapshot.json", "snapshot.json.gz"])
def test_a_snapshot_round_trips(tmp_path: Path, name: str) -> None:
    path = write_snapshot(tmp_path / name, sample())
    assert read_snapshot(path) == sample()
    raw = path.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == name.endswith(".gz")


def test_the_policy_text_is_kept_exactly(tmp_path: Path) -> None:
    snapshot = read_snapshot(write_snapshot(tmp_path / "s.json", sample()))
    secret = snapshot.accounts[0].regions[0].secrets[0]
    assert secret.resource_policy == '{"Version": "2012-10-17",  "Statement": []}'


def test_the_shipped_schema_is_generated_from_the_model() -> None:
    shipped = json.loads(snapshot_io.SCHEMA_PATH.read_text())
    assert shipped == snapshot_io.generate_schema(), \
        "run `python -m scanner.snapshot_io` to regenerate scanner/schemas/snapshot.schema.json"


def test_the_streaming_writer_only_publishes_a_finished_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "snapshot.json"
    with SnapshotWriter(target) as writer:
        writer.write_account(sample().accounts[0])
        assert not target.exists()
    assert not target.exists() and list(target.parent.iterdir()) == []


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_corrupt_gzip_file_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "s.json.gz", gzip.compress(b'{"schema_version": 1}')[:-8])
    with pytest.raises(InputError, match=r"s\.json\.gz: corrupt"):
        read_snapshot(path)


def test_a_file_that_is_not_json_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "s.json", b"<html>not json</html>")
    with pytest.raises(InputError, match=r"s\.json: not valid JSON \(line 1 column 1"):
        read_snapshot(path)


def test_a_foreign_json_file_is_not_a_snapshot(tmp_path: Path) -> None:
    path = write(tmp_path, "findings.json", b'{"findings": []}')
    with pytest.raises(InputError, match="findings.json: not a secretgraph snapshot"):
        read_snapshot(path)


def test_another_schema_version_is_refused_naming_the_field(tmp_path: Path) -> None:
    data = snapshot_io.to_jsonable(sample())
    data["schema_version"] = 99
    path = write(tmp_path, "s.json", json.dumps(data).encode())
    with pytest.raises(InputError, match="field schema_version: unsupported snapshot "
                                         "schema_version 99"):
        read_snapshot(path)


def test_a_schema_violation_names_the_field(tmp_path: Path) -> None:
    data = snapshot_io.to_jsonable(sample())
    data["accounts"][0]["regions"][0]["secrets"][0]["rotation_enabled"] = "yes"
    path = write(tmp_path, "s.json", json.dumps(data).encode())
    with pytest.raises(InputError) as info:
        read_snapshot(path)
    assert "field accounts[0].regions[0].secrets[0].rotation_enabled" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("field,value", [("last_rotated", "not-a-date"),
                                         ("created", "2026-13-01T00:00:00Z"),
                                         ("next_rotation", ""),
                                         # fault-injection trial round 17: the pattern took
                                         # these, and a rule crashed on each (UNKNOWN, exit 1)
                                         ("last_accessed", "2026-02-30T00:00:00Z"),
                                         ("last_rotated", "2025-02-29T00:00:00Z"),
                                         ("last_rotated", "2026-12-01T25:00:00Z"),
                                         ("next_rotation", "2026-12-01T23:61:00Z"),
                                         ("created", "2026-12-01T00:00:00+25:00"),
                                         ("created", "0000-01-01T00:00:00Z")])
def test_a_timestamp_no_rule_can_read_names_the_field(tmp_path: Path, field: str,
                                                      value: str) -> None:
    """Not a rule crash at evaluation time: bad input, exit 2, before anything is judged."""
    data = snapshot_io.to_jsonable(sample())
    data["accounts"][0]["regions"][0]["secrets"][0][field] = value
    path = write(tmp_path, "s.json", json.dumps(data).encode())
    with pytest.raises(InputError, match=rf"field accounts\[0\].regions\[0\].secrets\[0\]"
                                         rf".{field}: .*'{re.escape(value)}' is not an ISO-8601 "
                                         "timestamp"):
        read_snapshot(path)


def test_timestamps_in_the_forms_the_collectors_write_are_read() -> None:
    import re
    from datetime import datetime

    pattern = re.compile(snapshot_io.TIMESTAMP_PATTERN)
    for text in ("2026-11-29T01:00:00Z", "2026-11-29T01:00:00+00:00", "2026-11-29",
                 "2024-02-29T23:59:59Z", "2000-02-29", "2026-12-31T00:00:00-05:30",
                 "2026-11-29T01:00:00.123456+00:00", "2026-11-29 01:00:00", "2026-11-29T01:00Z"):
        assert pattern.search(text) and datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_an_unknown_field_is_refused(tmp_path: Path) -> None:
    data = snapshot_io.to_jsonable(sample())
    data["accounts"][0]["surprise"] = 1
    path = write(tmp_path, "s.json", json.dumps(data).encode())
    with pytest.raises(InputError, match=r"field accounts\[0\]: .*surprise"):
        read_snapshot(path)


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_snapshot(tmp_path / "absent.json")


def _paths(node: object, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, path + (i,))
    return out


def _replace(document: object, path: tuple, value: object) -> object:
    copy = json.loads(json.dumps(document))
    if not path:
        return value
    node = copy
    for part in path[:-1]:
        node = node[part]  # type: ignore[index]
    node[path[-1]] = value  # type: ignore[index]
    return copy


def test_the_fast_validity_check_agrees_with_jsonschema_on_every_mutation() -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(snapshot_io.load_schema())
    fast = snapshot_io._fast_check()
    assert fast is not None
    document = snapshot_io.to_jsonable(sample())
    assert fast(document) and validator.is_valid(document)
    replacements: list[object] = [None, True, 7, 1.5, "text", [], {}, {"unknown": 1}, ["x"]]
    checked = 0
    for path in _paths(document):
        for value in replacements:
            mutated = _replace(document, path, value)
            assert fast(mutated) == validator.is_valid(mutated), (path, value)
            checked += 1
    for path in _paths(document):
        if path and isinstance(path[-1], str):  # drop a key / add an unknown sibling
            parent = json.loads(json.dumps(document))
            node = parent
            for part in path[:-1]:
                node = node[part]  # type: ignore[index]
            del node[path[-1]]  # type: ignore[union-attr]
            assert fast(parent) == validator.is_valid(parent), ("missing", path)
            checked += 1
    assert checked > 500


def test_reading_builds_the_same_records_as_the_models_own_decoder(tmp_path: Path) -> None:
    from helpers.access_estate import estate, secret_policy_for

    from scanner.model import Snapshot, from_jsonable

    rich = estate(secret_policy=secret_policy_for("arn:aws:iam::222222222222:role/app"))
    for snapshot in (sample(), rich):
        data = json.loads(json.dumps(snapshot_io.to_jsonable(snapshot)))
        path = write(tmp_path, "s.json", json.dumps(data).encode())
        assert read_snapshot(path) == from_jsonable(Snapshot, data) == snapshot


def test_a_record_decoded_alone_is_the_models_own_decoding() -> None:
    """snapshot_io.decode_record -- the compiled decoder, what the history reads a stored
    snapshot and its accounts with -- gives the record model.from_jsonable gives."""
    from helpers.access_estate import estate, secret_policy_for

    from scanner.model import AccountSnapshot, Snapshot, from_jsonable

    rich = estate(secret_policy=secret_policy_for("arn:aws:iam::222222222222:role/app"))
    data = json.loads(json.dumps(snapshot_io.to_jsonable(rich)))
    assert snapshot_io.decode_record(Snapshot, data) == from_jsonable(Snapshot, data) == rich
    for account, record in zip(data["accounts"], rich.accounts):
        assert snapshot_io.decode_record(AccountSnapshot, account) == record


def _with_a_record_twice(where: str) -> dict[str, object]:
    data: dict[str, object] = snapshot_io.to_jsonable(sample())
    account = data["accounts"][0]  # type: ignore[index]
    region = account["regions"][0]
    if where == "accounts":
        data["accounts"].append(dict(account, name="a second copy"))  # type: ignore[union-attr]
    elif where == "regions":
        account["regions"].append({"region": "us-east-1"})
    else:  # the same ARN with other contents: whose key, whose policy?
        record = dict(region[where][0], rotation_enabled=True) if where == "secrets" else \
            dict(region[where][0], key_state="Disabled")
        region[where].append(record)
    return data


@pytest.mark.parametrize("where,field,named", [
    ("accounts", "accounts[2].account_id", f"account_id '{ACCOUNT}'"),
    ("regions", "accounts[0].regions[1].region", "region 'us-east-1'"),
    ("secrets", "accounts[0].regions[0].secrets[1].arn",
     f"arn 'arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbCdEf'"),
    ("kms_keys", "accounts[0].regions[0].kms_keys[1].arn",
     f"arn 'arn:aws:kms:us-east-1:{ACCOUNT}:key/k1'"),
])
def test_a_record_given_twice_in_a_hand_made_snapshot_is_refused_naming_both(
        tmp_path: Path, where: str, field: str, named: str) -> None:
    # fault-injection trial round 22: the graph joined the two records -- one secret's policy
    # with the other's key -- and the scan judged the mixture, exit 1, without a word
    path = write(tmp_path, "s.json", json.dumps(_with_a_record_twice(where)).encode())
    with pytest.raises(InputError) as info:
        read_snapshot(path)
    message = str(info.value)
    assert f"field {field}: {named} is given twice in {where} (also at " in message
    assert "\n" not in message


def test_the_same_peering_in_two_accounts_is_one_record_per_account() -> None:
    # both sides of a peering list it: once in each account's Region is not a repeat
    peering = {"peering_id": "pcx-1"}
    document = {"accounts": [
        {"account_id": ACCOUNT, "regions": [{"region": "us-east-1", "peerings": [peering]}]},
        {"account_id": "444455556666", "regions": [{"region": "us-east-1",
                                                    "peerings": [peering]}]}]}
    snapshot_io.check_unique(document, path="s.json")


def test_a_secret_moved_by_hand_into_another_regions_list_while_still_in_its_own_is_refused(
        tmp_path: Path) -> None:
    data = snapshot_io.to_jsonable(sample())
    account = data["accounts"][0]
    account["regions"].append({"region": "us-west-2",
                               "secrets": [account["regions"][0]["secrets"][0]]})
    path = write(tmp_path, "s.json", json.dumps(data).encode())
    with pytest.raises(InputError, match=re.escape(
            "field accounts[0].regions[1].secrets[0].arn: arn 'arn:aws:secretsmanager:us-east-1:"
            f"{ACCOUNT}:secret:db-AbCdEf' is given twice in secrets (also at "
            "accounts[0].regions[0].secrets[0])")):
        read_snapshot(path)
