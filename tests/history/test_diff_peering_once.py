"""A VPC peering is one resource in `secretgraph diff`, as it is one node in the graph
(ground-truth trial round 24).

Both accounts of a cross-account peering list it (DescribeVpcPeeringConnections answers for
the requester and the accepter). The night its active peering was deleted, the diff listed
``changed peering <db account>/.../pcx-...`` and ``changed peering <vault account>/.../pcx-...``
-- one deletion counted as two changed resources."""

from __future__ import annotations

from dataclasses import replace

from scanner.history.diff import diff_scans
from scanner.model import PeeringSide, Snapshot, VpcPeering

from helpers.scanfactory import CENTRAL, MEMBER, REGION, snapshot, stored

PCX = "pcx-0123456789abcdef0"
T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"


def _night(scan_id: str, started: str, status: str, *, seen_by: tuple[str, ...] = (
        CENTRAL, MEMBER)) -> Snapshot:
    snap = snapshot(scan_id, started)
    requester = PeeringSide(owner_id=CENTRAL, vpc_id="vpc-rot", region=REGION,
                            cidrs=("10.71.0.0/16",))
    accepter = PeeringSide(owner_id=MEMBER, vpc_id="vpc-db", region=REGION,
                           cidrs=("10.80.0.0/16",))
    accounts = []
    for acct in snap.accounts:
        pcx = VpcPeering(peering_id=PCX, account_id=acct.account_id, region=REGION,
                         status=status, requester=requester, accepter=accepter)
        seen = (pcx,) if acct.account_id in seen_by else ()
        accounts.append(replace(acct, regions=tuple(replace(r, peerings=seen)
                                                    for r in acct.regions)))
    return replace(snap, accounts=tuple(accounts))


def test_a_deleted_peering_both_accounts_list_is_one_changed_resource() -> None:
    drift = diff_scans(stored(_night("a", T1, "active")), stored(_night("b", T2, "deleted")))
    [change] = [c for c in drift.resources_changed if c.kind == "peering"]
    assert (change.id, change.account_id) == (f"{CENTRAL}/{REGION}/{PCX}", CENTRAL)
    assert [(f.field, f.old, f.new) for f in change.fields] == [("status", "active", "deleted")]


def test_a_peering_read_from_the_other_account_tonight_is_the_same_peering() -> None:
    # last night only the requester listed it, tonight only the accepter: no change at all
    drift = diff_scans(stored(_night("a", T1, "active", seen_by=(CENTRAL,))),
                       stored(_night("b", T2, "active", seen_by=(MEMBER,))))
    assert [c for c in (*drift.resources_added, *drift.resources_removed,
                        *drift.resources_changed) if c.kind == "peering"] == []
