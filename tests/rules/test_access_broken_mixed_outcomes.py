"""secret-cross-account-access-broken, one secret with two intended cross-account readers: one
denied by the key policy (FAIL), the other's identity gate UNKNOWN (its account is scanned but
its IAM was not read). Each gets its own row: the FAIL does not hide the UNKNOWN (ground-truth
trial round 12, D3: one outcome per resource dropped the undecided principal, and drift read
last night's FAIL of that principal as resolved)."""

from __future__ import annotations

from datetime import datetime, timezone

from helpers.access_estate import (APP_ROLE, APP_ROLE2, CENTRAL, MEMBER, SECRET_ARN,
                                   allow_read_identity, estate, key_policy_for, role,
                                   secret_policy_for)
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph

RULE = "secret-cross-account-access-broken"


def _rows(**kwargs: object) -> dict[str | None, object]:
    snap = estate(secret_policy=secret_policy_for(APP_ROLE, APP_ROLE2), **kwargs)  # type: ignore[arg-type]
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get(RULE)
    assert rule is not None
    return {f.principal: f for f in evaluate(
        graph, snap, access, Ruleset(rules=(rule,)), parse_config({}, path="(test)"),
        datetime(2026, 11, 29, tzinfo=timezone.utc)) if f.resource.arn == SECRET_ARN}


def test_a_broken_reader_and_an_undecided_reader_each_get_their_row() -> None:
    rows = _rows(key_policy=key_policy_for(APP_ROLE2),
                 principals=(role(APP_ROLE, allow_read_identity()),),
                 iam_accounts=(CENTRAL, MEMBER))
    fail, unknown = rows[APP_ROLE], rows[APP_ROLE2]

    assert fail.status.value == "FAIL"  # type: ignore[attr-defined]
    assert fail.evidence["denied_by"] == ["key_policy"]  # type: ignore[attr-defined]
    assert unknown.status.value == "UNKNOWN"  # type: ignore[attr-defined]
    assert unknown.missing == (
        "gate identity_policy (UNKNOWN: identity policies not collected)",)  # type: ignore[attr-defined]
    assert unknown.message == (  # type: ignore[attr-defined]
        f"{APP_ROLE2}: not assessed: missing gate identity_policy (UNKNOWN: identity policies "
        "not collected)")
    # its own id, as its FAIL row would have: drift compares the two nights' rows
    assert unknown.id != fail.id  # type: ignore[attr-defined]
    assert set(rows) == {APP_ROLE, APP_ROLE2}


def test_the_undecided_readers_row_is_the_same_whether_or_not_another_is_broken() -> None:
    """Night 1: APP_ROLE broken, APP_ROLE2 undecided. Night 2: APP_ROLE's key grant is fixed.
    APP_ROLE2's UNKNOWN is the same row both nights (its id, principal, message): drift says
    APP_ROLE's FAIL was resolved and nothing else (ground-truth trial round 14: with no reader
    broken the undecided one became one UNKNOWN row of the secret, a new id, so drift called
    APP_ROLE2's row resolved and a new UNKNOWN appeared)."""
    night1 = _rows(key_policy=key_policy_for(APP_ROLE2),
                   principals=(role(APP_ROLE, allow_read_identity()),),
                   iam_accounts=(CENTRAL, MEMBER))
    night2 = _rows(key_policy=key_policy_for(APP_ROLE, APP_ROLE2),
                   principals=(role(APP_ROLE, allow_read_identity()),),
                   iam_accounts=(CENTRAL, MEMBER))
    assert set(night2) == {APP_ROLE2}, "APP_ROLE passes: no row"
    before, after = night1[APP_ROLE2], night2[APP_ROLE2]
    assert after.status.value == "UNKNOWN"  # type: ignore[attr-defined]
    assert (after.id, after.principal, after.message, after.missing) == (  # type: ignore[attr-defined]
        before.id, before.principal, before.message, before.missing)  # type: ignore[attr-defined]
    assert after.missing == (
        "gate identity_policy (UNKNOWN: identity policies not collected)",)  # type: ignore[attr-defined]
