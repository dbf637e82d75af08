"""add-peering-route adds the missing route to the tables that route some subnet's traffic:
those with subnet associations, and the main table unless every subnet of the VPC is associated
with another table (Amazon VPC User Guide, "Route tables": "If you don't explicitly associate a
subnet with a particular route table, the subnet is implicitly associated with the main route
table"). Ground-truth trial round 12: a route was planned on a main table no subnet used. The
concept is scanner/graph/route_tables.py's, which the rotation network check reads too."""

from __future__ import annotations

from dataclasses import replace

from scanner.changes import RemediationConfig
from scanner.model import (AccountSnapshot, PeeringSide, RegionSnapshot, Route, RouteTable,
                           ScanMeta, Snapshot, Subnet, Vpc, VpcPeering)
from scanner.pipeline import ScanOptions, analyze, load_inputs
from scanner.remediate.planner import Selection, build_plan

REGION = "us-east-1"
A, B = "111111111111", "222222222222"
PCX = "pcx-0123"


def _estate(*, b_subnets: tuple[str, ...], associated: tuple[str, ...]) -> Snapshot:
    """A peering A <-> B; A routes B's CIDR through it, B routes nothing back. B's VPC has a
    main table and table rtb-b-app associated with ``associated`` of its subnets."""
    peering = VpcPeering(peering_id=PCX, account_id=A, region=REGION, status="active",
                         requester=PeeringSide(owner_id=A, vpc_id="vpc-a", region=REGION,
                                               cidrs=("10.0.0.0/16",)),
                         accepter=PeeringSide(owner_id=B, vpc_id="vpc-b", region=REGION,
                                              cidrs=("10.1.0.0/16",)))
    a = RegionSnapshot(
        region=REGION, vpcs=(Vpc(vpc_id="vpc-a", account_id=A, region=REGION,
                                 cidrs=("10.0.0.0/16",)),),
        peerings=(peering,),
        route_tables=(RouteTable(route_table_id="rtb-a", vpc_id="vpc-a", account_id=A,
                                 region=REGION, is_main=True, routes=(Route(
                                     destination_cidr="10.1.0.0/16", target_type="vpc-peering",
                                     target_id=PCX),)),))
    b = RegionSnapshot(
        region=REGION, vpcs=(Vpc(vpc_id="vpc-b", account_id=B, region=REGION,
                                 cidrs=("10.1.0.0/16",)),),
        peerings=(replace(peering, account_id=B),),
        subnets=tuple(Subnet(subnet_id=s, vpc_id="vpc-b", account_id=B, region=REGION)
                      for s in b_subnets),
        route_tables=(RouteTable(route_table_id="rtb-b-main", vpc_id="vpc-b", account_id=B,
                                 region=REGION, is_main=True),
                      RouteTable(route_table_id="rtb-b-app", vpc_id="vpc-b", account_id=B,
                                 region=REGION, subnet_ids=associated)))
    return Snapshot(meta=ScanMeta(scan_id="t", started_at="2026-12-06T00:00:00Z",
                                  accounts=(A, B), regions=(REGION,)),
                    accounts=(AccountSnapshot(account_id=A, regions=(a,)),
                              AccountSnapshot(account_id=B, regions=(b,))))


def _planned_tables(snap: Snapshot) -> list[str]:
    findings = [f for f in analyze(snap, load_inputs(ScanOptions())).findings
                if f.rule_id == "vpc-peering-route-missing" and f.status.value == "FAIL"]
    assert findings
    plan = build_plan(findings, snap, RemediationConfig(),
                      Selection(rules=("vpc-peering-route-missing",)))
    return sorted(c.resource_arn.rsplit("/", 1)[-1] for c in plan.changes
                  if c.remediation_id == "add-peering-route")


def test_a_main_table_every_subnet_has_left_gets_no_route() -> None:
    snap = _estate(b_subnets=("subnet-1", "subnet-2"), associated=("subnet-1", "subnet-2"))

    assert _planned_tables(snap) == ["rtb-b-app"]


def test_a_main_table_a_subnet_still_uses_gets_the_route_too() -> None:
    snap = _estate(b_subnets=("subnet-1", "subnet-2"), associated=("subnet-1",))

    assert _planned_tables(snap) == ["rtb-b-app", "rtb-b-main"]
