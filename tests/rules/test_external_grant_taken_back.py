"""secret-policy-external-account and a grant the same policy takes back with an explicit Deny
(ground-truth organization trial round 8, access: partner/denied -- Allow for
arn:aws:iam::210987654321:root plus Deny "*" GetSecretValue unless aws:PrincipalOrgID is ours --
was FAIL HIGH "... currently blocked by resource_policy" without --prove and had no finding
with it; remediate planned remove-external-grant "readers +0 -0"). IAM User Guide, policy
evaluation logic: "An explicit deny in any of these policies overrides the allow". The secrets
are those of the rule's fixture folder (tests/rules/secret-policy-external-account)."""

from __future__ import annotations

from typing import Any

import pytest

from helpers.remediate_records import SECRET_ARN, finding, snapshot
from helpers.rule_fixture import load_fixture
from scanner.changes import RemediationConfig
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.context import GraphIndex, RuleContext
from scanner.engine.loader import Ruleset
from scanner.engine.predicates import PREDICATES
from scanner.engine.conditions import FALSE
from scanner.findings import Finding
from scanner.graph.builder import build_graph
from scanner.policy import parse_policy
from scanner.policy.exposure import outside_zone_grants, taken_back
from scanner.policy.trust_zone import TrustZone
from scanner.remediate.planner import Selection, build_plan

RULE = "secret-policy-external-account"
SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:{}-AbCdEf"
PARTNER_ROOT = "arn:aws:iam::999999999999:root"


def _result(name: str) -> Any:
    """The predicate's own Result (a PASS finding carries no facts)."""
    fx = load_fixture(RULE)
    graph = build_graph(fx.snapshot)
    ctx = RuleContext(graph=graph, snapshot=fx.snapshot, access=None,
                      config=parse_config({}, path="(test)"), now=fx.now,
                      index=GraphIndex(graph, fx.snapshot), params={}, cache={})
    arn = SECRET.format(name)
    return PREDICATES["secret_policy_external_account"].fn(ctx, arn, graph.nodes[arn], {})


def _findings(prove: bool) -> dict[str, Finding]:
    fx = load_fixture(RULE)
    rule = load_ruleset().get(RULE)
    assert rule is not None
    config = parse_config({"prove_timeout": 120, **(fx.config or {}), "prove": prove,
                           "emit_pass": True}, path="(test)")
    return {f.resource.arn: f for f in evaluate(build_graph(fx.snapshot), fx.snapshot, None,
                                                Ruleset(rules=(rule,)), config, fx.now)}


def test_a_grant_the_policy_takes_back_is_not_reported_and_the_result_says_why() -> None:
    result = _result("partner-denied")
    assert result.outcome == FALSE, result
    (fact,) = [t for _, t in result.facts]
    assert PARTNER_ROOT in fact and "DenyOutsideOrg" in fact and "explicit Deny" in fact, fact


def test_a_grant_narrowed_by_a_condition_is_taken_back_alike() -> None:
    assert _result("partner-by-condition-denied").outcome == FALSE


@pytest.mark.parametrize("name", ["partner-deny-undecided", "partner-deny-part",
                                  "partner-deny-one-role"])
def test_a_deny_that_does_not_cover_the_whole_grant_keeps_the_finding(name: str) -> None:
    """A Deny whose condition is undecided (CONDITIONAL), one that leaves an action of the
    grant, and one naming a single role of the granted account take nothing back."""
    result = _result(name)
    assert result.outcome != FALSE, name


def test_the_verdict_does_not_change_with_prove() -> None:
    """Without --prove and with it the same secrets FAIL: the evaluator takes the grant back
    in both (the trial: no finding with --prove, FAIL HIGH without)."""
    pytest.importorskip("z3")
    plain, proved = _findings(False), _findings(True)
    failing = {a for a, f in plain.items() if f.status.value == "FAIL"}
    assert failing == {a for a, f in proved.items() if f.status.value == "FAIL"}
    assert SECRET.format("partner-denied") not in failing


def test_exposure_decides_it_once_for_every_reader_of_the_policy() -> None:
    """scanner.policy.exposure.taken_back: the rule, the planner and the prove path ask it."""
    policy = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": PARTNER_ROOT},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
        {"Sid": "DenyOutsideOrg", "Effect": "Deny", "Principal": "*",
         "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-fixture"}}}]})
    zone = TrustZone.of(organization=["111111111111"], scanned=["111111111111"],
                        org_id="o-fixture")
    (m,) = outside_zone_grants(policy, own_account="111111111111", zone=zone)
    back = taken_back(policy, m, PARTNER_ROOT, resource=SECRET.format("x"), zone=zone,
                      resource_ctx=({"aws:resourceaccount": ("111111111111",)}, (), None))
    assert back == ("statement 1 (DenyOutsideOrg)",)
    unread = TrustZone.of(organization=None, scanned=["111111111111"])
    assert taken_back(policy, m, PARTNER_ROOT, resource=SECRET.format("x"), zone=unread,
                      resource_ctx=({"aws:resourceaccount": ("111111111111",)}, (), None)) == \
        (), "without the organization read, aws:PrincipalOrgID of the partner is not known"


def test_remediate_plans_no_change_that_changes_nothing() -> None:
    """remove-external-grant on a grant the policy takes back: not planned, and the reason
    names the Deny (the trial planned it with "readers +0 -0")."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": PARTNER_ROOT},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
        {"Sid": "DenyOutsideOrg", "Effect": "Deny", "Principal": "*",
         "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abcdef1234"}}}]}
    plan = build_plan([finding(RULE, "remove-external-grant", principal=PARTNER_ROOT)],
                      snapshot(policy=policy), RemediationConfig(), Selection(rules=(RULE,)))
    assert not plan.changes, [c.summary for c in plan.changes]
    (skipped,) = plan.skipped
    assert skipped.resource_arn == SECRET_ARN
    assert "DenyOutsideOrg" in skipped.reason and "takes" in skipped.reason, skipped.reason
