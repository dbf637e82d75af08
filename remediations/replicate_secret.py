"""replicate-secret: replicate a secret to the regions it is missing from, with a CMK there.

Fixes ``secret-not-replicated``: ReplicateSecretToRegions with, for each region, the configured
key of that account-region, else the replica of the secret's multi-Region key in that region. It
never lets a replica fall back to aws/secretsmanager: without a key for a region it refuses.
``ForceOverwriteReplicaSecret=False``: an existing secret of the same name in the region is
never overwritten. Not reversible by this tool: removing a replica deletes a secret.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from remediations import _secret_state
from remediations.base import (evidence_list, find_key, find_secret, index_of,
                               secret_on_aws_managed_key)
from scanner.changes import (ApiCall, AppliedChange, Clients, PlanContext, PlanRefused,
                             PlannedChange, Verification, apply_calls, make_change, verify_state,
                             with_secret)
from scanner.findings import Finding
from scanner.model import REPLICATION_FAILED, ReplicaStatus, Secret, Snapshot
from scanner.policy.arn import arn_region

REMEDIATION_ID = "replicate-secret"
PERMISSIONS = ("secretsmanager:DescribeSecret", "secretsmanager:ReplicateSecretToRegions",
               "secretsmanager:CreateSecret", "kms:GenerateDataKey", "kms:Decrypt",
               "kms:Encrypt")
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
    call = ApiCall(service="secretsmanager", operation="ReplicateSecretToRegions",
                   region=secret.region,
                   params={"SecretId": secret.arn, "AddReplicaRegions": regions,
                           "ForceOverwriteReplicaSecret": False})
    return [make_change(
        remediation_id=REMEDIATION_ID, finding=finding, account_id=secret.account_id,
        region=secret.region, resource_arn=secret.arn,
        target=f"secret-replicas:{secret.arn}:{','.join(missing)}",
        summary=f"replicate to {', '.join(missing)} with a customer-managed key",
        calls=[call], pre_state={f"replica:{r}": False for r in missing},
        desired_state={f"replica:{r}": True for r in missing},
        details={"regions": missing}, reversible=False,
        notes=["undo is not offered: removing a replica deletes a secret"])]


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
