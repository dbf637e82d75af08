"""grant-key-decrypt never completes a read that only a public ``*`` grant lets in: the
statement is what secret-policy-public reports, and a key grant would make that exposure work
(ground-truth trial round 12: grant-key-decrypt was planned for a role whose only way in was
``Principal "*"`` with no narrowing condition). A grant narrowed to the organization is not
public (test_grant_key_decrypt_gates.py plans it)."""

from __future__ import annotations

from typing import Any

from test_grant_key_decrypt_gates import ROLE, ROOT_ONLY, _broken, _estate, _plan, _scan

PUBLIC_READ = {"Sid": "Everyone", "Effect": "Allow", "Principal": "*",
               "Action": "secretsmanager:GetSecretValue", "Resource": "*"}


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_a_role_let_in_only_by_a_public_grant_gets_no_key_grant() -> None:
    snap = _estate(secret_policy=_policy(PUBLIC_READ), key_statements=[ROOT_ONLY])
    findings = _scan(snap)
    gates = _broken(findings).evidence["gates"][ROLE]
    assert (gates["resource_policy"], gates["key_policy"]) == ("ALLOWED", "DENIED")

    plan = _plan(findings, snap)

    assert [c.remediation_id for c in plan.changes] == []
    (skip,) = [s for s in plan.skipped if "public" in s.reason]
    assert f"{ROLE} is let in only by the public grant of statement 0 (Everyone)" in skip.reason
    assert "restrict the public grant first" in skip.reason


def test_a_role_the_policy_also_names_is_granted_as_before() -> None:
    named = {"Sid": "App", "Effect": "Allow", "Principal": {"AWS": ROLE},
             "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    snap = _estate(secret_policy=_policy(PUBLIC_READ, named), key_statements=[ROOT_ONLY])
    findings = _scan(snap)

    plan = _plan(findings, snap)

    [change] = [c for c in plan.changes if c.remediation_id == "grant-key-decrypt"]
    assert not any("public grant" in n for n in change.notes)
