"""Missing data never yields PASS, for every rule of the catalog.

Each rule declares in ``inputs:`` what it reads from the snapshot. For each rule and each of its
inputs, the rule's fixture is re-run with that input unread everywhere (tests/helpers/
unread_inputs.py records the denial the way the collectors do). Then:

* a resource that PASSED now answers UNKNOWN naming what is missing (or is no longer judged,
  when the resource itself came from the unread listing) -- unless the fixture's
  ``decided_without`` lists it for that input, because its verdict provably does not depend on it;
* nothing that FAILED turns into a PASS;
* the input matters to at least one resource of the fixture (else the declaration is wrong).
"""

from __future__ import annotations

import pytest
import yaml

from helpers.rule_fixture import FIXTURES, load_fixture
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Finding
from scanner.graph.builder import build_graph
from scanner.model import Snapshot
from helpers.unread_inputs import MAKE_UNREAD

RULESET = load_ruleset()
CASES = [(r.id, i) for r in RULESET.rules for i in r.inputs
         if (FIXTURES / r.id / "snapshot.json").exists()]


def _statuses(rule_id: str, snapshot: Snapshot) -> dict[str, Finding]:
    fx = load_fixture(rule_id)
    rule = RULESET.get(rule_id)
    assert rule is not None
    graph = build_graph(snapshot)
    access = None
    if fx.access:
        from scanner.access import AccessSettings, analyze_access

        access = analyze_access(graph, snapshot, AccessSettings.from_snapshot(snapshot))
    config = parse_config({**(fx.config or {}), "emit_pass": True},
                          path=f"tests/rules/{rule_id}/expected.yaml")
    findings = evaluate(graph, snapshot, access, Ruleset(rules=(rule,)), config, fx.now)
    return {f"{f.resource.arn}|{f.principal or ''}": f for f in findings if f.rule_id == rule_id}


def _decided_without(rule_id: str, input_name: str) -> set[str]:
    raw = yaml.safe_load((FIXTURES / rule_id / "expected.yaml").read_text(encoding="utf-8"))
    return set((raw.get("decided_without") or {}).get(input_name) or ())


def test_every_rule_declares_its_inputs() -> None:
    for rule in RULESET.rules:
        if rule.id == "scan-coverage-gap":
            continue  # it reads the coverage itself
        assert rule.inputs, f"{rule.id}: declare `inputs:` (what the rule reads)"
        unknown = set(rule.inputs) - set(MAKE_UNREAD)
        assert not unknown, f"{rule.id}: no way to mark {sorted(unknown)} unread"


@pytest.mark.parametrize(("rule_id", "input_name"), CASES, ids=[f"{r}:{i}" for r, i in CASES])
def test_an_unread_input_gives_unknown_never_pass(rule_id: str, input_name: str) -> None:
    fx = load_fixture(rule_id)
    before = _statuses(rule_id, fx.snapshot)
    after = _statuses(rule_id, MAKE_UNREAD[input_name](fx.snapshot))
    allowed = _decided_without(rule_id, input_name)
    changed = 0
    for key, was in before.items():
        now = after.get(key)
        arn = was.resource.arn
        if now is None or now.status.value != was.status.value:
            changed += 1
        if was.status.value == "PASS" and arn not in allowed:
            assert now is None or now.status.value == "UNKNOWN", (
                f"{rule_id}: {arn} still {now.status.value} with {input_name} unread")
            if now is not None:
                assert now.missing, f"{rule_id}: UNKNOWN {arn} does not name what is missing"
        if was.status.value == "FAIL":
            assert now is None or now.status.value != "PASS", (
                f"{rule_id}: {arn} went from FAIL to PASS with {input_name} unread")
    for key, now in after.items():
        if now.status.value == "PASS":
            assert key in before and before[key].status.value == "PASS", (
                f"{rule_id}: {now.resource.arn} PASSES only once {input_name} is unread")
    assert changed, (f"{rule_id} declares input {input_name!r} but no verdict of its fixture "
                     f"depends on it: add a resource that does, or drop the declaration")


def test_decided_without_names_declared_inputs_and_passing_resources() -> None:
    for rule in RULESET.rules:
        path = FIXTURES / rule.id / "expected.yaml"
        if not path.exists():
            continue
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        for input_name, arns in (raw.get("decided_without") or {}).items():
            assert input_name in rule.inputs, f"{rule.id}: decided_without {input_name}"
            assert set(arns) <= set(raw.get("PASS") or ()), (
                f"{rule.id}: decided_without lists resources that do not PASS")

