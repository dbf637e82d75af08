"""A route targets a peering that is not active: the route is in state blackhole, the peering's
status is not ``active``, or the peering no longer exists although EC2 in the table's
account-region was read."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, Result, unknown
from scanner.engine.context import RuleContext


def dead_route(route: Mapping[str, Any], peering: Mapping[str, Any] | None) -> str | None:
    """Why a route via a peering carries no traffic, or None when it does. AWS VPC Peering
    Guide: a route to a peering that is not active "has a state of blackhole, and has no effect
    until the VPC peering connection is in the active state"; a deleted, rejected, failed or
    expired peering never becomes active. ``peering``: its graph attributes, None when it is
    not in the graph. The HTML report's network cards use this too (reports/html/network.py),
    so a route this rule fails is never shown there as present."""
    if route.get("state") == "blackhole":
        return "the route is a blackhole"
    if peering is None:
        return "the peering does not exist"
    if peering.get("status") != "active":
        return f"the peering is {peering.get('status')}"
    return None


def peering_route_blackhole(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                            args: Mapping[str, Any]) -> Result:
    bad: list[str] = []
    for r in attrs.get("routes") or ():
        if r.get("target_type") != "vpc-peering":
            continue
        pcx = str(r.get("target_id"))
        dest = r.get("destination_cidr") or r.get("destination_ipv6_cidr") or r.get(
            "destination_prefix_list")
        node = ctx.index.peerings.get(pcx)
        why = dead_route(r, ctx.graph.nodes[node] if node is not None else None)
        if why is None:
            continue
        if node is None and r.get("state") != "blackhole":
            # a peering this account's listing would show (DescribeVpcPeeringConnections
            # lists those it requested and accepted): unknown only when that listing failed
            gap = ctx.index.service_readable(str(attrs.get("account_id")),
                                             str(attrs.get("region")), "ec2.peerings")
            if gap:
                return unknown(gap)
        bad.append(f"route {dest} via {pcx}: {why}")
    if bad:
        return Result(outcome=TRUE, facts=tuple(("text", b) for b in bad),
                      evidence={"routes": bad})
    return Result(outcome=FALSE, facts=(("text", "every peering route targets an active "
                                                 "peering"),))
