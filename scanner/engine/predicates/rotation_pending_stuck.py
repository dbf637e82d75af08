"""AWSPENDING on a version other than the AWSCURRENT one: a rotation started and never finished
(RotateSecret will refuse to start another). A NextRotationDate in the past strengthens it."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, Result, parse_time, unknown
from scanner.engine.context import RuleContext


def rotation_pending_stuck(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                           args: Mapping[str, Any]) -> Result:
    if "version_stages" in (attrs.get("unread") or ()) or "version_stages" not in attrs:
        return unknown("version_stages (not read: see coverage)")
    stages: Mapping[str, Any] = attrs.get("version_stages") or {}
    current = [v for v, labels in stages.items() if "AWSCURRENT" in (labels or ())]
    pending = [v for v, labels in stages.items() if "AWSPENDING" in (labels or ())]
    stuck = [v for v in pending if v not in current]
    if not stuck:
        return Result(outcome=FALSE, facts=(("text", "no AWSPENDING label on a non-current "
                                                     "version"),))
    next_rotation = parse_time(attrs.get("next_rotation"))
    overdue = next_rotation is not None and next_rotation < ctx.now
    text = (f"AWSPENDING is on version {stuck[0]}, AWSCURRENT on "
            f"{current[0] if current else 'no version'}")
    if overdue:
        text += f"; NextRotationDate {attrs.get('next_rotation')} is in the past"
    return Result(outcome=TRUE, facts=(("text", text),), evidence={
        "pending_versions": stuck, "current_versions": current,
        "next_rotation": attrs.get("next_rotation"), "next_rotation_in_past": overdue})
