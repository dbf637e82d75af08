"""secret-cross-account-access-broken: a row's ``remediation.automated`` says whether
`remediate` plans a change for that row, as `remediate` decides it
(remediations.resolve_remediation_id): grant-key-decrypt where the key policy denies, a person
where another gate does. New-user trial round 30: every row said ``automated: false`` while
`remediate --in` planned grant-key-decrypt for the key-policy ones."""

from __future__ import annotations

from datetime import datetime, timezone

from helpers.access_estate import (APP_ROLE, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, secret_policy_for)
from remediations import resolve_remediation_id
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Finding
from scanner.graph.builder import build_graph

RULE = "secret-cross-account-access-broken"
OTHER = "arn:aws:iam::999999999999:role/other"


def _row(**kwargs: object) -> Finding:
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), **kwargs)  # type: ignore[arg-type]
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get(RULE)
    assert rule is not None
    [row] = [f for f in evaluate(graph, snap, access, Ruleset(rules=(rule,)),
                                 parse_config({}, path="(test)"),
                                 datetime(2026, 11, 29, tzinfo=timezone.utc))
             if f.resource.arn == SECRET_ARN and f.principal == APP_ROLE]
    return row


def test_a_read_the_key_policy_denies_is_an_automated_fix() -> None:
    row = _row(key_policy=key_policy_for(OTHER), principals=(role(APP_ROLE, allow_read_identity()),))
    assert row.status.value == "FAIL" and row.evidence["denied_by"] == ["key_policy"]
    assert resolve_remediation_id(row) == ("grant-key-decrypt", None)
    assert row.remediation["automated"] is True
    assert row.remediation["id"] == "repair-cross-account-access"  # the rule's id stays


def test_a_read_the_identity_policy_denies_is_a_manual_fix() -> None:
    row = _row(key_policy=key_policy_for(APP_ROLE), principals=(role(APP_ROLE),))
    assert row.status.value == "FAIL" and row.evidence["denied_by"] == ["identity_policy"]
    assert resolve_remediation_id(row)[0] is None
    assert row.remediation["automated"] is False
