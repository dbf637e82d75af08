"""An active peering where a side has no route table routing the peer's CIDR(s) via this
peering (a route whose destination overlaps each peer CIDR, state active). Only a table that
routes some subnet's traffic counts (scanner.graph.route_tables: one with subnet associations,
and the main table unless every subnet of the VPC has left it for another): a route in a table
no subnet uses carries nothing (ground-truth trial round 14). UNKNOWN for a side whose
account-region route tables were not read (``ec2.route_tables``) or not scanned, and for one
whose route is only in the main table while its subnets were not read (``ec2.subnets``). A VPC without
subnets routes nothing: any of its tables counts (route_tables.tables_that_count)."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, UNKNOWN, Result
from scanner.engine.context import RuleContext
from scanner.graph.network_path import overlaps, route_destination, routed_elsewhere
from scanner.graph.route_tables import no_tables_listed, tables_in_use, tables_that_count


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
        if not tables:
            missing.append(f"{name} {no_tables_listed(str(vpc))}")
            continue
        subnets_gap = ctx.index.service_readable(owner, region, "ec2.subnets")
        subnets = None if subnets_gap else \
            ctx.index.subnets_by_vpc.get((owner, region, str(vpc)), [])
        used = tables_that_count(tables, subnets, subnet_ids=_subnet_ids, is_main=_is_main)
        if used is None:  # the tables with subnet associations route some subnet for certain
            used = tables_in_use(tables, None, subnet_ids=_subnet_ids, is_main=_is_main,
                                 unknown_main=False)
        # with the subnets not read, a main table no subnet names may route some or none
        maybe = [t for t in tables if subnets is None and t.get("is_main")
                 and not t.get("subnet_ids")]
        for cidr in peer.get("cidrs") or ():
            def routing(ts: list[Mapping[str, Any]], cidr: str = cidr) -> list[str]:
                return [str(t.get("route_table_id")) for t in ts if any(
                    r.get("target_id") == pcx and r.get("state", "active") == "active"
                    and overlaps(route_destination(r), cidr) for r in t.get("routes") or ())]
            if routing(used):
                continue
            if routing(maybe):
                missing.append(f"{name} subnets: {subnets_gap} (the route to {cidr} is only in "
                               "the main table, which may route no subnet)")
                continue
            unused = routing([t for t in tables if t not in used])
            note = f" in a table that routes its subnets (only in {', '.join(unused)}, " \
                "which routes no subnet)" if unused else routed_elsewhere(used, [cidr])
            problems.append(f"{name} VPC {vpc} ({owner}) has no route to {cidr} via {pcx}{note}")
            gaps.append({"side": name, "vpc_id": vpc, "account_id": owner,
                         "region": region, "destination_cidr": cidr,
                         "route_table_ids": sorted(str(t.get("route_table_id"))
                                                   for t in (used or tables))})
    if problems:
        return Result(outcome=TRUE, facts=tuple(("text", p) for p in problems),
                      missing=tuple(missing), evidence=_evidence(pcx, problems, gaps))
    if missing:
        return Result(outcome=UNKNOWN, missing=tuple(missing))
    return Result(outcome=FALSE, facts=(("text", "both sides route the peer CIDRs"),))


def _subnet_ids(table: Mapping[str, Any]) -> Any:
    return table.get("subnet_ids") or ()


def _is_main(table: Mapping[str, Any]) -> bool:
    return bool(table.get("is_main"))


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
