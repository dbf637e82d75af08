"""An answer holding a value botocore or the collector cannot take -- a timestamp that is not
a date, a null inside a list or map -- is a gap of that one call, named, never a crash of the
collector that loses every resource of its service in the account-Region (fault-injection
trial round 16).

The estate is the home account alone (no role) with two customer-managed keys, so a test can
show that the key whose answer was odd costs only itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import boto3
import pytest
from moto import mock_aws

from helpers.answers import rewrite_answers
from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.model import CoverageEntry, RegionSnapshot, Snapshot
from scanner.snapshot_io import read_snapshot

REGION = "us-east-1"


@dataclass(frozen=True)
class Keys:
    odd: str
    plain: str


def _session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                         region_name=REGION)


@pytest.fixture(scope="module")
def keys() -> Iterator[Keys]:
    with mock_aws():
        kms = _session().client("kms")
        odd = kms.create_key(Description="its answers will be odd")["KeyMetadata"]["Arn"]
        plain = kms.create_key(Description="answered as AWS does")["KeyMetadata"]["Arn"]
        _session().client("secretsmanager").create_secret(Name="app/db", SecretString="x")
        yield Keys(odd=odd, plain=plain)


def _collect(tmp_path: Path, session: boto3.Session) -> Snapshot:
    opts = CollectOptions(out=tmp_path / "snap.json.gz", regions=(REGION,), max_attempts=1)
    return read_snapshot(collect(opts, executor=SynchronousExecutor(),
                                 session_factory=lambda _: session))


def _region(snapshot: Snapshot) -> RegionSnapshot:
    return snapshot.accounts[0].regions[0]


def _only_gap(snapshot: Snapshot) -> CoverageEntry:
    assert len(snapshot.coverage) == 1, snapshot.coverage
    return snapshot.coverage[0]


def _describe_key_of(arn: str, edit: Callable[[dict[str, Any]], None]
                     ) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        if (body.get("KeyMetadata") or {}).get("Arn") == arn:
            edit(body["KeyMetadata"])
    return change


@pytest.mark.parametrize("stamp,shown", [
    (1_700_000_000_000, "1700000000000"),  # milliseconds where AWS sends seconds
    ("next tuesday", "'next tuesday'"),
])
def test_a_key_created_at_no_date_costs_that_key_not_every_key_of_the_region(
        stamp: Any, shown: str, tmp_path: Path, keys: Keys) -> None:
    """botocore's parser raised ValueError ('year 55840 is out of range'), which is not an
    AWS error: 'kms collector failed on ValueError', and no key of the account-Region was
    read -- the other key's policy and rotation included."""
    session = _session()
    rewrite_answers(session, "kms", "DescribeKey",
             _describe_key_of(keys.odd, lambda meta: meta.update(CreationDate=stamp)))
    with mock_aws():
        snapshot = _collect(tmp_path, session)
    gap = _only_gap(snapshot)
    assert (gap.service, gap.operation, gap.resource_arn, gap.error_kind) == (
        "kms", "DescribeKey", keys.odd, "fatal")
    assert gap.message == f"answered a timestamp that is not a date: {shown}"
    region = _region(snapshot)
    assert "kms" not in region.unread_services
    by_arn = {k.arn: k for k in region.kms_keys}
    assert "key_state" in by_arn[keys.odd].unread
    assert by_arn[keys.plain].unread == () and by_arn[keys.plain].policy


def test_a_secret_changed_at_no_date_is_a_gap_of_the_listing_named_as_such(
        tmp_path: Path, keys: Keys) -> None:
    session = _session()

    def odd(body: dict[str, Any]) -> None:
        for entry in body.get("SecretList") or []:
            entry["LastChangedDate"] = "yesterday"

    rewrite_answers(session, "secrets-manager", "ListSecrets", odd)
    with mock_aws():
        snapshot = _collect(tmp_path, session)
    gap = _only_gap(snapshot)
    assert (gap.operation, gap.message) == (
        "ListSecrets", "answered a timestamp that is not a date: 'yesterday'")
    region = _region(snapshot)
    assert region.unread_services == ("secretsmanager",)
    assert len(region.kms_keys) == 2


def test_a_null_replica_key_costs_that_key_not_every_key_of_the_region(
        tmp_path: Path, keys: Keys) -> None:
    """A null item of a list passed the type check (null members of an object may be sent)
    and the transform read it as a replica key: 'kms collector failed on AttributeError:
    'NoneType' object has no attribute 'get'', no key of the account-Region read."""
    session = _session()
    rewrite_answers(session, "kms", "DescribeKey", _describe_key_of(keys.odd, lambda meta: meta.update(
        MultiRegion=True, MultiRegionConfiguration={
            "MultiRegionKeyType": "PRIMARY", "PrimaryKey": {"Arn": keys.odd, "Region": REGION},
            "ReplicaKeys": [None]})))
    with mock_aws():
        snapshot = _collect(tmp_path, session)
    gap = _only_gap(snapshot)
    assert (gap.operation, gap.resource_arn) == ("DescribeKey", keys.odd)
    assert gap.message == ("kms DescribeKey answered KeyMetadata.MultiRegionConfiguration."
                           "ReplicaKeys[0] as null, not an object")
    region = _region(snapshot)
    assert "kms" not in region.unread_services
    assert {k.arn for k in region.kms_keys if not k.unread} == {keys.plain}


def test_a_null_version_stage_list_is_a_gap_of_the_listing_named_as_such(
        tmp_path: Path, keys: Keys) -> None:
    session = _session()

    def odd(body: dict[str, Any]) -> None:
        for entry in body.get("SecretList") or []:
            entry["SecretVersionsToStages"] = {"v1": None}

    rewrite_answers(session, "secrets-manager", "ListSecrets", odd)
    with mock_aws():
        snapshot = _collect(tmp_path, session)
    gap = _only_gap(snapshot)
    assert (gap.operation, gap.message) == (
        "ListSecrets", "secretsmanager ListSecrets answered SecretList[0]."
                       "SecretVersionsToStages['v1'] as null, not a list")
    assert _region(snapshot).unread_services == ("secretsmanager",)


def test_the_container_check_reads_what_json_reads_that_orjson_refuses() -> None:
    """The check of an answer's lists and objects parses the body with orjson (each JSON answer
    is parsed twice: there and in botocore); a body orjson refuses and botocore's json reads --
    NaN, an integer beyond 64 bits -- is still checked, not let through unread."""
    import botocore.session

    from scanner.aws.responses import _container_problem

    model = botocore.session.get_session().get_service_model("secretsmanager")
    shape = model.operation_model("ListSecrets").output_shape
    assert _container_problem(shape, b'{"SecretList": "x"}', "secretsmanager") == \
        "SecretList as str, not a list"
    for odd in (b"NaN", b"123456789012345678901234567890"):
        body = b'{"SecretList": "x", "NextToken": ' + odd + b"}"
        assert _container_problem(shape, body, "secretsmanager") == \
            "SecretList as str, not a list"


def _nest_extra_member(arn: str, depth: int) -> Callable[[Any], None]:
    """A before-parse hook giving ``arn``'s DescribeKey answer a member the model does not have,
    a list nested ``depth`` deep (written as text: json.dumps cannot nest so deep)."""

    def hook(response_dict: Any = None, **_: Any) -> None:
        body = response_dict["body"]
        if arn.encode() in body:
            deep = b"[" * depth + b"1" + b"]" * depth
            response_dict["body"] = b'{"Extra": ' + deep + b", " + body.lstrip()[1:]

    return hook


@pytest.mark.parametrize("depth", [1_000, 5_000])
def test_an_answer_nested_too_deep_to_parse_costs_that_key_not_every_key_of_the_region(
        depth: int, tmp_path: Path, keys: Keys) -> None:
    """An unexpected member nested deeper than a JSON parser recurses: the answer check's json
    (5,000: past orjson's 1,024 levels) or botocore's (1,000: orjson reads it, json does not)
    raised RecursionError, no AWS error, so one key's DescribeKey was 'kms collector failed
    on RecursionError: maximum recursion depth exceeded while decoding a JSON array' and no
    key of the account-Region was read (fault-injection trial round 17)."""
    session = _session()
    session.events.register("before-parse.kms.DescribeKey", _nest_extra_member(keys.odd, depth))
    with mock_aws():
        snapshot = _collect(tmp_path, session)
    gap = _only_gap(snapshot)
    assert (gap.service, gap.operation, gap.resource_arn, gap.error_kind) == (
        "kms", "DescribeKey", keys.odd, "fatal")
    assert gap.message.endswith("answered JSON nested too deep to read")
    region = _region(snapshot)
    assert "kms" not in region.unread_services
    assert {k.arn for k in region.kms_keys if not k.unread} == {keys.plain}


@pytest.mark.parametrize("value,shown", [(float("nan"), "nan"), (float("inf"), "inf")])
def test_a_quota_that_is_no_finite_number_is_a_gap_not_a_quota_no_count_reaches(
        value: float, shown: str, tmp_path: Path, keys: Keys) -> None:
    """A JSON number NaN or Infinity (json reads both, botocore passes numbers through) was
    taken as the VPC peering quota: every comparison with it is false, so
    vpc-peering-quota-near-limit passed however many peerings a VPC had -- as a NaN warn_ratio
    in a config would, which the config check refuses (fault-injection trial round 17)."""
    session = _session()
    rewrite_answers(session, "service-quotas", "GetServiceQuota",
             lambda body: body["Quota"].update(Value=value))
    with mock_aws():
        snapshot = _collect(tmp_path, session)
    gap = _only_gap(snapshot)
    assert (gap.service, gap.operation, gap.error_kind) == (
        "service-quotas", "GetServiceQuota", "fatal")
    assert gap.message == ("service-quotas GetServiceQuota answered Quota.Value as "
                           f"{shown}, not a finite number")
    assert [q.source for q in _region(snapshot).quotas] == ["default"]


@pytest.mark.parametrize("edit,missing", [
    (lambda body: body["Quota"].update(Value=None), "Value"),
    (lambda body: body["Quota"].pop("Value"), "Value"),
    (lambda body: body.pop("Quota"), "Quota"),
])
def test_a_quota_answered_without_its_value_is_a_gap_not_the_documented_default(
        edit: Callable[[dict[str, Any]], None], missing: str, tmp_path: Path,
        keys: Keys) -> None:
    """GetServiceQuota answering a Quota without its Value (null, left out, or no Quota) was
    read as no applied value: the documented default of 50 was used without a coverage entry,
    as if AWS had said the quota was never adjusted -- an applied 125 made
    vpc-peering-quota-near-limit a confident FAIL at 40 peerings (fault-injection trial round
    19; the silent default is only for NoSuchResource, scanner/collectors/quotas.py)."""
    session = _session()
    rewrite_answers(session, "service-quotas", "GetServiceQuota", edit)
    with mock_aws():
        snapshot = _collect(tmp_path, session)
    gap = _only_gap(snapshot)
    assert (gap.service, gap.operation, gap.error_kind) == (
        "service-quotas", "GetServiceQuota", "fatal")
    assert gap.message == f"GetServiceQuota answered without {missing}"
    assert [q.source for q in _region(snapshot).quotas] == ["default"]


@pytest.mark.parametrize("edit,missing", [
    (lambda meta: meta.update(MultiRegion=True), "MultiRegionConfiguration"),
    (lambda meta: meta.update(MultiRegion=True, MultiRegionConfiguration={
        "MultiRegionKeyType": "REPLICA", "ReplicaKeys": []}), "PrimaryKey"),
    (lambda meta: meta.update(MultiRegion=True, MultiRegionConfiguration={
        "PrimaryKey": {"Region": "us-west-2"}}), "Arn"),
])
def test_a_multi_region_key_answered_without_its_primary_is_a_gap_not_a_plain_key(
        edit: Callable[[dict[str, Any]], None], missing: str, tmp_path: Path,
        keys: Keys) -> None:
    """DescribeKey of a multi-Region key names its primary (KMS API Reference,
    MultiRegionConfiguration: "present only when the value of the MultiRegion field is True"):
    without it the key was read as no replica -- multi_region_type null, and
    kms-replica-key-policy-drift, which applies to replicas, skipped it without an UNKNOWN
    (fault-injection trial round 19)."""
    session = _session()
    rewrite_answers(session, "kms", "DescribeKey", _describe_key_of(keys.odd, edit))
    with mock_aws():
        snapshot = _collect(tmp_path, session)
    gap = _only_gap(snapshot)
    assert (gap.service, gap.operation, gap.resource_arn) == ("kms", "DescribeKey", keys.odd)
    assert gap.message == f"DescribeKey answered without {missing}"
    by_arn = {k.arn: k for k in _region(snapshot).kms_keys}
    assert "multi_region_type" in by_arn[keys.odd].unread
