"""A key that encrypts secrets lets principals of other accounts kms:Decrypt although no secret
encrypted with it grants them GetSecretValue. A key grantee is covered when a secret grants it
directly, grants its account root, or (for an account-root grantee) grants anyone in that
account; a public (``*`` or NotPrincipal) secret grant covers everyone. A ``*`` key statement
narrowed to named accounts (kms:CallerAccount, aws:PrincipalAccount, ...) grants each of them.
Replicas count through their primary. The statements are those of
scanner.policy.exposure.excess_key_grants. UNKNOWN when the key policy or a secret's resource
policy was not read. One FAIL per excess principal."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, Result
from scanner.engine.context import RuleContext
from scanner.engine.predicates._common import policy_or_unknown
from scanner.graph.schema import EdgeKind, NodeKind
from scanner.policy import Policy
from scanner.policy.exposure import excess_key_grants, principals_of


def secrets_of_key(ctx: RuleContext, key: str) -> list[str]:
    out: list[str] = []
    for src in ctx.index.neighbours(key, EdgeKind.ENCRYPTED_BY.value, "in"):
        kind = ctx.graph.nodes[src].get("kind")
        if kind == NodeKind.SECRET.value:
            out.append(src)
        elif kind == NodeKind.SECRET_REPLICA.value:
            out.extend(ctx.index.neighbours(src, EdgeKind.REPLICA_OF.value))
    return sorted(set(out))


def key_policy_excess_grant(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                            args: Mapping[str, Any]) -> Result:
    secrets = secrets_of_key(ctx, node_id)
    if not secrets:
        return Result(outcome=FALSE, facts=(("text", "the key encrypts no secret"),))
    policy, problem = policy_or_unknown(attrs, "policy", "key policy", ctx)
    if problem is not None:
        return problem
    if policy is None:
        return Result(outcome=FALSE, facts=(("text", "no key policy"),))
    secret_policies: list[Policy | None] = []
    for s in secrets:
        sp, sproblem = policy_or_unknown(ctx.graph.nodes[s], "resource_policy",
                                         f"resource_policy of {s}", ctx)
        if sproblem is not None:
            return sproblem
        secret_policies.append(sp)
    matches = excess_key_grants(policy, secret_policies, key_account=attrs.get("account_id"))
    if not matches:
        return Result(outcome=FALSE, facts=(("text", "every decrypt grant to another account "
                                                     "matches a secret grant"),))
    excess = principals_of(matches)
    return Result(outcome=TRUE, principals=tuple(excess),
                  facts=(("text", f"kms:Decrypt granted to {', '.join(excess)} but no secret "
                                  f"encrypted with the key grants them (secrets: {len(secrets)})"),),
                  evidence={"excess_principals": excess, "secrets": secrets[:20],
                            "matched_statements": [m.to_json() for m in matches]},
                  principal_messages={e: f"kms:Decrypt granted to {e} but no secret encrypted "
                                         f"with the key grants it" for e in excess})
