"""A route table routes, via a peering, a destination broader than the peer VPC's CIDRs (not
covered by them together: a route to the union of two adjacent blocks of the peer, 10.70.0.0/15
for 10.70.0.0/16 and 10.71.0.0/16, sends nothing past it), e.g. 0.0.0.0/0 or 10.0.0.0/8 via
pcx-. Routes to peerings that are
not in the graph are left to vpc-peering-route-blackhole; prefix-list and IPv6 destinations
are not judged."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, UNKNOWN, Result
from scanner.engine.context import RuleContext
from scanner.graph.network_path import covers, route_destination


def _peer_cidrs(peering: Mapping[str, Any], vpc_id: str, account: str) -> list[str]:
    req, acc = peering.get("requester") or {}, peering.get("accepter") or {}
    if req.get("vpc_id") == vpc_id and req.get("owner_id") == account:
        return list(acc.get("cidrs") or ())
    return list(req.get("cidrs") or ())


def peering_route_overbroad(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                            args: Mapping[str, Any]) -> Result:
    broad: list[str] = []
    unread: list[str] = []
    checked = 0
    for r in attrs.get("routes") or ():
        if r.get("target_type") != "vpc-peering":
            continue
        node = ctx.index.peerings.get(str(r.get("target_id")))
        dest = r.get("destination_cidr")
        if node is None and dest and r.get("state") != "blackhole":
            # the peering's CIDRs are not known: not listed, and this account's listing of
            # peerings failed -- unknown, never "none broader" (could-not-read is data)
            gap = ctx.index.service_readable(str(attrs.get("account_id")),
                                             str(attrs.get("region")), "ec2.peerings")
            if gap:
                unread.append(f"{dest} via {r.get('target_id')}: {gap}")
        if node is None or not dest:
            continue
        checked += 1
        cidrs = _peer_cidrs(ctx.graph.nodes[node], str(attrs.get("vpc_id")),
                            str(attrs.get("account_id")))
        if not covers(cidrs, str(route_destination(r))):
            broad.append(f"{dest} via {r.get('target_id')} is broader than the peer CIDR(s) "
                         f"{', '.join(cidrs) or '(none)'}")
    if broad:
        return Result(outcome=TRUE, facts=tuple(("text", b) for b in broad),
                      evidence={"routes": broad}, missing=tuple(unread))
    if unread:
        return Result(outcome=UNKNOWN, missing=tuple(unread))
    return Result(outcome=FALSE, facts=(("text", f"{checked} peering route(s), none broader "
                                                 "than the peer CIDR"),))
