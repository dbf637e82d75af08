"""Intended cross-account access that does not work: a CAN_READ edge (from access analysis)
from a principal in another account whose secret resource-policy gate is ALLOWED or
CONDITIONAL -- the owner meant to grant it -- while another gate (key policy, identity policy,
SCP) is DENIED. UNKNOWN when a gate is UNKNOWN, or when access analysis did not run; the
identity policies of accounts outside the scan can never be read, so for their principals an
UNKNOWN identity gate alone is out of scope. A principal the resource policy does not name is
not "intended" and is left to the other rules; nor is a principal outside the trust zone and the
config's allowed_external_accounts: secret-policy-external-account reports that grant, with the
gate that blocks it, and remediation never completes it. One FAIL per principal."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, UNKNOWN, Result
from scanner.engine.context import RuleContext
from scanner.graph.schema import EdgeKind

GATES = ("resource_policy", "key_policy", "identity_policy", "scp")
_GRANTING = ("ALLOWED", "CONDITIONAL")


def access_gates_conflict(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                          args: Mapping[str, Any]) -> Result:
    if ctx.access is None:
        return Result(outcome=UNKNOWN, missing=("access analysis (not run)",))
    own = attrs.get("account_id")
    zone = ctx.index.trust_zone
    allowed = set(ctx.config.allowed_external_accounts)
    broken: list[str] = []
    facts: list[tuple[Any, ...]] = []
    undecided: list[str] = []
    details: dict[str, Any] = {}
    denied_by: dict[str, list[str]] = {}
    for principal, data in ctx.index.edges(node_id, EdgeKind.CAN_READ.value, "in"):
        p_account = (ctx.graph.nodes[principal].get("account_id")
                     if principal in ctx.graph.nodes else None)
        if p_account == own:
            continue
        if not zone.contains(p_account) and p_account not in allowed:
            continue  # outside the zone: not intended access (secret-policy-external-account)
        gates: Mapping[str, Any] = data.get("gates") or {}
        if str(gates.get("resource_policy")) not in _GRANTING:
            continue
        denied = [g for g in GATES[1:] if str(gates.get(g)) == "DENIED"]
        unknown_gates = [g for g in GATES[1:] if str(gates.get(g)) == "UNKNOWN"]
        if denied:
            if principal in details:  # several CAN_READ edges of one principal: one finding
                continue
            broken.append(principal)
            denied_by[principal] = denied
            reasons = "; ".join(str(r) for r in data.get("reasons") or ())
            reasons = reasons if len(reasons) <= 300 else reasons[:299] + "…"
            facts.append(("text", f"{principal}: granted by the resource policy but denied by "
                                  f"{', '.join(denied)}{' (' + reasons + ')' if reasons else ''}"))
            details[principal] = {g: str(gates.get(g)) for g in GATES}
        elif unknown_gates:
            if (unknown_gates == ["identity_policy"]
                    and p_account not in ctx.index.scanned_accounts):
                # a foreign account's identity policies are never readable: out of scope
                continue
            undecided.append(f"{principal}: {', '.join(unknown_gates)}")
    if broken:
        # each principal's finding carries its own gates and reason only
        return Result(outcome=TRUE, principals=tuple(broken), facts=tuple(facts),
                      evidence={"gates": details},
                      principal_messages={p: str(f[1]) for p, f in zip(broken, facts)},
                      principal_evidence={p: {"gates": {p: details[p]},
                                              "denied_by": denied_by[p]} for p in broken})
    if undecided:
        return Result(outcome=UNKNOWN, missing=tuple(f"gate {u} (UNKNOWN)" for u in undecided))
    return Result(outcome=FALSE, facts=(("text", "every intended cross-account reader passes "
                                                 "all gates"),))
