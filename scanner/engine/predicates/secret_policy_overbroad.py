"""The secret's resource policy grants other accounts (or everyone) more than reading: a
wildcard that expands beyond the parameter ``allowed_actions``, a write/admin action
(PutResourcePolicy, PutSecretValue, DeleteSecret, ...), or Allow with NotAction. One FAIL per
principal."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, Result
from scanner.engine.context import RuleContext
from scanner.engine.predicates._common import account_of, policy_or_unknown
from scanner.policy.matching import action_matches

SECRETSMANAGER_ACTIONS = tuple(f"secretsmanager:{a}" for a in (
    "BatchGetSecretValue", "CancelRotateSecret", "CreateSecret", "DeleteResourcePolicy",
    "DeleteSecret", "DescribeSecret", "GetRandomPassword", "GetResourcePolicy", "GetSecretValue",
    "ListResourcePolicies", "ListSecretVersionIds", "ListSecrets", "PutResourcePolicy",
    "PutSecretValue", "RemoveRegionsFromReplication", "ReplicateSecretToRegions",
    "RestoreSecret", "RotateSecret", "StopReplicationToReplica", "TagResource",
    "UntagResource", "UpdateSecret", "UpdateSecretVersionStage", "ValidateResourcePolicy"))


@lru_cache(maxsize=4096)
def excess_actions(patterns: tuple[str, ...], allowed: tuple[str, ...]) -> list[str]:
    """Concrete Secrets Manager actions the patterns grant beyond ``allowed``."""
    granted = [a for a in SECRETSMANAGER_ACTIONS if any(action_matches(p, a) for p in patterns)]
    extra = [a for a in granted if not any(action_matches(x, a) for x in allowed)]
    unknown_names = [p for p in patterns if "*" not in p and "?" not in p
                     and p.lower().startswith("secretsmanager:")
                     and not any(p.lower() == a.lower() for a in SECRETSMANAGER_ACTIONS)
                     and not any(action_matches(x, p) for x in allowed)]
    return extra + unknown_names


def secret_policy_overbroad(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                            args: Mapping[str, Any]) -> Result:
    policy, problem = policy_or_unknown(attrs, "resource_policy", "resource_policy", ctx)
    if problem is not None:
        return problem
    if policy is None:
        return Result(outcome=FALSE, facts=(("text", "no resource policy"),))
    own = attrs.get("account_id")
    allowed = tuple(args.get("allowed_actions") or ())
    principals: list[str] = []
    facts: list[tuple[Any, ...]] = []
    messages: dict[str, str] = {}
    for st in policy.statements:
        if st.effect != "Allow" or st.principal is None:
            continue
        grantees = (["*"] if st.principal.star else []) + [
            e for e in st.principal.aws if account_of(e) not in (None, own)]
        if not grantees:
            continue
        if st.not_actions is not None:
            extra = ["NotAction (everything except " + ", ".join(st.not_actions) + ")"]
        else:
            extra = list(excess_actions(st.actions or (), allowed))
        if extra:
            shown = f"{', '.join(extra[:8])}{' ...' if len(extra) > 8 else ''}"
            for g in grantees:
                if g not in principals:
                    principals.append(g)
                messages[g] = (messages[g] + "; " if g in messages else "") + (
                    f"{st.label} grants {g}: {shown}")
            facts.append(("text", f"{st.label} grants {', '.join(grantees)}: {shown}"))
    if not principals:
        return Result(outcome=FALSE, facts=(("text", "other accounts get read actions only"),))
    return Result(outcome=TRUE, principals=tuple(principals), facts=tuple(facts),
                  evidence={"principals": principals}, principal_messages=messages)
