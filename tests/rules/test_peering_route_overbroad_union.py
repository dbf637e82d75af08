"""vpc-peering-route-overbroad judges a route against the peer VPC's CIDRs together: a VPC may
have several CIDR blocks ("You can associate secondary IPv4 CIDR blocks with your VPC", Amazon
VPC User Guide, "VPC CIDR blocks"; a peering's CidrBlockSet lists them), and a route whose
destination is their union -- 10.70.0.0/15 for 10.70.0.0/16 and 10.71.0.0/16 -- sends nothing
past the peer VPC. Ground-truth trial round 14: such a route was "broader than the peer CIDR(s)"
because no single block contained it."""

from __future__ import annotations

from scanner.model import (AccountSnapshot, PeeringSide, RegionSnapshot, Route, RouteTable,
                           ScanMeta, Snapshot, Vpc, VpcPeering)
from scanner.pipeline import ScanOptions, analyze, load_inputs

REGION = "us-east-1"
A, B = "111111111111", "222222222222"
PCX = "pcx-0123"
PEER_CIDRS = ("10.70.0.0/16", "10.71.0.0/16")


def _overbroad(destination: str) -> list[tuple[str, str]]:
    """The rule's statuses on A's table routing ``destination`` through the peering to B, whose
    VPC has the two blocks PEER_CIDRS."""
    peering = VpcPeering(peering_id=PCX, account_id=A, region=REGION, status="active",
                         requester=PeeringSide(owner_id=A, vpc_id="vpc-a", region=REGION,
                                               cidrs=("10.0.0.0/16",)),
                         accepter=PeeringSide(owner_id=B, vpc_id="vpc-b", region=REGION,
                                              cidrs=PEER_CIDRS))
    a = RegionSnapshot(
        region=REGION, vpcs=(Vpc(vpc_id="vpc-a", account_id=A, region=REGION,
                                 cidrs=("10.0.0.0/16",)),),
        peerings=(peering,),
        route_tables=(RouteTable(route_table_id="rtb-a", vpc_id="vpc-a", account_id=A,
                                 region=REGION, is_main=True, routes=(Route(
                                     destination_cidr=destination, target_type="vpc-peering",
                                     target_id=PCX),)),))
    b = RegionSnapshot(region=REGION, vpcs=(Vpc(vpc_id="vpc-b", account_id=B, region=REGION,
                                                cidrs=PEER_CIDRS),),
                       peerings=(VpcPeering(peering_id=PCX, account_id=B, region=REGION,
                                            status="active", requester=peering.requester,
                                            accepter=peering.accepter),))
    snap = Snapshot(meta=ScanMeta(scan_id="t", started_at="2026-12-06T00:00:00Z",
                                  accounts=(A, B), regions=(REGION,)),
                    accounts=(AccountSnapshot(account_id=A, regions=(a,)),
                              AccountSnapshot(account_id=B, regions=(b,))))
    return [(f.status.value, f.message or "")
            for f in analyze(snap, load_inputs(ScanOptions(emit_pass=True))).findings
            if f.rule_id == "vpc-peering-route-overbroad" and "rtb-a" in f.resource.arn]


def test_a_route_to_the_union_of_the_peer_blocks_is_not_broader() -> None:
    assert [s for s, _ in _overbroad("10.70.0.0/15")] == ["PASS"]


def test_a_route_to_one_peer_block_is_not_broader() -> None:
    assert [s for s, _ in _overbroad("10.71.0.0/16")] == ["PASS"]


def test_a_route_past_the_union_is_broader() -> None:
    [(status, message)] = _overbroad("10.68.0.0/14")
    assert status == "FAIL"
    assert "10.68.0.0/14 via pcx-0123 is broader than the peer CIDR(s)" in message
