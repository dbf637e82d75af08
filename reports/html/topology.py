"""Network topology picture: a server-side layout for an inline SVG.

Hub VPCs (the central account's VPCs that host rotation Lambdas, endpoints or NAT gateways,
peer across accounts, or are peered with by many VPCs) sit in the left column, the VPCs they
peer with in the right column. Each peering is a line coloured by its status, with a mark at each end saying whether
that side's route tables have a route through the peering (present / missing / blackhole /
unknown when the side's route tables were not read). Hub boxes list the Secrets Manager
endpoint, NAT gateways and rotation Lambdas that decide whether rotation can reach AWS.
The output is plain numbers and strings; the template escapes every string.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Mapping

import networkx as nx

from reports._common import truncate

BOX_W = 300
HUB_X = 72
MEMBER_X = 616
ROW_H = 92
BOX_H = 74
TOP = 16
MAX_VPCS = 400


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _kind(attrs: Mapping[str, Any]) -> str:
    kind = attrs.get("kind")
    return str(getattr(kind, "value", kind) or "")


@dataclass(kw_only=True)
class VpcBox:
    key: tuple[str, str, str]  # account, region, vpc id
    title: str
    lines: list[str]
    badges: list[tuple[str, str]] = field(default_factory=list)  # (css class, text)
    hub: bool = False
    known: bool = True  # False: the VPC's account was not scanned
    x: int = 0
    y: int = 0
    w: int = BOX_W
    h: int = BOX_H


@dataclass(frozen=True, kw_only=True)
class RouteMark:
    x: float
    y: float
    state: str  # present | missing | blackhole | unknown
    tip: str


@dataclass(frozen=True, kw_only=True)
class PeeringLine:
    path: str
    status: str
    css: str  # active | pending | broken
    label: str
    label_x: float
    label_y: float
    marks: tuple[RouteMark, RouteMark]
    tip: str


@dataclass(frozen=True, kw_only=True)
class Topology:
    width: int
    height: int
    boxes: list[VpcBox]
    lines: list[PeeringLine]
    peering_count: int
    hidden_vpcs: int = 0
    empty: bool = False


def _status_css(status: str) -> str:
    if status == "active":
        return "active"
    if status in ("pending-acceptance", "initiating-request", "provisioning"):
        return "pending"
    return "broken"


def _route_state(routes_by_vpc: Mapping[tuple[str, str, str], list[Any]],
                 side: tuple[str, str, str], pcx: str) -> str:
    tables = routes_by_vpc.get(side)
    if tables is None:
        return "unknown"
    states = [str(_get(r, "state") or "active") for r in tables if _get(r, "target_id") == pcx]
    if not states:
        return "missing"
    return "present" if "active" in states else "blackhole"


def build_topology(graph: nx.MultiDiGraph | None, central_account: str | None) -> Topology:
    if graph is None:
        return Topology(width=0, height=0, boxes=[], lines=[], peering_count=0, empty=True)
    vpcs: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    peerings: list[Mapping[str, Any]] = []
    routes_by_vpc: dict[tuple[str, str, str], list[Any]] = {}
    badges: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
    lambdas: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for _, attrs in graph.nodes(data=True):
        kind = _kind(attrs)
        key = (str(attrs.get("account_id", "")), str(attrs.get("region", "")),
               str(attrs.get("vpc_id", "")))
        if kind == "Vpc":
            vpcs[key] = attrs
        elif kind == "VpcPeering":
            peerings.append(attrs)
        elif kind == "RouteTable":
            routes_by_vpc.setdefault(key, []).extend(list(attrs.get("routes") or ()))
        elif kind == "VpcEndpoint":
            service = str(attrs.get("service_name") or "")
            if "secretsmanager" in service:
                dns = "private DNS" if attrs.get("private_dns_enabled") else "no private DNS"
                css = "ok" if attrs.get("private_dns_enabled") else "warn"
                badges[key].append((css, f"Secrets Manager endpoint ({dns})"))
            else:
                badges[key].append(("neutral", f"endpoint {service.rsplit('.', 1)[-1]}"))
        elif kind == "NatGateway":
            state = str(attrs.get("state") or "available")
            badges[key].append(("ok" if state == "available" else "warn", f"NAT gateway ({state})"))
        elif kind == "LambdaFunction" and attrs.get("vpc_id"):
            lambdas[key].append(str(attrs.get("name") or "function"))
    for key, names in lambdas.items():
        shown = ", ".join(sorted(names)[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
        badges[key].append(("lambda", f"λ {shown}"))

    # the peerings and the VPCs at their ends (placeholders for VPCs outside the scan)
    links: list[tuple[tuple[str, str, str], tuple[str, str, str], Mapping[str, Any]]] = []
    for p in peerings:
        req, acc = p.get("requester") or {}, p.get("accepter") or {}
        a = (str(_get(req, "owner_id", "")), str(_get(req, "region", "")), str(_get(req, "vpc_id", "")))
        b = (str(_get(acc, "owner_id", "")), str(_get(acc, "region", "")), str(_get(acc, "vpc_id", "")))
        links.append((a, b, p))
    degree: dict[tuple[str, str, str], int] = defaultdict(int)
    for a, b, _ in links:
        degree[a] += 1
        degree[b] += 1
    interesting = set(degree) | {k for k in vpcs if badges.get(k) and not vpcs[k].get("is_default")}
    if not interesting:
        return Topology(width=0, height=0, boxes=[], lines=[], peering_count=0, empty=True)

    # hubs: central-account VPCs that matter to rotation (a rotation Lambda, an endpoint or a
    # NAT), that peer across accounts, or that many VPCs peer with; other VPCs of the central
    # account (spokes) sit in the right column with the member VPCs.
    cross: dict[tuple[str, str, str], int] = defaultdict(int)
    for a, b, _ in links:
        if a[0] != b[0]:
            cross[a] += 1
            cross[b] += 1
    hubs = {k for k in interesting if central_account and k[0] == central_account
            and (badges.get(k) or cross.get(k) or degree.get(k, 0) >= 3)}
    if not hubs:
        hubs = {max(interesting, key=lambda k: (degree.get(k, 0), k))}
    # member accounts' VPCs first, then the central account's own spokes
    ordered_members = sorted(interesting - hubs,
                             key=lambda k: (k[0] == central_account, k[0], k[1], k[2]))
    hidden = max(0, len(ordered_members) - MAX_VPCS)
    members = ordered_members[:MAX_VPCS]

    def make_box(key: tuple[str, str, str], hub: bool) -> VpcBox:
        attrs = vpcs.get(key)
        cidrs: list[str] = []
        if attrs is not None:
            cidrs = [str(c) for c in attrs.get("cidrs") or ()]
        else:
            for a, b, p in links:
                for side_key, side in ((a, p.get("requester")), (b, p.get("accepter"))):
                    if side_key == key and not cidrs:
                        cidrs = [str(c) for c in (_get(side, "cidrs") or ())]
        tags = (attrs or {}).get("tags") or {}
        name = str(tags.get("Name") or "") if isinstance(tags, Mapping) else ""
        title = truncate(f"{name} ({key[2]})" if name else key[2] or "unknown VPC", 38, "…")
        lines = [truncate(f"account {key[0]} · {key[1]}", 48, "…"),
                 truncate(", ".join(cidrs) or "CIDR unknown", 48, "…")]
        if attrs is None:
            lines[1] = truncate(lines[1] + " · not scanned", 48, "…")
        box_badges = [(css, truncate(text, 40, "…")) for css, text in badges.get(key, [])]
        return VpcBox(key=key, title=title, lines=lines, badges=box_badges,
                      hub=hub, known=attrs is not None)

    hub_boxes = [make_box(k, True) for k in sorted(
        hubs, key=lambda k: (not badges.get(k), -cross.get(k, 0), -degree.get(k, 0), k))]
    member_boxes = [make_box(k, False) for k in members]
    for i, box in enumerate(member_boxes):
        box.x, box.y = MEMBER_X, TOP + 24 + i * ROW_H
        box.h = BOX_H + 14 * max(0, len(box.badges) - 1)
    # stack the hubs, giving each enough height for its badges and its peering fan-in
    y = TOP + 24
    for box in hub_boxes:
        fan = sum(1 for a, b, _ in links if box.key in (a, b))
        box.x, box.y = HUB_X, y
        box.h = max(BOX_H + 16 * len(box.badges), min(fan, 12) * 14 + 40)
        y += box.h + 24
    member_bottom = member_boxes[-1].y + member_boxes[-1].h if member_boxes else 0
    hub_bottom = y - 24
    if hub_boxes and member_boxes and hub_bottom < member_bottom and len(member_boxes) <= 8:
        shift = (member_bottom - hub_bottom) // 2  # a short picture: centre the hub column
        for box in hub_boxes:
            box.y += shift
    by_key = {b.key: b for b in hub_boxes + member_boxes}

    lines: list[PeeringLine] = []
    fan_index: dict[tuple[str, str, str], int] = defaultdict(int)
    fan_total: dict[tuple[str, str, str], int] = defaultdict(int)
    for a, b, _ in links:
        if a in by_key and b in by_key and by_key[a].hub != by_key[b].hub:
            fan_total[a if by_key[a].hub else b] += 1
    for a, b, p in sorted(links, key=lambda t: str(t[2].get("peering_id", ""))):
        if a not in by_key or b not in by_key:
            continue
        status = str(p.get("status") or "unknown")
        pcx = str(p.get("peering_id") or "")
        css = _status_css(status)
        box_a, box_b = by_key[a], by_key[b]
        if box_b.hub and not box_a.hub:
            box_a, box_b = box_b, box_a
        state_a = _route_state(routes_by_vpc, box_a.key, pcx) if box_a.known else "unknown"
        state_b = _route_state(routes_by_vpc, box_b.key, pcx) if box_b.known else "unknown"
        if box_a.hub != box_b.hub:
            n = fan_index[box_a.key]
            fan_index[box_a.key] += 1
            fan = min(12, fan_total[box_a.key])
            ya = box_a.y + box_a.h / 2 - (fan - 1) * 7 + (n % 12) * 14
            x1, y1 = float(box_a.x + box_a.w), float(ya)
            x2, y2 = float(box_b.x), box_b.y + box_b.h / 2
            mid = (x1 + x2) / 2
            path = f"M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
            m1 = RouteMark(x=x1 + 12, y=y1, state=state_a, tip="")
            m2 = RouteMark(x=x2 - 12, y=y2, state=state_b, tip="")
            lx, ly = x2 - 24, y2 - 7
        else:  # both in the same column: an arc on the outside
            x_edge = box_a.x + box_a.w if not box_a.hub else box_a.x
            out = 60 if not box_a.hub else -60
            y1, y2 = box_a.y + box_a.h / 2, box_b.y + box_b.h / 2
            x1 = x2 = float(x_edge)
            path = f"M{x1:.0f},{y1:.0f} C{x1 + out:.0f},{y1:.0f} {x2 + out:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
            m1 = RouteMark(x=x1 + out / 5, y=y1, state=state_a, tip="")
            m2 = RouteMark(x=x2 + out / 5, y=y2, state=state_b, tip="")
            lx, ly = x1 + out * 0.8 + 4, (y1 + y2) / 2
            css = f"{css} same"
        tip_a = f"{box_a.key[2]} ({box_a.key[0]}): route via {pcx} {state_a}"
        tip_b = f"{box_b.key[2]} ({box_b.key[0]}): route via {pcx} {state_b}"
        lines.append(PeeringLine(
            path=path, status=status, css=css, label=truncate(f"{pcx} · {status}", 40, "…"),
            label_x=lx, label_y=ly,
            marks=(RouteMark(x=m1.x, y=m1.y, state=state_a, tip=tip_a),
                   RouteMark(x=m2.x, y=m2.y, state=state_b, tip=tip_b)),
            tip=f"{pcx}: {status}; {box_a.key[2]} route {state_a}; {box_b.key[2]} route {state_b}",
        ))
    boxes = hub_boxes + member_boxes
    height = int(max((b.y + b.h for b in boxes), default=0)) + TOP + 8
    width = MEMBER_X + BOX_W + 80
    return Topology(width=width, height=max(height, 160), boxes=boxes, lines=lines,
                    peering_count=len(links), hidden_vpcs=hidden)
