"""Solver and evaluator on every rule fixture: for each secret's resource policy and its key's
policy, and every principal of the fixture plus an outsider, a definite evaluator answer
(ALLOWED / DENIED) is never contradicted by the solver; and a secret the access analysis finds
readable from outside the zone (definite ALLOWED) is never "proven" unreadable."""

from __future__ import annotations

import json
from dataclasses import replace

from helpers.prove_crosscheck import OUTSIDER, cross_check, cross_check_pairs
from helpers.rule_fixture import fixture_ids, load_fixture

from scanner.access import AccessSettings
from scanner.access.context import build_request, principal_context
from scanner.access.graph_io import secret_views
from scanner.access.scp import Guardrails
from scanner.graph.builder import build_graph
from scanner.policy import PolicyKind, Tri, evaluate_policy, parse_policy
from scanner.policy.smt.questions import check_policy, outside_read
from scanner.policy.smt.solve import PROVEN_NONE

OPEN_KEY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
     "Condition": {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}}]})


def test_solver_never_contradicts_the_evaluator_on_rule_fixtures() -> None:
    compared = 0
    failures: list[str] = []
    for rule_id in fixture_ids():
        n, bad = cross_check(load_fixture(rule_id).snapshot, rule_id)
        compared += n
        failures += bad
    assert not failures, "\n".join(failures)
    assert compared >= 50, compared


def test_every_gate_at_once_on_rule_fixtures() -> None:
    """Identity policies, boundaries, SCPs and RCPs included: where the access analysis of a
    fixture is definite for a (principal, secret) pair, so is the solver, and the same."""
    compared = 0
    failures: list[str] = []
    for rule_id in fixture_ids():
        n, bad = cross_check_pairs(load_fixture(rule_id).snapshot, rule_id)
        compared += n
        failures += bad
    assert not failures, "\n".join(failures)
    assert compared >= 10, compared  # few fixtures carry IAM principals


def test_an_outsider_the_evaluator_lets_in_is_never_proven_away() -> None:
    """An outside role (no tags, no boundary) that the evaluator finds ALLOWED by the secret's
    policy and its key's policy: the solver must find a witness too, never a proof. The
    fixtures' keys keep outsiders out, so each secret is also asked with a key policy that
    trusts everyone via Secrets Manager: then the secret's own policy decides."""
    checked = 0
    for rule_id in fixture_ids():
        fx = load_fixture(rule_id)
        settings = AccessSettings.from_snapshot(fx.snapshot)
        graph = build_graph(fx.snapshot)
        guard = Guardrails(fx.snapshot.organization)
        views = secret_views(graph, settings)[0]
        for sv, open_key in [(v, False) for v in views] + [(v, True) for v in views]:
            if sv.policy is None or sv.aws_managed or not sv.uses_kms:
                continue
            if open_key:
                sv.key_policy = parse_policy(OPEN_KEY)
                sv.key_facts = replace(sv.key_facts, usable=Tri.TRUE)
            if sv.key_policy is None:
                continue
            pctx = principal_context(OUTSIDER, settings)
            sm = build_request(OUTSIDER, pctx, sv.rctx_sm, action=settings.action,
                               resource=sv.arn)
            kms = build_request(OUTSIDER, pctx, sv.rctx_kms, action=settings.decrypt_action,
                                resource=sv.key_arn or "")
            both = [evaluate_policy(sv.policy, sm, PolicyKind.RESOURCE).decision.value,
                    evaluate_policy(sv.key_policy, kms, PolicyKind.RESOURCE).decision.value]
            answer = outside_read(sv, settings, guard, timeout_s=20)
            if both == ["ALLOWED", "ALLOWED"]:
                checked += 1
                assert answer.status != PROVEN_NONE, (rule_id, sv.arn, answer)
            if "DENIED" in both and answer.status == "WITNESS":
                # the witness is another outsider (tags, source IP, ...): it replayed ALLOWED
                assert answer.replay and "DENIED" not in answer.replay.values()
    assert checked >= 1, checked
