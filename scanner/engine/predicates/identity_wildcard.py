"""An IAM role or user whose identity policies (inline, attached managed, and its groups') allow
secretsmanager:GetSecretValue or kms:Decrypt on every resource (``Resource: "*"`` or
NotResource) without any Condition. UNKNOWN when an attached policy's document was not read."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from scanner.engine.conditions import FALSE, TRUE, UNKNOWN, Result, unknown
from scanner.engine.context import RuleContext
from scanner.policy import parse_policy
from scanner.policy.exposure import acts_on

ACTIONS = ("secretsmanager:GetSecretValue", "kms:Decrypt")


def _documents(ctx: RuleContext, attrs: Mapping[str, Any]
               ) -> Iterator[tuple[str, Mapping[str, Any] | None]]:
    for name, doc in (attrs.get("inline_policies") or {}).items():
        yield f"inline {name}", doc
    arns = list(attrs.get("attached_policy_arns") or ())
    for group in attrs.get("group_names") or ():
        g = ctx.index.groups.get((str(attrs.get("account_id")), str(group)))
        if g is None:
            yield f"group {group}", None
            continue
        for name, doc in (g.get("inline_policies") or {}).items():
            yield f"group {group} inline {name}", doc
        arns.extend(g.get("attached_policy_arns") or ())
    for arn in arns:
        yield arn, ctx.index.managed_policies.get(arn)


def identity_wildcard(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                      args: Mapping[str, Any]) -> Result:
    if "inline_policies" not in attrs:
        return unknown(f"identity policies of {node_id} (IAM of account "
                       f"{attrs.get('account_id')} not read)")
    hits: list[str] = []
    missing: list[str] = []
    for label, doc in _documents(ctx, attrs):
        if doc is None:
            missing.append(f"policy document {label} (not read)")
            continue
        # the same managed policy document is attached to many principals: parse (and
        # canonicalise) it once per run; documents live in the graph for the whole run
        key = ("identity_wildcard.policy", id(doc))
        policy = ctx.cache.get(key)
        if policy is None:
            policy = ctx.cache[key] = parse_policy(doc)
        if policy.problems:
            missing.append(f"policy document {label} (unparseable)")
            continue
        for st in policy.statements:
            if st.effect != "Allow" or st.conditions:
                continue
            everything = st.not_resources is not None or "*" in (st.resources or ())
            if not everything:
                continue
            matched = [a for a in ACTIONS if acts_on(st, (a,))]
            if matched:
                hits.append(f"{label} {st.label}: {', '.join(matched)} on *")
    if hits:
        return Result(outcome=TRUE, facts=tuple(("text", h) for h in hits),
                      evidence={"statements": hits}, missing=tuple(missing))
    if missing:
        return Result(outcome=UNKNOWN, missing=tuple(missing))
    return Result(outcome=FALSE, facts=(("text", "no unconditional wildcard read of secrets or "
                                                 "keys"),))
