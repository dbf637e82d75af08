"""The policy corpus (policy_corpus.py): every row evaluated by one parametrized test."""

from __future__ import annotations

import json

import pytest
from helpers.policy_corpus import CASES, Case

from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy, parse_policy_text


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
    if isinstance(c.policy, str):
        return parse_policy_text(c.policy)
    return parse_policy_text(json.dumps(c.policy))


def test_corpus_is_large_and_cited() -> None:
    assert len(CASES) >= 150
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
    assert all(c.cite for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_policy_case(case: Case) -> None:
    result = evaluate_policy(_policy(case), _request(case), PolicyKind(case.kind))
    assert result.decision.value == case.expect, (case.cite, result)
    if case.expect == "CONDITIONAL":
        assert result.unresolved, "a CONDITIONAL answer must name what is unresolved"
        for name in case.unresolved:
            assert name in result.unresolved, (name, result.unresolved)
    if case.explicit is not None:
        assert result.explicit_deny is case.explicit
    if case.session is not None:
        assert result.allow_session.value == case.session, (case.cite, result)


def test_parse_accepts_mapping_and_text_alike() -> None:
    doc = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*",
                                                   "Resource": "*"}}
    assert parse_policy(doc) == parse_policy(json.dumps(doc, sort_keys=True,
                                                        separators=(",", ":")))
