"""enable-key-rotation: turn on automatic rotation of a customer-managed key.

Fixes ``kms-key-rotation-disabled``: EnableKeyRotation (optionally with the configured
RotationPeriodInDays). Only symmetric customer-managed keys, and for a multi-Region key only the
primary (replicas follow it). Reversible: DisableKeyRotation.
"""

from __future__ import annotations

from typing import Any, Mapping

from remediations import _key_state
from remediations.base import find_key, require_read
from scanner.changes import (ApiCall, AppliedChange, Clients, PlanContext, PlanRefused,
                             PlannedChange, Verification, apply_calls, make_change, verify_state,
                             with_key)
from scanner.findings import Finding
from scanner.model import Snapshot

REMEDIATION_ID = "enable-key-rotation"
PERMISSIONS = ("kms:GetKeyRotationStatus", "kms:EnableKeyRotation", "kms:DisableKeyRotation")
REVERSIBLE = True
EXPLICIT_ONLY = False
EVIDENCE_KEYS: tuple[str, ...] = ()


def plan(finding: Finding, snapshot: Snapshot, ctx: PlanContext) -> list[PlannedChange]:
    key = find_key(snapshot, finding.resource.arn)
    require_read(key.unread, ("rotation_enabled",), f"key {key.arn}")
    if key.rotation_enabled:
        return []
    if key.key_manager != "CUSTOMER":
        raise PlanRefused(f"key {key.arn} is not customer-managed")
    if key.key_spec not in (None, "SYMMETRIC_DEFAULT"):
        raise PlanRefused(f"key {key.arn} is {key.key_spec}: only symmetric keys rotate")
    if key.multi_region_type == "REPLICA":
        raise PlanRefused(f"key {key.arn} is a multi-Region replica: enable rotation on its "
                          f"primary {key.primary_key_arn}")
    if key.key_state != "Enabled":
        raise PlanRefused(f"key {key.arn} is {key.key_state}, not Enabled")
    params: dict[str, Any] = {"KeyId": key.arn}
    if ctx.config.key_rotation_period_days:
        params["RotationPeriodInDays"] = ctx.config.key_rotation_period_days
    call = ApiCall(service="kms", operation="EnableKeyRotation", region=key.region, params=params)
    return [make_change(
        remediation_id=REMEDIATION_ID, finding=finding, account_id=key.account_id,
        region=key.region, resource_arn=key.arn, target=f"key-rotation:{key.arn}",
        summary="enable automatic key rotation", calls=[call],
        pre_state={"rotation_enabled": False}, desired_state={"rotation_enabled": True})]


def read_current(clients: Clients, change: PlannedChange) -> dict[str, Any]:
    return _key_state.rotation(clients, change.resource_arn, change.region)


def apply(clients: Clients, change: PlannedChange) -> AppliedChange:
    return apply_calls(clients, change, read_current)


def verify(clients: Clients, change: PlannedChange) -> Verification:
    return verify_state(clients, change, read_current)


def undo_call(change: PlannedChange, before: Mapping[str, Any]) -> tuple[ApiCall, ...] | None:
    return (ApiCall(service="kms", operation="DisableKeyRotation", region=change.region,
                    params={"KeyId": change.resource_arn}),)


def simulate(snapshot: Snapshot, change: PlannedChange) -> Snapshot:
    period = change.calls[0].params.get("RotationPeriodInDays")
    fields: dict[str, Any] = {"rotation_enabled": True}
    if period:
        fields["rotation_period_days"] = int(period)
    return with_key(snapshot, change.resource_arn, **fields)
