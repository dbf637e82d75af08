"""A multi-Region replica key's policy grants differ from its primary's. Statements are compared
without Sid and Resource, with each key's own region written as ``<region>`` and the other key's
as ``<peer-region>`` (kms:ViaService values legitimately name the region: a replica naming its
own where the primary names its own is a copy, and so is one policy naming both Regions, the
same text on both keys -- ground-truth trial round 20: rewriting only each key's own Region
turned that text into two different statements). UNKNOWN when the primary or either policy was
not read."""

from __future__ import annotations

import json
from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, Result, unknown
from scanner.engine.context import RuleContext
from scanner.engine.predicates._common import policy_or_unknown
from scanner.graph.schema import EdgeKind
from scanner.policy import Policy


def _relative(value: Any, region: str, peer: str) -> Any:
    """``value`` with ``region`` written as <region> and ``peer`` as <peer-region> in every
    string, lists sorted after the rewrite (a list naming both Regions reads the same from
    either key)."""
    if isinstance(value, str):
        return value.replace(region, "<region>").replace(peer, "<peer-region>")
    if isinstance(value, list):
        return sorted((_relative(v, region, peer) for v in value),
                      key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, dict):
        return {k: _relative(v, region, peer) for k, v in value.items()}
    return value


def _grants(policy: Policy, region: str, peer: str) -> set[str]:
    out: set[str] = set()
    for st in policy.statements:
        p = st.principal
        item = {
            "effect": st.effect,
            "principal": None if p is None else {
                "star": p.star, "aws": sorted(p.aws), "service": sorted(p.service)},
            "not_principal": None if st.not_principal is None else sorted(st.not_principal.aws),
            "actions": sorted(a.lower() for a in st.actions or ()),
            "not_actions": sorted(a.lower() for a in st.not_actions or ()),
            "conditions": [{"operator": c.operator, "key": c.key, "values": list(c.values)}
                           for c in st.conditions],
        }
        out.add(json.dumps(_relative(item, region, peer), sort_keys=True))
    return out


def replica_key_policy_drift(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                             args: Mapping[str, Any]) -> Result:
    primaries = ctx.index.neighbours(node_id, EdgeKind.REPLICA_OF.value)
    primary = primaries[0] if primaries else attrs.get("primary_key_arn")
    if not primary or primary not in ctx.graph.nodes:
        return unknown(f"primary key {primary or '(unknown)'} (not in the snapshot)")
    pattrs = ctx.graph.nodes[primary]
    policy, problem = policy_or_unknown(attrs, "policy", "replica key policy", ctx)
    if problem is not None:
        return problem
    ppolicy, pproblem = policy_or_unknown(pattrs, "policy", f"key policy of primary {primary}",
                                          ctx)
    if pproblem is not None:
        return pproblem
    if policy is None or ppolicy is None:
        return unknown("key policy (absent)")
    region, pregion = str(attrs.get("region")), str(pattrs.get("region"))
    mine = _grants(policy, region, pregion)
    theirs = _grants(ppolicy, pregion, region)
    if mine == theirs:
        return Result(outcome=FALSE, facts=(("text", f"same grants as primary {primary}"),))
    only_primary = sorted(theirs - mine)
    only_replica = sorted(mine - theirs)
    return Result(outcome=TRUE, facts=(("text", f"{len(only_primary)} statement(s) only in the "
                                                f"primary {primary}, {len(only_replica)} only in "
                                                "this replica"),),
                  evidence={"primary": primary,
                            "only_in_primary": [json.loads(x) for x in only_primary],
                            "only_in_replica": [json.loads(x) for x in only_replica]})
