"""enable-secret-rotation: turn on rotation with the configured function and schedule.

Fixes ``secret-rotation-disabled``. RotateSecret is called with ``RotateImmediately=False`` so the
first rotation happens in the next window, not during the change. Refuses without a configured
rotation function. Reversible: CancelRotateSecret turns rotation off again.
"""

from __future__ import annotations

from typing import Any, Mapping

from remediations import _secret_state
from remediations.base import find_secret, require_read
from scanner.changes import (ApiCall, AppliedChange, Clients, PlanContext, PlanRefused,
                             PlannedChange, RotationTarget, Verification, apply_calls, make_change,
                             verify_state, with_secret)
from scanner.findings import Finding
from scanner.model import Secret, Snapshot
from scanner.policy.arn import arn_region, function_name, unqualified_function

REMEDIATION_ID = "enable-secret-rotation"
PERMISSIONS = ("secretsmanager:DescribeSecret", "secretsmanager:RotateSecret",
               "secretsmanager:CancelRotateSecret", "lambda:InvokeFunction")
REVERSIBLE = True
EXPLICIT_ONLY = False
EVIDENCE_KEYS: tuple[str, ...] = ()


def _function_label(lambda_arn: str) -> str:
    """The function's name, with the version or alias the ARN names (``rotate:live``): a
    version or alias runs with its own role and VPC (graph.schema.rotation_function), so the
    plan names the one it attaches (ground-truth trial round 29: "enable rotation with rotate"
    for ...:function:rotate:live)."""
    qualifier = unqualified_function(lambda_arn)[1]
    name = function_name(lambda_arn)
    return f"{name}:{qualifier}" if qualifier and name != lambda_arn else name


def rotation_for(secret: Secret, ctx: PlanContext) -> RotationTarget | None:
    """The most specific configured function for the secret: account and engine match beat
    account alone, which beats engine alone, which beats a catch-all entry. The function must
    be in the secret's region (a rotation Lambda is regional)."""
    engine = secret.tags.get(ctx.config.engine_tag)
    best: tuple[int, RotationTarget] | None = None
    for entry in ctx.config.rotations:
        if entry.account_id not in (None, secret.account_id):
            continue
        if entry.engine not in (None, engine) or entry.region not in (None, secret.region):
            continue
        if arn_region(entry.lambda_arn) != secret.region:
            continue
        score = 2 * (entry.account_id is not None) + (entry.engine is not None)
        if best is None or score > best[0]:
            best = (score, entry)
    return best[1] if best else None


def plan(finding: Finding, snapshot: Snapshot, ctx: PlanContext) -> list[PlannedChange]:
    secret = find_secret(snapshot, finding.resource.arn)
    require_read(secret.unread, ("rotation_enabled",), f"secret {secret.arn}")
    if secret.rotation_enabled:
        return []
    target = rotation_for(secret, ctx)
    if target is None:
        engine = secret.tags.get(ctx.config.engine_tag)
        which = f"engine {engine!r}" if engine else \
            f"no engine (the secret has no {ctx.config.engine_tag!r} tag)"
        raise PlanRefused(
            f"no rotation function configured for account {secret.account_id}, region "
            f"{secret.region}, {which}: add one to rotation_functions in --config")
    rules: dict[str, Any] = {}
    if target.schedule:
        rules["ScheduleExpression"] = target.schedule
    else:
        rules["AutomaticallyAfterDays"] = target.days or ctx.config.rotation_days
    if target.duration:
        rules["Duration"] = target.duration
    call = ApiCall(service="secretsmanager", operation="RotateSecret", region=secret.region,
                   params={"SecretId": secret.arn, "RotationLambdaARN": target.lambda_arn,
                           "RotationRules": rules, "RotateImmediately": False})
    desired: dict[str, Any] = {"rotation_enabled": True, "rotation_lambda_arn": target.lambda_arn}
    if "AutomaticallyAfterDays" in rules:
        desired["rotation_days"] = rules["AutomaticallyAfterDays"]
    schedule = rules.get("ScheduleExpression") or f"every {rules['AutomaticallyAfterDays']} days"
    notes = ["RotateImmediately=False: the first rotation runs in the next rotation window"]
    if secret.rotation_lambda_arn or secret.rotation_days or secret.rotation_schedule:
        # rotation turned off (CancelRotateSecret) keeps its function and schedule; no call
        # sets them without turning rotation on (Secrets Manager API Reference,
        # CancelRotateSecret: "To turn on automatic rotation again, call RotateSecret"), so the
        # undo cannot put them back: said, not left to the rescan (safe-fixes trial round 19)
        had = secret.rotation_schedule or (f"every {secret.rotation_days} days"
                                           if secret.rotation_days else "no schedule")
        fn = function_name(secret.rotation_lambda_arn) if secret.rotation_lambda_arn \
            else "no function"
        notes.append(f"the secret keeps a rotation it had before, turned off: {fn} ({had}); "
                     "this change replaces it, and --undo (CancelRotateSecret) turns rotation "
                     "off again without putting that function and schedule back")
    return [make_change(
        remediation_id=REMEDIATION_ID, finding=finding, account_id=secret.account_id,
        region=secret.region, resource_arn=secret.arn, target=f"secret-rotation:{secret.arn}",
        summary=f"enable rotation with {_function_label(target.lambda_arn)} ({schedule})",
        calls=[call], pre_state={"rotation_enabled": False}, desired_state=desired,
        details={"rotation_rules": rules}, notes=notes)]


def read_current(clients: Clients, change: PlannedChange) -> dict[str, Any]:
    return _secret_state.describe(clients, change.resource_arn, change.region)


def apply(clients: Clients, change: PlannedChange) -> AppliedChange:
    return apply_calls(clients, change, read_current)


def verify(clients: Clients, change: PlannedChange) -> Verification:
    return verify_state(clients, change, read_current)


def undo_call(change: PlannedChange, before: Mapping[str, Any]) -> tuple[ApiCall, ...] | None:
    return (ApiCall(service="secretsmanager", operation="CancelRotateSecret",
                    region=change.region, params={"SecretId": change.resource_arn}),)


def simulate(snapshot: Snapshot, change: PlannedChange) -> Snapshot:
    """Rotation on, with the function and schedule RotateSecret sets."""
    rules = change.calls[0].params.get("RotationRules") or {}
    return with_secret(snapshot, change.resource_arn, rotation_enabled=True,
                       rotation_lambda_arn=change.desired_state["rotation_lambda_arn"],
                       rotation_days=rules.get("AutomaticallyAfterDays"),
                       rotation_schedule=rules.get("ScheduleExpression"),
                       rotation_duration=rules.get("Duration"))
