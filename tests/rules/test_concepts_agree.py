"""The access report and the rules speak of the same statements and principals (issue 10,
section 2: one home per security concept, scanner/policy/exposure.py).

Over every rule fixture: the key grants the access report calls excess are the principals
``kms-key-policy-excess-grant`` fails; the public grants of a secret are exactly the statements
``secret-policy-public`` reports; the unintended account grants are the principals
``secret-policy-external-account`` fails.
"""

from __future__ import annotations

import pytest

from helpers.rule_fixture import fixture_ids, load_fixture
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Status
from scanner.graph.builder import build_graph

RULESET = load_ruleset()
RULES = ("kms-key-policy-excess-grant", "secret-policy-public", "secret-policy-external-account")


@pytest.mark.parametrize("fixture", fixture_ids())
def test_access_report_and_rules_agree(fixture: str) -> None:
    fx = load_fixture(fixture)
    # a fixture's own rule settings (rules.<id>) name a rule this test does not load
    config = parse_config({k: v for k, v in (fx.config or {}).items() if k != "rules"},
                          path=f"tests/rules/{fixture}/expected.yaml")
    graph = build_graph(fx.snapshot)
    access = analyze_access(graph, fx.snapshot, AccessSettings.from_snapshot(
        fx.snapshot, allowed_external_accounts=frozenset(config.allowed_external_accounts),
        trusted_accounts=config.trusted_accounts))
    rules = Ruleset(rules=tuple(r for r in (RULESET.get(i) for i in RULES) if r is not None))
    findings = evaluate(graph, fx.snapshot, access, rules, config, fx.now)

    def failing(rule_id: str) -> set[tuple[str, str | None]]:
        return {(f.resource.arn, f.principal) for f in findings
                if f.rule_id == rule_id and f.status is Status.FAIL}

    judged = {(f.rule_id, f.resource.arn) for f in findings
              if f.status in (Status.FAIL, Status.PASS)}
    excess = {(k.key_arn, g.principal) for k in access.keys.values() for g in k.excess_grants
              if ("kms-key-policy-excess-grant", k.key_arn) in judged}
    assert excess == failing("kms-key-policy-excess-grant")

    public_rule = {f.resource.arn: sorted(f.evidence["statements"]) for f in findings
                   if f.rule_id == "secret-policy-public" and f.status is Status.FAIL}
    public_access = {arn: sorted({g.statement for g in sa.grants if g.scope == "public"})
                     for arn, sa in access.secrets.items()
                     if ("secret-policy-public", arn) in judged}
    assert {a: s for a, s in public_access.items() if s} == public_rule

    outside = {(arn, g.principal) for arn, sa in access.secrets.items() for g in sa.unintended
               if g.scope in ("account", "principal", "other-organization")
               and ("secret-policy-external-account", arn) in judged}
    assert outside == failing("secret-policy-external-account")
