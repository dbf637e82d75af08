"""cancel-key-deletion: stop the scheduled deletion of a secret's key and enable it again.

Fixes ``secret-key-unusable`` when the key is PendingDeletion. CancelKeyDeletion leaves the key
**Disabled**, so the change also calls EnableKey. Not reversible by this tool: scheduling a key
for deletion again is destructive, so undo leaves it to a person.
"""

from __future__ import annotations

from typing import Any, Mapping

from remediations import _key_state
from remediations.base import (evidence_str, find_key, find_secret,
                               secret_on_aws_managed_key)
from scanner.changes import (ApiCall, AppliedChange, Clients, PlanContext, PlanRefused,
                             PlannedChange, Verification, apply_calls, make_change, verify_state,
                             with_key)
from scanner.findings import Finding
from scanner.model import KmsKey, Snapshot

REMEDIATION_ID = "cancel-key-deletion"
PERMISSIONS = ("kms:DescribeKey", "kms:CancelKeyDeletion", "kms:EnableKey")
REVERSIBLE = False
EXPLICIT_ONLY = False
EVIDENCE_KEYS = ("key_arn",)


def _key(finding: Finding, snapshot: Snapshot) -> KmsKey:
    key_ref = evidence_str(finding, "key_arn")
    if key_ref:
        return find_key(snapshot, key_ref)
    if finding.resource.type == "KmsKey":
        return find_key(snapshot, finding.resource.arn)
    secret = find_secret(snapshot, finding.resource.arn)
    if secret_on_aws_managed_key(snapshot, secret) or secret.kms_key_id is None:
        raise PlanRefused("the secret uses aws/secretsmanager; AWS manages that key")
    return find_key(snapshot, secret.kms_key_id, account_id=secret.account_id,
                    region=secret.region)


def plan(finding: Finding, snapshot: Snapshot, ctx: PlanContext) -> list[PlannedChange]:
    key = _key(finding, snapshot)
    if key.key_state == "Enabled":
        return []
    if key.key_state == "PendingReplicaDeletion":
        # KMS API Reference, ScheduleKeyDeletion: "If you schedule the deletion of a primary
        # key with replicas, its key state changes to PendingReplicaDeletion"; its waiting
        # period begins only when the last replica key is deleted: the replicas' own
        # deletions are part of the decision (safe-fixes trial round 19: the reason spoke of
        # a key someone disabled)
        raise PlanRefused(f"key {key.arn} is PendingReplicaDeletion: the primary of a "
                          "multi-Region key scheduled for deletion while it has replica keys; "
                          "cancel its deletion (and its replicas' scheduled deletions) by hand")
    if key.key_state != "PendingDeletion":
        raise PlanRefused(f"key {key.arn} is {key.key_state}; only PendingDeletion is handled "
                          "(enabling a key someone disabled is a decision for a person)")
    # the key id, not the ARN: the calls run in the key's own account and region (and moto
    # resolves only ids for these two operations)
    calls = [ApiCall(service="kms", operation="CancelKeyDeletion", region=key.region,
                     params={"KeyId": key.key_id}),
             ApiCall(service="kms", operation="EnableKey", region=key.region,
                     params={"KeyId": key.key_id})]
    return [make_change(
        remediation_id=REMEDIATION_ID, finding=finding, account_id=key.account_id,
        region=key.region, resource_arn=key.arn, target=f"key-state:{key.arn}",
        summary="cancel the scheduled deletion and enable the key", calls=calls,
        pre_state={"key_state": "PendingDeletion"}, desired_state={"key_state": "Enabled"},
        notes=["CancelKeyDeletion leaves the key Disabled; EnableKey makes it usable again",
               f"deletion was scheduled for {key.deletion_date or 'an unknown date'}"],
        reversible=False)]


def read_current(clients: Clients, change: PlannedChange) -> dict[str, Any]:
    return _key_state.key_state(clients, change.resource_arn, change.region)


def apply(clients: Clients, change: PlannedChange) -> AppliedChange:
    return apply_calls(clients, change, read_current)


def verify(clients: Clients, change: PlannedChange) -> Verification:
    return verify_state(clients, change, read_current)


def undo_call(change: PlannedChange, before: Mapping[str, Any]) -> tuple[ApiCall, ...] | None:
    return None


def simulate(snapshot: Snapshot, change: PlannedChange) -> Snapshot:
    """CancelKeyDeletion then EnableKey: the key is Enabled, with no deletion date. Its rotation
    status was not read while deletion was pending, so it stays unknown until a rescan."""
    key = find_key(snapshot, change.resource_arn)
    unread = key.unread if key.rotation_enabled is not None or "rotation_enabled" in key.unread \
        else key.unread + ("rotation_enabled",)
    return with_key(snapshot, change.resource_arn, key_state="Enabled", deletion_date=None,
                    unread=unread)
