"""Operators and the three-valued condition tree, on tiny hand-built graphs."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import networkx as nx
import pytest

from scanner.engine.conditions import (
    FALSE,
    OPERATORS,
    TRUE,
    UNKNOWN,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    EdgeCondition,
    Not,
    Result,
)
from scanner.engine.config import EngineConfig
from scanner.engine.context import GraphIndex, RuleContext
from scanner.model import ScanMeta, Snapshot

NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)


def ctx_for(graph: nx.MultiDiGraph) -> RuleContext:
    snap = Snapshot(meta=ScanMeta(scan_id="t", started_at="2026-11-29T00:00:00Z"))
    return RuleContext(graph=graph, snapshot=snap, access=None, config=EngineConfig(), now=NOW,
                       index=GraphIndex(graph, snap), params={}, cache={})


def cmp(path: str, op: str, value: Any = None, **kw: Any) -> Compare:
    return Compare(path, OPERATORS[op], value, optional_keys=path.startswith("tags."), **kw)


def outcome(cond: Condition, attrs: dict[str, Any]) -> int:
    g = nx.MultiDiGraph()
    g.add_node("n", **attrs)
    return cond.evaluate(ctx_for(g), "n", g.nodes["n"]).outcome


class Fixed(Condition):
    def __init__(self, value: int) -> None:
        self.value = value

    def evaluate(self, ctx: RuleContext, node_id: str, attrs: Any) -> Result:
        return Result(outcome=self.value)


@pytest.mark.parametrize("op,actual,value,expected", [
    ("equals", "a", "a", TRUE), ("equals", "a", "b", FALSE),
    ("not_equals", "a", "b", TRUE),
    ("in", "x", ("x", "y"), TRUE), ("not_in", "x", ("x",), FALSE),
    ("exists", None, None, FALSE), ("exists", "v", None, TRUE), ("exists", [], None, FALSE),
    ("is_null", None, None, TRUE),
    ("is_true", True, None, TRUE), ("is_true", None, None, UNKNOWN),
    ("is_false", False, None, TRUE), ("is_false", None, None, UNKNOWN),
    ("greater_than", 5, 3, TRUE), ("less_than", 5, 3, FALSE), ("at_least", 3, 3, TRUE),
    ("at_most", None, 3, UNKNOWN),
    ("contains", ["a", "b"], "b", TRUE), ("not_contains", ["a"], "b", TRUE),
    ("lacks_any", ["us-west-2"], ("us-west-2", "eu-west-1"), TRUE),
    ("lacks_any", None, ("x",), UNKNOWN),
    ("older_than_days", "2026-08-01T00:00:00Z", 90, TRUE),
    ("older_than_days", "2026-11-01T00:00:00Z", 90, FALSE),
    ("older_than_days", None, 90, FALSE),
    ("in_past", "2026-11-28T23:00:00+00:00", None, TRUE), ("in_past", "2026-12-01", None, FALSE),
    ("length_ratio_at_least", "x" * 16384, {"ratio": 0.8, "limit": 20480}, TRUE),
    ("length_ratio_at_least", "x" * 16383, {"ratio": 0.8, "limit": 20480}, FALSE),
    ("length_at_least", "abc", 3, TRUE),
])
def test_operator(op: str, actual: Any, value: Any, expected: int) -> None:
    assert OPERATORS[op].fn(actual, value, NOW) == expected


def test_matches_uses_a_compiled_regex() -> None:
    import re

    assert OPERATORS["matches"].fn("alias/aws/secretsmanager", re.compile("aws/"), NOW) == TRUE
    assert OPERATORS["not_matches"].fn(None, re.compile("x"), NOW) == TRUE


@pytest.mark.parametrize("children,all_expected,any_expected", [
    ((TRUE, TRUE), TRUE, TRUE),
    ((TRUE, FALSE), FALSE, TRUE),
    ((TRUE, UNKNOWN), UNKNOWN, TRUE),
    ((FALSE, UNKNOWN), FALSE, UNKNOWN),
    ((FALSE, FALSE), FALSE, FALSE),
    ((UNKNOWN, UNKNOWN), UNKNOWN, UNKNOWN),
])
def test_all_and_any_are_three_valued(children: tuple[int, ...], all_expected: int,
                                      any_expected: int) -> None:
    parts = [Fixed(c) for c in children]
    assert outcome(AllOf(parts), {}) == all_expected
    assert outcome(AnyOf(parts), {}) == any_expected


def test_not_flips_true_and_false_but_keeps_unknown() -> None:
    assert outcome(Not(Fixed(TRUE)), {}) == FALSE
    assert outcome(Not(Fixed(FALSE)), {}) == TRUE
    assert outcome(Not(Fixed(UNKNOWN)), {}) == UNKNOWN


def test_an_unread_attribute_is_unknown_and_named() -> None:
    g = nx.MultiDiGraph()
    g.add_node("s", kind="Secret", rotation_enabled=False, unread=["rotation_enabled"])
    r = cmp("rotation_enabled", "is_false").evaluate(ctx_for(g), "s", g.nodes["s"])
    assert r.outcome == UNKNOWN
    assert any("rotation_enabled" in m for m in r.missing)


def test_a_derived_attribute_is_unknown_when_its_source_is_unread() -> None:
    cond = cmp("replica_regions", "lacks_any", ("us-west-2",), derived_from="replicas")
    assert outcome(cond, {"replica_regions": [], "unread": ["replicas"]}) == UNKNOWN


def test_an_absent_attribute_is_unknown_never_pass() -> None:
    assert outcome(cmp("rotation_enabled", "is_false"), {"kind": "Secret"}) == UNKNOWN


def test_a_placeholder_node_answers_unknown() -> None:
    attrs = {"kind": "KmsKey", "collected": False, "key_state": None, "aws_managed": False}
    assert outcome(cmp("key_state", "not_equals", "Enabled"), attrs) == UNKNOWN
    assert outcome(cmp("aws_managed", "is_true"), attrs) == FALSE


def test_missing_tag_is_null_not_unknown() -> None:
    assert outcome(cmp("tags.owner", "is_null"), {"tags": {"team": "a"}}) == TRUE


def test_if_null_overrides_the_operator() -> None:
    cond = cmp("status", "not_equals", "InSync", if_null=UNKNOWN)
    assert outcome(cond, {"status": None}) == UNKNOWN
    assert outcome(cond, {"status": "Failed"}) == TRUE


def edge_graph(*targets: dict[str, Any]) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    g.add_node("s", kind="Secret")
    for i, attrs in enumerate(targets):
        g.add_node(f"k{i}", kind="KmsKey", **attrs)
        g.add_edge("s", f"k{i}", key="ENCRYPTED_BY", kind="ENCRYPTED_BY")
    g.add_node("other", kind="LambdaFunction", state="Failed")
    g.add_edge("s", "other", key="ROTATED_BY", kind="ROTATED_BY")
    return g


@pytest.mark.parametrize("quantifier,states,expected", [
    ("any", ("Enabled", "Disabled"), TRUE),
    ("any", ("Enabled",), FALSE),
    ("all", ("Disabled", "Disabled"), TRUE),
    ("all", ("Disabled", "Enabled"), FALSE),
    ("none", ("Enabled",), TRUE),
    ("none", ("Disabled",), FALSE),
])
def test_edge_quantifiers_follow_only_their_edge_kind(quantifier: str, states: tuple[str, ...],
                                                     expected: int) -> None:
    g = edge_graph(*({"key_state": s} for s in states))
    cond = EdgeCondition("ENCRYPTED_BY", "out", quantifier, "KmsKey",
                         cmp("key_state", "not_equals", "Enabled"), FALSE)
    assert cond.evaluate(ctx_for(g), "s", g.nodes["s"]).outcome == expected


def test_edge_with_no_neighbour_answers_if_none() -> None:
    g = edge_graph()
    for if_none in (FALSE, TRUE, UNKNOWN):
        cond = EdgeCondition("ENCRYPTED_BY", "out", "any", "KmsKey", None, if_none)
        assert cond.evaluate(ctx_for(g), "s", g.nodes["s"]).outcome == if_none


def test_edge_reaching_an_unread_neighbour_is_unknown() -> None:
    g = edge_graph({"key_state": "Enabled"}, {"collected": False, "key_state": None})
    cond = EdgeCondition("ENCRYPTED_BY", "out", "any", "KmsKey",
                         cmp("key_state", "not_equals", "Enabled"), FALSE)
    assert cond.evaluate(ctx_for(g), "s", g.nodes["s"]).outcome == UNKNOWN
