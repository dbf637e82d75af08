"""The engine decides a resource with Condition.outcome (no reasons built) and builds reasons
with Condition.evaluate only for FAIL/UNKNOWN: both must give the same answer, for every rule's
applies_when and fail_when on every node of its fixture (and on every other node kind)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from helpers.rule_fixture import fixture_ids, load_fixture
from scanner.engine import load_ruleset, parse_config
from scanner.engine.context import GraphIndex, RuleContext
from scanner.engine.runner import compile_ruleset
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph

RULESET = load_ruleset()


@pytest.mark.parametrize("rule_id", fixture_ids())
def test_outcome_agrees_with_evaluate(rule_id: str) -> None:
    fx = load_fixture(rule_id)
    graph = build_graph(fx.snapshot)
    access = None
    if fx.access:
        from scanner.access import AccessSettings, analyze_access

        access = analyze_access(graph, fx.snapshot, AccessSettings.from_snapshot(fx.snapshot))
    config = parse_config(fx.config or {}, path="(test)")
    rule = RULESET.get(rule_id)
    assert rule is not None
    (compiled,) = compile_ruleset(Ruleset(rules=(rule,)), config)
    index = GraphIndex(graph, fx.snapshot)
    ctx = RuleContext(graph=graph, snapshot=fx.snapshot, access=access, config=config,
                      now=fx.now or datetime.now(timezone.utc), index=index,
                      params=compiled.params, cache={})
    judged = 0
    for kind in compiled.rule.resources:
        for node_id, attrs in index.nodes(kind):
            for cond in (compiled.applies, compiled.fail):
                if cond is None:
                    continue
                decided = cond.outcome(ctx, node_id, attrs)
                assert decided == cond.evaluate(ctx, node_id, attrs).outcome, node_id
                judged += 1
    assert judged > 0
