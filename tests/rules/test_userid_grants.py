"""A secret or key policy granting ``*`` only to one role's sessions by its unique id
(aws:userid ``AROA<id>:*``, the standard AWS pattern) is not public; the role's account is
not in the snapshot, so whether it is external is UNKNOWN (conformance trial round 7)."""

from __future__ import annotations

from datetime import datetime, timezone

from helpers.access_estate import (APP_ROLE, CENTRAL, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, secret_policy_for, text)
from scanner.access import AccessSettings, analyze_access
from scanner.engine import load_ruleset
from scanner.engine.loader import Ruleset
from scanner.engine.runner import evaluate_rules
from scanner.graph.builder import build_graph

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
ONE_ROLE = {"StringLike": {"aws:userid": "AROAEXAMPLEID1234567:*"}}


def _statuses(snap, *rule_ids: str) -> dict[str, set[str]]:
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rules = tuple(r for r in load_ruleset().rules if r.id in rule_ids)
    found = evaluate_rules(graph, snap, access, Ruleset(rules=rules), None, NOW).findings
    out: dict[str, set[str]] = {r: set() for r in rule_ids}
    for f in found:
        out[f.rule_id].add(str(getattr(f.status, "value", f.status)))
    return out


def test_a_secret_policy_for_one_roles_sessions_is_not_public() -> None:
    """Conformance trial round 7 (u1): CRITICAL secret-policy-public for the AWS pattern
    limiting a resource to one role by its unique id."""
    rp = text({"Sid": "OnlyTheAppRole", "Effect": "Allow", "Principal": "*",
               "Action": "secretsmanager:GetSecretValue", "Resource": "*",
               "Condition": ONE_ROLE})
    snap = estate(secret_policy=rp, key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    got = _statuses(snap, "secret-policy-public", "secret-policy-external-account")
    assert "FAIL" not in got["secret-policy-public"]
    # the role's account is not known: not a PASS for missing input, not a FAIL either
    assert got["secret-policy-external-account"] == {"UNKNOWN"}


def test_a_key_policy_for_one_roles_sessions_is_not_public() -> None:
    """Conformance trial round 7 (u4): CRITICAL kms-key-policy-public."""
    kp = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
               "Action": "kms:*", "Resource": "*"},
              {"Sid": "OnlyAppRole", "Effect": "Allow", "Principal": "*",
               "Action": "kms:Decrypt", "Resource": "*", "Condition": ONE_ROLE})
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=kp,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    assert "FAIL" not in _statuses(snap, "kms-key-policy-public")["kms-key-policy-public"]


def test_any_accounts_session_named_alice_stays_public() -> None:
    """Conformance trial round 2: ``*:alice`` is a session named alice in any account."""
    rp = text({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
               "Resource": "*", "Condition": {"StringLike": {"aws:userid": "*:alice"}}})
    snap = estate(secret_policy=rp, key_policy=key_policy_for(APP_ROLE))
    assert "FAIL" in _statuses(snap, "secret-policy-public")["secret-policy-public"]
