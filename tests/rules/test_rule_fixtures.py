"""Every rule against its fixture folder: tests/rules/<rule_id>/snapshot.json + expected.yaml.

One parametrized test: adding a rule and its folder needs no new test code. Only the rule under
test runs, and the resources it reports must be exactly the expected ones per status.
"""

from __future__ import annotations

import pytest

from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.engine.runner import evaluate_rules
from scanner.findings import Finding
from scanner.graph.builder import build_graph
from helpers.rule_fixture import STATUSES, fixture_ids, load_fixture

RULESET = load_ruleset()


def run_fixture(rule_id: str) -> tuple[list[Finding], dict[str, set[str]]]:
    fx = load_fixture(rule_id)
    rule = RULESET.get(rule_id)
    assert rule is not None, f"fixture folder {rule_id} has no rule file"
    graph = build_graph(fx.snapshot)
    access = None
    if fx.access:
        from scanner.access import AccessSettings, analyze_access

        access = analyze_access(graph, fx.snapshot, AccessSettings.from_snapshot(fx.snapshot))
    where = f"tests/rules/{rule_id}/expected.yaml"
    config = parse_config({**(fx.config or {}), "emit_pass": True}, path=where)
    findings = evaluate(graph, fx.snapshot, access, Ruleset(rules=(rule,)), config, fx.now)
    # PASS results not itemised (the default) are in the rule's PASS summary instead
    summarised = evaluate_rules(graph, fx.snapshot, access, Ruleset(rules=(rule,)),
                                parse_config({**(fx.config or {}), "emit_pass": False},
                                             path=where), fx.now)
    assert [f for f in findings if f.status.value != "PASS"] == summarised.findings
    (passed,) = summarised.passed
    assert set(passed.resources or ()) == {f.resource.arn for f in findings
                                           if f.status.value == "PASS"}
    return findings, fx.expected


@pytest.mark.parametrize("rule_id", fixture_ids())
def test_rule_matches_its_fixture(rule_id: str) -> None:
    findings, expected = run_fixture(rule_id)
    assert all(f.rule_id == rule_id for f in findings)
    got = {s: {f.resource.arn for f in findings if f.status.value == s} for s in STATUSES}
    assert got == expected
    for f in findings:
        if f.status.value == "UNKNOWN":
            assert f.missing, f"UNKNOWN {f.resource.arn} does not name what is missing"
        if f.status.value == "FAIL":
            assert f.message, f"FAIL {f.resource.arn} has no message"
