"""Solver vs evaluator on one snapshot: each secret's resource policy and its key's policy,
for every principal of the snapshot (and an outsider). Used by the rule-fixture and access
corpus cross-checks."""

from __future__ import annotations

from typing import Any

from scanner.access import AccessSettings
from scanner.access.context import PrincipalFacts, build_request, principal_context
from scanner.access.graph_io import secret_views
from scanner.graph.builder import build_graph
from scanner.policy import PolicyKind, evaluate_policy
from scanner.policy.smt.questions import check_policy

OUTSIDER = PrincipalFacts(arn="arn:aws:iam::999999999999:role/outsider",
                          account_id="999999999999", principal_type="role")


def principals(snapshot: Any, limit: int = 12) -> list[PrincipalFacts]:
    out = [OUTSIDER]
    for acct in snapshot.accounts:
        for ip in (acct.iam.principals if acct.iam else ()):
            out.append(PrincipalFacts(arn=ip.arn, account_id=ip.account_id,
                                      principal_type=ip.principal_type, name=ip.name,
                                      tags=dict(ip.tags),
                                      has_boundary=ip.permissions_boundary_arn is not None))
    return out[:limit]


def cross_check(snapshot: Any, label: str) -> tuple[int, list[str]]:
    """(definite evaluator answers compared, disagreements naming both answers)."""
    settings = AccessSettings.from_snapshot(snapshot)
    graph = build_graph(snapshot)
    primaries, replicas = secret_views(graph, settings)
    compared = 0
    failures: list[str] = []
    for sv in primaries + replicas:
        for facts in principals(snapshot):
            pctx = principal_context(facts, settings)
            checks = [(sv.policy, build_request(facts, pctx, sv.rctx_sm,
                                                action=settings.action, resource=sv.arn))]
            if sv.uses_kms:
                checks.append((sv.key_policy, build_request(
                    facts, pctx, sv.rctx_kms, action=settings.decrypt_action,
                    resource=sv.key_arn or "")))
            for policy, req in checks:
                if policy is None:
                    continue
                ev = evaluate_policy(policy, req, PolicyKind.RESOURCE).decision.value
                if ev == "CONDITIONAL":
                    continue
                sol = check_policy(policy, req, PolicyKind.RESOURCE, timeout_s=20)
                compared += 1
                if sol.decision not in (ev, "UNKNOWN") or (
                        sol.decision == "UNKNOWN" and not sol.not_encoded):
                    failures.append(f"{label} {sv.arn} {facts.arn} {req.action}: "
                                    f"evaluator {ev}, solver {sol.decision}")
    return compared, failures


def cross_check_pairs(snapshot: Any, label: str, limit: int = 12,
                      timeout_s: float = 20) -> tuple[int, list[str]]:
    """Every gate at once: for each (principal, secret) pair the access analysis decides
    definitely (ALLOWED / DENIED) -- identity policies, boundaries, SCPs and RCPs included --
    the solver's verdict over every completion of the unknown keys (``check_pair``) must be
    the same, or UNKNOWN naming what is not encoded. Returns (compared, disagreements naming
    both answers)."""
    from scanner.access import analyze_access
    from scanner.access.identity import PrincipalIndex
    from scanner.access.scp import Guardrails
    from scanner.policy.smt.questions import check_pair, principal_of

    from dataclasses import replace

    # every pair, also those DENIED without any gate allowing (compared as DENIED too)
    settings = replace(AccessSettings.from_snapshot(snapshot), record_denied=True)
    graph = build_graph(snapshot)
    report = analyze_access(graph, snapshot, settings)
    primaries, replicas = secret_views(graph, settings)
    views = {sv.arn: sv for sv in primaries + replicas}
    index = PrincipalIndex(snapshot)
    guardrails = Guardrails(snapshot.organization, snapshot.org_membership)
    compared = 0
    failures: list[str] = []
    for arn, sa in sorted(report.secrets.items()):
        sv = views.get(arn)
        if sv is None:
            continue
        paths = [p for p in sa.paths if p.principal_type in ("role", "user", "root")]
        for path in paths[:limit]:
            if path.decision not in ("ALLOWED", "DENIED"):
                continue
            principal = principal_of(snapshot, path.principal, path.principal_account,
                                     path.principal_type, index, partition=sv.partition)
            sol = check_pair(sv, principal, settings, guardrails, timeout_s=timeout_s)
            compared += 1
            if sol.decision not in (path.decision, "UNKNOWN") or (
                    sol.decision == "UNKNOWN" and not sol.not_encoded):
                failures.append(f"{label} {arn} {path.principal}: evaluator {path.decision} "
                                f"(gates {path.gate_statuses()}), solver {sol.decision} "
                                f"(not encoded: {list(sol.not_encoded)[:3]})")
    return compared, failures
