"""Shared read / undo for the two remediators that edit a secret's resource policy."""

from __future__ import annotations

from typing import Any, Mapping

from remediations import _secret_state
from scanner.changes import ApiCall, Clients, PlanContext, PlanRefused, PlannedChange
from scanner.model import Secret


def target(secret_arn: str) -> str:
    return f"secret-policy:{secret_arn}"


def current_text(secret: Secret, ctx: PlanContext) -> str | None:
    """The policy text this change starts from: an earlier change's result in the same plan,
    else the snapshot's."""
    overlay = ctx.overlay.get(target(secret.arn))
    if overlay is not None:
        text = overlay.get("policy_text")
        return text if isinstance(text, str) else None
    if secret.is_replica:
        raise PlanRefused("a replica's resource policy follows its primary; edit the primary")
    return secret.resource_policy


def read_current(clients: Clients, change: PlannedChange) -> dict[str, Any]:
    return _secret_state.resource_policy(clients, change.resource_arn, change.region)


def undo_calls(change: PlannedChange, before: Mapping[str, Any]) -> tuple[ApiCall, ...] | None:
    text = before.get("resource_policy_text")
    if isinstance(text, str) and text.strip():
        # BlockPublicPolicy off: the previous policy may be exactly what it would reject.
        return (ApiCall(service="secretsmanager", operation="PutResourcePolicy",
                        region=change.region,
                        params={"SecretId": change.resource_arn, "ResourcePolicy": text,
                                "BlockPublicPolicy": False}),)
    return (ApiCall(service="secretsmanager", operation="DeleteResourcePolicy",
                    region=change.region, params={"SecretId": change.resource_arn}),)
