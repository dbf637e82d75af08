"""Which findings of secret-rotation-role-cannot-read `remediate` plans (grant-key-decrypt's
statement for the rotation function's role) and which stay a person's, with the reason the
plan's "Not planned" gives (safe-fixes trial round 17)."""

from __future__ import annotations

from typing import Any

from remediations import resolve_remediation

ROLE = "arn:aws:iam::111111111111:role/rotation-lambda"


def _resolve(**evidence: Any) -> tuple[str | None, str | None]:
    return resolve_remediation("grant-rotation-role-read", "Secret", None,
                               {"execution_role": ROLE, **evidence})


def test_a_role_only_the_key_policy_denies_is_granted_on_the_key() -> None:
    assert _resolve(denied_by=["key_policy"]) == ("grant-key-decrypt", None)


def test_a_role_an_identity_policy_or_scp_denies_is_fixed_by_hand() -> None:
    rid, why = _resolve(denied_by=["key_policy", "identity_policy"])
    assert rid is None and why is not None
    assert "identity_policy, key_policy" in why and "by hand" in why
    rid, why = _resolve(denied_by=["scp"])
    assert rid is None and why is not None and "scp" in why


def test_an_explicit_deny_of_the_key_policy_is_not_opened_by_an_allow() -> None:
    rid, why = _resolve(denied_by=["key_policy"],
                        explicit_deny={"key_policy": ["statement 1 Deny applies"]})
    assert rid is None and why is not None and "explicit Deny" in why


def test_a_missing_role_or_one_lambda_may_not_assume_is_fixed_by_hand() -> None:
    rid, why = resolve_remediation("grant-rotation-role-read", "Secret", None,
                                   {"execution_role": ROLE})
    assert rid is None and why is not None and "may not assume" in why


def test_a_role_denied_with_no_single_gate_to_blame_is_fixed_by_hand() -> None:
    rid, why = _resolve(denied_by=[], gates={"key_policy": "ALLOWED"})
    assert rid is None and why is not None and "no single gate" in why
