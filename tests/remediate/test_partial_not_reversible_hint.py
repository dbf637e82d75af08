"""A re-run of a plan whose earlier apply left a not-reversible change partial does not send
the user to --undo, which cannot take that change back (safe-fixes trial, defect 5: after
cancel-key-deletion ended partial -- CancelKeyDeletion landed, EnableKey failed, the key
Disabled -- the re-run refused the plan "--undo it, or rescan and plan again", and --undo said
"not reversible ... nothing to undo")."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.changes import ApiCall, PlannedChange
from scanner.errors import InputError
from scanner.remediate import engine

KEY = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-0000-0000-0000-000000000001"


def _change(*, reversible: bool) -> PlannedChange:
    calls = (ApiCall(service="kms", operation="CancelKeyDeletion", region="us-east-1",
                     params={"KeyId": "1234abcd"}),
             ApiCall(service="kms", operation="EnableKey", region="us-east-1",
                     params={"KeyId": "1234abcd"}))
    return PlannedChange(
        change_id="chg-0123456789abcdef", remediation_id="cancel-key-deletion",
        finding_ids=("f-1",), rule_id="secret-key-unusable", account_id="111111111111",
        region="us-east-1", resource_arn=KEY, target=f"key-state:{KEY}",
        summary="cancel the scheduled deletion and enable the key", calls=calls,
        pre_state={"key_state": "PendingDeletion"}, desired_state={"key_state": "Enabled"},
        reversible=reversible)


def _refusal(monkeypatch: pytest.MonkeyPatch, change: PlannedChange) -> str:
    def read(c: PlannedChange, clients_for: Any) -> dict[str, Any]:
        return {"key_state": "Disabled"}

    monkeypatch.setattr(engine, "read_current", read)
    with pytest.raises(InputError) as info:
        engine.preflight([change], lambda account: None, path="plan.json")
    return str(info.value)


def test_a_not_reversible_change_left_partway_is_not_sent_to_undo(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Safe-fixes trial, defect 5: the reason names the change, says --undo cannot take it
    back, and says what is still short of the plan, to finish by hand."""
    why = _refusal(monkeypatch, _change(reversible=False))

    assert "--undo it" not in why
    assert "chg-0123456789abcdef" in why and "not reversible" in why
    assert "key_state is 'Disabled', planned 'Enabled'" in why
    assert "finish it by hand" in why


def test_a_reversible_change_still_points_to_undo(monkeypatch: pytest.MonkeyPatch) -> None:
    why = _refusal(monkeypatch, _change(reversible=True))

    assert "--undo it, or rescan and plan again" in why
