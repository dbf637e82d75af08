"""secret-key-unusable on a secret whose key is the primary of a multi-Region key scheduled for
deletion while it has replica keys (KMS API Reference, ScheduleKeyDeletion: "its key state
changes to PendingReplicaDeletion"): not planned, and the reason says what was found -- it
said "only PendingDeletion is handled (enabling a key someone disabled is a decision for a
person)" (safe-fixes trial round 19)."""

from __future__ import annotations

import pytest

from helpers.access_estate import KEY_ARN, SECRET_ARN, estate, secret_policy_for, APP_ROLE, \
    with_keys
from remediations import cancel_key_deletion
from scanner.changes import PlanContext, PlanRefused
from scanner.findings import Finding, ResourceRef, Severity, Status, finding_id
from scanner.remediate.config import parse_config


def _plan(state: str) -> list[object]:
    snap = with_keys(estate(secret_policy=secret_policy_for(APP_ROLE)), key_state=state)
    rule = "secret-key-unusable"
    finding = Finding(id=finding_id(rule, SECRET_ARN, None), rule_id=rule, title=rule,
                      severity=Severity.HIGH, status=Status.FAIL,
                      resource=ResourceRef(type="Secret", arn=SECRET_ARN,
                                           account_id="111111111111", region="us-east-1"),
                      evidence={"key_arn": KEY_ARN}, remediation={"id": "cancel-key-deletion"})
    ctx = PlanContext(config=parse_config({}, path="c.yaml"))
    return list(cancel_key_deletion.plan(finding, snap, ctx))


def test_a_multi_region_primary_waiting_for_its_replicas_is_a_person_s_to_cancel() -> None:
    with pytest.raises(PlanRefused) as refused:
        _plan("PendingReplicaDeletion")
    why = str(refused.value)
    assert "multi-Region key scheduled for deletion while it has replica keys" in why, why
    assert "someone disabled" not in why, why


def test_a_key_pending_deletion_is_planned_and_a_disabled_one_is_not() -> None:
    (change,) = _plan("PendingDeletion")
    calls = change.calls  # type: ignore[attr-defined]
    assert [c.operation for c in calls] == ["CancelKeyDeletion", "EnableKey"]
    with pytest.raises(PlanRefused, match="someone disabled"):
        _plan("Disabled")
