"""An active peering where a side has no route table routing the peer's CIDR(s) via this
peering (a route whose destination overlaps each peer CIDR, state active). UNKNOWN for a side
whose account-region route tables were not read (``ec2.route_tables``) or not scanned."""

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
    gaps: list[dict[str, Any]] = []  # per side and peer CIDR: the tables lacking the route
    for name, side, peer in (("requester", req, acc), ("accepter", acc, req)):
        owner, region, vpc = str(side.get("owner_id")), str(side.get("region")), side.get("vpc_id")
        # the side's route tables are what is read (ec2.route_tables): a failed listing of
        # something else (security groups, NAT gateways) does not make the side unknown
        gap = ctx.index.service_readable(owner, region, "ec2.route_tables")
        if gap:
            missing.append(f"{name} route tables: {gap}")
            continue
        table_ids = ctx.index.route_tables_by_vpc.get((owner, region, str(vpc)), [])
        tables = [ctx.graph.nodes[t] for t in table_ids]
        for cidr in peer.get("cidrs") or ():
            routed = any(
                r.get("target_id") == pcx and r.get("state", "active") == "active"
                and overlaps(route_destination(r), cidr)
                for t in tables for r in t.get("routes") or ())
            if not routed:
                problems.append(f"{name} VPC {vpc} ({owner}) has no route to {cidr} via {pcx}")
                gaps.append({"side": name, "vpc_id": vpc, "account_id": owner,
                             "region": region, "destination_cidr": cidr,
                             "route_table_ids": sorted(str(t.get("route_table_id"))
                                                       for t in tables)})
    if problems:
        return Result(outcome=TRUE, facts=tuple(("text", p) for p in problems),
                      missing=tuple(missing), evidence=_evidence(pcx, problems, gaps))
    if missing:
        return Result(outcome=UNKNOWN, missing=tuple(missing))
    return Result(outcome=FALSE, facts=(("text", "both sides route the peer CIDRs"),))


def _evidence(pcx: Any, problems: list[str], gaps: list[dict[str, Any]]) -> dict[str, Any]:
    """What add-peering-route reads (docs/remediation.md): ``peering_id``; ``side``
    (requester|accepter) and ``destination_cidr`` when every gap shares them; ``route_table_id``:
    the table lacking the route when there is one gap in one table, else the list of tables
    lacking routes (the remediator then plans each side and CIDR over the tables in use). ``gaps`` lists every side/CIDR in full."""
    evidence: dict[str, Any] = {"peering_id": pcx, "problems": problems, "gaps": gaps}
    sides = {g["side"] for g in gaps}
    if len(sides) == 1:
        evidence["side"] = gaps[0]["side"]
    cidrs = {g["destination_cidr"] for g in gaps}
    if len(cidrs) == 1:
        evidence["destination_cidr"] = gaps[0]["destination_cidr"]
    tables = sorted({t for g in gaps for t in g["route_table_ids"]})
    if len(gaps) == 1 and len(tables) == 1:
        evidence["route_table_id"] = tables[0]
    elif tables:  # several gaps: a list, so the remediator plans each side and CIDR itself
        evidence["route_table_id"] = tables
    return evidence
