"""Solver vs evaluator on every estate of the access gate corpus: each secret's resource policy
and key policy, for every principal of the estate and an outsider; a definite evaluator answer
is never contradicted (a disagreement names both answers)."""

from __future__ import annotations

from helpers.prove_crosscheck import cross_check, cross_check_pairs
from test_access_gate_corpus import CASES


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
