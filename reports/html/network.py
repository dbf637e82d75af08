"""The network view at organization scale, and the traced rotation path of each secret.

Hub and spoke: each hub VPC (a VPC of the central account that peers, hosts a rotation Lambda,
a Secrets Manager endpoint or a NAT gateway) is one card; the VPCs peered with it (spokes) are
grouped by what matters -- the peering's status and whether both sides route through it -- and
counted, with the spokes of each group listed when it is opened. Nothing is drawn as crossing
lines, so 50 or 5,000 peerings stay readable.

Rotation paths: for a secret with rotation, the hops secret -> rotation Lambda -> its VPC,
subnets and security groups -> the Secrets Manager endpoint or a NAT gateway -> each peering the
rule served -> the database VPC (which peerings: ``network_path.served``, the rule's
own choice). A hop is marked broken when the rotation rules say so (their findings name the
problem: secret-rotation-function-missing, secret-rotation-no-network-path; the Lambda hop is
broken too when secret-rotation-role-cannot-read fails: its role cannot read the secret), unknown when the
rule could not assess it or did not check it, ok only when the rule checked it and found
nothing. A path is never better than its finding: a FAIL always shows a broken hop (a problem
that names no hop gets one of its own), an UNKNOWN an unknown one. The reachability logic lives
in the rule's predicate; this module only lays its verdict along the path.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import networkx as nx

from reports._common import account_label, cut_middle, findings_of, short_resource, truncate
from reports.html.viewmodel import _kind
from scanner.engine.context import (NOT_IN_SCAN, REGION_NOT_SCANNED, ROLE_NOT_ASSUMED,
                                    account_region_gap)
from scanner.unread_account import ROLE_NOT_ASSUMED as ROLE_NOT_ASSUMED_TEXT
from scanner.engine.predicates.peering_route_blackhole import dead_route
from scanner.graph.schema import account_node, rotation_function, scheduled_for_deletion
from scanner.graph.network_path import (declared_db_vpcs, nat_way_out, not_the_way,
                                        secretsmanager_endpoint,
                                        secretsmanager_endpoint_service, served)

MAX_SPOKES_LISTED = 200  # per group
MAX_PATHS = 500  # traced secrets (broken first)
MAX_HOPS = 24  # beyond this, hops are counted instead of listed
_STATE_SYMBOL = {"ok": "✓", "broken": "✗", "unknown": "?", "pending": "…"}

Key = tuple[str, str, str]  # account, region, vpc id


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _status_css(status: str) -> str:
    if status == "active":
        return "active"
    if status in ("pending-acceptance", "initiating-request", "provisioning"):
        return "pending"
    return "broken"


def _route_state(routes_by_vpc: Mapping[Key, list[Any]], side: Key, peering: Mapping[str, Any],
                 unread: Mapping[tuple[str, str], Any]) -> str:
    """present | missing | blackhole (the routes via the peering carry no traffic, as
    vpc-peering-route-blackhole judges it: ``dead_route``) | unknown (the side's route tables
    were not read)."""
    tables = routes_by_vpc.get(side)
    if tables is None or _ec2_unread(unread, side):
        return "unknown"
    pcx = peering.get("peering_id")
    via = [r for r in tables if _get(r, "target_id") == pcx]
    if not via:
        return "missing"
    return "present" if any(dead_route(_route(r), peering) is None for r in via) \
        else "blackhole"


def _route(r: Any) -> Mapping[str, Any]:
    return r if isinstance(r, Mapping) else {"state": _get(r, "state")}


def _unseen(graph: nx.MultiDiGraph, side: Key, unread: Mapping[tuple[str, str], Any]) -> str:
    """Why a spoke VPC is not in the graph, as a label: its account is outside the scan ("not
    scanned"), or was in scope but not read -- its audit role could not be assumed, its region
    or its EC2 listing was not read -- or was read without this VPC."""
    node = graph.nodes.get(account_node(side[0]))
    gap = account_region_gap(node, side[1])
    if gap == NOT_IN_SCAN:
        return " · not scanned"
    if gap == ROLE_NOT_ASSUMED:
        return f" · not read: {(node or {}).get('unread_why') or ROLE_NOT_ASSUMED_TEXT}"
    if gap == REGION_NOT_SCANNED:
        return f" · {side[1]} not scanned"
    if _ec2_unread(unread, side):
        return " · not read: the EC2 listing failed"
    return " · VPC not in its account's listing"


def _ec2_unread(unread: Mapping[tuple[str, str], Any], side: Key) -> bool:
    """Whether the route tables of ``side``'s account-region could not be listed (the graph's
    ``unread_services``): their listing failed, or the VPC listing (the graph keeps route
    tables only under listed VPCs), or EC2 failed in a snapshot that does not say which
    listing did. The collector adds "ec2" whichever listing failed: a failed NAT gateway
    listing leaves the route tables read (rotation-network trial round 8)."""
    services = unread.get((side[0], side[1])) or ()
    if "ec2.route_tables" in services or "ec2.vpcs" in services:
        return True
    return "ec2" in services and not any(str(s).startswith("ec2.") for s in services)


@dataclass(frozen=True, kw_only=True)
class Spoke:
    vpc: str  # "Name (vpc-id)", the name cut in the middle, the id never
    account: str  # "name (id)" likewise
    cidrs: str
    peering: str
    status: str
    hub_route: str  # present | missing | blackhole | unknown
    spoke_route: str
    vpc_full: str = ""  # uncut: the cell's title
    account_full: str = ""


@dataclass(kw_only=True)
class SpokeGroup:
    label: str
    state: str  # ok | broken | pending | unknown
    symbol: str
    spokes: list[Spoke] = field(default_factory=list)
    count: int = 0


@dataclass(frozen=True, kw_only=True)
class Satellite:
    """One spoke group drawn around its hub: a circle with the group's count and symbol."""
    x: float
    y: float
    r: float
    state: str
    symbol: str
    count: int
    label: str


@dataclass(kw_only=True)
class Hub:
    vpc: str
    title: str
    account: str
    region: str
    cidrs: str
    badges: list[tuple[str, str]]  # (state, text)
    groups: list[SpokeGroup]
    spokes: int
    #: its peerings with busier hubs, listed under those
    peered_elsewhere: int = 0
    title_full: str = ""  # the title uncut (the heading's title attribute)
    account_full: str = ""

    @property
    def satellites(self) -> list[Satellite]:
        """The picture: the hub in the middle (at 110, 110 of a 220 x 220 box), each spoke
        group a circle around it sized by its count; nothing but counts is drawn in it."""
        import math

        shown = self.groups[:8]
        if not shown:
            return []
        biggest = max(g.count for g in shown)
        out = []
        for i, g in enumerate(shown):
            angle = -math.pi / 2 + 2 * math.pi * i / len(shown)
            r = 14 + 10 * math.sqrt(g.count / biggest)
            out.append(Satellite(x=round(110 + 78 * math.cos(angle), 1),
                                 y=round(110 + 78 * math.sin(angle), 1), r=round(r, 1),
                                 state=g.state, symbol=g.symbol, count=g.count, label=g.label))
        return out


@dataclass(frozen=True, kw_only=True)
class Hop:
    kind: str  # Secret | Rotation Lambda | Network | Secrets Manager | Peering | Database VPC
    text: str
    state: str  # ok | broken | unknown
    symbol: str
    problem: str = ""


@dataclass(frozen=True, kw_only=True)
class RotationPath:
    secret_arn: str
    #: "name · account (id)" for the picker, the name cut in the middle (its end, where names
    #: sharing a prefix differ, is kept) and the account's id never cut
    label: str
    state: str  # the worst hop
    hops: list[Hop]
    #: the label uncut: the path's secret hop shows it (wrapping)
    full: str = ""


@dataclass(frozen=True, kw_only=True)
class PathChoice:
    label: str
    state: str
    symbol: str
    route: int  # index into NetworkView.routes
    full: str = ""  # the label uncut
    secret_arn: str = ""  # the option's title: the full name, whatever the label cut


@dataclass(frozen=True, kw_only=True)
class NetworkView:
    hubs: list[Hub]
    other_peerings: int
    paths: list[RotationPath]
    hidden_paths: int = 0
    empty: bool = True
    #: False when the report has no snapshot to read the network from (--no-snapshot, or a
    #: scan directory without snapshot.json.gz): "none found" would be a false statement
    known: bool = True

    @property
    def choices(self) -> list[PathChoice]:
        """One choice per traced secret; secrets whose hops after the secret are the same
        (one rotation Lambda serves many secrets) share one rendered route."""
        return self._shared()[0]

    @property
    def routes(self) -> list[list[Hop]]:
        """The distinct hop lists after the secret, rendered once each."""
        return self._shared()[1]

    def _shared(self) -> tuple[list[PathChoice], list[list[Hop]]]:
        seen: dict[tuple[Hop, ...], int] = {}
        routes: list[list[Hop]] = []
        choices = []
        for path in self.paths:
            tail = tuple(path.hops[1:])
            if tail not in seen:
                seen[tail] = len(routes)
                routes.append(list(tail))
            choices.append(PathChoice(label=path.label, state=path.state,
                                      symbol=_STATE_SYMBOL[path.state], route=seen[tail],
                                      full=path.full or path.label,
                                      secret_arn=path.secret_arn))
        return choices, routes


def _side_key(side: Any) -> Key:
    return (str(_get(side, "owner_id", "")), str(_get(side, "region", "")),
            str(_get(side, "vpc_id", "")))


def _group_of(status: str, hub_route: str, spoke_route: str) -> tuple[str, str]:
    css = _status_css(status)
    if css == "pending":
        return f"peering {status}: not usable yet", "pending"
    if css == "broken":
        return f"peering {status}: no traffic passes", "broken"
    routes = {hub_route, spoke_route}
    if routes == {"present"}:
        return "active, routes on both sides", "ok"
    if "blackhole" in routes:
        return "active, a route is a blackhole", "broken"
    if "missing" in routes:
        side = "the hub" if hub_route == "missing" else "the spoke"
        if hub_route == spoke_route:
            side = "both sides"
        return f"active, route missing on {side}", "broken"
    return "active, route tables not read", "unknown"


def build_network(graph: nx.MultiDiGraph | None, document: Mapping[str, Any], *,
                  central_account: str | None, account_names: Mapping[str, str]) -> NetworkView:
    if graph is None:
        return NetworkView(hubs=[], other_peerings=0, paths=[], known=False)
    vpcs: dict[Key, Mapping[str, Any]] = {}
    routes: dict[Key, list[Any]] = {}
    badges: dict[Key, list[tuple[str, str]]] = defaultdict(list)
    peerings: list[Mapping[str, Any]] = []
    unread: Mapping[tuple[str, str], Any] = graph.graph.get("unread_services") or {}
    tables: dict[Key, list[Mapping[str, Any]]] = defaultdict(list)
    for _, attrs in graph.nodes(data=True):
        if _kind(attrs) == "RouteTable":
            tables[(str(attrs.get("account_id", "")), str(attrs.get("region", "")),
                    str(attrs.get("vpc_id", "")))].append(attrs)
    for _, attrs in graph.nodes(data=True):
        kind = _kind(attrs)
        key = (str(attrs.get("account_id", "")), str(attrs.get("region", "")),
               str(attrs.get("vpc_id", "")))
        if kind == "Vpc":
            vpcs[key] = attrs
        elif kind == "VpcPeering":
            peerings.append(attrs)
        elif kind == "RouteTable":
            routes.setdefault(key, []).extend(list(attrs.get("routes") or ()))
        elif kind == "VpcEndpoint" and "secretsmanager" in str(attrs.get("service_name") or ""):
            if not secretsmanager_endpoint_service(str(attrs.get("service_name")), key[1]):
                # another Region's Secrets Manager: no way to this Region's (rotation_network_path)
                badges[key].append(("info", f"endpoint for {attrs.get('service_name')}"))
                continue
            ok = bool(attrs.get("private_dns_enabled"))
            badges[key].append(("ok" if ok else "broken", "Secrets Manager endpoint" + (
                " with private DNS" if ok else " without private DNS")))
        elif kind == "NatGateway":
            state = str(attrs.get("state") or "available")
            if str(attrs.get("connectivity_type") or "public") != "public":
                # no way to the public Secrets Manager endpoint (rotation_network_path)
                badges[key].append(("info", f"private NAT gateway ({state}): no internet"))
            elif state != "available":
                badges[key].append(("broken", f"NAT gateway ({state})"))
            else:
                # a public NAT gateway reaches the internet only through its own subnet's
                # route to an internet gateway: the rule's own test (nat_way_out)
                way, _ = nat_way_out(str(attrs.get("nat_gateway_id") or ""), attrs,
                                     tables.get(key, ()),
                                     "not read" if _ec2_unread(unread, key) else None)
                badges[key].append(
                    ("ok", f"NAT gateway ({state})") if way else
                    ("broken", f"NAT gateway ({state}): no internet route") if way is False
                    else ("unknown", f"NAT gateway ({state}): its subnet's route table not "
                                     "read"))
        elif kind == "LambdaFunction" and attrs.get("vpc_id"):
            badges[key].append(("lambda", f"λ {attrs.get('name') or 'function'}"))
    links = [(_side_key(p.get("requester")), _side_key(p.get("accepter")), p) for p in peerings]
    degree: dict[Key, int] = defaultdict(int)
    for a, b, _ in links:
        degree[a] += 1
        degree[b] += 1
    hubs = {k for k in set(degree) | set(badges)
            if central_account and k[0] == central_account and (degree.get(k) or badges.get(k))}
    if not hubs and degree:
        hubs = {max(degree, key=lambda k: (degree[k], k))}
    by_hub: dict[Key, list[tuple[Key, Mapping[str, Any]]]] = defaultdict(list)
    other = 0
    elsewhere: dict[Key, int] = defaultdict(int)  # a hub's peerings filed under another
    for a, b, p in links:
        if a in hubs and b in hubs:
            # two central VPCs: the spoke goes under the busier one (a new-user trial: the
            # demo's 41 spokes each became a hub card saying "No peerings.")
            hub, spoke = (a, b) if (degree[a], a) >= (degree[b], b) else (b, a)
            by_hub[hub].append((spoke, p))
            elsewhere[spoke] += 1
        elif a in hubs:
            by_hub[a].append((b, p))
        elif b in hubs:
            by_hub[b].append((a, p))
        else:
            other += 1
    # a VPC listed as a spoke under another hub, with nothing of its own to show, is no hub
    hubs = {k for k in hubs if by_hub.get(k) or badges.get(k) or not elsewhere.get(k)}

    def name_of(key: Key, limit: int | None = None) -> str:
        """``Name (vpc-id)``; with a ``limit``, the Name cut in the middle to it, never the
        id (hostile-input trial round 8: a cut at the end cut a long name's VPC id away)."""
        tags = (vpcs.get(key) or {}).get("tags") or {}
        name = str(tags.get("Name") or "") if isinstance(tags, Mapping) else ""
        return _named(name, key[2], limit) if name else key[2] or "unknown VPC"

    def account_of(acct: str, limit: int | None = None) -> str:
        return _named(str(account_names.get(acct) or ""), acct, limit) \
            if account_names.get(acct) and account_names.get(acct) != acct else acct

    def cidrs_of(key: Key, side: Any = None) -> str:
        attrs = vpcs.get(key)
        cidrs = (attrs or {}).get("cidrs") or (_get(side, "cidrs") if side is not None else ())
        return ", ".join(map(str, cidrs or ())) or "CIDR unknown"

    hub_cards: list[Hub] = []
    for hub in sorted(hubs, key=lambda k: (-degree.get(k, 0), k)):
        groups: dict[str, SpokeGroup] = {}
        for spoke, p in by_hub.get(hub, []):
            pcx, status = str(p.get("peering_id") or ""), str(p.get("status") or "unknown")
            hub_route = _route_state(routes, hub, p, unread) if hub in vpcs else "unknown"
            spoke_route = _route_state(routes, spoke, p, unread) if spoke in vpcs else "unknown"
            label, state = _group_of(status, hub_route, spoke_route)
            group = groups.setdefault(label, SpokeGroup(label=label, state=state,
                                                        symbol=_STATE_SYMBOL[state]))
            group.count += 1
            if len(group.spokes) < MAX_SPOKES_LISTED:
                side = p.get("accepter") if _side_key(p.get("accepter")) == spoke else \
                    p.get("requester")
                unseen = "" if spoke in vpcs else _unseen(graph, spoke, unread)
                # an inter-Region peering's spoke is in another Region than its hub card's
                # (ground-truth trial round 25: a ca-central-1 database VPC listed under an
                # eu-north-1 hub read as one of eu-north-1)
                if spoke[1] and spoke[1] != hub[1] and spoke[1] not in unseen:
                    unseen = f" · {spoke[1]}{unseen}"
                group.spokes.append(Spoke(
                    vpc=name_of(spoke, 48), vpc_full=name_of(spoke),
                    account=account_of(spoke[0], 40) + unseen,
                    account_full=account_of(spoke[0]) + unseen,
                    cidrs=truncate(cidrs_of(spoke, side), 80, "…"), peering=pcx, status=status,
                    hub_route=hub_route, spoke_route=spoke_route))
        rank = {"broken": 0, "pending": 1, "unknown": 2, "ok": 3}
        for g in groups.values():
            g.spokes.sort(key=lambda s: (s.account, s.vpc))
        hub_cards.append(Hub(
            vpc=hub[2], title=name_of(hub, 56), title_full=name_of(hub),
            account=account_of(hub[0], 40), account_full=account_of(hub[0]),
            region=hub[1], cidrs=truncate(cidrs_of(hub), 80, "…"),
            badges=[(s, truncate(t, 60, "…")) for s, t in badges.get(hub, [])][:12],
            groups=sorted(groups.values(), key=lambda g: (rank[g.state], -g.count, g.label)),
            spokes=len(by_hub.get(hub, [])), peered_elsewhere=elsewhere.get(hub, 0)))
    paths = rotation_paths(graph, document, account_names)
    return NetworkView(hubs=hub_cards, other_peerings=other, paths=paths[:MAX_PATHS],
                       hidden_paths=max(0, len(paths) - MAX_PATHS),
                       empty=not hub_cards and not paths)


# --------------------------------------------------------------------------- rotation paths

NETWORK_RULE = "secret-rotation-no-network-path"
FUNCTION_RULE = "secret-rotation-function-missing"
#: the rotation function's role cannot read the secret: its Lambda hop is broken, whatever
#: the network says
ROLE_RULE = "secret-rotation-role-cannot-read"


@dataclass(frozen=True)
class _Said:
    """What secret-rotation-no-network-path said about one secret, as the view needs it."""
    status: str  # PASS | FAIL | UNKNOWN | NOT_JUDGED
    problems: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    #: problems the finding counts but does not list (the rule lists at most 5)
    unlisted: int = 0
    why: str = ""  # NOT_JUDGED: why not
    message: str = ""


def _problems(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """secret arn -> what the rotation rules found: {'missing_function': message, 'status',
    'problems': [...], 'unknown': [...], 'problems_total': n, 'message'}. A secret the network
    rule passed is in the document's PASS summary (or an itemised PASS row)."""
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    for f in findings_of(document):
        rid = f.get("rule_id")
        if rid not in (NETWORK_RULE, FUNCTION_RULE, ROLE_RULE):
            continue
        arn = str((f.get("resource") or {}).get("arn") or "")
        evidence = f.get("evidence") or {}
        entry = out[arn]
        status = str(f.get("status"))
        if rid == FUNCTION_RULE:
            if status in ("FAIL", "MUTED"):
                entry["missing_function"] = str(f.get("message") or "function not found")
            continue
        if rid == ROLE_RULE:
            if status in ("FAIL", "MUTED"):
                entry["role_denied"] = str(f.get("message") or "its role cannot read the secret")
            elif status == "UNKNOWN":
                entry["role_unknown"] = "; ".join(map(str, f.get("missing") or ["not assessed"]))
            continue
        entry["status"] = "FAIL" if status == "MUTED" else status
        entry["message"] = str(f.get("message") or "")
        if status == "UNKNOWN" or f.get("missing"):
            entry.setdefault("unknown", []).extend(map(str, f.get("missing") or ["input"]))
        if status in ("FAIL", "MUTED"):
            # the rule's problems are its facts (evidence.facts, facts_total); a findings.json
            # written before they were kept once (history, report --in) has them as
            # evidence.problems (problems_total) too
            own = "problems" if evidence.get("problems") else "facts"
            listed = [str(p) for p in evidence.get(own) or [f.get("message") or ""]]
            entry.setdefault("problems", []).extend(listed)
            total = evidence.get(f"{own}_total")
            if isinstance(total, int) and total > len(listed):
                entry["problems_total"] = total
    for rule in ((document.get("passed") or {}).get("by_rule") or ()):
        if isinstance(rule, Mapping) and rule.get("rule_id") == NETWORK_RULE:
            for arn in rule.get("resources") or ():
                out[str(arn)].setdefault("status", "PASS")
    return out


def _passes_unlisted(document: Mapping[str, Any]) -> bool:
    """Whether the document counts the network rule's PASS results without listing them all
    (more than ``resources_max``): a judged secret with no finding then passed."""
    passed = document.get("passed")
    if not isinstance(passed, Mapping) or passed.get("itemised"):
        return False
    for rule in passed.get("by_rule") or ():
        if isinstance(rule, Mapping) and rule.get("rule_id") == NETWORK_RULE:
            return rule.get("resources") is None and bool(rule.get("count"))
    return False


def _said(entry: Mapping[str, Any], attrs: Mapping[str, Any], *, evaluated: bool,
          passes_unlisted: bool) -> _Said:
    if not evaluated:
        return _Said(status="NOT_JUDGED", why=f"not judged: {NETWORK_RULE} was not evaluated "
                                              "in this scan")
    status = entry.get("status")
    if status is None and passes_unlisted and attrs.get("rotation_enabled") is True \
            and not scheduled_for_deletion(attrs):
        status = "PASS"  # judged (rotation on), no FAIL or UNKNOWN: one of the passes counted
    if status is None:
        return _Said(status="NOT_JUDGED", why=f"not checked: {NETWORK_RULE} has no result for "
                                              "this secret (rotation is not enabled, or it "
                                              "was not judged)")
    problems = tuple(entry.get("problems") or ())
    total = int(entry.get("problems_total") or len(problems))
    return _Said(status=str(status), problems=problems,
                 missing=tuple(entry.get("unknown") or ()),
                 unlisted=max(0, total - len(problems)), message=str(entry.get("message") or ""))


_IDS = re.compile(r"\b(?:pcx|vpce|vpc|subnet|sg|nat)-[0-9a-zA-Z]+")


class _Problems:
    """A secret's rotation problems (or missing inputs), found by the resource ids they name
    (pcx-, vpc-, ...) or by a phrase, without rescanning every problem for every hop. What
    ``naming`` and ``saying`` returned is remembered in ``used``: the rest must still be shown."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.all = list(problems)
        self.by_id: dict[str, list[str]] = defaultdict(list)
        self.used: set[str] = set()
        for p in self.all:
            for found in set(_IDS.findall(p)):
                self.by_id[found].append(p)

    def _said(self, found: list[str]) -> list[str]:
        self.used.update(found)
        return found

    def naming(self, rid: str, *, without: str = "") -> list[str]:
        return self._said([p for p in self.by_id.get(rid, ()) if not without or without not in p])

    def saying(self, *phrases: str) -> list[str]:
        return self._said([p for p in self.all if any(ph in p for ph in phrases)])

    @property
    def unused(self) -> list[str]:
        return [p for p in self.all if p not in self.used]


def _hop(kind: str, text: str, problem: str = "", unknown: str = "") -> Hop:
    state = "broken" if problem else ("unknown" if unknown else "ok")
    return Hop(kind=kind, text=truncate(text, 160, "…"), state=state,
               symbol=_STATE_SYMBOL[state], problem=truncate(problem or unknown, 400, "…"))


class _Tracer:
    """Lays one verdict of the rule along the hops of one path. A hop is broken when a problem
    names it, unknown when a missing input names it -- or when the rule did not check it, or
    left inputs unread that name no hop, or counted problems it does not list -- and ok only
    when the rule checked it and said nothing against it."""

    def __init__(self, said: _Said) -> None:
        self.said = said
        self.problems = _Problems(said.problems)
        self.missing = _Problems(said.missing)

    def hop(self, kind: str, text: str, *, ids: Sequence[str] = (), without: str = "",
            phrases: Sequence[str] = (), missing_phrases: Sequence[str] = (),
            problem: str = "") -> Hop:
        if self.said.status == "NOT_JUDGED":
            return _hop(kind, text, unknown=self.said.why)
        found = [problem] if problem else []
        for i in ids:
            found += self.problems.naming(i, without=without)
        if phrases:
            found += self.problems.saying(*phrases)
        lacking: list[str] = []
        for i in ids:
            lacking += self.missing.naming(i, without=without)
        if missing_phrases:
            lacking += self.missing.saying(*missing_phrases)
        # a problem found by an id and again by a phrase (or by two ids) is said once
        # (new-user trial round 8: the endpoint hop printed the same problem twice)
        return _hop(kind, text, "; ".join(dict.fromkeys(p for p in found if p)),
                    "; ".join(dict.fromkeys(m for m in lacking if m)))

    def finish(self, hops: list[Hop]) -> list[Hop]:
        """The hops after the Lambda, with what no hop showed: problems no hop names get a hop
        of their own; inputs missing that name no hop leave every ok hop unknown, as do
        problems counted but not listed. FAIL always shows a broken hop, UNKNOWN an unknown
        one."""
        said = self.said
        if said.status == "NOT_JUDGED":
            return hops
        doubt = "; ".join(self.missing.unused)
        if said.unlisted:
            doubt = "; ".join(d for d in (doubt, (
                f"{said.unlisted} more problem(s) of this path are counted but not listed "
                f"here: the {NETWORK_RULE} finding says which")) if d)
        if doubt:
            hops = [_hop(h.kind, h.text, unknown=doubt) if h.state == "ok" else h for h in hops]
        leftover = self.problems.unused
        if leftover:
            hops.append(_hop("Other problems", "problems that name no hop of this path",
                             "; ".join(leftover)))
        states = {h.state for h in hops}
        if said.status == "FAIL" and "broken" not in states:
            hops.append(_hop("Finding", NETWORK_RULE, said.message or "the rule failed"))
        elif said.status == "UNKNOWN" and not states & {"broken", "unknown"}:
            hops.append(_hop("Finding", NETWORK_RULE,
                             unknown="; ".join(said.missing) or "not assessed"))
        return hops


def rotation_paths(graph: nx.MultiDiGraph, document: Mapping[str, Any],
                   account_names: Mapping[str, str]) -> list[RotationPath]:
    found = _problems(document)
    evaluated_rules = (document.get("scan") or {}).get("rules")
    evaluated = evaluated_rules is None or NETWORK_RULE in evaluated_rules
    passes_unlisted = _passes_unlisted(document)
    nodes = graph.nodes
    index: dict[tuple[str, str], list[str]] = defaultdict(list)  # (kind, vpc key) -> nodes
    peerings_of: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for n, attrs in graph.nodes(data=True):
        kind = _kind(attrs)
        if kind in ("VpcEndpoint", "NatGateway"):
            index[(kind, str(attrs.get("vpc_id", "")))].append(n)
        elif kind == "VpcPeering":
            for side in ("requester", "accepter"):
                peerings_of[str(_get(attrs.get(side), "vpc_id", ""))].append(attrs)
    out: list[RotationPath] = []
    # secrets rotated by one Lambda, with one verdict and one tag, share one route
    tails: dict[tuple[Any, ...], list[Hop]] = {}
    for s, attrs in graph.nodes(data=True):
        if _kind(attrs) != "Secret" or not attrs.get("rotation_lambda_arn"):
            continue
        entry = found.get(s, {})
        acct = str(attrs.get("account_id") or "")
        label = _PathLabel(str(attrs.get('name') or short_resource(s)),
                           account_label(acct, account_names.get(acct)))
        secret_hop = _hop("Secret", label.full)
        fns = [v for _, v, d in graph.out_edges(s, data=True) if _kind(d) == "ROTATED_BY"]
        fn_arn = str(attrs.get("rotation_lambda_arn"))
        if entry.get("missing_function") or not fns:
            out.append(_path(s, label, [secret_hop, _hop(
                "Rotation Lambda", short_resource(fn_arn),
                entry.get("missing_function") or "the function was not found")]))
            continue
        said = _said(entry, attrs, evaluated=evaluated, passes_unlisted=passes_unlisted)
        declared = declared_db_vpcs(attrs.get("tags") if isinstance(attrs.get("tags"), Mapping)
                                    else None)
        home = (acct, str(attrs.get("region") or ""))
        # the version's or alias's own settings where the ARN names one (its VPC and name)
        function, _ = rotation_function(fn_arn, nodes[fns[0]])
        if function is None:  # read without them: the rule said UNKNOWN, the trace its own
            function = nodes[fns[0]]
        key = (fns[0], str(function.get("name") or ""), declared, said, home)
        if key not in tails:
            tails[key] = _trace(function, declared, _Tracer(said), index, peerings_of,
                                nodes, account_names, home=home)
        tail = tails[key]
        if entry.get("role_denied") or entry.get("role_unknown"):
            # the Lambda hop is the role's too (shared tails are left as they are)
            lam = tail[0]
            tail = [_hop(lam.kind, lam.text, entry.get("role_denied", ""),
                         entry.get("role_unknown", "")), *tail[1:]]
        out.append(_path(s, label, [secret_hop, *tail]))
    rank = {"broken": 0, "unknown": 1, "ok": 2}
    return sorted(out, key=lambda p: (rank[p.state], p.full))


def _trace(fn: Mapping[str, Any], declared: tuple[str, ...] | None, tracer: _Tracer,
           index: Mapping[tuple[str, str], list[str]],
           peerings_of: Mapping[str, list[Mapping[str, Any]]], nodes: Any,
           account_names: Mapping[str, str], *, home: tuple[str, str] = ("", "")
           ) -> list[Hop]:
    """The hops after the secret: the Lambda, its network, the way to Secrets Manager, and the
    peerings and database VPCs the rule served (network_path.served: the same
    choice), each marked by the rule's verdict. A Lambda of another account or Region than
    the secret's (``home``: its account and Region) names them, and a database VPC in another
    Region than the Lambda's (an inter-Region peering) its Region (ground-truth trial round
    25: a rotation function of another account, and a database VPC of another Region, read
    as the secret's own)."""
    fn_acct, fn_region = str(fn.get("account_id") or ""), str(fn.get("region") or "")
    where: list[str] = []
    if fn_acct and home[0] and fn_acct != home[0]:
        where.append(account_label(fn_acct, account_names.get(fn_acct)))
    if fn_region and home[1] and fn_region != home[1]:
        where.append(fn_region)
    hops = [_hop("Rotation Lambda", " · ".join(
        [str(fn.get("name") or short_resource(str(fn.get("arn")))), *where]))]
    vpc = str(fn.get("vpc_id") or "")
    if not vpc:
        hops.append(tracer.hop("Network", "not in a VPC: the public Secrets Manager endpoint",
                               phrases=("not in a VPC",)))
        return hops[:1] + tracer.finish(hops[1:])
    subnets = ", ".join(map(str, fn.get("subnet_ids") or ())) or "none"
    sgs = ", ".join(map(str, fn.get("security_group_ids") or ())) or "none"
    # the way to Secrets Manager as the rule takes it: an endpoint only when it is the way
    # (the rule's own test, network_path.secretsmanager_endpoint: interface, private
    # DNS, available, the Lambda's Region's service), else the NAT gateways
    region = str(fn.get("region") or "")
    all_endpoints = [nodes[e] for e in index.get(("VpcEndpoint", vpc), ())]
    endpoint = [e for e in all_endpoints if secretsmanager_endpoint(e, region)]
    endpoint_ids = tuple(str(e.get("endpoint_id")) for e in all_endpoints
                         if e.get("endpoint_id"))
    # the Network hop is the Lambda's own: its route tables and its security groups' egress
    # (the rule says "the Lambda's security groups ... allow no [HTTPS (tcp 443)] egress");
    # an endpoint's security groups or subnets are the endpoint's hop (rotation-network trial
    # round 8: any "security group" made this hop broken or unknown and the endpoint "ok")
    hops.append(tracer.hop("Network", f"VPC {vpc} · subnets {subnets} · security groups {sgs}",
                           phrases=("has no route table", "allow no HTTPS (tcp 443) egress",
                                    "allow no egress"),
                           missing_phrases=("security groups of the Lambda",
                                            "CIDR of Lambda subnet", "CIDRs of the Lambda's",
                                            "route tables of the Lambda's subnets",
                                            "the Lambda's security groups let HTTPS out to only",
                                            "the Lambda's security groups allow HTTPS egress "
                                            "to only")))
    nat = index.get(("NatGateway", vpc), ())
    nat_ids = tuple(str(nodes[n].get("nat_gateway_id") or n) for n in nat)
    # this Region's Secrets Manager endpoints that are not the way, and why (another Region's
    # is badged on the hub card, and is no hop)
    unused = [w for w in (not_the_way(e, region) for e in all_endpoints
                          if secretsmanager_endpoint_service(str(e.get("service_name") or ""),
                                                             region)) if w]
    how = (f"interface endpoint {endpoint[0].get('endpoint_id') or ''}".rstrip()
           if endpoint else
           "NAT gateway " + ", ".join(nat_ids) if nat else
           "no Secrets Manager interface endpoint with private DNS and no NAT gateway in the "
           "VPC") + ("" if endpoint or not unused else f" ({'; '.join(unused)})")
    hops.append(tracer.hop("Secrets Manager", how, phrases=("Secrets Manager endpoint",),
                           ids=endpoint_ids + nat_ids,
                           missing_phrases=("NAT gateway", "public Secrets Manager endpoint",
                                            "VPC endpoints of VPC")
                           + (() if endpoint else ("route tables of the Lambda's subnets",))))
    peers = {str(p.get("peering_id") or ""): p for p in peerings_of.get(vpc, ())}
    chosen, unpeered = served(declared, [
        (pcx, str(p.get("status")), _other_vpc(p, vpc)) for pcx, p in peers.items()],
        own_vpc=vpc)
    counted: dict[str, int] = defaultdict(int)
    for pcx in chosen:
        p = peers[pcx]
        peer_vpc, peer_acct = _other_vpc(p, vpc), _other_account(p, vpc)
        peer_region = _other_region(p, vpc)
        peering = tracer.hop("Peering", f"{pcx} ({p.get('status') or 'unknown'})", ids=(pcx,))
        database = tracer.hop("Database VPC",
                              f"{peer_vpc} · {account_names.get(peer_acct) or peer_acct}"
                              + (f" · {peer_region}" if peer_region and region and
                                 peer_region != region else ""),
                              ids=(peer_vpc,), without=pcx)
        if len(hops) > MAX_HOPS:  # a long path counts the rest instead of listing it
            worst = "broken" if "broken" in (peering.state, database.state) else (
                "unknown" if "unknown" in (peering.state, database.state) else "ok")
            counted[worst] += 1
            continue
        hops += [peering, database]
    for db in unpeered:
        # a database VPC reached some other way (a transit gateway: UNKNOWN, the finding's
        # missing input names it) is no broken hop (ground-truth trial round 30)
        hops.append(tracer.hop("Database VPC", db, ids=(db,),
                               problem="" if tracer.problems.by_id.get(db)
                               or tracer.missing.by_id.get(db)
                               else "no live peering to this database VPC"))
    if counted["broken"]:
        hops.append(_hop("Database VPCs", f"{counted['broken']} more database VPC(s)",
                         f"{counted['broken']} more database VPC(s) cannot be reached: the "
                         f"{NETWORK_RULE} finding lists every problem"))
    if counted["unknown"]:
        hops.append(_hop("Database VPCs", f"{counted['unknown']} more database VPC(s)",
                         unknown=f"{counted['unknown']} more database VPC(s) not assessed or "
                                 "not checked"))
    if counted["ok"]:
        hops.append(_hop("Database VPCs", f"{counted['ok']} more database VPC(s) reached "
                         "through active peerings with routes on both sides"))
    return hops[:1] + tracer.finish(hops[1:])


def _other_vpc(p: Mapping[str, Any], vpc: str) -> str:
    req, acc = p.get("requester"), p.get("accepter")
    return str(_get(acc, "vpc_id", "") if _get(req, "vpc_id", "") == vpc else _get(req, "vpc_id", ""))


def _other_region(p: Mapping[str, Any], vpc: str) -> str:
    req, acc = p.get("requester"), p.get("accepter")
    return str(_get(acc, "region", "") if _get(req, "vpc_id", "") == vpc
               else _get(req, "region", ""))


def _other_account(p: Mapping[str, Any], vpc: str) -> str:
    req, acc = p.get("requester"), p.get("accepter")
    return str(_get(acc, "owner_id", "") if _get(req, "vpc_id", "") == vpc
               else _get(req, "owner_id", ""))


def _named(name: str, ident: str, limit: int | None) -> str:
    """``name (ident)``, the name cut in the middle to ``limit`` characters, the id never."""
    return f"{name if limit is None else cut_middle(name, limit)} ({ident})"


@dataclass(frozen=True)
class _PathLabel:
    name: str
    account: str  # account_label: "name (id)" or the id

    @property
    def full(self) -> str:
        return f"{self.name} · {self.account}"

    @property
    def short(self) -> str:
        """At most about 125 characters: the name cut in the middle (two names sharing a
        long prefix differ at the end: a cut at the end made them one), the account's name
        too, its id never (hostile-input trial round 8)."""
        acct = self.account
        if acct.endswith(")") and " (" in acct:
            name, _, ident = acct[:-1].rpartition(" (")
            acct = f"{cut_middle(name, 30)} ({ident})"
        return f"{cut_middle(self.name, 80)} · {acct}"


def _path(secret: str, label: _PathLabel, hops: Sequence[Hop]) -> RotationPath:
    states = {h.state for h in hops}
    state = "broken" if "broken" in states else ("unknown" if "unknown" in states else "ok")
    return RotationPath(secret_arn=secret, label=label.short, full=label.full, state=state,
                        hops=list(hops))
