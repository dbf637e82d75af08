"""vpc-peering-route-missing says where the peer CIDR goes when a table that counts already
routes it elsewhere: a route table holds one route per destination (CreateRoute:
RouteAlreadyExists), so with two database VPCs of one CIDR peered to a hub, the hub can route
that CIDR to one of them only, and "add the route" is no fix for the other (ground-truth trial
round 26: "requester VPC ... has no route to 10.5.0.0/16 via pcx-b", where
secret-rotation-no-network-path said "10.5.0.0/16 goes to pcx-a instead" for the same gap)."""
# mypy: ignore-errors

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from test_rotation_network_nat_listings import estate, route

from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph
from scanner.model import Route

MISSING = load_ruleset().get("vpc-peering-route-missing")


def _missing_message(db_routes: tuple[dict, ...]) -> str:
    snap = estate(back=False)
    b = snap.accounts[1]
    reg = b.regions[0]
    table = reg.route_tables[0]
    table = replace(table, routes=table.routes + tuple(Route(**r) for r in db_routes))
    snap = replace(snap, accounts=(snap.accounts[0], replace(b, regions=(replace(
        reg, route_tables=(table,)),))))
    [f] = evaluate(build_graph(snap), snap, None, Ruleset(rules=(MISSING,)),
                   parse_config({"emit_pass": True}, path="x"),
                   datetime(2026, 11, 29, tzinfo=timezone.utc))
    assert f.status.value == "FAIL"
    return str(f.message)


def test_the_peer_cidr_routed_to_another_peering_is_said() -> None:
    message = _missing_message((route("10.0.0.0/16", "vpc-peering", "pcx-twin"),))
    assert "has no route to 10.0.0.0/16 via pcx-1 (10.0.0.0/16 goes to pcx-twin instead)" \
        in message


def test_a_missing_route_with_nothing_in_its_place_says_nothing_more() -> None:
    message = _missing_message(())
    assert message.endswith("has no route to 10.0.0.0/16 via pcx-1")
