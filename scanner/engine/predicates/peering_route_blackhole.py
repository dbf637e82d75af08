"""A route targets a peering that is not active: the route is in state blackhole, the peering's
status is not ``active``, or the peering no longer exists although EC2 in the table's
account-region was read."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, Result, unknown
from scanner.engine.context import RuleContext


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
        if r.get("state") == "blackhole":
            bad.append(f"route {dest} via {pcx} is a blackhole")
        elif node is None:
            gap = ctx.index.service_readable(str(attrs.get("account_id")),
                                             str(attrs.get("region")), "ec2")
            if gap:
                return unknown(gap)
            bad.append(f"route {dest} via {pcx}: the peering does not exist")
        elif ctx.graph.nodes[node].get("status") != "active":
            bad.append(f"route {dest} via {pcx}: the peering is "
                       f"{ctx.graph.nodes[node].get('status')}")
    if bad:
        return Result(outcome=TRUE, facts=tuple(("text", b) for b in bad),
                      evidence={"routes": bad})
    return Result(outcome=FALSE, facts=(("text", "every peering route targets an active "
                                                 "peering"),))
