"""A Resource list of thousands of ARNs (an identity policy naming every secret a role reads) is
matched through a PatternIndex of the patterns' literal prefixes: the same answers as trying
each pattern, without trying thousands per resource (org-scale trial: quadratic time and
memory, 122 s and 1 GB for one role listing 10,000 secret ARNs at 10,000 secrets)."""

from __future__ import annotations

import json
import random

import pytest

from scanner.access import identity as identity_module
from scanner.policy import evaluate as evaluate_module
from scanner.policy.evaluate import PolicyKind, evaluate_policy
from scanner.policy.matching import arn_matches, index_of
from scanner.policy.parse import parse_policy
from scanner.policy.request import Request

BASE = "arn:aws:secretsmanager:us-east-1:111111111111:secret:"


def _patterns(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        name = "".join(rng.choice("ab/-") for _ in range(rng.randint(1, 6)))
        kind = rng.randrange(7)
        out.append([BASE + name + "-AbCdEf", BASE + name + "*", BASE + name + "-??????",
                    "arn:aws:secretsmanager:*:111111111111:secret:" + name + "*",
                    "arn:aws:secretsmanager:us-east-1:*:secret:" + name + "?*",
                    "*", "arn:aws:secretsmanager:*"][kind] if rng.random() < 0.9 else
                   BASE + name + "-AbCdEf")
    return out


def _resources(rng: random.Random) -> list[str]:
    names = ["".join(rng.choice("ab/-") for _ in range(rng.randint(1, 7))) for _ in range(40)]
    return [BASE + n + "-AbCdEf" for n in names] + \
        ["arn:aws:secretsmanager:eu-west-1:222222222222:secret:" + n + "-XyZabc" for n in names] \
        + ["arn:aws:secretsmanager:us-east-1:111111111111:secret", "not-an-arn"]


@pytest.mark.parametrize("seed", range(12))
def test_indexed_resource_lists_answer_as_each_pattern_tried(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    pats = [p for p in _patterns(rng, rng.randint(9, 60)) if not (seed % 3 == 0 and p == "*")]
    key = "Resource" if seed % 2 else "NotResource"
    policy = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", key: pats}]}))
    for resource in _resources(rng):
        req = Request(principal_arn="arn:aws:iam::111111111111:role/r",
                      principal_account="111111111111",
                      action="secretsmanager:GetSecretValue", resource=resource)
        indexed = evaluate_policy(policy, req, PolicyKind.IDENTITY)
        with monkeypatch.context() as m:
            m.setattr(evaluate_module, "INDEXED_PATTERNS", 10 ** 9)
            tried = evaluate_policy(policy, req, PolicyKind.IDENTITY)
        assert (indexed.allow, indexed.deny, indexed.decision) == \
            (tried.allow, tried.deny, tried.decision), (resource, pats)
        index = index_of(tuple(pats))
        assert index is not None
        assert index.matching(resource) == frozenset(
            i for i, p in enumerate(pats) if arn_matches(p, resource))


def test_the_identity_fingerprint_of_a_long_list_tells_resources_apart_alike(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two resources share an indexed fingerprint exactly when they share the tuple of
    matches (the identity answers are cached by it)."""
    rng = random.Random(7)
    pats = tuple(dict.fromkeys(_patterns(rng, 40)))
    resources = _resources(rng)

    class Evaluator(identity_module.IdentityEvaluator):
        def __init__(self) -> None:
            pass

        def patterns(self, principal: object, action: str) -> tuple[str, ...]:
            return pats

    ev = Evaluator()
    by_index = {r: ev.fingerprint(None, "a", r) for r in resources}  # type: ignore[arg-type]
    by_tuple = {r: tuple(arn_matches(p, r) for p in pats) for r in resources}
    for a in resources:
        for b in resources:
            assert (by_index[a] == by_index[b]) == (by_tuple[a] == by_tuple[b])
