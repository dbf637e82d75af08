"""replicate-secret: replicate a secret to the regions it is missing from, with a CMK there.

Fixes ``secret-not-replicated``: ReplicateSecretToRegions with, for each region, the configured
key of that account-region, else the replica of the secret's multi-Region key in that region. It
never lets a replica fall back to aws/secretsmanager: without a key for a region it refuses.
``ForceOverwriteReplicaSecret=False``: an existing secret of the same name in the region is
never overwritten. Not reversible by this tool: removing a replica deletes a secret.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Sequence

from botocore.exceptions import ClientError

from remediations import _key_state, _secret_state
from remediations.base import (evidence_list, find_key, find_secret, index_of,
                               is_aws_managed_key, key_record, secret_on_aws_managed_key)
from remediations.policy_edit import (known_policies, planned_digests, policy_digest,
                                      text_digest)
from scanner.aws.errors import error_kind
from scanner.changes import (ApiCall, AppliedChange, Clients, PlanContext, PlanRefused,
                             PlannedChange, Verification, apply_calls, make_change, verify_state,
                             with_secret)
from scanner.findings import Finding
from scanner.model import REPLICATION_FAILED, ReplicaStatus, Secret, Snapshot
from scanner.policy.arn import arn_region

REMEDIATION_ID = "replicate-secret"
PERMISSIONS = ("secretsmanager:DescribeSecret", "secretsmanager:ReplicateSecretToRegions",
               "secretsmanager:CreateSecret", "kms:GenerateDataKey", "kms:Decrypt",
               "kms:Encrypt", "kms:DescribeKey", "kms:GetKeyPolicy")
#: the conditions of the change on the key each new replica is encrypted with (``<name>:<region>``,
#: planned the same before and after: scanner.remediate.runs.conditions_of): Enabled, and
#: (where the scan read it) its policy the one the replica's readers were predicted from, or
#: one a key-policy change of the plan leads it to (``planned_key_policies``) -- as
#: move-secret-to-cmk's target key (safe-fixes trial round 19)
KEY_STATE = "replica_key_state"
KEY_POLICY_AS_PLANNED = "replica_key_policy_as_planned"
REVERSIBLE = False
EXPLICIT_ONLY = False
EVIDENCE_KEYS = ("missing_regions",)


def region_key(snapshot: Snapshot, ctx: PlanContext, secret: Secret, region: str) -> str:
    configured = ctx.config.cmk_by_account_region.get(secret.account_id, {}).get(region)
    if configured:
        return configured
    on_managed = secret_on_aws_managed_key(snapshot, secret)
    if secret.kms_key_id and not on_managed:
        primary = find_key(snapshot, secret.kms_key_id, account_id=secret.account_id,
                           region=secret.region)
        for arn in primary.replica_key_arns:
            if arn_region(arn) == region:
                return arn
        for key in index_of(snapshot).key_replicas.get(primary.arn, ()):
            if key.region == region:
                return key.arn
    # the key is not guessed among the region's keys: say what is missing, and what is there
    there = sum(1 for a in snapshot.accounts if a.account_id == secret.account_id
                for r in a.regions if r.region == region for k in r.kms_keys
                if k.key_manager == "CUSTOMER" and k.key_state == "Enabled")
    why = ("the secret's key has no multi-Region replica there" if secret.kms_key_id
           and not on_managed else "the secret is on aws/secretsmanager")
    raise PlanRefused(f"no key chosen for the replica in {secret.account_id}/{region} ({why}, "
                      f"and {there} enabled customer-managed key(s) there are not picked by "
                      f"guess): set remediation.cmk.{secret.account_id}.{region} in --config "
                      "(a replica without one would use aws/secretsmanager)")


def plan(finding: Finding, snapshot: Snapshot, ctx: PlanContext) -> list[PlannedChange]:
    secret = find_secret(snapshot, finding.resource.arn)
    if secret.replicas is None or "replicas" in secret.unread:
        raise PlanRefused(f"replication status of {secret.arn} was not read; rescan first")
    # a Failed replication left no replica (as secret-not-replicated counts it); adding the
    # region again needs RemoveRegionsFromReplication first, a decision for a person
    failed = sorted(r.region for r in secret.replicas if r.status == REPLICATION_FAILED)
    have = {r.region for r in secret.replicas if r.status != REPLICATION_FAILED} | {secret.region}
    wanted = evidence_list(finding, "missing_regions") or list(ctx.config.replica_regions)
    if not wanted:
        raise PlanRefused("no region to replicate to (evidence missing_regions, or "
                          "required_replica_regions in --config)")
    missing = sorted(r for r in dict.fromkeys(wanted) if r not in have)
    if not missing:
        return []
    retry = [r for r in missing if r in failed]
    if retry:
        raise PlanRefused(f"replication to {', '.join(retry)} failed: remove the region from "
                          "replication (RemoveRegionsFromReplication) and replicate again")
    regions = [{"Region": r, "KmsKeyId": region_key(snapshot, ctx, secret, r)} for r in missing]
    kept: dict[str, Any] = {}
    policies: dict[str, list[str]] = {}  # the digests of the policies known, by Region
    for entry in regions:
        region, ref = str(entry["Region"]), str(entry["KmsKeyId"])
        if is_aws_managed_key(snapshot, ref, account_id=secret.account_id, region=region):
            # remediation.cmk naming aws/secretsmanager (its alias ARN, or the key's ARN): the
            # replica would be what secret-replica-unhealthy reports
            raise PlanRefused(f"remediation.cmk.{secret.account_id}.{region} names the AWS "
                              f"managed key aws/secretsmanager ({ref}): a replica needs a "
                              "customer-managed key there")
        key = key_record(snapshot, ref, account_id=secret.account_id, region=region)
        if key is not None:
            # a key that cannot encrypt makes no replica: Secrets Manager answers the
            # replication with status Failed, left for a person to remove (it was planned)
            if key.key_state != "Enabled":
                raise PlanRefused(f"the key for the replica in {secret.account_id}/{region}, "
                                  f"{key.arn}, is {key.key_state}, not Enabled: enable it, or "
                                  f"set remediation.cmk.{secret.account_id}.{region} to another "
                                  "key in --config, then plan again")
            if key.policy is not None and "policy" not in key.unread:
                kept[f"{KEY_POLICY_AS_PLANNED}:{region}"] = True
                policies[region] = [text_digest(key.policy)]
        # a key of a Region the scan did not read (remediation.cmk names it) is checked at
        # the apply only: Enabled then
        kept[f"{KEY_STATE}:{region}"] = "Enabled"
    call = ApiCall(service="secretsmanager", operation="ReplicateSecretToRegions",
                   region=secret.region,
                   params={"SecretId": secret.arn, "AddReplicaRegions": regions,
                           "ForceOverwriteReplicaSecret": False})
    return [make_change(
        remediation_id=REMEDIATION_ID, finding=finding, account_id=secret.account_id,
        region=secret.region, resource_arn=secret.arn,
        target=f"secret-replicas:{secret.arn}:{','.join(missing)}",
        summary=f"replicate to {', '.join(missing)} with a customer-managed key",
        calls=[call], pre_state={**{f"replica:{r}": False for r in missing}, **kept},
        desired_state={**{f"replica:{r}": True for r in missing}, **kept},
        details={"regions": missing,
                 "region_keys": {str(e["Region"]): str(e["KmsKeyId"]) for e in regions},
                 "key_policy_digests": policies},
        reversible=False,
        notes=["undo is not offered: removing a replica deletes a secret"])]


def planned_key_policies(change: PlannedChange, plan_changes: Sequence[PlannedChange]
                         ) -> PlannedChange:
    """``change`` knowing, besides the snapshot's, every policy a change of the plan leads a
    replica's key to (a grant-key-decrypt for a secret of that key): each is a state the
    apply may find the key in (move_secret_to_cmk.planned_key_policies)."""
    known = change.details.get("key_policy_digests")
    keys = change.details.get("region_keys")
    if not isinstance(known, Mapping) or not isinstance(keys, Mapping):
        return change
    grown = {region: planned_digests(digests, plan_changes, str(keys[region]))
             for region, digests in known.items()}
    if grown == known:
        return change
    return replace(change, details={**change.details, "key_policy_digests": grown})


def condition_drift(change: PlannedChange, key: str,
                    current: Mapping[str, Any] | None = None) -> str | None:
    """What a changed condition on a replica's key means, naming the key."""
    name, _, region = key.partition(":")
    arn = (change.details.get("region_keys") or {}).get(region)
    if name == KEY_STATE:
        now = (current or {}).get(key)
        return (f"the key for the replica in {region}, {arn}, is "
                f"{now if now else 'no longer Enabled'}: a replica cannot be encrypted with it")
    if name == KEY_POLICY_AS_PLANNED:
        return (f"the policy of the key for the replica in {region}, {arn}, is not the one the "
                "replica's readers were predicted from")
    return None


def read_current(clients: Clients, change: PlannedChange) -> dict[str, Any]:
    """``replica:<region>``: True where a replica is (or is being) made, False where none is,
    REPLICATION_FAILED where the replication failed and made none -- neither the state the
    plan starts from nor the one it leads to (safe-fixes trial round 9: a Failed replication
    was verified "applied", and the next apply of the plan called it a no-op); the status
    messages of those under ``replication_failed``."""
    status, deleted = _secret_state.replication(clients, change.resource_arn, change.region)
    regions = change.details["regions"]
    state: dict[str, Any] = {
        f"replica:{r}": (REPLICATION_FAILED if status[r]["status"] == REPLICATION_FAILED
                         else True) if r in status else False for r in regions}
    state["deleted"] = deleted
    keys = change.details.get("region_keys")
    for region, arn in (keys.items() if isinstance(keys, Mapping) else ()):
        # the key each replica is made with, in its own Region (DescribeKey, GetKeyPolicy)
        try:
            state[f"{KEY_STATE}:{region}"] = _key_state.key_state(clients, arn,
                                                                  region)["key_state"]
        except ClientError as exc:
            # the key is gone, not the secret the change names: a condition that no longer
            # holds, said as such (not "deleted since the scan" of the secret)
            if error_kind(exc, region=region) != "not_found":
                raise
            state[f"{KEY_STATE}:{region}"] = "not found"
            continue
        known = known_policies(change.details, region)
        if known is not None:
            live = _key_state.policy(clients, arn, region)["key_policy"]
            state[f"{KEY_POLICY_AS_PLANNED}:{region}"] = policy_digest(live) in known
    failed = {r: status[r]["message"] for r in regions
              if r in status and status[r]["status"] == REPLICATION_FAILED}
    if failed:
        state["replication_failed"] = failed
    return state


def apply(clients: Clients, change: PlannedChange) -> AppliedChange:
    return apply_calls(clients, change, read_current)


def verify(clients: Clients, change: PlannedChange) -> Verification:
    checked = verify_state(clients, change, read_current)
    failed = checked.current.get("replication_failed") or {}
    if not failed:
        return checked
    return replace(checked, message="; ".join(
        f"replication to {r} Failed ({message or 'no message'}): no replica was made" for
        r, message in failed.items()) + "; remove the Region from replication "
        "(RemoveRegionsFromReplication) and replicate again by hand, once the cause is fixed")


def undo_call(change: PlannedChange, before: Mapping[str, Any]) -> tuple[ApiCall, ...] | None:
    return None


def simulate(snapshot: Snapshot, change: PlannedChange) -> Snapshot:
    """The secret with an InSync replica, on the planned key, in each new region."""
    secret = find_secret(snapshot, change.resource_arn)
    added = tuple(ReplicaStatus(region=str(r["Region"]), kms_key_id=r.get("KmsKeyId"),
                                status="InSync")
                  for r in change.calls[0].params["AddReplicaRegions"])
    return with_secret(snapshot, change.resource_arn,
                       replicas=tuple(secret.replicas or ()) + added)
