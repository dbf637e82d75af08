"""Active VPC peerings of a VPC against the quota "Active VPC peering connections per VPC"
(L-7E9ECCDB): the config's override (most specific wins), else the value read from Service
Quotas in the snapshot, else the AWS default 50. TRUE when count >= warn_ratio * quota.
UNKNOWN when EC2 in that account-region was not read. When Service Quotas could not be read
there (and the config sets no override) the applied quota is unknown: it can be anything from
the default 50 (a quota is only ever raised) up to the 125 it can be raised to, so count >=
warn_ratio * 125 is a definite FAIL, count < warn_ratio * 50 a definite PASS, and UNKNOWN in
between."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, Result, unknown
from scanner.engine.config import PEERING_QUOTA_CODE
from scanner.engine.context import RuleContext
from scanner.graph.schema import EdgeKind

DEFAULT_QUOTA = 50.0
MAX_QUOTA = 125.0  # L-7E9ECCDB is adjustable up to 125 (Amazon VPC quotas)
QUOTAS_SERVICE = "service-quotas"
#: a snapshot quota record's source, as a finding names it
_SOURCES = {"service-quotas": "Service Quotas", "default": "AWS default"}


def peering_quota_near_limit(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                             args: Mapping[str, Any]) -> Result:
    acct, region = str(attrs.get("account_id")), str(attrs.get("region"))
    # the VPC's peerings are all it counts: a failed route-table listing does not hide them
    gap = ctx.index.service_readable(acct, region, "ec2.peerings")
    if gap:
        return unknown(gap)
    active = sorted(
        str(ctx.graph.nodes[p].get("peering_id"))
        for p in ctx.index.neighbours(node_id, EdgeKind.PEERS.value)
        if ctx.graph.nodes[p].get("status") == "active")
    vpc_id = attrs.get("vpc_id")
    quota = ctx.config.quota(PEERING_QUOTA_CODE, acct, region, str(vpc_id))
    source = "config"
    ratio = float(args.get("warn_ratio", 0.8))
    if quota is None:
        quota_gap = ctx.index.service_readable(acct, region, QUOTAS_SERVICE)
        if quota_gap:  # the snapshot's value is then only the documented default
            if len(active) >= ratio * MAX_QUOTA:
                return Result(outcome=TRUE, facts=(("text", (
                    f"{len(active)} active peerings: at least {ratio:g} of even the highest "
                    f"quota ({MAX_QUOTA:g}); the applied quota was not read")),), evidence={
                    "active_peerings": len(active), "quota": None,
                    "quota_source": "not read", "warn_ratio": ratio,
                    "peerings": active[:50]})
            if len(active) < ratio * DEFAULT_QUOTA:
                # an applied quota is never below its default: the only change Service Quotas
                # offers is an increase ("DesiredValue: Specifies the new, increased value for
                # the quota.", Service Quotas API Reference, RequestServiceQuotaIncrease), so
                # a count below warn_ratio x the default is below warn_ratio x any applied quota
                return Result(outcome=FALSE, facts=(("text", (
                    f"{len(active)} active peerings: below {ratio:g} of even the default quota "
                    f"({DEFAULT_QUOTA:g}); the applied quota was not read")),), evidence={
                    "active_peerings": len(active), "quota": None,
                    "quota_source": "not read", "warn_ratio": ratio})
            return unknown(f"the peering quota {PEERING_QUOTA_CODE}: {quota_gap}",
                           f"{len(active)} active peerings; the applied quota was not read")
        known = ctx.index.quotas.get((acct, region, PEERING_QUOTA_CODE))
        if known is not None:  # where the snapshot's value came from, not "the snapshot"
            quota, source = known[0], _SOURCES.get(known[1], known[1])
    if quota is None:
        quota, source = DEFAULT_QUOTA, "AWS default"
    threshold = ratio * quota
    evidence = {"active_peerings": len(active), "quota": quota, "quota_source": source,
                "warn_ratio": ratio}
    fact = ("text", f"{len(active)} active peerings, quota {quota:g} ({source}), warning at "
                    f"{threshold:g}")
    if len(active) > quota:
        # AWS refuses peerings beyond the applied quota: more than it means the quota known
        # here is not the one applied (raised since, or a config override below it)
        fact = ("text", f"{len(active)} active peerings, over the quota {quota:g} ({source}): "
                        "the quota applied must be higher than the one known here")
        evidence["over_quota"] = True
    if len(active) >= threshold:
        evidence["peerings"] = active[:50]
        return Result(outcome=TRUE, facts=(fact,), evidence=evidence)
    return Result(outcome=FALSE, facts=(fact,), evidence=evidence)
