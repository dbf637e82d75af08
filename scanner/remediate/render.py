"""Showing a plan to a person: one table row per change, then the calls and policy diffs."""

from __future__ import annotations

import json

from tabulate import tabulate

from scanner.changes import PlannedChange, PolicyDiff
from scanner.remediate.planfile import Plan


def _resource(arn: str) -> str:
    return arn.split(":", 5)[-1] if arn.startswith("arn:") else arn


def render_plan(plan: Plan, *, show_skipped: bool = True) -> str:
    lines = [f"Plan {plan.plan_id} (created {plan.created_at}, scan {plan.estate.scan_id}, "
             f"organization {plan.estate.org_id or '-'}): {len(plan.changes)} change(s)"]
    if plan.changes:
        rows = [[i + 1, c.remediation_id, c.account_id, c.region, _resource(c.resource_arn),
                 c.summary, "yes" if c.reversible else "no"]
                for i, c in enumerate(plan.changes)]
        lines.append(tabulate(rows, headers=["#", "remediation", "account", "region", "resource",
                                             "change", "undo"], tablefmt="simple"))
        for i, change in enumerate(plan.changes):
            lines.append("")
            lines.extend(render_change(i + 1, change))
    if show_skipped and plan.skipped:
        lines.append("")
        lines.append(f"Not planned ({len(plan.skipped)}):")
        rows = [[s.rule_id, _resource(s.resource_arn), s.reason] for s in plan.skipped]
        lines.append(tabulate(rows, headers=["rule", "resource", "why"], tablefmt="simple"))
    return "\n".join(lines)


def render_change(number: int, change: PlannedChange) -> list[str]:
    out = [f"[{number}] {change.change_id} {change.remediation_id} on {change.resource_arn}",
           f"    findings: {', '.join(change.finding_ids)}"]
    for call in change.calls:
        params = {k: v for k, v in call.params.items()
                  if not (change.policy_diff and v == change.policy_diff.after)}
        hidden = [k for k in call.params if k not in params]
        shown = json.dumps(params, sort_keys=True)
        out.append(f"    call {call.service}:{call.operation} in {call.region} {shown}"
                   + (f" + {', '.join(hidden)} (the policy after, below)" if hidden else ""))
    if change.policy_diff is not None:
        out.extend(render_policy_diff(change.policy_diff))
    for note in change.notes:
        out.append(f"    note: {note}")
    return out


def render_policy_diff(diff: PolicyDiff) -> list[str]:
    out = [f"    {diff.kind}: {diff.size_after} of {diff.size_limit} "
           f"{'bytes' if diff.kind == 'kms-key-policy' else 'characters'} after the change"]
    for s in diff.statements:
        label = f"statement {s.index}" + (f" ({s.sid})" if s.sid else "")
        if s.op == "unchanged":
            out.append(f"      = {label}: unchanged")
            continue
        out.append(f"      ~ {label}: {s.op}")
        if s.before is not None:
            out.append(f"        - {json.dumps(s.before, sort_keys=True)}")
        if s.after is not None:
            out.append(f"        + {json.dumps(s.after, sort_keys=True)}")
    return out
