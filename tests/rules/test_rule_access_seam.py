"""The rules that judge access read the access analysis' typed verdicts: the analysis writes no
verdict into the graph, a graph with no access analysis makes them UNKNOWN, and
kms-key-policy-excess-grant says exactly what the access report's KeyAccess.excess_grants
says."""

from __future__ import annotations

import pytest

from helpers.rule_fixture import load_fixture
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset

RULESET = load_ruleset()
ACCESS_RULES = ("secret-cross-account-access-broken", "kms-key-policy-excess-grant")


def _findings(rule_id: str, *, with_access: bool = True) -> set[tuple[str, ...]]:
    fx = load_fixture(rule_id)
    rule = RULESET.get(rule_id)
    assert rule is not None
    from scanner.graph.builder import build_graph

    graph = build_graph(fx.snapshot)
    edges = sorted(graph.edges(keys=True))
    access = analyze_access(graph, fx.snapshot, AccessSettings.from_snapshot(fx.snapshot)) \
        if with_access else None
    assert sorted(graph.edges(keys=True)) == edges  # the verdicts are not in the graph
    found = evaluate(graph, fx.snapshot, access, Ruleset(rules=(rule,)),
                     parse_config({"emit_pass": True}, path="(test)"), fx.now)
    return {(f.resource.arn, f.status.value, f.principal or "", *f.missing) for f in found}


@pytest.mark.parametrize("rule_id", ACCESS_RULES)
def test_access_rules_read_typed_verdicts_not_graph_edges(rule_id: str) -> None:
    found = _findings(rule_id)
    assert {s for _, s, *_ in found} >= {"FAIL", "PASS", "UNKNOWN"}


@pytest.mark.parametrize("rule_id", ACCESS_RULES)
def test_access_rules_without_access_analysis_are_unknown(rule_id: str) -> None:
    found = _findings(rule_id, with_access=False)
    assert found and {s for _, s, *_ in found} <= {"UNKNOWN", "PASS"}
    assert any("access analysis (not run)" in f for f in found)


def test_excess_grant_rule_agrees_with_the_access_report() -> None:
    fx = load_fixture("kms-key-policy-excess-grant")
    from scanner.graph.builder import build_graph

    report = analyze_access(build_graph(fx.snapshot), fx.snapshot,
                            AccessSettings.from_snapshot(fx.snapshot))
    rule_fails = {(arn, p) for arn, s, p, *_ in _findings("kms-key-policy-excess-grant") if s == "FAIL"}
    report_fails = {(k.key_arn, g.principal) for k in report.keys.values()
                    for g in k.excess_grants}
    assert rule_fails == report_fails == {
        ("arn:aws:kms:us-east-1:111111111111:key/k-excess",
         "arn:aws:iam::999999999999:role/vendor"),
        # named only by kms:CallerAccount in a "*" statement
        ("arn:aws:kms:us-east-1:111111111111:key/k-caller", "999999999999"),
        ("arn:aws:kms:us-east-1:111111111111:key/k-other-role",
         "arn:aws:iam::222222222222:role/other")}
    unread = report.for_key("arn:aws:kms:us-east-1:111111111111:key/k-unk")
    assert unread is not None and unread.missing and not unread.excess_grants


def test_findings_evidence_names_the_reader_classes() -> None:
    """secret-policy-public's evidence says who the "*" grant actually reaches."""
    import json as _json
    from dataclasses import replace

    from scanner.graph.builder import build_graph
    from scanner.model import NOT_IN_ORGANIZATION, AccountSnapshot, IamPrincipal, IamSnapshot, \
        OrgMembership, RegionSnapshot, ScanMeta, Secret, Snapshot

    acct, region = "111111111111", "us-east-1"
    arn = f"arn:aws:secretsmanager:{region}:{acct}:secret:pub-AbCdEf"
    public = _json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*"}]})
    worker = IamPrincipal(arn=f"arn:aws:iam::{acct}:role/Worker", name="Worker",
                          account_id=acct, principal_type="role")
    snap = Snapshot(meta=ScanMeta(scan_id="e", started_at="2026-11-29T00:00:00Z",
                                  accounts=(acct,), regions=(region,)),
                    accounts=(AccountSnapshot(account_id=acct, iam=IamSnapshot(
                        principals=(worker,)), regions=(RegionSnapshot(region=region, secrets=(
                            Secret(arn=arn, name="pub", account_id=acct, region=region,
                                   resource_policy=public),)),)),),
                    # a single-account scan of an account in no organization (no SCPs)
                    org_membership=OrgMembership(account_id=acct, status=NOT_IN_ORGANIZATION))
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = RULESET.get("secret-policy-public")
    assert rule is not None
    [fail] = [f for f in evaluate(graph, snap, access, Ruleset(rules=(rule,)),
                                  parse_config({}, path="(test)"), replace(
                                      load_fixture("secret-policy-public")).now)
              if f.status.value == "FAIL"]
    classes = {c["subject"]: c for c in fail.evidence["reader_classes"]}
    assert classes[f"account:{acct}"]["decision"] == "ALLOWED"
    assert classes[f"account:{acct}"]["principals"] == 1
    assert classes["*"]["decision"] == "DENIED" and "key_policy" in classes["*"]["blocked_by"]


def test_excess_grant_is_unknown_when_the_key_policy_was_not_read() -> None:
    """kms:GetKeyPolicy denied: the key report has no verdict, the rule answers UNKNOWN naming
    the key policy, never PASS (issue 10 §5)."""
    from dataclasses import replace

    from scanner.graph.builder import build_graph

    fx = load_fixture("kms-key-policy-excess-grant")
    accounts = []
    for acct in fx.snapshot.accounts:
        regions = tuple(replace(r, kms_keys=tuple(
            replace(k, policy=None, unread=("policy",)) for k in r.kms_keys))
            for r in acct.regions)
        accounts.append(replace(acct, regions=regions))
    snap = replace(fx.snapshot, accounts=tuple(accounts))
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = RULESET.get("kms-key-policy-excess-grant")
    assert rule is not None
    found = evaluate(graph, snap, access, Ruleset(rules=(rule,)), parse_config({"emit_pass": True}, path="(t)"),
                     fx.now)
    by_key = {f.resource.arn: f for f in found}
    for arn in ("arn:aws:kms:us-east-1:111111111111:key/k-excess",
                "arn:aws:kms:us-east-1:111111111111:key/k-ok"):
        assert by_key[arn].status.value == "UNKNOWN"
        assert any("key policy" in m for m in by_key[arn].missing)
    # a key that encrypts nothing has nothing to compare: PASS stays PASS
    assert by_key["arn:aws:kms:us-east-1:111111111111:key/k-unused"].status.value == "PASS"
