"""The peering route rules read the route tables and the peerings of the accounts they judge,
not the whole of EC2: a failed listing of something else (security groups, NAT gateways,
endpoints) leaves them decided, and the listing they need, failed, makes them UNKNOWN naming it
(left alone by the twelfth session: "peering route rules ask all of ec2"; the rotation network
path already read listing by listing)."""
# mypy: ignore-errors

from __future__ import annotations

from datetime import datetime, timezone

from test_rotation_network_nat_listings import estate, route

from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph

MISSING = load_ruleset().get("vpc-peering-route-missing")
BLACKHOLE = load_ruleset().get("vpc-peering-route-blackhole")
OVERBROAD = load_ruleset().get("vpc-peering-route-overbroad")


def run(rule, snap):
    cfg = parse_config({"emit_pass": True}, path="x")
    return evaluate(build_graph(snap), snap, None, Ruleset(rules=(rule,)), cfg,
                    datetime(2026, 11, 29, tzinfo=timezone.utc))


def test_a_failed_listing_the_route_rules_do_not_read_leaves_them_decided() -> None:
    for unread in (("security_groups",), ("nat_gateways", "vpc_endpoints")):
        [missing] = run(MISSING, estate(back=False, unread_b=unread))
        assert missing.status.value == "FAIL", (unread, missing.message)
        [ok] = run(MISSING, estate(back=True, unread_b=unread))
        assert ok.status.value == "PASS", (unread, ok.message)
        statuses = {f.status.value for f in run(BLACKHOLE, estate(unread_a=unread))}
        assert "UNKNOWN" not in statuses, unread


def test_the_route_tables_not_read_make_the_missing_route_unknown_naming_them() -> None:
    [f] = run(MISSING, estate(back=True, unread_b=("route_tables",)))
    assert f.status.value == "UNKNOWN"
    assert "ec2.route_tables" in " ".join(f.missing)


def test_a_route_to_a_peering_not_listed_is_unknown_when_the_peerings_were_not_read() -> None:
    gone = route("10.9.0.0/16", "vpc-peering", "pcx-gone")
    snap = estate(unread_b=("peerings",))
    b = snap.accounts[1]
    reg = b.regions[0]
    from dataclasses import replace

    from scanner.model import Route

    table = reg.route_tables[0]
    table = replace(table, routes=table.routes + (Route(**{k: v for k, v in gone.items()}),))
    snap = replace(snap, accounts=(snap.accounts[0], replace(b, regions=(replace(
        reg, route_tables=(table,)),))))
    for rule in (BLACKHOLE, OVERBROAD):
        findings = run(rule, snap)
        [unknown] = [f for f in findings if f.status.value == "UNKNOWN"]
        assert "rtb-db" in str(unknown.resource)
        assert "ec2.peerings" in " ".join(unknown.missing), (rule.id, unknown.missing)
    # the same route with the peerings read: the peering is gone (blackhole FAIL), and
    # overbroad leaves it to that rule
    snap_read = replace(snap, accounts=(snap.accounts[0], replace(b, regions=(replace(
        reg, route_tables=(table,), unread_services=()),))))
    assert {f.status.value for f in run(BLACKHOLE, snap_read)} >= {"FAIL"}
    assert "UNKNOWN" not in {f.status.value for f in run(OVERBROAD, snap_read)}


def _with_route(snap, extra):
    """``snap`` with ``extra`` (a route) added to account B's table rtb-db."""
    from dataclasses import replace

    from scanner.model import Route

    b = snap.accounts[1]
    reg = b.regions[0]
    table = reg.route_tables[0]
    table = replace(table, routes=table.routes + (Route(**extra),))
    return replace(snap, accounts=(snap.accounts[0], replace(b, regions=(replace(
        reg, route_tables=(table,)),))))


def test_the_vpc_listing_failed_leaves_the_route_tables_read_judged() -> None:
    """Fault-injection trial round 27: with DescribeVpcs denied in an account-Region, the
    graph dropped every route table (and subnet, security group) read there, as records of
    VPCs it did not know: a route to a deleted peering (vpc-peering-route-blackhole FAIL) said
    nothing at all, and vpc-peering-route-missing was UNKNOWN for want of tables that were
    read. The tables are kept; the rules that need the VPC itself say UNKNOWN."""
    dead = route("10.9.0.0/16", "vpc-peering", "pcx-gone", state="blackhole")
    for unread in ((), ("vpcs",)):
        snap = _with_route(estate(unread_b=unread), dead)
        [blackhole] = [f for f in run(BLACKHOLE, snap) if "rtb-db" in f.resource.arn]
        assert blackhole.status.value == "FAIL", (unread, blackhole.message)
        [missing] = run(MISSING, estate(back=False, unread_b=unread))
        assert missing.status.value == "FAIL", (unread, missing.message)
        [ok] = run(MISSING, estate(back=True, unread_b=unread))
        assert ok.status.value == "PASS", (unread, ok.message)
    # the graph: the table with no VPC node and no IN_VPC edge to a node without a kind
    graph = build_graph(estate(unread_b=("vpcs",)))
    assert all("kind" in attrs for _, attrs in graph.nodes(data=True))
    assert any(attrs["kind"] == "RouteTable" and attrs.get("route_table_id") == "rtb-db"
               for _, attrs in graph.nodes(data=True))


def test_the_vpc_listing_failed_keeps_the_rotation_path_unknown() -> None:
    """The rotation Lambda's VPC, its listing failed: the path rule still says UNKNOWN
    naming ec2.vpcs (it reads the VPC itself), never PASS."""
    rule = load_ruleset().get("secret-rotation-no-network-path")
    [f] = run(rule, estate(unread_a=("vpcs",)))
    assert f.status.value == "UNKNOWN" and "ec2.vpcs" in " ".join(f.missing), f.missing
