"""add-peering-route: add the missing route to the peer VPC's CIDR through the peering.

Fixes ``vpc-peering-route-missing``: CreateRoute on the side that lacks it, destination the
peer's CIDR, target the (active) peering. With evidence ``route_table_id`` in that table only;
otherwise, for each side (or evidence ``side``) whose VPC has no route table at all routing a
peer CIDR through the peering, in every table that side's subnets use (the main table and the
tables with subnet associations) -- one change per table and CIDR. Never replaces an existing route and
never touches a route table or the peering otherwise. Reversible: DeleteRoute of that route.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any, Mapping

from botocore.exceptions import ClientError

from remediations.base import evidence_str, find_peering, find_route_table, index_of
from scanner.aws.errors import error_kind
from scanner.changes import (ApiCall, AppliedChange, Clients, PlanContext, PlanRefused,
                             PlannedChange, Verification, apply_calls, make_change, verify_state,
                             with_route_table)
from scanner.findings import Finding
from scanner.graph.route_tables import tables_in_use, tables_that_count
from scanner.graph.schema import ec2_arn
from scanner.model import PeeringSide, RegionSnapshot, Route, RouteTable, Snapshot, VpcPeering

REMEDIATION_ID = "add-peering-route"
PERMISSIONS = ("ec2:DescribeRouteTables", "ec2:CreateRoute", "ec2:DeleteRoute",
               "ec2:DescribeVpcPeeringConnections")
#: a condition of the change (planned the same before and after: runs.conditions_of): the
#: peering the route goes through is still active at the apply. A route to a peering that is
#: not active "has a state of blackhole" (Amazon VPC User Guide, "Update your route tables
#: for a VPC peering connection"): one deleted or rejected since the scan was routed to
#: (safe-fixes trial round 19)
PEERING_STATUS = "peering_status"
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


def _side_region(snapshot: Snapshot, side: PeeringSide) -> RegionSnapshot:
    """The scanned account-Region of one side of the peering, its EC2 read."""
    acct = index_of(snapshot).accounts.get(side.owner_id)
    if acct is None:
        raise PlanRefused(f"account {side.owner_id} (a side of the peering) was not scanned")
    region = next((r for r in acct.regions if r.region == side.region), None)
    if region is None or "ec2" in region.unread_services:
        raise PlanRefused(f"route tables of {side.owner_id}/{side.region} were not read")
    return region


def _vpc_tables(region: RegionSnapshot, side: PeeringSide) -> list[RouteTable]:
    """All route tables of the side's VPC, as scanned."""
    return [t for t in region.route_tables if t.vpc_id == side.vpc_id]


def _in_use(region: RegionSnapshot, side: PeeringSide,
            tables: list[RouteTable]) -> list[RouteTable]:
    """The tables the VPC's subnets use (scanner.graph.route_tables: those with subnet
    associations, and the main table unless every subnet of the VPC is associated with another
    -- a main table no subnet uses needs no route: ground-truth trial round 12); all of them
    when none is marked either way."""
    subnets = None if "ec2.subnets" in region.unread_services else [
        s.subnet_id for s in region.subnets if s.vpc_id == side.vpc_id]
    return tables_in_use(tables, subnets, subnet_ids=lambda t: t.subnet_ids,
                         is_main=lambda t: t.is_main, unknown_main=True) or tables


def _counting(region: RegionSnapshot, side: PeeringSide,
              tables: list[RouteTable]) -> list[RouteTable]:
    """The side's tables whose routes count (route_tables.tables_that_count); all of them when
    its subnets were not read."""
    subnets = None if "ec2.subnets" in region.unread_services else [
        s.subnet_id for s in region.subnets if s.vpc_id == side.vpc_id]
    counted = tables_that_count(tables, subnets, subnet_ids=lambda t: t.subnet_ids,
                                is_main=lambda t: t.is_main)
    return tables if counted is None else counted


def _has_route(tables: list[RouteTable], cidr: str, pcx_id: str) -> bool:
    return any(r.destination_cidr == cidr and r.target_id == pcx_id and r.state == "active"
               for t in tables for r in t.routes)


def _inside(net: ipaddress.IPv4Network | ipaddress.IPv6Network,
            outer: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    if isinstance(net, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return net.subnet_of(outer)
    if isinstance(net, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return net.subnet_of(outer)
    return False


def _destination_of(cidr: str, peer: PeeringSide) -> str:
    try:
        return str(ipaddress.ip_network(cidr, strict=False))
    except ValueError:
        raise PlanRefused(f"peer VPC {peer.vpc_id} has an invalid CIDR {cidr!r}") from None


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
    rtb_id = evidence_str(finding, "route_table_id")
    side_name = evidence_str(finding, "side")
    targets: list[tuple[str, RouteTable, str]] = []  # (side, table, cidr)
    if rtb_id:
        rtb = find_route_table(snapshot, rtb_id)
        side = _side_of(pcx, rtb)
        peer = pcx.accepter if side == "requester" else pcx.requester
        targets.append((side, rtb, _destination(finding, peer)))
    else:
        sides = [side_name] if side_name in ("requester", "accepter") else ["requester",
                                                                             "accepter"]
        for name in sides:
            this = pcx.requester if name == "requester" else pcx.accepter
            peer = pcx.accepter if name == "requester" else pcx.requester
            cidrs = [_destination(finding, peer)] if evidence_str(
                finding, "destination_cidr") else [_destination_of(c, peer) for c in peer.cidrs]
            region = _side_region(snapshot, this)
            tables = _vpc_tables(region, this)
            for cidr in cidrs:
                # the side counts as routed when a table that counts routes the CIDR through
                # the peering (the rule's view, route_tables.tables_that_count; any table with
                # the subnets unread); otherwise every table in use gets the route
                if _has_route(_counting(region, this, tables), cidr, pcx.peering_id):
                    continue
                if not tables:
                    raise PlanRefused(f"{name} VPC {this.vpc_id} has no route table in the "
                                      f"snapshot: no table to add the route to {cidr}")
                targets.extend((name, t, cidr) for t in _in_use(region, this, tables))
    changes: list[PlannedChange] = []
    for side, rtb, cidr in targets:
        existing = next((r for r in rtb.routes if r.destination_cidr == cidr), None)
        if existing is not None:
            if existing.target_id == pcx.peering_id and existing.state == "active":
                continue
            raise PlanRefused(f"{rtb.route_table_id} already routes {cidr} to "
                              f"{existing.target_id} ({existing.state}); not replacing it")
        call = ApiCall(service="ec2", operation="CreateRoute", region=rtb.region,
                       params={"RouteTableId": rtb.route_table_id, "DestinationCidrBlock": cidr,
                               "VpcPeeringConnectionId": pcx.peering_id})
        changes.append(make_change(
            remediation_id=REMEDIATION_ID, finding=finding, account_id=rtb.account_id,
            region=rtb.region,
            # the route table's ARN as the graph and the findings name it: the partition is
            # the Region's (aws-us-gov in us-gov-west-1; concept review round 3)
            resource_arn=ec2_arn(rtb.region, rtb.account_id, "route-table",
                                 rtb.route_table_id),
            target=f"route:{rtb.route_table_id}:{cidr}",
            summary=f"route {cidr} via {pcx.peering_id} in {rtb.route_table_id} ({side} side)",
            calls=[call], pre_state={"route_target": None, PEERING_STATUS: "active"},
            desired_state={"route_target": pcx.peering_id, PEERING_STATUS: "active"},
            details={"route_table_id": rtb.route_table_id, "destination_cidr": cidr,
                     "peering_id": pcx.peering_id, "side": side}))
    return changes


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
    state: dict[str, Any] = {"route_target": target}
    if PEERING_STATUS in change.pre_state:  # plans written before it was a condition: not read
        state[PEERING_STATUS] = _peering_status(clients, change)
    return state


def _peering_status(clients: Clients, change: PlannedChange) -> str:
    """The peering's Status.Code as the route table's account sees it in its Region (a
    peering is listed in both owners' accounts, in both Regions when inter-Region: AWS_FACTS
    2.5); "deleted" when EC2 no longer knows it (a peering deleted a while ago)."""
    pcx = change.details["peering_id"]
    try:
        found = clients.client("ec2", change.region).describe_vpc_peering_connections(
            VpcPeeringConnectionIds=[pcx]).get("VpcPeeringConnections") or ()
    except ClientError as exc:
        if error_kind(exc, region=change.region) == "not_found":
            return "deleted"
        raise
    codes = [str((p.get("Status") or {}).get("Code")) for p in found
             if p.get("VpcPeeringConnectionId") == pcx]
    return codes[0] if codes else "deleted"


def condition_drift(change: PlannedChange, key: str,
                    current: Mapping[str, Any] | None = None) -> str | None:
    """What a changed ``peering_status`` means, naming the peering (the drifted resource is
    the route table)."""
    if key != PEERING_STATUS:
        return None
    now = (current or {}).get(key)
    return (f"the peering {change.details.get('peering_id')} the route goes through is "
            f"{now or 'no longer active'}: a route to it would be a blackhole")


def apply(clients: Clients, change: PlannedChange) -> AppliedChange:
    return apply_calls(clients, change, read_current)


def verify(clients: Clients, change: PlannedChange) -> Verification:
    return verify_state(clients, change, read_current)


def undo_call(change: PlannedChange, before: Mapping[str, Any]) -> tuple[ApiCall, ...] | None:
    return (ApiCall(service="ec2", operation="DeleteRoute", region=change.region,
                    params={"RouteTableId": change.details["route_table_id"],
                            "DestinationCidrBlock": change.details["destination_cidr"]}),)


def simulate(snapshot: Snapshot, change: PlannedChange) -> Snapshot:
    """The route table with the new active route through the peering."""
    route = Route(destination_cidr=change.details["destination_cidr"], target_type="vpc-peering",
                  target_id=change.details["peering_id"], state="active")
    return with_route_table(snapshot, change.account_id, change.region,
                            change.details["route_table_id"],
                            lambda t: replace(t, routes=t.routes + (route,)))
