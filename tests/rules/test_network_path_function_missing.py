"""secret-rotation-no-network-path and a rotation Lambda that does not exist (its account-Region's
Lambda listing was read and did not have it): the rule does not judge that secret --
secret-rotation-function-missing FAILs it, and there is no function whose network to judge. It
was UNKNOWN "missing rotation function" every night, which no rescan could settle (ground-truth
trial round 15). A function whose listing was not read is still UNKNOWN: it may exist."""

from __future__ import annotations

from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph

from helpers.rule_fixture import load_fixture

SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:"


def _statuses(rule_id: str) -> dict[str, str]:
    fx = load_fixture("secret-rotation-function-missing")  # missing, ok, other-account
    rule = load_ruleset().get(rule_id)
    assert rule is not None
    findings = evaluate(build_graph(fx.snapshot), fx.snapshot, None, Ruleset(rules=(rule,)),
                        parse_config({"emit_pass": True}, path="(test)"), fx.now)
    return {f.resource.arn.removeprefix(SECRET): f.status.value for f in findings}


def test_a_function_known_not_to_exist_is_left_to_function_missing() -> None:
    assert _statuses("secret-rotation-function-missing")["missing-AbCdEf"] == "FAIL"
    network = _statuses("secret-rotation-no-network-path")
    assert "missing-AbCdEf" not in network
    assert network["other-account-AbCdEf"] == "UNKNOWN"
