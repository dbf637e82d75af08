"""vpc-peering-quota-near-limit on a VPC with more active peerings than the quota known to
the scan: AWS refuses peerings beyond the applied quota, so the finding says the quota known
here is not the one applied, instead of calling 99 of 50 "near" the limit."""

from __future__ import annotations

from typing import Any

from helpers.rule_fixture import load_fixture

from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph

RULE = "vpc-peering-quota-near-limit"
HUB = "arn:aws:ec2:us-east-1:111111111111:vpc/vpc-hub"


def _hub(quota: float) -> Any:
    fx = load_fixture(RULE)
    rule = load_ruleset().get(RULE)
    assert rule is not None
    config = parse_config({"quotas": [{"code": "L-7E9ECCDB", "value": quota}]}, path="(test)")
    found = evaluate(build_graph(fx.snapshot), fx.snapshot, None, Ruleset(rules=(rule,)),
                     config, fx.now)
    [hub] = [f for f in found if f.resource.arn == HUB]
    return hub


def test_more_peerings_than_the_known_quota_says_the_applied_quota_is_higher() -> None:
    hub = _hub(2)
    active = hub.evidence["active_peerings"]
    assert active > 2
    assert hub.message == (
        f"{active} active peerings, over the quota 2 (config): the quota applied must be "
        "higher than the one known here")
    assert hub.evidence["over_quota"] is True


def test_at_the_quota_it_is_near_the_limit() -> None:
    active = _hub(2).evidence["active_peerings"]
    hub = _hub(active)
    assert hub.message.startswith(
        f"{active} active peerings, quota {active} (config), warning at")
    assert "over_quota" not in hub.evidence
