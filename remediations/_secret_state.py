"""Reading a secret's current state (DescribeSecret / GetResourcePolicy), normalised like the
snapshot records so plan-time and apply-time states compare."""

from __future__ import annotations

from typing import Any

from remediations.base import describe_key_ref
from scanner.changes import Clients
from remediations.policy_edit import parsed_or_none


def describe(clients: Clients, secret_arn: str, region: str) -> dict[str, Any]:
    resp = clients.client("secretsmanager", region).describe_secret(SecretId=secret_arn)
    rules = resp.get("RotationRules") or {}
    kms = resp.get("KmsKeyId")
    return {
        "rotation_enabled": bool(resp.get("RotationEnabled")),
        "rotation_lambda_arn": resp.get("RotationLambdaARN"),
        "rotation_days": rules.get("AutomaticallyAfterDays") or None,
        "rotation_schedule": rules.get("ScheduleExpression"),
        "kms_key_id": describe_key_ref(kms),
        "replica_regions": sorted(r["Region"] for r in resp.get("ReplicationStatus") or ()),
        "deleted": resp.get("DeletedDate") is not None,
    }


def replication(clients: Clients, secret_arn: str, region: str) -> dict[str, dict[str, Any]]:
    """Region -> its entry of DescribeSecret's ReplicationStatus (Status, StatusMessage)."""
    resp = clients.client("secretsmanager", region).describe_secret(SecretId=secret_arn)
    return {str(r["Region"]): {"status": r.get("Status"), "message": r.get("StatusMessage")}
            for r in resp.get("ReplicationStatus") or ()}


def resource_policy(clients: Clients, secret_arn: str, region: str) -> dict[str, Any]:
    resp = clients.client("secretsmanager", region).get_resource_policy(SecretId=secret_arn)
    text = resp.get("ResourcePolicy")
    return {"resource_policy": parsed_or_none(text), "resource_policy_text": text}
