"""Reading a KMS key's current state (DescribeKey / GetKeyRotationStatus / GetKeyPolicy)."""

from __future__ import annotations

from typing import Any

from scanner.changes import Clients
from remediations.policy_edit import parsed_or_none


def key_state(clients: Clients, key_arn: str, region: str) -> dict[str, Any]:
    meta = clients.client("kms", region).describe_key(KeyId=key_arn)["KeyMetadata"]
    return {"key_state": meta.get("KeyState"), "enabled": bool(meta.get("Enabled"))}


def rotation(clients: Clients, key_arn: str, region: str) -> dict[str, Any]:
    resp = clients.client("kms", region).get_key_rotation_status(KeyId=key_arn)
    return {"rotation_enabled": bool(resp.get("KeyRotationEnabled"))}


def policy(clients: Clients, key_arn: str, region: str) -> dict[str, Any]:
    resp = clients.client("kms", region).get_key_policy(KeyId=key_arn, PolicyName="default")
    text = resp.get("Policy")
    return {"key_policy": parsed_or_none(text), "key_policy_text": text}
