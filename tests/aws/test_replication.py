"""Which primaries get DescribeSecret, and what ``replicas`` says when they do not.

moto cannot make a replication fail, so the AWS side is a botocore Stubber answering with
boto3-shaped ReplicationStatus; the store holds the region part a collector unit would have
written. A Failed replica must reach the rules as a SecretReplica with status "Failed".
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from scanner.collect import CollectOptions, PartStore, _assemble_account, _Run
from scanner.findings import Status
from scanner.graph.builder import build_graph
from scanner.graph.schema import replica_node
from scanner.model import AccountSnapshot, RegionSnapshot, ScanMeta, Secret, Snapshot, \
    from_jsonable, to_jsonable

ACCOUNT = "111122223333"
EAST, WEST, EU = "us-east-1", "us-west-2", "eu-west-1"
KEY = f"arn:aws:kms:{EAST}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
NOW = datetime.datetime(2026, 11, 29, tzinfo=datetime.timezone.utc)


def arn(name: str, region: str = EAST) -> str:
    return f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{name}-AbCdEf"


REPLICATED, FAILED, LONELY = arn("replicated"), arn("failed"), arn("lonely")
#: a replica listed in us-east-1 whose primary lives in us-west-2 (never described here)
FOREIGN_REPLICA = arn("from-west")


def secret(secret_arn: str, *, primary_region: str | None = None) -> Secret:
    return Secret(arn=secret_arn, name=secret_arn.rsplit(":", 1)[1][:-7], account_id=ACCOUNT,
                  region=EAST, kms_key_id=KEY, primary_region=primary_region)


def store_with_east(tmp_path: Path, *, west_unread: bool = False) -> PartStore:
    """The parts the collector units write: us-east-1 with three primaries and one replica."""
    store = PartStore(tmp_path)
    east = RegionSnapshot(region=EAST, secrets=(
        secret(FAILED), secret(FOREIGN_REPLICA, primary_region=WEST), secret(LONELY),
        secret(REPLICATED)))
    store.put(ACCOUNT, EAST, {"region": to_jsonable(east), "coverage": []})
    west = RegionSnapshot(region=WEST, unread_services=("secretsmanager",) if west_unread else ())
    store.put(ACCOUNT, WEST, {"region": to_jsonable(west), "coverage": []})
    return store


def described(secret_arn: str, *statuses: dict[str, Any]) -> dict[str, Any]:
    """A boto3-shaped DescribeSecret answer."""
    return {"ARN": secret_arn, "Name": secret_arn.rsplit(":", 1)[1][:-7], "KmsKeyId": KEY,
            "PrimaryRegion": EAST, "ReplicationStatus": list(statuses)}


IN_SYNC = {"Region": WEST, "KmsKeyId": KEY.replace(EAST, WEST), "Status": "InSync",
           "StatusMessage": "Replication succeeded"}
FAILED_WEST = {"Region": WEST, "KmsKeyId": KEY.replace(EAST, WEST), "Status": "Failed",
               "StatusMessage": "Access to KMS is not allowed. Check the KMS key policy."}


class StubbedSessions:
    """AwsSessions' one method the replication unit uses, answering from a Stubber."""

    def __init__(self) -> None:
        self.client_ = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                     region_name=EAST).client("secretsmanager")
        self.stubber = Stubber(self.client_)
        self.asked: list[tuple[str, str, str]] = []

    def expect(self, secret_arn: str, answer: dict[str, Any]) -> None:
        self.stubber.add_response("describe_secret", answer, {"SecretId": secret_arn})

    def client(self, service: str, *, account_id: str, region: str) -> Any:
        self.asked.append((service, account_id, region))
        return self.client_


def replicate(tmp_path: Path, sessions: StubbedSessions, listed: dict[str, set[str]], *,
              required: tuple[str, ...], regions: tuple[str, ...] = (EAST, WEST),
              west_unread: bool = False) -> dict[str, Secret]:
    """Run the replication unit for us-east-1, then assemble the account; secrets by ARN."""
    store = store_with_east(tmp_path, west_unread=west_unread)
    options = CollectOptions(out=tmp_path / "s.json", regions=regions,
                             required_replica_regions=required)
    run = _Run(options, sessions, store)  # type: ignore[arg-type]
    with sessions.stubber:
        run.replication(((ACCOUNT, EAST), listed))
        sessions.stubber.assert_no_pending_responses()
    account = from_jsonable(AccountSnapshot, _assemble_account(
        store, ACCOUNT, name=None, regions=regions, assumed=True,
        required_replica_regions=required))
    return {s.arn: s for r in account.regions for s in r.secrets}


def test_without_required_regions_only_primaries_with_a_listed_replica_are_described(
        tmp_path: Path) -> None:
    sessions = StubbedSessions()
    sessions.expect(REPLICATED, described(REPLICATED, IN_SYNC))
    secrets = replicate(tmp_path, sessions, {REPLICATED: {WEST}}, required=())

    assert [r.status for r in secrets[REPLICATED].replicas or ()] == ["InSync"]
    # "no replica in any scanned region, and none required": () -- not an UNKNOWN
    assert (secrets[FAILED].replicas, secrets[FAILED].unread) == ((), ())
    assert (secrets[LONELY].replicas, secrets[LONELY].unread) == ((), ())


def test_a_required_region_sends_describe_secret_to_every_primary_missing_a_listed_replica(
        tmp_path: Path) -> None:
    sessions = StubbedSessions()
    # sorted by ARN: the order the unit sends them in; the foreign replica is never described
    sessions.expect(FAILED, described(FAILED, FAILED_WEST))
    sessions.expect(LONELY, described(LONELY))
    sessions.expect(REPLICATED, described(REPLICATED, IN_SYNC))
    secrets = replicate(tmp_path, sessions, {REPLICATED: {WEST}}, required=(WEST,))

    assert [(r.region, r.status, r.status_message) for r in secrets[FAILED].replicas or ()] == [
        (WEST, "Failed", "Access to KMS is not allowed. Check the KMS key policy.")]
    assert (secrets[LONELY].replicas, secrets[LONELY].unread) == ((), ())  # never configured
    assert secrets[FOREIGN_REPLICA].replicas == ()
    assert {a[2] for a in sessions.asked} == {EAST}


def test_a_required_region_outside_the_scan_is_answered_by_describe_secret(
        tmp_path: Path) -> None:
    sessions = StubbedSessions()
    sessions.expect(FAILED, described(FAILED, {**FAILED_WEST, "Region": EU}))
    sessions.expect(LONELY, described(LONELY))
    sessions.expect(REPLICATED, described(REPLICATED, IN_SYNC, {**IN_SYNC, "Region": EU}))
    secrets = replicate(tmp_path, sessions, {REPLICATED: {WEST}}, required=(EU,))

    assert [(r.region, r.status) for r in secrets[REPLICATED].replicas or ()] == [
        (EU, "InSync"), (WEST, "InSync")]
    assert [(r.region, r.status) for r in secrets[FAILED].replicas or ()] == [(EU, "Failed")]
    assert secrets[LONELY].replicas == ()


def test_a_failed_describe_secret_is_unread_replicas(tmp_path: Path) -> None:
    sessions = StubbedSessions()
    sessions.stubber.add_client_error("describe_secret", "AccessDeniedException",
                                      expected_params={"SecretId": FAILED}, http_status_code=400)
    sessions.expect(LONELY, described(LONELY))
    sessions.expect(REPLICATED, described(REPLICATED, IN_SYNC))
    secrets = replicate(tmp_path, sessions, {REPLICATED: {WEST}}, required=(WEST,))

    assert (secrets[FAILED].replicas, secrets[FAILED].unread) == (None, ("replicas",))


def test_a_region_whose_listing_failed_leaves_undescribed_primaries_unread(
        tmp_path: Path) -> None:
    sessions = StubbedSessions()  # us-west-2's ListSecrets failed: no replica is listed at all
    secrets = replicate(tmp_path, sessions, {}, required=(), west_unread=True)

    for primary in (REPLICATED, FAILED, LONELY):
        assert (secrets[primary].replicas, secrets[primary].unread) == (None, ("replicas",))
    assert secrets[FOREIGN_REPLICA].unread == ()  # a replica has no replicas of its own
    assert sessions.asked == []  # nothing to describe, not even a client


def test_no_primary_needs_describing_sends_nothing(tmp_path: Path) -> None:
    sessions = StubbedSessions()
    secrets = replicate(tmp_path, sessions, {}, required=(EAST,))  # its own region never counts
    assert sessions.asked == [] and secrets[LONELY].replicas == ()


def snapshot_of(secrets: dict[str, Secret]) -> Snapshot:
    region = RegionSnapshot(region=EAST, secrets=tuple(secrets.values()))
    return Snapshot(meta=ScanMeta(scan_id="t", started_at="2026-11-29T00:00:00Z",
                                  accounts=(ACCOUNT,), regions=(EAST, WEST)),
                    accounts=(AccountSnapshot(account_id=ACCOUNT, regions=(region,)),))


def test_a_failed_replication_is_reported_as_a_missing_replica_with_its_reason(
        tmp_path: Path) -> None:
    """The collector describes the primary, so the Failed status and its message reach the
    rules. The catalog's split (rules/secret-not-replicated.yaml): a replication in status
    Failed left no replica, so secret-not-replicated fails and names the failure;
    secret-replica-unhealthy judges only replicas that exist (no double report)."""
    from scanner.engine import load_ruleset
    from scanner.engine.config import EngineConfig
    from scanner.pipeline import Inputs, analyze

    sessions = StubbedSessions()
    sessions.expect(FAILED, described(FAILED, FAILED_WEST))
    sessions.expect(LONELY, described(LONELY))
    sessions.expect(REPLICATED, described(REPLICATED, IN_SYNC))
    snapshot = snapshot_of(replicate(tmp_path, sessions, {REPLICATED: {WEST}}, required=(WEST,)))

    graph = build_graph(snapshot)
    node = graph.nodes[replica_node(FAILED, WEST)]
    assert (node["kind"], node["status"], node["listed"]) == ("SecretReplica", "Failed", False)

    inputs = Inputs(ruleset=load_ruleset(()),
                    config=EngineConfig(required_replica_regions=(WEST,), emit_pass=True))
    findings = analyze(snapshot, inputs, now=NOW).findings
    # keyed by the graph node (a replica's finding names its ARN, resource.node the node)
    by_key = {(f.rule_id, f.resource.node or f.resource.arn): f for f in findings
              if f.rule_id in ("secret-not-replicated", "secret-replica-unhealthy")}
    assert by_key[("secret-not-replicated", LONELY)].status == Status.FAIL
    failed = by_key[("secret-not-replicated", FAILED)]
    assert failed.status == Status.FAIL
    assert "replication failed" in failed.message
    assert by_key[("secret-not-replicated", REPLICATED)].status == Status.PASS
    assert ("secret-replica-unhealthy", replica_node(FAILED, WEST)) not in by_key or \
        by_key[("secret-replica-unhealthy", replica_node(FAILED, WEST))].status != Status.FAIL


def test_the_scan_passes_the_configs_required_replica_regions_to_collect(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import scanner.collect
    from scanner.pipeline import ScanOptions, run_scan

    seen: list[CollectOptions] = []

    class Collected(Exception):
        pass

    def fake_collect(options: CollectOptions, **_: Any) -> Path:
        seen.append(options)
        raise Collected

    config = tmp_path / "config.yaml"
    config.write_text("required_replica_regions: [us-west-2, eu-west-1]\n", encoding="utf-8")
    monkeypatch.setattr(scanner.collect, "collect", fake_collect)
    with pytest.raises(Collected):
        run_scan(ScanOptions(regions=(EAST,), config_path=config, out_dir=tmp_path / "out",
                             quiet=True))
    assert [o.required_replica_regions for o in seen] == [(WEST, EU)]
