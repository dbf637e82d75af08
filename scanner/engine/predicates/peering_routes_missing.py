"""An active peering where a side has no route table routing the peer's CIDR(s) via this
peering (a route whose destination overlaps each peer CIDR, state active). UNKNOWN for a side
whose account-region EC2 was not read or not scanned."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, UNKNOWN, Result
from scanner.engine.context import RuleContext
from scanner.engine.predicates._common import overlaps, route_destination


def peering_routes_missing(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                           args: Mapping[str, Any]) -> Result:
    pcx = attrs.get("peering_id")
    req, acc = attrs.get("requester") or {}, attrs.get("accepter") or {}
    problems: list[str] = []
    missing: list[str] = []
    for name, side, peer in (("requester", req, acc), ("accepter", acc, req)):
        owner, region, vpc = str(side.get("owner_id")), str(side.get("region")), side.get("vpc_id")
        gap = ctx.index.service_readable(owner, region, "ec2")
        if gap:
            missing.append(f"{name} route tables: {gap}")
            continue
        tables = [ctx.graph.nodes[t]
                  for t in ctx.index.route_tables_by_vpc.get((owner, region, str(vpc)), [])]
        for cidr in peer.get("cidrs") or ():
            routed = any(
                r.get("target_id") == pcx and r.get("state", "active") == "active"
                and overlaps(route_destination(r), cidr)
                for t in tables for r in t.get("routes") or ())
            if not routed:
                problems.append(f"{name} VPC {vpc} ({owner}) has no route to {cidr} via {pcx}")
    if problems:
        return Result(outcome=TRUE, facts=tuple(("text", p) for p in problems),
                      missing=tuple(missing), evidence={"problems": problems})
    if missing:
        return Result(outcome=UNKNOWN, missing=tuple(missing))
    return Result(outcome=FALSE, facts=(("text", "both sides route the peer CIDRs"),))
