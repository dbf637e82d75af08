"""The secret has no replica in some required region (parameter ``required_regions``, also set
by the config's ``required_replica_regions``; the secret's own region is never required), or in
a region its owner asked to replicate to whose replication Failed. A replication in status
Failed left no replica (Secrets Manager API Reference, ReplicationStatusType: "The status can
be InProgress, Failed, or InSync"): that region counts as missing, whether or not the config
requires it -- the secret's ReplicationStatus lists it, so a replica was wanted there
(ground-truth trial round 23: a replication that failed for a name conflict was reported by no
rule). UNKNOWN when the replication status was not read and some region is required."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, Result, unknown
from scanner.engine.context import RuleContext
from scanner.model import REPLICATION_FAILED


def missing_replica_regions(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                            args: Mapping[str, Any]) -> Result:
    required = [r for r in args.get("required_regions") or () if r != attrs.get("region")]
    read = "replicas" not in (attrs.get("unread") or ()) and attrs.get("replicas") is not None
    replicas = list(attrs.get("replicas") or ()) if read else []
    failed = {str(r.get("region")): r.get("status_message") for r in replicas
              if r.get("status") == REPLICATION_FAILED}
    # a Region the owner asked for (its replication is listed) is wanted there too
    required += [r for r in sorted(failed) if r not in required]
    if not required:
        return Result(outcome=FALSE, facts=(("text", "no replica region required"),))
    if not read:
        return unknown("replicas (DescribeSecret ReplicationStatus not read: see coverage)")
    have = {r.get("region") for r in replicas if r.get("status") != REPLICATION_FAILED}
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
