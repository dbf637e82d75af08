"""The HTML rotation path of a database VPC reached only through a transit gateway (no
peering): the finding is UNKNOWN (transit gateway route tables are not collected), so the
database hop is "?" with what was not known, not broken "no live peering to this database VPC"
(ground-truth trial round 30: the finding said FAIL "no VPC peering", and the path drew the
database VPC broken). With no way there at all the hop stays broken."""
# mypy: ignore-errors

from __future__ import annotations

from datetime import datetime, timezone

import sys
from pathlib import Path

from reports.html.network import build_network
from scanner.engine import load_ruleset
from scanner.engine.config import parse_config
from scanner.engine.loader import Ruleset
from scanner.engine.output import findings_document
from scanner.engine.runner import evaluate_rules
from scanner.graph.builder import build_graph

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rules"))
from test_rotation_network_routes import (A, DBL, LOCAL, NAT0, TGW_BACK,  # noqa: E402
                                          TGW_DB, base)

RULE = "secret-rotation-no-network-path"


def _database_hop(snapshot):
    rule = load_ruleset().get(RULE)
    graph = build_graph(snapshot)
    done = evaluate_rules(graph, snapshot, None, Ruleset(rules=(rule,)),
                          parse_config({"emit_pass": False}, path="test"),
                          datetime(2026, 11, 29, tzinfo=timezone.utc))
    document = findings_document(snapshot, done.findings, done.passed, rules=[RULE])
    view = build_network(graph, document, central_account=A, account_names={})
    (path,) = view.paths
    (hop,) = [h for h in path.hops if h.kind == "Database VPC"]
    return done.findings[0].status.value, hop


def test_a_database_vpc_behind_a_transit_gateway_is_unknown_on_the_path() -> None:
    status, hop = _database_hop(base([LOCAL, NAT0, TGW_DB], [DBL, TGW_BACK], peered=False))
    assert status == "UNKNOWN"
    assert hop.state == "unknown", hop
    assert "no live peering" not in hop.problem
    assert "transit-gateway tgw-1" in hop.problem


def test_a_database_vpc_with_no_way_there_is_broken_on_the_path() -> None:
    status, hop = _database_hop(base([LOCAL, NAT0], [DBL, TGW_BACK], peered=False))
    assert status == "FAIL"
    assert hop.state == "broken", hop
    assert "no VPC peering" in hop.problem or "no live peering" in hop.problem
