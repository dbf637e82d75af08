"""secret-cross-account-access-broken: a secret policy that grants an assumed-role session of a
role in another account (``arn:aws:sts::ACCT:assumed-role/ROLE/SESSION``) meant that session
to read; when the role's identity policy does not allow the read, no session of the role can
read it, and the grant is broken (ground-truth trial round 16: the rule was silent, and
``access`` showed the role DENIED without BROKEN).

IAM User Guide, "AWS JSON policy elements: Principal", Role session principals: "You can
specify role sessions in the Principal element of a resource-based policy" -- a valid principal
form, naming that session. IAM User Guide, "Session policies": "The resulting session's
permissions are the intersection of the role's identity-based policies and the session
policies" -- a session can do no more than its role's identity policies allow, so with the
role's identity policy lacking GetSecretValue on the secret every session of it is denied in
the cross-account evaluation (IAM User Guide, "Cross-account policy evaluation logic": the
identity-based policy must allow too)."""

from __future__ import annotations

from datetime import datetime, timezone

from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, SECRET_ARN, allow_read_identity,
                                   estate, key_policy_for, role, secret_policy_for)
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph

RULE = "secret-cross-account-access-broken"
SESSION = f"arn:aws:sts::{MEMBER}:assumed-role/ApplicationRole/nightly-export"


def _rows(identity: dict[str, object]) -> dict[str | None, object]:
    snap = estate(secret_policy=secret_policy_for(SESSION), key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, identity),))
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get(RULE)
    assert rule is not None
    return {f.principal: f for f in evaluate(
        graph, snap, access, Ruleset(rules=(rule,)), parse_config({}, path="(test)"),
        datetime(2026, 11, 29, tzinfo=timezone.utc)) if f.resource.arn == SECRET_ARN}


def test_a_granted_session_whose_role_identity_denies_is_broken() -> None:
    other = allow_read_identity(secret=f"arn:aws:secretsmanager:*:{CENTRAL}:secret:other/*")
    rows = _rows(other)
    assert set(rows) == {APP_ROLE}
    row = rows[APP_ROLE]
    assert row.status.value == "FAIL"  # type: ignore[attr-defined]
    assert row.evidence["denied_by"] == ["identity_policy"]  # type: ignore[attr-defined]


def test_a_granted_session_whose_role_identity_allows_is_not_reported() -> None:
    rows = _rows(allow_read_identity())
    assert all(f.status.value not in ("FAIL",) for f in rows.values())  # type: ignore[attr-defined]
    assert APP_ROLE not in rows or rows[APP_ROLE].status.value != "FAIL"  # type: ignore[attr-defined]


def test_the_broken_grant_names_the_session_the_policy_grants() -> None:
    """The finding is the role's (a session is evaluated as its role), and it says which
    session the policy granted: 'granted by the resource policy' alone named no grant the
    policy holds (new-user trial round 22: nothing but access --why named the session)."""
    other = allow_read_identity(secret=f"arn:aws:secretsmanager:*:{CENTRAL}:secret:other/*")
    row = _rows(other)[APP_ROLE]
    message = row.message  # type: ignore[attr-defined]
    assert message.startswith(f"{APP_ROLE}: granted by the resource policy to its session "
                              f"{SESSION} but denied by identity_policy")


def test_a_role_named_by_its_own_arn_is_not_said_granted_to_a_session() -> None:
    other = allow_read_identity(secret=f"arn:aws:secretsmanager:*:{CENTRAL}:secret:other/*")
    snap = estate(secret_policy=secret_policy_for(APP_ROLE, SESSION),
                  key_policy=key_policy_for(APP_ROLE), principals=(role(APP_ROLE, other),))
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get(RULE)
    assert rule is not None
    rows = [f for f in evaluate(graph, snap, access, Ruleset(rules=(rule,)),
                                parse_config({}, path="(test)"),
                                datetime(2026, 11, 29, tzinfo=timezone.utc))
            if f.resource.arn == SECRET_ARN and f.principal == APP_ROLE]
    assert len(rows) == 1
    assert rows[0].message.startswith(  # type: ignore[attr-defined]
        f"{APP_ROLE}: granted by the resource policy but denied by identity_policy")
