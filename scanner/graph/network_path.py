"""The rotation network path's concepts, over graph node attributes and without the rule's
context: which database VPCs a rotation Lambda serves (``declared_db_vpcs``, ``served``), which
address ranges a route table sends to a target (``effective``, ``covers``), whether an endpoint
is the Lambda's way to Secrets Manager (``secretsmanager_endpoint``, ``not_the_way``) and a NAT
gateway's way out (``nat_way_out``), and the CIDR helpers under them (``network``,
``overlaps``, ``route_destination``). One home, read by the rule
(scanner/engine/predicates/rotation_network_path.py, which says what each step checks and
cites), by the peering route rules and by the HTML report's rotation path
(reports/html/network.py): what the report draws is what the rule checked."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping, Sequence

from scanner.graph.route_tables import subnet_tables


@lru_cache(maxsize=65536)
def network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def overlaps(a: str | None, b: str | None) -> bool:
    na, nb = network(a or ""), network(b or "")
    return bool(na and nb and na.version == nb.version and na.overlaps(nb))  # type: ignore[arg-type]


def route_destination(route: Mapping[str, Any]) -> str | None:
    dest = route.get("destination_cidr") or route.get("destination_ipv6_cidr")
    return str(dest) if dest else None


#: the secret's tag naming the database VPCs its rotation Lambda serves (VPC ids, comma or
#: space separated; empty: none); without it every live peering of the Lambda's VPC is served
DB_VPC_TAG = "secretgraph:db-vpc"
#: peering states that carry nothing and never will (``served`` leaves them out untagged)
_GONE = {"deleted", "rejected", "expired", "failed", "deleting"}


def declared_db_vpcs(tags: Mapping[str, Any] | None) -> tuple[str, ...] | None:
    raw = (tags or {}).get(DB_VPC_TAG)
    if raw is None:
        return None
    return tuple(sorted({p for p in str(raw).replace(",", " ").split() if p}))


def subnet_route_tables(vpc_tables: Iterable[Mapping[str, Any]],
                        subnet_id: str) -> list[Mapping[str, Any]]:
    """The route table of a subnet among its VPC's tables (graph nodes):
    scanner.graph.route_tables.subnet_tables."""
    return subnet_tables(list(vpc_tables), subnet_id,
                         subnet_ids=lambda t: t.get("subnet_ids") or (),
                         is_main=lambda t: bool(t.get("is_main")))


def _public_ipv4() -> tuple[str, ...]:
    """The public IPv4 space (where the Secrets Manager endpoints are): 0.0.0.0/0 less the
    private (RFC 1918), shared (100.64.0.0/10) and link-local ranges. A NAT path must carry
    all of it; routes to peerings or a transit gateway for private ranges do not take it
    away."""
    space = [ipaddress.IPv4Network("0.0.0.0/0")]
    for private in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                    "169.254.0.0/16"):
        hole = ipaddress.IPv4Network(private)
        space = [piece for net in space for piece in (
            net.address_exclude(hole) if hole.subnet_of(net) else [net])]
    return tuple(str(n) for n in ipaddress.collapse_addresses(space))


PUBLIC_IPV4 = _public_ipv4()


def covers_all(destinations: Iterable[str | None], cidrs: Iterable[str]) -> bool:
    """``covers`` for each of ``cidrs``, the destinations merged once."""
    nets = [n for n in (network(d or "") for d in destinations) if n is not None]
    collapse: Any = ipaddress.collapse_addresses
    merged: dict[int, list[Any]] = {4: list(collapse(n for n in nets if n.version == 4)),
                                     6: list(collapse(n for n in nets if n.version == 6))}
    for cidr in cidrs:
        want = network(cidr)
        if want is None or not any(want.subnet_of(n)  # type: ignore[arg-type]
                                   for n in merged[want.version]):
            return False
    return True


def ranges_text(ranges: Iterable[str | None], limit: int = 4) -> str:
    """A few address ranges for a message: merged, in address order, the rest counted."""
    ranges = list(ranges)
    nets = [n for n in (network(d or "") for d in ranges) if n is not None]
    merged = [str(n) for version in (4, 6) for n in ipaddress.collapse_addresses(
        m for m in nets if m.version == version)]  # type: ignore[type-var]
    other = sorted({str(d) for d in ranges if d and network(d) is None})
    shown = (merged + other)[:limit]
    rest = len(merged) + len(other) - len(shown)
    return ", ".join(shown) + (f" and {rest} more" if rest else "")


def covers(destinations: Iterable[str | None], cidr: str) -> bool:
    """Do routes to ``destinations`` together send all of ``cidr`` their way? Each address of
    ``cidr`` must fall in one of them: 0.0.0.0/1 and 128.0.0.0/1 cover 0.0.0.0/0, 52.94.0.0/16
    does not (it merely overlaps it)."""
    return covers_all(destinations, (cidr,))


#: Secrets Manager's API is HTTPS (AWS General Reference, Secrets Manager endpoints: protocol
#: HTTPS)
HTTPS = 443


def secretsmanager_endpoint_service(service_name: str, region: str) -> bool:
    """Is ``service_name`` the interface endpoint service of Secrets Manager in ``region``?
    AWS Secrets Manager User Guide, "Using an AWS Secrets Manager VPC endpoint": create the
    endpoint for ``com.amazonaws.<region>.secretsmanager``; an endpoint serves its own Region
    only -- with private DNS "The private hosted zone contains a record set for the default
    public DNS name for the service for the Region" (EC2 API Reference, CreateVpcEndpoint,
    PrivateDnsEnabled), so another Region's endpoint never answers this Region's name. The
    China Regions name some services ``cn.com.amazonaws.<region>.<service>``: both forms are
    accepted, for the Lambda's Region only. A FIPS endpoint (``secretsmanager-fips``) answers
    the FIPS name, which a rotation function does not call by default."""
    return service_name in (f"com.amazonaws.{region}.secretsmanager",
                            f"cn.com.amazonaws.{region}.secretsmanager")


def secretsmanager_endpoint(e: Mapping[str, Any], region: str) -> bool:
    """Is endpoint ``e`` the Lambda's way to Secrets Manager in ``region``: an interface
    endpoint, available, with private DNS, for that Region's service
    (``secretsmanager_endpoint_service``)? Only with private DNS does the service's default
    name resolve to the endpoint (AWS PrivateLink Guide, "Private DNS", quoted in
    ``_check_endpoint``). The HTML report's rotation path draws an endpoint as the way by
    this same test (reports/html/network.py)."""
    return (e.get("endpoint_type") == "Interface" and bool(e.get("private_dns_enabled"))
            and e.get("state") in (None, "available", "Available")
            and secretsmanager_endpoint_service(str(e.get("service_name", "")), region))


def not_the_way(e: Mapping[str, Any], region: str) -> str | None:
    """Why a Secrets Manager endpoint of the Lambda's VPC is not its way to this Region's
    Secrets Manager (None for an endpoint of another service, or for the way itself); the
    HTML rotation path says it beside the NAT gateway hop."""
    if secretsmanager_endpoint(e, region):
        return None
    service = str(e.get("service_name", ""))
    eid = e.get("endpoint_id")
    if not service.endswith(".secretsmanager"):
        return None
    if not secretsmanager_endpoint_service(service, region):
        return f"endpoint {eid} is for {service}, not {region}'s Secrets Manager"
    if e.get("endpoint_type") != "Interface":
        return f"endpoint {eid} is a {e.get('endpoint_type')} endpoint, not an interface one"
    if not e.get("private_dns_enabled"):
        return (f"endpoint {eid} has private DNS off: the service's name does not resolve to "
                "it")
    return f"endpoint {eid} is {e.get('state')}, not available"


def nat_way_out(nat_id: str, nat: Mapping[str, Any], vpc_tables: Iterable[Mapping[str, Any]],
                tables_unread: str | None) -> tuple[bool | None, list[str]]:
    """Does a public NAT gateway's own subnet send the public IPv4 space to an internet
    gateway? AWS VPC User Guide, "NAT gateways": "You create a public NAT gateway in a public
    subnet ... You route traffic from the NAT gateway to the internet gateway for the VPC" --
    a public NAT gateway in a subnet whose route table has no such route reaches nothing
    beyond the VPC. The subnet's table: ``subnet_route_tables``. The public endpoint's
    addresses are not known, so the internet-gateway routes (what more specific routes to
    other targets leave them: ``effective``) must cover all of ``PUBLIC_IPV4``. (True, []),
    (False, why not) or (None, what is missing: ``tables_unread``, the route table listing
    failed, or the NAT's subnet or its table is not in the snapshot). The HTML report's hub
    cards badge NAT gateways by the same answer (reports/html/network.py)."""
    subnet = str(nat.get("subnet_id") or "")
    where = f"the route table of NAT gateway {nat_id}'s subnet {subnet or '(not known)'}"
    if tables_unread:
        return None, [f"{where}: {tables_unread}"]
    tables = subnet_route_tables(vpc_tables, subnet) if subnet else []
    if not tables:
        return None, [f"{where} (neither a table associated with it nor the main table of its "
                      "VPC is in the snapshot)"]
    table = tables[0]
    igw = effective(table, lambda r: r.get("target_type") == "internet-gateway")
    if covers_all(igw, PUBLIC_IPV4):
        return True, []
    carried = [d for d in igw if d]
    return False, [f"NAT gateway {nat_id} is in subnet {subnet}, whose route table "
                   f"{table.get('route_table_id')} has no route to an internet gateway for "
                   "0.0.0.0/0" + (f" (only {ranges_text(carried)})" if carried else "")
                   + ": it cannot reach the internet"]


def served(declared: tuple[str, ...] | None, peerings: Iterable[tuple[str, str, str]],
           own_vpc: str | None = None) -> tuple[list[str], list[str]]:
    """Which peerings of the Lambda's VPC the rule checks, from (peering id, status, peer VPC)
    of each: (the served peering ids, the declared database VPCs without a live peering --
    each a problem). Untagged, every peering not deleted/rejected/expired/failed; tagged, per
    declared VPC its active peering, else a live one. The HTML report's rotation path draws
    exactly these (reports/html/network.py)."""
    ps = sorted(peerings)  # by peering id: one choice, whatever order the graph lists them in
    if declared is not None and own_vpc is not None:
        # a database in the Lambda's own VPC is reached by the local route: no peering
        declared = tuple(d for d in declared if d != own_vpc)
    if declared is None:
        return [pcx for pcx, status, _ in ps if status not in _GONE], []
    chosen: list[str] = []
    unpeered: list[str] = []
    for db in declared:
        live = [(pcx, status) for pcx, status, peer in ps if peer == db and status not in _GONE]
        if not live:
            unpeered.append(db)
            continue
        active = [pcx for pcx, status in live if status == "active"]
        chosen.append((active or [pcx for pcx, _ in live])[0])
    return chosen, unpeered


def effective(table: Mapping[str, Any], chosen: Callable[[Mapping[str, Any]], bool]
              ) -> list[str | None]:
    """The address ranges the table's active routes send to the ``chosen`` targets: each
    chosen route's destination less the more specific active routes to other targets inside
    it. AWS VPC User Guide, "Route priority": "we use the most specific route in your route
    table that matches the traffic to determine how to route the traffic (longest prefix
    match)" -- a 10.0.1.0/24 route to a transit gateway takes that subnet away from a
    10.0.0.0/16 route to a peering, and so does a more specific route in state blackhole
    (its traffic is dropped). A destination that is not a CIDR (a prefix list) is kept as it
    is."""
    routes = list(table.get("routes") or ())

    def carries(r: Mapping[str, Any]) -> bool:
        return r.get("state", "active") == "active" and chosen(r)

    # a blackhole route still wins the match for its addresses, and drops them
    others = [n for n in (network(route_destination(r) or "") for r in routes
                          if not carries(r)) if n is not None]
    out: list[str | None] = []
    for r in routes:
        if not carries(r):
            continue
        dest = route_destination(r)
        net = network(dest or "")
        if net is None:
            out.append(dest)
            continue
        pieces = [net]
        for other in others:
            if other.version != net.version or other.prefixlen <= net.prefixlen:
                continue
            kept: list[Any] = []
            for piece in pieces:
                if other.subnet_of(piece):  # type: ignore[arg-type]
                    kept.extend(piece.address_exclude(other))  # type: ignore[arg-type]
                elif not piece.subnet_of(other):  # type: ignore[arg-type]
                    kept.append(piece)
            pieces = kept
        out.extend(str(p) for p in pieces)
    return out


def routed_elsewhere(tables: Iterable[Mapping[str, Any]], cidrs: Sequence[str],
                     via: str | None = None) -> str:
    """Where the tables' active routes send these blocks instead (another peering, a NAT
    gateway), as " (... goes to ... instead)", or "": routes within a block, else the most
    specific one covering it (longest prefix match). A table holds one route per destination (CreateRoute:
    RouteAlreadyExists), so a block already routed elsewhere -- the central VPC's peering to
    the same block, ground-truth trial round 18 -- keeps the database's peering out (read by
    secret-rotation-no-network-path and vpc-peering-route-missing: ground-truth trial round 26,
    two database VPCs of one CIDR peered to one hub). ``via``: the target asked about, whose
    own routes are not "elsewhere"; a more specific blackhole route drops its addresses and is
    said so (ground-truth trial round 30: "10.1.0.0/16 goes to pcx-1 instead" of a route to
    pcx-1 whose two halves were blackhole routes)."""
    routes = [(network(route_destination(r) or ""), str(r.get("target_id"))
               if r.get("state", "active") == "active"
               else f"nothing (a {r.get('state')} route to {r.get('target_id')})")
              for t in tables for r in t.get("routes") or ()
              if route_destination(r) and r.get("target_type") != "local"
              and r.get("state", "active") in ("active", "blackhole")
              and (via is None or r.get("target_id") != via)]
    said: list[str] = []
    for c in cidrs:
        block = network(c)
        if block is None:
            continue
        inside = sorted((str(d), tgt) for d, tgt in routes
                        if d is not None and d.version == block.version
                        and d.subnet_of(block))  # type: ignore[arg-type]
        said += [f"{d} goes to {tgt} instead" for d, tgt in inside]
        if not inside:
            over = [(d, tgt) for d, tgt in routes if d is not None and d.version == block.version
                    and block.subnet_of(d)]  # type: ignore[arg-type]
            if over:
                d, tgt = max(over, key=lambda x: x[0].prefixlen)
                said.append(f"{c} goes to {tgt} instead (route {d})")
    return f" ({', '.join(dict.fromkeys(said))})" if said else ""
