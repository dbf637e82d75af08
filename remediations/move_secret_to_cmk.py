"""move-secret-to-cmk: encrypt a secret with a customer-managed key instead of aws/secretsmanager.

Fixes ``secret-uses-aws-managed-key`` on a primary secret. UpdateSecret with only ``KmsKeyId``
(never a value: the secret value is never read or written). New versions use the new key; the
existing versions keep the old key until the next write, so when rotation is configured the
change also calls RotateSecret to write a new version now. Reversible: UpdateSecret back to the
previous key (aws/secretsmanager when there was none); the version RotateSecret wrote stays (the
plan says so).
"""

from __future__ import annotations

from typing import Any, Mapping

from remediations import _key_state, _secret_state
from remediations.base import (AWS_MANAGED_SECRET_KEY, describe_key_ref, find_key,
                               find_secret, index_of, require_read, secret_on_aws_managed_key)
from scanner.changes import (ApiCall, AppliedChange, Clients, PlanContext, PlanRefused,
                             PlannedChange, Verification, apply_calls, make_change, verify_state,
                             with_secret)
from scanner.findings import Finding
from scanner.model import KmsKey, Snapshot

REMEDIATION_ID = "move-secret-to-cmk"
PERMISSIONS = ("secretsmanager:DescribeSecret", "secretsmanager:UpdateSecret",
               "secretsmanager:RotateSecret", "kms:DescribeKey", "kms:GenerateDataKey",
               "kms:Decrypt", "kms:Encrypt")
REVERSIBLE = True
EXPLICIT_ONLY = False
EVIDENCE_KEYS: tuple[str, ...] = ()


def target_key(snapshot: Snapshot, ctx: PlanContext, account_id: str, region: str) -> KmsKey:
    """The configured key for the account-region, else its only usable customer-managed key."""
    configured = ctx.config.cmk_by_account_region.get(account_id, {}).get(region)
    if configured:
        return find_key(snapshot, configured, account_id=account_id, region=region)
    acct = index_of(snapshot).accounts.get(account_id)
    candidates = [
        key
        for reg in (acct.regions if acct else ()) if reg.region == region
        for key in reg.kms_keys
        if key.key_manager == "CUSTOMER" and key.key_state == "Enabled"
        and key.key_usage in (None, "ENCRYPT_DECRYPT")
        and key.key_spec in (None, "SYMMETRIC_DEFAULT")
    ]
    if len(candidates) != 1:
        found = "no" if not candidates else f"{len(candidates)}"
        raise PlanRefused(f"{found} enabled customer-managed keys in {account_id}/{region}: set "
                          "remediation.cmk.<account>.<region> in --config to choose one")
    return candidates[0]


def plan(finding: Finding, snapshot: Snapshot, ctx: PlanContext) -> list[PlannedChange]:
    if finding.resource.type == "SecretReplica" or "#" in finding.resource.arn:
        raise PlanRefused("a replica's key is set when the replica is created; not changing it "
                          "in place (re-create the replica with its region's CMK)")
    secret = find_secret(snapshot, finding.resource.arn)
    require_read(secret.unread, ("kms_key_id",), f"secret {secret.arn}")
    # the rule's own answer (scanner.graph.schema.aws_managed_key): by alias, or by the key id
    # or ARN of the account's AWS-managed key (concept review round 2)
    if not secret_on_aws_managed_key(snapshot, secret):
        return []
    key = target_key(snapshot, ctx, secret.account_id, secret.region)
    if key.key_state != "Enabled":
        raise PlanRefused(f"target key {key.arn} is {key.key_state}, not Enabled")
    calls = [ApiCall(service="secretsmanager", operation="UpdateSecret", region=secret.region,
                     params={"SecretId": secret.arn, "KmsKeyId": key.arn})]
    if secret.rotation_enabled:
        calls.append(ApiCall(service="secretsmanager", operation="RotateSecret",
                             region=secret.region, params={"SecretId": secret.arn}))
        notes = ["rotation is configured: RotateSecret writes a new version under the new key now",
                 "undo sets the key back only: the version RotateSecret wrote (a new credential) "
                 "stays, encrypted with the new key, until the next write"]
    else:
        notes = ["existing secret versions stay encrypted with aws/secretsmanager until the next "
                 "write (rotation or PutSecretValue); cross-account readers need that new version"]
    notes.append(f"the key policy of {key.arn} must let the readers kms:Decrypt "
                 "(see grant-key-decrypt)")
    # RotateSecret turns rotation on (Secrets Manager API Reference, CancelRotateSecret: "To
    # turn on automatic rotation again, call RotateSecret"): a plan that calls it starts from
    # rotation on and keeps it on, so rotation turned off since the scan is drift, never
    # turned back on by the apply (safe-fixes trial round 9)
    kept: dict[str, Any] = {"rotation_enabled": True} if secret.rotation_enabled else {}
    # the key it moves to is Enabled (refused above otherwise), and must still be: a secret
    # moved onto a key someone disabled (or scheduled for deletion) since the scan can no
    # longer be read or rotated -- drift, refused (safe-fixes trial round 9)
    kept["target_key_state"] = "Enabled"
    return [make_change(
        remediation_id=REMEDIATION_ID, finding=finding, account_id=secret.account_id,
        region=secret.region, resource_arn=secret.arn, target=f"secret-kms:{secret.arn}",
        summary=f"encrypt with {(key.aliases or (key.arn,))[0]} instead of aws/secretsmanager",
        calls=calls, pre_state={"kms_key_id": describe_key_ref(secret.kms_key_id), **kept},
        desired_state={"kms_key_id": key.arn, **kept},
        details={"key_arn": key.arn}, notes=notes)]


def read_current(clients: Clients, change: PlannedChange) -> dict[str, Any]:
    state = _secret_state.describe(clients, change.resource_arn, change.region)
    key_arn = change.details.get("key_arn")
    if isinstance(key_arn, str):  # the state of the key the secret moves to (DescribeKey)
        state["target_key_state"] = _key_state.key_state(clients, key_arn,
                                                         change.region)["key_state"]
    return state


#: calls whose effect the state read (DescribeSecret) cannot show: a re-run that finds the
#: secret on its new key cannot tell whether the new version was written
UNOBSERVED_CALLS = ("RotateSecret",)


def apply(clients: Clients, change: PlannedChange) -> AppliedChange:
    return apply_calls(clients, change, read_current)


def verify(clients: Clients, change: PlannedChange) -> Verification:
    return verify_state(clients, change, read_current)


def undo_call(change: PlannedChange, before: Mapping[str, Any]) -> tuple[ApiCall, ...] | None:
    previous = before.get("kms_key_id") or AWS_MANAGED_SECRET_KEY
    return (ApiCall(service="secretsmanager", operation="UpdateSecret", region=change.region,
                    params={"SecretId": change.resource_arn, "KmsKeyId": previous}),)


def simulate(snapshot: Snapshot, change: PlannedChange) -> Snapshot:
    """The secret encrypted with the new key (what DescribeSecret will say after UpdateSecret)."""
    return with_secret(snapshot, change.resource_arn, kms_key_id=change.details["key_arn"])
