"""A Deny with NotPrincipal that lists a role (with or without its account) but none of its
sessions denies the role's every session (IAM conformance trial round 36).

IAM User Guide, "AWS JSON policy elements: NotPrincipal", the assumed-role example: to exempt
"the assumed-role user named cross-account-audit-app" the element lists the session ARN
(``arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-
app``), the role ARN and the account, and "When you specify an assumed-role session in a
NotPrincipal element, you cannot use a wildcard (*) to mean "all sessions". Principals must
always name a specific session." A role calls Secrets Manager and KMS only through a session
(AssumeRole's temporary credentials), so a NotPrincipal naming no session of the role exempts
none of them: the read is DENIED whatever the session is called. It was CONDITIONAL ("whether
its sessions are exempt depends on the session name") -- the session name decides only when
a session of the role is listed. A user listed with its account stays exempt, and one listed
without its account stays undecided (AWS "might deny access to the entire account")."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, SECRET_ARN, allow_read_identity,
                                   estate, key_policy_for, role, text)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.policy.principals import NOT_PRINCIPAL_NO_SESSION

GSV = "secretsmanager:GetSecretValue"
ROOT = f"arn:aws:iam::{MEMBER}:root"
SESSION = f"arn:aws:sts::{MEMBER}:assumed-role/ApplicationRole/app"
USER = f"arn:aws:iam::{MEMBER}:user/bob"


def _path(principal: str, not_principal: list[str], *, on_key: bool = False) -> Any:
    deny = {"Effect": "Deny", "NotPrincipal": {"AWS": not_principal},
            "Action": "kms:Decrypt" if on_key else GSV, "Resource": "*"}
    allow = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": GSV,
             "Resource": "*"}
    key_policy = key_policy_for(principal)
    if on_key:
        doc = __import__("json").loads(key_policy)
        key_policy = text(*doc["Statement"], deny)
    snap = estate(secret_policy=text(allow) if on_key else text(allow, deny),
                  key_policy=key_policy, principals=(role(principal, allow_read_identity()),))
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    [path] = [p for p in sa.paths if p.principal == principal]
    return path


@pytest.mark.parametrize("listed", [
    [APP_ROLE, ROOT],  # the documented example without its session line
    [APP_ROLE, MEMBER],
    [APP_ROLE],  # without the account: denied either way
    [APP_ROLE, ROOT, f"arn:aws:iam::{CENTRAL}:root"],
])
@pytest.mark.parametrize("on_key", [False, True])
def test_a_role_listed_without_a_session_is_denied(listed: list[str], on_key: bool) -> None:
    path = _path(APP_ROLE, listed, on_key=on_key)
    assert path.decision == "DENIED", path.reasons
    gate = path.gates["key_policy" if on_key else "resource_policy"]
    assert gate.status == "DENIED" and gate.explicit_deny
    assert any(NOT_PRINCIPAL_NO_SESSION in r for r in gate.reasons), gate.reasons


@pytest.mark.parametrize("listed", [[SESSION, APP_ROLE, ROOT], [SESSION, ROOT]])
def test_a_listed_session_leaves_it_to_the_session_name(listed: list[str]) -> None:
    path = _path(APP_ROLE, listed)
    assert path.decision == "CONDITIONAL", path.reasons


def test_a_user_is_exempt_with_its_account_and_undecided_without() -> None:
    assert _path(USER, [USER, ROOT]).decision == "ALLOWED"
    assert _path(USER, [USER]).decision == "CONDITIONAL"


def test_the_owner_named_the_role_so_the_read_is_reported_broken() -> None:
    """As a user meets it: the policy grants the role and lists it (with its account) in the
    NotPrincipal Deny meaning to keep it -- AWS denies its sessions, and
    secret-cross-account-access-broken says so, naming the reason (as for a NotPrincipal Deny
    that applies for a permissions boundary alone). Listing only the account names no role to
    keep: no finding."""
    from datetime import datetime, timezone

    from scanner.engine import evaluate, load_ruleset, parse_config
    from scanner.engine.loader import Ruleset

    rule = load_ruleset().get("secret-cross-account-access-broken")
    assert rule is not None

    def broken(listed: list[str]) -> list[str]:
        policy = text({"Effect": "Allow", "Principal": {"AWS": APP_ROLE}, "Action": GSV,
                       "Resource": "*"},
                      {"Sid": "OnlyApp", "Effect": "Deny", "NotPrincipal": {"AWS": listed},
                       "Action": GSV, "Resource": "*"})
        snap = estate(secret_policy=policy, key_policy=key_policy_for(APP_ROLE),
                      principals=(role(APP_ROLE, allow_read_identity()),))
        graph = build_graph(snap)
        findings = evaluate(graph, snap,
                            analyze_access(graph, snap, AccessSettings.from_snapshot(snap)),
                            Ruleset(rules=(rule,)), parse_config({}, path="test"),
                            datetime(2026, 11, 29, tzinfo=timezone.utc))
        return [f.message or "" for f in findings if f.status.value == "FAIL"]

    [message] = broken([APP_ROLE, ROOT])
    assert APP_ROLE in message and "denied by resource_policy" in message, message
    assert NOT_PRINCIPAL_NO_SESSION[:40] in message, message
    assert broken([ROOT]) == []
