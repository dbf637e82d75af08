"""Reading a secret's current state (DescribeSecret / GetResourcePolicy), normalised like the
snapshot records so plan-time and apply-time states compare."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from remediations.base import describe_key_ref
from scanner.aws.errors import error_kind
from scanner.changes import Clients
from remediations.policy_edit import parsed_or_none


def scheduled_for_deletion(described: Any) -> bool:
    """Whether a DescribeSecret answer is of a secret scheduled for deletion (DeletedDate
    set): Secrets Manager refuses to change it ("You can't perform this operation on the
    secret because it was marked for deletion"), so the engine refuses a change to it, an
    apply's and an undo's alike (``"deleted"`` in every state read of a secret)."""
    return described.get("DeletedDate") is not None


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
        "deleted": scheduled_for_deletion(resp),
    }


def exists(clients: Clients, secret_arn: str, region: str) -> bool:
    """Whether the secret of this ARN is still there to read: False when Secrets Manager answers
    ResourceNotFoundException (deleted -- or deleted and re-created under its name, which gives
    it another ARN: the suffix is new) or the secret is scheduled for deletion (DeletedDate);
    any other failure is raised, as every state read's is."""
    try:
        described = clients.client("secretsmanager", region).describe_secret(SecretId=secret_arn)
    except ClientError as exc:
        if error_kind(exc, region=region) == "not_found":  # the one classifier (gone_reason's)
            return False
        raise
    return not scheduled_for_deletion(described)


def replication(clients: Clients, secret_arn: str, region: str
                ) -> tuple[dict[str, dict[str, Any]], bool]:
    """Region -> its entry of DescribeSecret's ReplicationStatus (Status, StatusMessage); and
    whether the secret is scheduled for deletion."""
    resp = clients.client("secretsmanager", region).describe_secret(SecretId=secret_arn)
    return ({str(r["Region"]): {"status": r.get("Status"), "message": r.get("StatusMessage")}
             for r in resp.get("ReplicationStatus") or ()}, scheduled_for_deletion(resp))


def resource_policy(clients: Clients, secret_arn: str, region: str) -> dict[str, Any]:
    """The policy, with ``"deleted"`` from DescribeSecret: a secret scheduled for deletion
    since the scan (or the apply) was read as its policy alone, and its change went ahead (or
    failed at AWS: safe-fixes trial round 11)."""
    client = clients.client("secretsmanager", region)
    if scheduled_for_deletion(client.describe_secret(SecretId=secret_arn)):
        return {"deleted": True}
    resp = client.get_resource_policy(SecretId=secret_arn)
    text = resp.get("ResourcePolicy")
    return {"resource_policy": parsed_or_none(text), "resource_policy_text": text,
            "deleted": False}
