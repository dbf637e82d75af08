"""Two independent judges: on every corpus case where the three-valued evaluator is definite
(ALLOWED / DENIED), the SMT encoding must agree. The request's unknown keys are left free for
the solver: ALLOWED must hold for every completion (no completion refused), DENIED for none
(no completion allowed). A disagreement fails and names both answers."""

from __future__ import annotations

import json

import pytest
from helpers.policy_corpus import CASES, Case

from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy_text
from scanner.policy.smt.questions import check_policy


def _request(c: Case) -> Request:
    return Request(
        principal_arn=c.principal, principal_account=c.account or None, action=c.action,
        resource=c.resource, principal_type=c.principal_type,
        has_permissions_boundary=c.boundary,
        context={k: tuple(v) for k, v in c.context.items()},
        absent=frozenset(c.absent),
        excluded={k: frozenset(v) for k, v in c.excluded.items()},
        time_floor=c.time_floor,
    )


def _policy(c: Case):  # type: ignore[no-untyped-def]
    return parse_policy_text(c.policy if isinstance(c.policy, str) else json.dumps(c.policy))


def compare(policy, request: Request, kind: PolicyKind) -> tuple[str, str, bool]:  # type: ignore[no-untyped-def]
    """(evaluator decision, solver decision, agree). The solver may be UNKNOWN only where part
    of the policy is not encoded; it may never contradict a definite evaluator answer."""
    ev = evaluate_policy(policy, request, kind).decision.value
    chk = check_policy(policy, request, kind, timeout_s=20)
    if ev == "CONDITIONAL":
        return ev, chk.decision, True
    if chk.decision == ev:
        return ev, chk.decision, True
    if chk.decision in ("ALLOWED", "DENIED"):
        return ev, chk.decision, False  # a proof of the opposite: never acceptable
    # CONDITIONAL from an exact encoding contradicts a definite answer; UNKNOWN needs a reason
    return ev, chk.decision, chk.decision == "UNKNOWN" and bool(chk.not_encoded)


def test_solver_agrees_with_every_definite_corpus_verdict() -> None:
    compared = agreed_exactly = 0
    failures = []
    for c in CASES:
        if c.principal_type not in ("role", "user", "root"):
            continue
        ev, sv, ok = compare(_policy(c), _request(c), PolicyKind(c.kind))
        if ev == "CONDITIONAL":
            continue
        compared += 1
        agreed_exactly += sv == ev
        if not ok:
            failures.append(f"{c.id}: evaluator {ev}, solver {sv}")
    assert not failures, "\n".join(failures)
    # the comparison is not vacuous: most definite cases are decided by the solver too
    assert compared >= 150, compared
    assert agreed_exactly >= 0.9 * compared, (agreed_exactly, compared)


def test_a_conditional_case_gets_a_witness_the_evaluator_allows() -> None:
    witnessed = 0
    for c in CASES:
        if c.principal_type not in ("role", "user", "root") or c.expect != "CONDITIONAL":
            continue
        policy, request, kind = _policy(c), _request(c), PolicyKind(c.kind)
        chk = check_policy(policy, request, kind, timeout_s=20)
        if chk.decision == "CONDITIONAL":
            assert chk.witness is not None
            replay = evaluate_policy(policy, chk.witness, kind).decision.value
            assert replay == "ALLOWED", (c.id, chk.witness, replay)
            witnessed += 1
    assert witnessed >= 10, witnessed
