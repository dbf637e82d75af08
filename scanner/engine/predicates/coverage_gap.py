"""A coverage group (an account, or an account-region) with calls that could not be completed:
what they were and why (denied, throttled, region disabled, ...)."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, Result
from scanner.engine.context import RuleContext


def coverage_gap(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                 args: Mapping[str, Any]) -> Result:
    entries = list(attrs.get("entries") or ())
    if not entries:
        return Result(outcome=FALSE, facts=(("text", "everything was read"),))
    facts = tuple(("text", f"{e.get('service')} {e.get('operation')}: {e.get('error_code')} "
                           f"({e.get('error_kind')})"
                           + (f" on {e.get('resource_arn')}" if e.get("resource_arn") else "")
                           # whose credentials expired, and what to do (scanner.aws.errors)
                           + (f": {e.get('message')}"
                              if e.get("error_kind") == "expired_credentials" else ""))
                  for e in entries[:8])
    evidence: dict[str, Any] = {
        "entries": entries[:100], "entry_count": len(entries),
        "services": sorted({str(e.get("service")) for e in entries})}
    if len(entries) > len(facts):
        # facts for the first eight entries only (the evidence keeps eight, as the runner
        # does); facts_total makes the message count every entry ("...; and 11 more" of 13)
        evidence["facts_total"] = len(entries)
    return Result(outcome=TRUE, facts=facts, evidence=evidence)
