"""The runner: rule isolation, stable ids, config overrides, scan completeness."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from helpers.engine_helpers import NOW, coverage_entry, make_secret, make_snapshot, secret_arn, write_rule
from scanner.engine import evaluate, findings_document, load_ruleset, parse_config
from scanner.engine.conditions import Result
from scanner.engine.context import RuleContext
from scanner.engine.loader import load_rule_paths
from scanner.engine.predicates import PREDICATES
from scanner.errors import InputError
from scanner.findings import Severity, Status
from scanner.graph.builder import build_graph


EMIT_PASS = parse_config({"emit_pass": True}, path="c.yaml")


def snapshot_and_graph():  # type: ignore[no-untyped-def]
    snap = make_snapshot(make_secret("on"), make_secret("off", rotation_enabled=False))
    return snap, build_graph(snap)


def test_a_crashing_rule_becomes_one_unknown_finding_and_the_run_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(ctx: RuleContext, node_id: str, attrs: object, args: object) -> Result:
        raise KeyError("boom")

    spec = dataclasses.replace(PREDICATES["rotation_pending_stuck"], fn=explode)
    monkeypatch.setitem(PREDICATES, "rotation_pending_stuck", spec)
    crash = write_rule(tmp_path, "crashy", "{predicate: rotation_pending_stuck}")
    fine = write_rule(tmp_path, "rotation-off", "{attribute: rotation_enabled, op: is_false}")
    snap, graph = snapshot_and_graph()
    findings = evaluate(graph, snap, None, load_rule_paths([crash, fine]), EMIT_PASS, NOW)
    crashed = [f for f in findings if f.rule_id == "crashy"]
    assert len(crashed) == 1
    assert crashed[0].status == Status.UNKNOWN
    assert "crashed on 2 resource(s): KeyError" in crashed[0].message
    assert crashed[0].evidence["resources_not_assessed"] == 2
    assert {(f.resource.arn, f.status) for f in findings if f.rule_id == "rotation-off"} == {
        (secret_arn("on"), Status.PASS), (secret_arn("off"), Status.FAIL)}
    assert findings_document(snap, findings)["scan"]["complete"] is False


def test_a_number_comparison_on_a_name_is_a_rule_error_not_a_null(tmp_path: Path) -> None:
    """A new user's trial: greater_than on `name` gave an UNKNOWN per secret saying the name
    was null, and a complete scan."""
    wrong = write_rule(tmp_path, "custom-wrong", "{attribute: name, op: greater_than, value: 5}")
    snap, graph = snapshot_and_graph()
    findings = evaluate(graph, snap, None, load_rule_paths([wrong]), EMIT_PASS, NOW)
    (error,) = findings
    assert error.status == Status.UNKNOWN and "null" not in error.message
    assert "crashed on 2 resource(s): TypeError: a number comparison on a str value" in \
        error.message
    assert findings_document(snap, findings)["scan"]["complete"] is False


def test_finding_ids_are_stable_across_evaluations() -> None:
    snap, graph = snapshot_and_graph()
    rules = load_ruleset()
    first = evaluate(graph, snap, None, rules, None, NOW)
    second = evaluate(build_graph(snap), snap, None, rules, None, NOW.replace(hour=5))
    assert [f.id for f in first] == [f.id for f in second]
    assert len({f.id for f in first}) == len(first)
    assert all(f.id.startswith("sgf-") for f in first)


def test_per_principal_findings_carry_the_principal_in_id_and_message(tmp_path: Path) -> None:
    policy = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":'
              '["arn:aws:iam::999999999999:role/a","arn:aws:iam::888888888888:role/b"]},'
              '"Action":"secretsmanager:*","Resource":"*"}]}')
    snap = make_snapshot(make_secret("shared", resource_policy=policy))
    rule = write_rule(tmp_path, "overbroad-per-principal", """
predicate: secret_policy_overbroad_actions
args: {allowed_actions: [secretsmanager:GetSecretValue]}
""", extra="per_principal: true\n")
    findings = evaluate(build_graph(snap), snap, None, load_rule_paths([rule]), None, NOW)
    assert {f.principal for f in findings} == {"arn:aws:iam::999999999999:role/a",
                                               "arn:aws:iam::888888888888:role/b"}
    assert len({f.id for f in findings}) == 2
    for f in findings:
        assert f.principal and f.principal in f.message
        other = ({"arn:aws:iam::999999999999:role/a", "arn:aws:iam::888888888888:role/b"}
                 - {f.principal}).pop()
        assert other not in f.message


def test_config_overrides_severity_parameters_and_disables_rules() -> None:
    snap = make_snapshot(make_secret("idle", last_accessed="2026-10-01T00:00:00Z"))
    graph = build_graph(snap)
    rules = load_ruleset()
    default = [f for f in evaluate(graph, snap, None, rules, EMIT_PASS, NOW)
               if f.rule_id == "secret-unused"]
    assert default[0].status == Status.PASS  # 59 days < 90
    config = parse_config({"rules": {
        "secret-unused": {"severity": "CRITICAL", "parameters": {"days": 30}},
        "secret-rotation-disabled": {"enabled": False}}}, path="cfg.yaml")
    tuned = evaluate(graph, snap, None, rules, config, NOW)
    unused = [f for f in tuned if f.rule_id == "secret-unused"]
    assert (unused[0].status, unused[0].severity) == (Status.FAIL, Severity.CRITICAL)
    assert not [f for f in tuned if f.rule_id == "secret-rotation-disabled"]


@pytest.mark.parametrize("cfg,field,words", [
    ({"rules": {"no-such-rule": {"enabled": False}}}, "rules.no-such-rule", "unknown rule id"),
    # new-user trial 7: a misspelt rule id names the closest one
    ({"rules": {"secret-rotation-disabld": {"enabled": False}}},
     "rules.secret-rotation-disabld", "did you mean secret-rotation-disabled?"),
    ({"rules": {"secret-unused": {"parameters": {"dayz": 3}}}},
     "rules.secret-unused.parameters.dayz", "no parameter 'dayz'"),
    ({"rules": {"secret-unused": {"parameters": {"days": "3"}}}},
     "rules.secret-unused.parameters.days", "must be integer"),
    ({"rules": {"secret-unused": {"parameters": {"days": 0}}}},
     "rules.secret-unused.parameters.days", "must be >= 1"),
])
def test_config_errors_name_file_rule_and_field(cfg: dict[str, object], field: str,
                                                words: str) -> None:
    snap, graph = snapshot_and_graph()
    config = parse_config(cfg, path="secretgraph.yaml")
    with pytest.raises(InputError) as info:
        evaluate(graph, snap, None, load_ruleset(), config, NOW)
    assert info.value.path == "secretgraph.yaml"
    assert info.value.field == field
    assert words in str(info.value)


def test_emit_pass_false_keeps_only_fail_and_unknown() -> None:
    snap, graph = snapshot_and_graph()
    config = parse_config({"emit_pass": False}, path="c.yaml")
    findings = evaluate(graph, snap, None, load_ruleset(), config, NOW)
    assert findings and all(f.status != Status.PASS for f in findings)


def test_pass_summary_counts_what_emit_pass_itemises() -> None:
    from scanner.engine.runner import evaluate_rules

    snap, graph = snapshot_and_graph()
    summarised = evaluate_rules(graph, snap, None, load_ruleset(), None, NOW)
    itemised = evaluate_rules(graph, snap, None, load_ruleset(), EMIT_PASS, NOW)
    assert summarised.passed == itemised.passed
    assert [f for f in itemised.findings if f.status != Status.PASS] == summarised.findings
    passes = [f for f in itemised.findings if f.status == Status.PASS]
    assert sum(p.count for p in summarised.passed) == len(passes) > 0
    rotation = next(p for p in summarised.passed if p.rule_id == "secret-rotation-disabled")
    assert (rotation.count, rotation.resources) == (1, (secret_arn("on"),))


def test_required_replica_regions_from_config_reach_the_rule() -> None:
    snap, graph = snapshot_and_graph()
    config = parse_config({"required_replica_regions": ["us-west-2"]}, path="c.yaml")
    findings = [f for f in evaluate(graph, snap, None, load_ruleset(), config, NOW)
                if f.rule_id == "secret-not-replicated"]
    assert {f.status for f in findings} == {Status.FAIL}
    assert "us-west-2" in findings[0].message


def test_coverage_gap_makes_rules_unknown_and_the_scan_incomplete() -> None:
    snap = make_snapshot(make_secret("rot", rotation_lambda_arn=(
        "arn:aws:lambda:us-east-1:111111111111:function:gone")), coverage=(coverage_entry(),))
    graph = build_graph(snap)
    findings = evaluate(graph, snap, None, load_ruleset(), None, NOW)
    missing = [f for f in findings if f.rule_id == "secret-rotation-function-missing"]
    assert missing[0].status == Status.UNKNOWN
    assert "lambda" in missing[0].missing[0]
    gaps = [f for f in findings if f.rule_id == "scan-coverage-gap" and f.status == Status.FAIL]
    assert [g.resource.arn for g in gaps] == ["account:111111111111/us-east-1"]
    assert findings_document(snap, findings)["scan"]["complete"] is False


def test_a_coverage_gap_of_thirteen_calls_counts_thirteen_in_its_message() -> None:
    """Fault-injection trial round 5 on collection (d4): 13 denied GetKeyPolicy calls in one
    account-region gave "...; and 6 more" (8 named in all) while evidence.entry_count was 13:
    the message counted only the facts built from the first eight entries. It names two and
    counts the other eleven; the evidence keeps eight facts and says there were 13."""
    from dataclasses import replace

    entries = tuple(
        replace(coverage_entry(), service="kms", operation="GetKeyPolicy",
                resource_arn=f"arn:aws:kms:us-east-1:111111111111:key/k{i:02d}")
        for i in range(13))
    snap = make_snapshot(make_secret("a"), coverage=entries)
    findings = evaluate(build_graph(snap), snap, None, load_ruleset(), None, NOW)
    [gap] = [f for f in findings if f.rule_id == "scan-coverage-gap" and f.status == Status.FAIL]
    assert gap.evidence["entry_count"] == 13
    assert gap.message.endswith("; and 11 more")
    assert gap.message.count("kms GetKeyPolicy") == 2
    assert len(gap.evidence["facts"]) == 8
    assert gap.evidence["facts_total"] == 13
