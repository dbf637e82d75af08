"""Replicas in a Region a scan did not scan are unknown to it, not absent: a primary that got
no DescribeSecret has ``replicas=()`` -- "none listed in the scanned Regions" (docs/collection.md)
-- and the drift must not read that as "the replica was removed" (new-user trial round 8: a
`--regions us-east-1` scan reported "replicas: 0 added, 1 removed - region=us-west-2 ...
InSync" for all 5 secrets while its Not assessed said us-west-2 was not scanned, and the next
full night "replicas: 1 added"). docs/history.md: a Region not scanned is "never reported as
removed, resolved or lost"."""

from __future__ import annotations

from dataclasses import replace

from scanner.history.diff import diff_scans
from scanner.history.drift import render_drift_text
from scanner.model import AccountSnapshot, IamSnapshot, RegionSnapshot, ReplicaStatus, \
    ScanMeta, Snapshot

from helpers.scanfactory import CENTRAL, secret, stored

EAST, WEST = "us-east-1", "us-west-2"
WEST_KEY = "arn:aws:kms:us-west-2:111111111111:key/k2"


def _snapshot(scan_id: str, started: str, regions: tuple[str, ...],
              replicas: tuple[ReplicaStatus, ...]) -> Snapshot:
    db = replace(secret("db"), replicas=replicas)
    regs = [RegionSnapshot(region=EAST, secrets=(db,))]
    if WEST in regions:
        listed = replace(secret("db", region=WEST), primary_region=EAST, kms_key_id=WEST_KEY)
        regs.append(RegionSnapshot(region=WEST, secrets=(listed,)))
    return Snapshot(meta=ScanMeta(scan_id=scan_id, started_at=started, finished_at=started,
                                  accounts=(CENTRAL,), regions=regions),
                    accounts=(AccountSnapshot(account_id=CENTRAL, iam=IamSnapshot(),
                                              regions=tuple(regs)),))


IN_SYNC = (ReplicaStatus(region=WEST, kms_key_id=WEST_KEY, status="InSync"),)


def _drift(a: Snapshot, b: Snapshot):  # type: ignore[no-untyped-def]
    return diff_scans(stored(a), stored(b))


def test_a_scan_without_the_replicas_region_does_not_remove_the_replica() -> None:
    full = _snapshot("n1", "2026-12-01T02:00:00Z", (EAST, WEST), IN_SYNC)
    east = _snapshot("n2", "2026-12-02T02:00:00Z", (EAST,), ())  # no DescribeSecret
    drift = _drift(full, east)
    assert drift.resources_changed == (), render_drift_text(drift)
    assert any("replicas" in n.reason and WEST in n.reason for n in drift.not_assessed)
    # ... and the next full night adds none
    back = _drift(east, replace(full, meta=replace(full.meta, scan_id="n3")))
    assert back.resources_changed == (), render_drift_text(back)


def test_a_replica_really_gone_in_a_scanned_region_is_still_removed() -> None:
    full = _snapshot("n1", "2026-12-01T02:00:00Z", (EAST, WEST), IN_SYNC)
    gone = _snapshot("n2", "2026-12-02T02:00:00Z", (EAST, WEST), ())
    drift = _drift(full, gone)
    fields = [f for c in drift.resources_changed for f in c.fields if f.field == "replicas"]
    assert len(fields) == 1 and fields[0].new == []


def test_a_replica_whose_status_changed_is_still_a_change_when_both_scans_described_it() -> None:
    full = _snapshot("n1", "2026-12-01T02:00:00Z", (EAST, WEST), IN_SYNC)
    failed = (ReplicaStatus(region=WEST, kms_key_id=WEST_KEY, status="Failed"),)
    east = _snapshot("n2", "2026-12-02T02:00:00Z", (EAST,), failed)  # described: all Regions
    drift = _drift(full, east)
    assert [f.field for c in drift.resources_changed for f in c.fields] == ["replicas"]


def _replica_row(gate: str) -> dict:  # type: ignore[type-arg]
    from helpers.scanfactory import finding

    from scanner.graph.schema import replica_node

    primary = secret("db").arn
    row = finding("secret-cross-account-access-broken", replica_node(primary, WEST),
                  principal="arn:aws:iam::222222222222:role/app", rtype="SecretReplica",
                  evidence={"gates": {"key_policy": gate, "identity_policy": "DENIED"}})
    row["resource"].update(region=WEST, node=replica_node(primary, WEST),
                           arn=primary.replace(EAST, WEST))
    return row


def test_a_findings_evidence_moved_by_a_region_left_out_is_not_assessed_not_changed() -> None:
    """Review of the thirteenth session's merges (fix-r2's note): in a narrower --regions
    drift, a replica's broken-read finding, FAIL both nights, read "changed (evidence)"
    (key_policy DENIED -> UNKNOWN: its key in the Region left out was not collected). One
    scan did not look there: not assessed. Both scans looking, a gate decided both nights
    that moved is a change (one that moved to UNKNOWN is not assessed either way:
    tests/history/test_diff_undecided_gates.py)."""
    from helpers.scanfactory import document

    full = _snapshot("n1", "2026-12-01T02:00:00Z", (EAST, WEST), IN_SYNC)
    east = _snapshot("n2", "2026-12-02T02:00:00Z", (EAST,), ())
    drift = diff_scans(stored(full, document(full, [_replica_row("DENIED")])),
                       stored(east, document(east, [_replica_row("UNKNOWN")])))
    assert drift.findings_changed == (), render_drift_text(drift)
    assert any("evidence moved" in n.reason for n in drift.not_assessed), \
        render_drift_text(drift)
    full2 = replace(full, meta=replace(full.meta, scan_id="n3"))
    drift = diff_scans(stored(full, document(full, [_replica_row("DENIED")])),
                       stored(full2, document(full2, [_replica_row("CONDITIONAL")])))
    assert [c.rule_id for c in drift.findings_changed] == ["secret-cross-account-access-broken"]
