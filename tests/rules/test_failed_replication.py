"""A replication in status Failed that its Region does not list made no replica (Secrets
Manager API Reference, ReplicationStatusType: "The status can be InProgress, Failed, or
InSync"): nothing there to judge or to read. Ground-truth trial round 7: such a replica
requested without a KmsKeyId was reported by secret-uses-aws-managed-key as "encrypted with the
AWS-managed key" (its remediation targeting a replica that does not exist), once more beside
secret-not-replicated, which counts the Region as missing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from helpers.access_estate import CENTRAL, REPLICA_ARN, SECRET_ARN, replica_estate
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.findings import Finding
from scanner.graph.builder import build_graph
from scanner.graph import schema
from scanner.model import ReplicaStatus, Snapshot

EU = "eu-west-1"
REPLICA_NODE = f"{SECRET_ARN}#{EU}"


def _failed(listed: bool) -> Snapshot:
    """The replica estate with the eu-west-1 replication Failed; ``listed``: the Region still
    lists a replica of that name."""
    snap = replica_estate()
    accounts = []
    for account in snap.accounts:
        if account.account_id == CENTRAL:
            home, eu = account.regions
            primary = replace(home.secrets[0], replicas=(ReplicaStatus(
                region=EU, kms_key_id=None, status="Failed",
                status_message="a secret with this name already exists"),))
            account = replace(account, regions=(
                replace(home, secrets=(primary,)),
                eu if listed else replace(eu, secrets=())))
        accounts.append(account)
    return replace(snap, accounts=tuple(accounts))


def _findings(snap: Snapshot, *, required: bool = True) -> list[Finding]:
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    config = parse_config({"emit_pass": True, "rules": {"secret-not-replicated": {
        "parameters": {"required_regions": [EU] if required else []}}}}, path="(test)")
    return evaluate(graph, snap, access, load_ruleset(), config,
                    datetime(2026, 11, 29, tzinfo=timezone.utc))


def _results(snap: Snapshot) -> dict[tuple[str, str], str]:
    return {(f.rule_id, f.resource.arn): f.status.value for f in _findings(snap)}


def test_a_failed_replication_is_no_replica_to_judge() -> None:
    results = _results(_failed(listed=False))
    assert ("secret-uses-aws-managed-key", REPLICA_NODE) not in results
    assert not [key for key in results if key[1] in (REPLICA_NODE, REPLICA_ARN)]
    assert results[("secret-not-replicated", SECRET_ARN)] == "FAIL"


def test_a_failed_replication_has_no_copy_to_read() -> None:
    snap = _failed(listed=False)
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    assert REPLICA_ARN not in report.replicas
    assert report.for_secret(SECRET_ARN).paths  # the primary is still read


def test_a_replica_its_region_lists_is_judged_whatever_the_status_says() -> None:
    graph = build_graph(_failed(listed=True))
    assert not schema.replica_absent(graph.nodes[REPLICA_NODE])
    results = _results(_failed(listed=True))
    assert results[("secret-uses-aws-managed-key", REPLICA_ARN)] == "FAIL"


def test_a_failed_replication_is_a_missing_replica_though_no_region_is_required() -> None:
    """Ground-truth trial round 23: the owner asked for a replica in eu-west-1 (the secret's
    ReplicationStatus lists the Region) and the replication Failed -- "a secret with this
    name already exists" -- so the secret has no copy where it was meant to have one. With no
    required_replica_regions in the config, no rule said so: secret-replica-unhealthy leaves a
    Failed replication to secret-not-replicated, which passed every secret."""
    [finding] = [f for f in _findings(_failed(listed=False), required=False)
                 if f.rule_id == "secret-not-replicated" and f.resource.arn == SECRET_ARN]
    assert finding.status.value == "FAIL"
    assert "no replica in eu-west-1 (replication failed: eu-west-1: a secret with this name " \
        "already exists)" in finding.message
    assert finding.evidence["missing_regions"] == [EU]
