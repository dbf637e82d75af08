"""The secret's (or replica's) KMS key is not in the snapshot although the KMS keys of its
account-region were listed: the key was deleted. UNKNOWN when that listing was not read."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, UNKNOWN, Result, unknown
from scanner.engine.context import RuleContext
from scanner.graph.schema import EdgeKind


def key_missing(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                args: Mapping[str, Any]) -> Result:
    keys = ctx.index.neighbours(node_id, EdgeKind.ENCRYPTED_BY.value)
    if not keys:
        return unknown(f"encryption key of {node_id} (not in the graph)")
    outcome, facts, missing = FALSE, [], []
    for key in keys:
        k = ctx.graph.nodes[key]
        if k.get("collected", True):
            continue
        gap = ctx.index.service_readable(str(k.get("account_id")), str(k.get("region")), "kms")
        if gap:
            missing.append(f"key {key}: {gap}")
            if outcome == FALSE:
                outcome = UNKNOWN
        else:
            outcome = TRUE
            facts.append(("text", f"key {key} does not exist in {k.get('account_id')}/"
                                  f"{k.get('region')}"))
    return Result(outcome=outcome, facts=tuple(facts), missing=tuple(missing))
