"""secret-unused reads the replicas' LastAccessedDate too: Secrets Manager keeps the date per
Region, and an application in the replica's Region reads the replica. Ground-truth trial round
7: a secret read every day through its eu-west-1 replica was "never read, and created
2026-05-01" -- its remediation, DeleteSecret, would take away the copy that application reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from helpers.access_estate import CENTRAL, SECRET_ARN, replica_estate
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph
from scanner.model import ReplicaStatus, Snapshot

EU = "eu-west-1"
NOW = datetime(2026, 12, 3, tzinfo=timezone.utc)


def _estate(replica_read: str | None, status: str = "InSync",
            primary_read: str | None = None) -> Snapshot:
    snap = replica_estate()
    accounts = []
    for account in snap.accounts:
        if account.account_id == CENTRAL:
            home, eu = account.regions
            primary = replace(home.secrets[0], created="2026-05-01T00:00:00Z",
                              last_accessed=primary_read, replicas=(ReplicaStatus(
                                  region=EU, kms_key_id=None, status=status,
                                  last_accessed=replica_read),))
            listed = () if status == "Failed" else tuple(
                replace(s, last_accessed=replica_read) for s in eu.secrets)
            account = replace(account, regions=(replace(home, secrets=(primary,)),
                                                replace(eu, secrets=listed)))
        accounts.append(account)
    return replace(snap, accounts=tuple(accounts))


def _unused(snap: Snapshot) -> tuple[str, str]:
    rule = load_ruleset().get("secret-unused")
    assert rule is not None
    [finding] = [f for f in evaluate(build_graph(snap), snap, None, Ruleset(rules=(rule,)),
                                     parse_config({"emit_pass": True}, path="(test)"), NOW)
                 if f.resource.arn == SECRET_ARN]
    return finding.status.value, finding.message


def test_a_secret_read_through_its_replica_is_in_use() -> None:
    assert _unused(_estate(replica_read="2026-12-02T00:00:00Z"))[0] == "PASS"


def test_a_secret_whose_replica_was_read_long_ago_is_unused_and_says_so() -> None:
    status, message = _unused(_estate(replica_read="2026-06-01T00:00:00Z"))
    assert status == "FAIL"
    assert "never read, and created 2026-05-01" in message
    assert "its replicas last read 2026-06-01" in message


def test_a_secret_never_read_anywhere_is_unused() -> None:
    assert _unused(_estate(replica_read=None))[0] == "FAIL"


def test_a_recent_primary_read_is_enough() -> None:
    assert _unused(_estate(replica_read=None, primary_read="2026-12-01T00:00:00Z"))[0] == "PASS"


def test_a_failed_replication_has_no_reads_to_count() -> None:
    assert _unused(_estate(replica_read="2026-12-02T00:00:00Z", status="Failed"))[0] == "FAIL"
