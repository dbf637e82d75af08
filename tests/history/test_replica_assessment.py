"""A replica is judged with its primary's resource policy (secret-cross-account-access-broken
reads the primary's policy for it), so what was not read about the primary was not assessed for
the replica either: the night the primary's GetResourcePolicy was throttled, the replica's
earlier FAIL must be "not assessed" -- not resolved in the diff, not archived in Security Hub
(review of the day's merges: the replica's broken read was archived as resolved)."""

from __future__ import annotations

from dataclasses import replace

from helpers.scanfactory import CENTRAL, REGION, secret, snapshot
from scanner.graph.schema import replica_node, replica_primary
from scanner.history.assessed import assess
from scanner.model import CoverageEntry, RegionSnapshot

REPLICA_REGION = "us-west-2"


def _night(coverage: tuple[CoverageEntry, ...], unread_services: tuple[str, ...] = ()) -> object:
    db = secret("db")
    snap = snapshot("n2", "2026-11-29T01:00:00Z", [db], coverage=coverage,
                    unread_services={CENTRAL: unread_services})
    central, *rest = snap.accounts
    snap = replace(snap, accounts=(replace(central, regions=central.regions + (
        RegionSnapshot(region=REPLICA_REGION),)), *rest),
        meta=replace(snap.meta, regions=(REGION, REPLICA_REGION)))
    return assess(snap), db.arn


def test_a_replica_is_not_assessed_when_its_primarys_policy_was_not_read() -> None:
    db_arn = secret("db").arn
    throttled = CoverageEntry(account_id=CENTRAL, region=REGION, service="secretsmanager",
                              operation="GetResourcePolicy", error_code="ThrottlingException",
                              error_kind="throttled", message="Rate exceeded",
                              resource_arn=db_arn)
    assessment, arn = _night((throttled,))
    why = assessment.why_not(account_id=CENTRAL, region=REPLICA_REGION, kind="SecretReplica",  # type: ignore[attr-defined]
                             arn=replica_node(arn, REPLICA_REGION))
    assert why is not None and "primary" in why


def test_a_replica_is_not_assessed_when_its_primarys_region_was_not_listed() -> None:
    assessment, arn = _night((), unread_services=("secretsmanager",))
    why = assessment.why_not(account_id=CENTRAL, region=REPLICA_REGION, kind="SecretReplica",  # type: ignore[attr-defined]
                             arn=replica_node(arn, REPLICA_REGION))
    assert why is not None


def test_a_replica_whose_primary_was_read_is_assessed() -> None:
    assessment, arn = _night(())
    assert assessment.why_not(account_id=CENTRAL, region=REPLICA_REGION,  # type: ignore[attr-defined]
                              kind="SecretReplica", arn=replica_node(arn, REPLICA_REGION)) is None


def test_replica_primary_inverts_replica_node() -> None:
    assert replica_primary(replica_node("arn:aws:secretsmanager:r:1:secret:x", "eu-west-1")) == \
        "arn:aws:secretsmanager:r:1:secret:x"
    assert replica_primary("arn:aws:secretsmanager:r:1:secret:x") is None
