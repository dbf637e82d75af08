"""A plan for a GovCloud estate names its resources in ``aws-us-gov``, as the findings do.

Concept review round 3 (partitions): add-peering-route built its route tables' ARNs as
``arn:aws:ec2:...`` whatever the partition, so in us-gov-west-1 the finding named
``arn:aws-us-gov:ec2:...`` and its plan ``arn:aws:ec2:...``. The ARNs of the graph
(scanner.graph.schema.ec2_arn) take the Region's partition; the plan's do too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from helpers.rule_fixture import fixture_ids, load_fixture

from remediations import REMEDIATORS, resolve_remediation_id
from scanner.access import AccessSettings, analyze_access
from scanner.changes import PlannedChange, RemediationConfig
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.findings import Finding, Status
from scanner.graph.builder import build_graph
from scanner.graph.schema import ec2_arn
from scanner.model import Snapshot, from_jsonable, to_jsonable
from scanner.remediate.planner import Selection, build_plan

RULESET = load_ruleset()
GOV = "us-gov-west-1"


@dataclass(frozen=True)
class Planned:
    findings: list[Finding]
    changes: tuple[PlannedChange, ...]


def _gov(snapshot: Snapshot) -> Snapshot:
    """The same estate in GovCloud: every ARN in aws-us-gov, us-east-1 now us-gov-west-1."""
    text = json.dumps(to_jsonable(snapshot)).replace("arn:aws:", "arn:aws-us-gov:").replace(
        "us-east-1", GOV)
    data = json.loads(text)
    data["meta"]["partition"] = "aws-us-gov"
    return from_jsonable(Snapshot, data)


def _plan(rule_id: str) -> Planned:
    fx = load_fixture(rule_id)
    snapshot = _gov(fx.snapshot)
    config = parse_config({**(fx.config or {}), "emit_pass": True},
                          path=f"tests/rules/{rule_id}/expected.yaml")
    graph = build_graph(snapshot)
    access = analyze_access(graph, snapshot, AccessSettings.from_snapshot(
        snapshot, allowed_external_accounts=frozenset(config.allowed_external_accounts),
        trusted_accounts=config.trusted_accounts))
    findings = evaluate(graph, snapshot, access, RULESET, config, fx.now)
    failing = [f for f in findings if f.status is Status.FAIL
               and resolve_remediation_id(f)[0] in REMEDIATORS]
    org = snapshot.organization
    plan = build_plan(failing, snapshot, RemediationConfig(
        org_id=(org.org_id if org else None) or "o-offline0001"), Selection(
        rules=tuple(sorted({f.rule_id for f in failing}))))
    return Planned(findings=failing, changes=plan.changes)


def test_add_peering_route_names_the_route_table_in_the_regions_partition() -> None:
    """The vpc-peering-route-missing fixture in GovCloud: each planned route's resource is the
    route table's ARN as the graph names it, arn:aws-us-gov:ec2:us-gov-west-1:..."""
    planned = _plan("vpc-peering-route-missing")
    routes = [c for c in planned.changes if c.remediation_id == "add-peering-route"]
    assert routes
    for c in routes:
        assert c.resource_arn == ec2_arn(c.region, c.account_id, "route-table",
                                         c.details["route_table_id"])
        assert c.resource_arn.startswith(f"arn:aws-us-gov:ec2:{GOV}:"), c.resource_arn
    assert all(f.resource.arn.startswith("arn:aws-us-gov:") for f in planned.findings)


def test_no_planned_change_of_a_govcloud_estate_names_a_commercial_arn() -> None:
    """Every rule fixture in GovCloud: no planned change (its resource, target, calls, states)
    holds an arn:aws: ARN -- the estate has none, so one would be a hard-coded builder."""
    seen: set[str] = set()
    for rule_id in fixture_ids():
        for c in _plan(rule_id).changes:
            seen.add(c.remediation_id)
            text = json.dumps(c.to_json())
            assert "arn:aws:" not in text, (rule_id, c.remediation_id, text[:600])
    assert "add-peering-route" in seen and len(seen) >= 4, seen
