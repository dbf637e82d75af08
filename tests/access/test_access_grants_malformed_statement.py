"""A grant whose statement could not be read whole (a Condition value list that is empty, a
value that is an object) is a grant in the access report as the exposure rules read it (IAM
conformance trial round 32).

The policy grammar reads a Condition's values as a list of strings (IAM User Guide, "Grammar
of the IAM JSON policy language": ``<condition_value_list> = [<condition_value>,
<condition_value>, ...]``); a clause that is not one is a problem of its statement, which the
evaluator answers UNKNOWN: "Malformed input is never a crash and never a confident answer"
(docs/access.md). The exposure rules (scanner.policy.exposure) still read whom the statement's
Principal names: secret-policy-public FAILs a ``*`` statement whose only narrowing clause was
unreadable, and secret-policy-external-account a grant to an outside account whatever its
conditions say. The access report's grants -- its ``public`` breadth, the ``*`` reach, the
``unintended`` grants that docs/access.md says are the ones the rules report -- skipped such a
statement altogether (grants.policy_grants), so the report said "not public" and listed no
outside grant beside the two FAILs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, MEMBER, OUTSIDER, SECRET_ARN, ORG_ID,
                                   allow_read_identity, estate, role, text)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import Snapshot

READ = "secretsmanager:GetSecretValue"
OUTSIDE_ROOT = f"arn:aws:iam::{OUTSIDER}:root"
#: the key lets anyone decrypt: only the secret's own policy is asked about
ANY_DECRYPT = text({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                    "Resource": "*"})
#: clauses the policy grammar does not read: no value, an object for a value
UNREADABLE = {"empty-value-list": [], "object-value": {"a": "b"}}


def _secret(statement: dict[str, Any]) -> Snapshot:
    policy = text({"Effect": "Allow", "Principal": {"AWS": APP_ROLE}, "Action": READ,
                   "Resource": "*"}, statement)
    return estate(secret_policy=policy, key_policy=ANY_DECRYPT,
                  principals=(role(APP_ROLE, allow_read_identity()),))


def _access(snap: Snapshot) -> Any:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    access = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert access is not None
    return access


@pytest.mark.parametrize("value", UNREADABLE.values(), ids=list(UNREADABLE))
def test_a_grant_to_everyone_whose_narrowing_is_unreadable_is_a_public_grant(value: Any) -> None:
    access = _access(_secret({"Effect": "Allow", "Principal": "*", "Action": READ,
                              "Resource": "*",
                              "Condition": {"StringEquals": {"aws:PrincipalOrgID": value}}}))
    paths = {p.principal: p for p in access.paths}
    assert paths["*"].decision == "CONDITIONAL"  # the evaluator: not a confident answer
    assert access.breadth.public
    assert ("statement 1", "*", "public") in {(g.statement, g.principal, g.scope)
                                               for g in access.grants}
    assert "*" in {r.subject for r in access.reach}


@pytest.mark.parametrize("value", UNREADABLE.values(), ids=list(UNREADABLE))
def test_a_grant_to_an_outside_account_with_an_unreadable_condition_is_unintended(
        value: Any) -> None:
    access = _access(_secret({"Effect": "Allow", "Principal": {"AWS": OUTSIDE_ROOT},
                              "Action": READ, "Resource": "*",
                              "Condition": {"StringEquals": {"aws:PrincipalOrgID": value}}}))
    assert ("statement 1", OUTSIDE_ROOT, "outside-organization") in {
        (g.statement, g.principal, g.unintended) for g in access.grants}
    assert OUTSIDE_ROOT in {g.principal for g in access.unintended}


def test_a_readable_narrowing_beside_an_unreadable_clause_still_names_the_account() -> None:
    access = _access(_secret({"Effect": "Allow", "Principal": "*", "Action": READ,
                              "Resource": "*", "Condition": {"StringEquals": {
                                  "aws:PrincipalAccount": [OUTSIDER], "aws:SourceIp": []}}}))
    assert not access.breadth.public
    assert (OUTSIDER, "outside-organization") in {(g.principal, g.unintended)
                                                  for g in access.grants}


def test_the_organization_grant_is_read_as_before() -> None:
    access = _access(_secret({"Effect": "Allow", "Principal": "*", "Action": READ,
                              "Resource": "*",
                              "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}}))
    assert not access.breadth.public and access.breadth.organization_wide
    assert MEMBER  # the member's role reads through its own grant


def test_secret_policy_public_says_which_condition_it_could_not_read() -> None:
    """The FAIL named the statement as one "without a narrowing condition" -- it has one, that
    the grammar does not read; the finding says so."""
    from datetime import datetime, timezone

    from scanner.engine import evaluate, load_ruleset, parse_config
    from scanner.engine.loader import Ruleset

    snap = _secret({"Effect": "Allow", "Principal": "*", "Action": READ, "Resource": "*",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": []}}})
    rule = load_ruleset().get("secret-policy-public")
    assert rule is not None
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    [finding] = [f for f in evaluate(
        build_graph(snap), snap, analyze_access(build_graph(snap), snap, settings),
        Ruleset(rules=(rule,)), parse_config({"emit_pass": True}, path="(test)"),
        datetime(2026, 11, 29, tzinfo=timezone.utc)) if f.resource.arn == SECRET_ARN]
    assert finding.status.value == "FAIL"
    assert finding.message is not None and finding.message.endswith(
        "(a condition it could not read: statement 1: Condition StringEquals "
        "aws:PrincipalOrgID: no value (an empty list))")
