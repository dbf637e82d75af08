"""Solver vs evaluator on every estate of the access gate corpus: each secret's resource policy
and key policy, for every principal of the estate and an outsider; a definite evaluator answer
is never contradicted (a disagreement names both answers)."""

from __future__ import annotations

from typing import Any

import pytest

from helpers.access_estate import (APP_ROLE, MEMBER, SECRET_ARN, allow_read_identity, doc, role,
                                   secret_policy_for, text)
from helpers.prove_crosscheck import cross_check, cross_check_pairs
from test_access_gate_corpus import CASES, MEMBER_ROOT, std


def test_solver_never_contradicts_the_evaluator_on_the_gate_corpus() -> None:
    compared = 0
    failures: list[str] = []
    seen: set[str] = set()
    for case in CASES:
        snapshot = case.build()
        shape = repr([(s.resource_policy, k.policy) for a in snapshot.accounts
                      for r in a.regions for s in r.secrets for k in r.kms_keys]
                     + [(p.arn, p.tags, p.permissions_boundary_arn) for a in snapshot.accounts
                        for p in (a.iam.principals if a.iam else ())])
        if shape in seen:  # many rows share their policies: check each estate shape once
            continue
        seen.add(shape)
        n, bad = cross_check(snapshot, case.id)
        compared += n
        failures += bad
    assert not failures, "\n".join(failures)
    print(f"compared {compared} definite verdicts in {len(seen)} estates")
    assert compared >= 100, compared


def test_every_gate_at_once_the_solver_never_contradicts_the_access_analysis() -> None:
    """The whole pair -- resource policy, key policy, identity policies, boundaries, SCPs,
    RCPs, same-account rules -- on every estate of the gate corpus: a definite verdict of the
    access analysis is the solver's verdict over every completion of the unknown keys."""
    compared = 0
    failures: list[str] = []
    for case in CASES:
        n, bad = cross_check_pairs(case.build(), case.id)
        compared += n
        failures += bad
    assert not failures, "\n".join(failures)
    assert compared >= 50, compared


def _solver_and_evaluator(snap: Any) -> tuple[str, str, str]:
    """(the evaluator's decision, check_pair's, principal_read's status) for APP_ROLE."""
    from dataclasses import replace

    from scanner.access import AccessSettings, analyze_access
    from scanner.access.graph_io import secret_views
    from scanner.access.scp import Guardrails
    from scanner.graph.builder import build_graph
    from scanner.policy.smt.questions import check_pair, principal_of, principal_read

    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    graph = build_graph(snap)
    sa = analyze_access(graph, snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    evaluator = next(p.decision for p in sa.paths if p.principal == APP_ROLE)
    sv = {s.arn: s for s in secret_views(graph, settings)[0]}[SECRET_ARN]
    who = principal_of(snap, APP_ROLE, MEMBER, partition=sv.partition)
    guard = Guardrails(snap.organization)
    return (evaluator, check_pair(sv, who, settings, guard, timeout_s=20).decision,
            principal_read(sv, who, settings, guard, 20).status)


IP_10 = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}


@pytest.mark.parametrize("build", [
    # the identity policy reads only from 10/8 and decrypts only from 192.168/16
    lambda: std(principals=(role(APP_ROLE, doc(
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Condition": IP_10},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "192.168.0.0/16"}}})),))(),
    # the secret policy wants 10/8, the key policy denies 10/8
    lambda: std(secret_policy=secret_policy_for(APP_ROLE, extra={"Condition": IP_10}),
                key_policy=text({"Effect": "Allow", "Principal": {"AWS": MEMBER_ROOT},
                                 "Action": "kms:Decrypt", "Resource": "*"},
                                {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt",
                                 "Resource": "*", "Condition": IP_10}))(),
    # the secret policy wants MFA, the identity denies the Decrypt with MFA
    lambda: std(secret_policy=secret_policy_for(APP_ROLE, extra={"Condition": {
                    "Bool": {"aws:MultiFactorAuthPresent": "true"}}}),
                principals=(role(APP_ROLE, doc(
                    *allow_read_identity()["Statement"],
                    {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*",
                     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})),))(),
], ids=["identity-ip-ranges-apart", "secret-ip-key-deny-ip", "secret-mfa-identity-deny-mfa"])
def test_the_decrypt_carries_the_callers_ip_and_session(build: Any) -> None:
    """IAM UG, Forward access sessions: FAS passes "your identity, permissions, and session
    attributes"; and "requests made by AWS services using Forward access sessions" keep "the
    original requester's IP address". The two requests of a read cannot have different source
    IPs or MFA: no request context reads, so the solver proves none (the evaluator, gate by
    gate, can only say CONDITIONAL)."""
    evaluator, pair, read = _solver_and_evaluator(build())
    assert evaluator == "CONDITIONAL"
    assert pair == "DENIED"
    assert read == "PROVEN_NONE"
