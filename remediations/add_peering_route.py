"""add-peering-route: add the missing route to the peer VPC's CIDR through the peering.

Fixes ``vpc-peering-route-missing``: CreateRoute in the route table on the side that lacks it,
destination the peer's CIDR, target the (active) peering. Never touches any other route, route
table or the peering. Reversible: DeleteRoute of exactly that route.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Mapping

from remediations.base import (ApiCall, AppliedChange, Clients, PlanContext, PlannedChange,
                               PlanRefused, Verification, apply_calls, evidence_str,
                               find_peering, find_route_table, make_change, verify_state)
from scanner.findings import Finding
from scanner.model import PeeringSide, RouteTable, Snapshot, VpcPeering

REMEDIATION_ID = "add-peering-route"
PERMISSIONS = ("ec2:DescribeRouteTables", "ec2:CreateRoute", "ec2:DeleteRoute")
REVERSIBLE = True
EXPLICIT_ONLY = False
EVIDENCE_KEYS = ("peering_id", "route_table_id", "destination_cidr", "side")


def _peering_id(finding: Finding) -> str:
    pcx = evidence_str(finding, "peering_id")
    if pcx:
        return pcx
    tail = finding.resource.arn.rsplit("/", 1)[-1]
    if tail.startswith("pcx-"):
        return tail
    raise PlanRefused("the finding names no peering (evidence peering_id)")


def _side_of(pcx: VpcPeering, rtb: RouteTable) -> str:
    for name, side in (("requester", pcx.requester), ("accepter", pcx.accepter)):
        if side.vpc_id == rtb.vpc_id and side.owner_id == rtb.account_id:
            return name
    raise PlanRefused(f"route table {rtb.route_table_id} is in neither VPC of {pcx.peering_id}")


def _route_table(finding: Finding, snapshot: Snapshot, pcx: VpcPeering) -> RouteTable:
    rtb_id = evidence_str(finding, "route_table_id")
    if rtb_id:
        return find_route_table(snapshot, rtb_id)
    side_name = evidence_str(finding, "side")
    if side_name not in ("requester", "accepter"):
        raise PlanRefused("the finding names neither a route table nor a side "
                          "(evidence route_table_id / side)")
    side = pcx.requester if side_name == "requester" else pcx.accepter
    tables = [rtb for acct in snapshot.accounts if acct.account_id == side.owner_id
              for reg in acct.regions if reg.region == side.region
              for rtb in reg.route_tables if rtb.vpc_id == side.vpc_id]
    if len(tables) != 1:
        raise PlanRefused(f"{len(tables)} route tables in {side.vpc_id}: the finding must name "
                          "one (evidence route_table_id)")
    return tables[0]


def _inside(net: ipaddress.IPv4Network | ipaddress.IPv6Network,
            outer: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    if isinstance(net, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return net.subnet_of(outer)
    if isinstance(net, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return net.subnet_of(outer)
    return False


def _destination(finding: Finding, peer: PeeringSide) -> str:
    cidr = evidence_str(finding, "destination_cidr")
    if cidr is None:
        if len(peer.cidrs) != 1:
            raise PlanRefused(f"the peer VPC {peer.vpc_id} has {len(peer.cidrs)} CIDRs: the "
                              "finding must name one (evidence destination_cidr)")
        cidr = peer.cidrs[0]
    try:
        net = ipaddress.ip_network(cidr, strict=True)
        inside = any(_inside(net, ipaddress.ip_network(c)) for c in peer.cidrs)
    except (ValueError, TypeError):
        raise PlanRefused(f"destination {cidr!r} is not a valid CIDR") from None
    if not inside:
        raise PlanRefused(f"destination {cidr} is not inside the peer VPC's CIDRs "
                          f"{', '.join(peer.cidrs)}")
    return str(net)


def plan(finding: Finding, snapshot: Snapshot, ctx: PlanContext) -> list[PlannedChange]:
    pcx = find_peering(snapshot, _peering_id(finding))
    if pcx.status != "active":
        raise PlanRefused(f"peering {pcx.peering_id} is {pcx.status}, not active")
    rtb = _route_table(finding, snapshot, pcx)
    side = _side_of(pcx, rtb)
    peer = pcx.accepter if side == "requester" else pcx.requester
    cidr = _destination(finding, peer)
    for route in rtb.routes:
        if route.destination_cidr == cidr:
            if route.target_id == pcx.peering_id and route.state == "active":
                return []
            raise PlanRefused(f"{rtb.route_table_id} already routes {cidr} to "
                              f"{route.target_id} ({route.state}); not replacing it")
    call = ApiCall(service="ec2", operation="CreateRoute", region=rtb.region,
                   params={"RouteTableId": rtb.route_table_id, "DestinationCidrBlock": cidr,
                           "VpcPeeringConnectionId": pcx.peering_id})
    return [make_change(
        remediation_id=REMEDIATION_ID, finding=finding, account_id=rtb.account_id,
        region=rtb.region,
        resource_arn=f"arn:aws:ec2:{rtb.region}:{rtb.account_id}:route-table/{rtb.route_table_id}",
        target=f"route:{rtb.route_table_id}:{cidr}",
        summary=f"route {cidr} via {pcx.peering_id} in {rtb.route_table_id} ({side} side)",
        calls=[call], pre_state={"route_target": None},
        desired_state={"route_target": pcx.peering_id},
        details={"route_table_id": rtb.route_table_id, "destination_cidr": cidr,
                 "peering_id": pcx.peering_id, "side": side})]


def read_current(clients: Clients, change: PlannedChange) -> dict[str, Any]:
    rtb_id = change.details["route_table_id"]
    cidr = change.details["destination_cidr"]
    resp = clients.client("ec2", change.region).describe_route_tables(RouteTableIds=[rtb_id])
    target = None
    for table in resp.get("RouteTables", ()):
        for route in table.get("Routes", ()):
            if route.get("DestinationCidrBlock") == cidr:
                target = (route.get("VpcPeeringConnectionId") or route.get("GatewayId")
                          or route.get("NatGatewayId") or route.get("TransitGatewayId")
                          or route.get("NetworkInterfaceId") or "other")
    return {"route_target": target}


def apply(clients: Clients, change: PlannedChange) -> AppliedChange:
    return apply_calls(clients, change, read_current)


def verify(clients: Clients, change: PlannedChange) -> Verification:
    return verify_state(clients, change, read_current)


def undo_call(change: PlannedChange, before: Mapping[str, Any]) -> tuple[ApiCall, ...] | None:
    return (ApiCall(service="ec2", operation="DeleteRoute", region=change.region,
                    params={"RouteTableId": change.details["route_table_id"],
                            "DestinationCidrBlock": change.details["destination_cidr"]}),)
