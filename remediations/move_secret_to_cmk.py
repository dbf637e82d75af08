"""move-secret-to-cmk: encrypt a secret with a customer-managed key instead of aws/secretsmanager.

Fixes ``secret-uses-aws-managed-key`` on a primary secret. UpdateSecret with only ``KmsKeyId``
(never a value: the secret value is never read or written). Secrets Manager User Guide, "Change
the encryption key for an AWS Secrets Manager secret": "When you change the encryption key,
Secrets Manager re-encrypts AWSCURRENT, AWSPENDING, and AWSPREVIOUS versions with the new key.
To avoid locking you out of the secret, Secrets Manager keeps all existing versions encrypted
with the previous key" -- so the readers the new key's policy lets decrypt read AWSCURRENT at
once, and "To make it so AWSCURRENT can only be decrypted by the new encryption key, create a
new version of the secret with the new key": when rotation is configured the change also calls
RotateSecret to write one now. Reversible: UpdateSecret back to the previous key
(aws/secretsmanager when there was none); the version RotateSecret wrote stays (the plan says
so).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Sequence

from remediations import _key_state, _secret_state
from remediations.policy_edit import (known_policies, planned_digests, policy_digest,
                                      text_digest)
from remediations.base import (AWS_MANAGED_SECRET_KEY, describe_key_ref, find_key,
                               find_secret, index_of, is_aws_managed_key, require_read,
                               secret_on_aws_managed_key)
from scanner.changes import (ApiCall, AppliedChange, Clients, PlanContext, PlanRefused,
                             PlannedChange, Verification, apply_calls, make_change, verify_state,
                             with_secret)
from scanner.findings import Finding
from scanner.model import KmsKey, Snapshot

REMEDIATION_ID = "move-secret-to-cmk"
#: what UpdateSecret does to the existing versions (the module's docstring cites AWS)
RE_ENCRYPTED = ("UpdateSecret re-encrypts the AWSCURRENT, AWSPENDING and AWSPREVIOUS versions "
                "with the new key (the remediation role needs kms:Decrypt on aws/secretsmanager "
                "and kms:Encrypt on the new key, else they are not re-encrypted), so readers the "
                "new key lets decrypt read AWSCURRENT at once")
PERMISSIONS = ("secretsmanager:DescribeSecret", "secretsmanager:UpdateSecret",
               "secretsmanager:RotateSecret", "kms:DescribeKey", "kms:GetKeyPolicy",
               "kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt")
#: the state key that says the key the secret moves to has a policy the plan knows: the
#: snapshot's, or one a key-policy change of the plan leads it to (``planned_key_policies``)
KEY_POLICY_AS_PLANNED = "target_key_policy_as_planned"
REVERSIBLE = True
EXPLICIT_ONLY = False
EVIDENCE_KEYS: tuple[str, ...] = ()


def target_key(snapshot: Snapshot, ctx: PlanContext, account_id: str, region: str) -> KmsKey:
    """The configured key for the account-region, else its only usable customer-managed key."""
    configured = ctx.config.cmk_by_account_region.get(account_id, {}).get(region)
    if configured:
        if is_aws_managed_key(snapshot, configured, account_id=account_id, region=region):
            # the key the secret is to leave (safe-fixes trial round 19, as replicate-secret's)
            raise PlanRefused(f"remediation.cmk.{account_id}.{region} names the AWS managed "
                              f"key aws/secretsmanager ({configured}): set a customer-managed "
                              "key there")
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
        # Secrets Manager User Guide, "Promote a replica secret to a standalone secret": "A
        # replica secret can't be updated independently from its primary secret, except for
        # its encryption key" -- the key can be changed in place, by hand (the refusal said it
        # could not: docs truth round 15)
        raise PlanRefused("a replica's key is changed on the replica, in its own Region (the one "
                          "thing a replica changes apart from its primary): do that by hand with "
                          "that Region's CMK; this remediator moves primary secrets only")
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
        notes = [RE_ENCRYPTED,
                 "rotation is configured: RotateSecret writes a new version under the new key "
                 "only, now",
                 "undo sets the key back only: the version RotateSecret wrote (a new credential) "
                 "stays, encrypted with the new key, until the next write"]
    else:
        notes = [RE_ENCRYPTED,
                 "AWSCURRENT stays decryptable with aws/secretsmanager too until a new version "
                 "is written (rotation or PutSecretValue); other versions keep aws/secretsmanager "
                 "only"]
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
    # and its policy is the one the readers were predicted from: the secret's readers after
    # the move are whoever that policy lets decrypt, so a policy edited since the scan (its
    # root / IAM statement removed) could lock them out of the secret -- drift, refused
    # (safe-fixes trial round 10). The policies the plan's own key-policy changes lead to
    # (the grant-key-decrypt companion) are added by the planner: planned_key_policies
    details: dict[str, Any] = {"key_arn": key.arn}
    if key.policy is not None and "policy" not in key.unread:
        kept[KEY_POLICY_AS_PLANNED] = True
        details["key_policy_digests"] = [text_digest(key.policy)]
    return [make_change(
        remediation_id=REMEDIATION_ID, finding=finding, account_id=secret.account_id,
        region=secret.region, resource_arn=secret.arn, target=f"secret-kms:{secret.arn}",
        summary=f"encrypt with {(key.aliases or (key.arn,))[0]} instead of aws/secretsmanager",
        calls=calls, pre_state={"kms_key_id": describe_key_ref(secret.kms_key_id), **kept},
        desired_state={"kms_key_id": key.arn, **kept},
        details=details, notes=notes)]


def planned_key_policies(change: PlannedChange, plan_changes: Sequence[PlannedChange]
                         ) -> PlannedChange:
    """``change`` knowing, besides the snapshot's, every policy a change of the plan leads the
    key it moves to (its companion's grant-key-decrypt, one for another secret of that key,
    before or after it): each is a state the apply may find the key in."""
    known = change.details.get("key_policy_digests")
    if not isinstance(known, list):
        return change
    grown = planned_digests(known, plan_changes, str(change.details["key_arn"]))
    if grown == known:
        return change
    return replace(change, details={**change.details, "key_policy_digests": grown})


def read_current(clients: Clients, change: PlannedChange) -> dict[str, Any]:
    state = _secret_state.describe(clients, change.resource_arn, change.region)
    key_arn = change.details.get("key_arn")
    if isinstance(key_arn, str):  # the state of the key the secret moves to (DescribeKey)
        state["target_key_state"] = _key_state.key_state(clients, key_arn,
                                                         change.region)["key_state"]
        known = known_policies(change.details)
        if known is not None:
            live = _key_state.policy(clients, key_arn, change.region)["key_policy"]
            state[KEY_POLICY_AS_PLANNED] = policy_digest(live) in known
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
