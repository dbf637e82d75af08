"""The secret has no replica in some required region (parameter ``required_regions``, also set
by the config's ``required_replica_regions``; the secret's own region is never required). A
replication in status Failed left no replica: that region counts as missing. UNKNOWN when the
replication status was not read."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, Result, unknown
from scanner.engine.context import RuleContext
from scanner.model import REPLICATION_FAILED


def missing_replica_regions(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                            args: Mapping[str, Any]) -> Result:
    required = [r for r in args.get("required_regions") or () if r != attrs.get("region")]
    if not required:
        return Result(outcome=FALSE, facts=(("text", "no replica region required"),))
    if "replicas" in (attrs.get("unread") or ()) or attrs.get("replicas") is None:
        return unknown("replicas (DescribeSecret ReplicationStatus not read: see coverage)")
    replicas = list(attrs.get("replicas") or ())
    have = {r.get("region") for r in replicas if r.get("status") != REPLICATION_FAILED}
    failed = {str(r.get("region")): r.get("status_message") for r in replicas
              if r.get("status") == REPLICATION_FAILED}
    missing = [r for r in required if r not in have]
    if not missing:
        return Result(outcome=FALSE, facts=(("text", f"replicated to {', '.join(required)}"),))
    text = f"no replica in {', '.join(missing)}"
    if any(m in failed for m in missing):
        text += " (replication failed: " + "; ".join(
            f"{m}: {failed[m] or 'no message'}" for m in missing if m in failed) + ")"
    return Result(outcome=TRUE, facts=(("text", text),),
                  evidence={"missing_regions": missing, "failed_regions": failed,
                            "replica_regions": sorted(str(h) for h in have)})
