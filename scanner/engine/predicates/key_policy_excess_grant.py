"""A key that encrypts secrets lets principals of other accounts kms:Decrypt although no secret
encrypted with it grants them GetSecretValue. A key grantee is covered when a secret grants it
directly, grants its account root, or (for an account-root grantee) grants anyone in that
account; a public (``*``) secret grant covers everyone. Replicas count through their primary.
UNKNOWN when a secret's resource policy, the key policy, or the secret listing of the key's
account-region was not read (a key that "encrypts no secret" may only look that way because the
secrets could not be listed). One FAIL per excess principal."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, Result, unknown
from scanner.engine.context import RuleContext
from scanner.engine.predicates._common import (
    account_of,
    policy_or_unknown,
    root_of,
    statement_actions_match,
)
from scanner.graph.schema import EdgeKind, NodeKind


def _secrets_of_key(ctx: RuleContext, key: str) -> list[str]:
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
    secrets = _secrets_of_key(ctx, node_id)
    listing_gap = ctx.index.service_readable(str(attrs.get("account_id")),
                                             str(attrs.get("region")), "secretsmanager")
    if listing_gap:
        return unknown(listing_gap, "the secrets encrypted with the key could not all be listed")
    if not secrets:
        return Result(outcome=FALSE, facts=(("text", "the key encrypts no secret"),))
    policy, problem = policy_or_unknown(attrs, "policy", "key policy", ctx)
    if problem is not None:
        return problem
    if policy is None:
        return Result(outcome=FALSE, facts=(("text", "no key policy"),))
    own = attrs.get("account_id")
    decrypters: list[str] = []
    for st in policy.statements:
        if st.effect == "Allow" and st.principal is not None and statement_actions_match(
                st, ("kms:Decrypt",)):
            for e in st.principal.aws:
                acct = account_of(e)
                if acct is not None and acct != own and e not in decrypters:
                    decrypters.append(e)
    if not decrypters:
        return Result(outcome=FALSE, facts=(("text", "no other account may decrypt"),))
    granted: set[str] = set()
    public = False
    for s in secrets:
        sp, sproblem = policy_or_unknown(ctx.graph.nodes[s], "resource_policy",
                                         f"resource_policy of {s}", ctx)
        if sproblem is not None:
            return sproblem
        for st in (sp.statements if sp else ()):
            if st.effect == "Allow" and st.principal is not None and statement_actions_match(
                    st, ("secretsmanager:GetSecretValue",)):
                public = public or st.principal.star
                granted.update(st.principal.aws)
    if public:
        return Result(outcome=FALSE, facts=(("text", "a secret grants everyone"),))
    granted_accounts = {a for a in (account_of(g) for g in granted) if a}
    excess = []
    for e in decrypters:
        acct = str(account_of(e))
        is_root = e in (acct, root_of(acct))
        covered = (e in granted or acct in granted or root_of(acct) in granted
                   or (is_root and acct in granted_accounts))
        if not covered:
            excess.append(e)
    if not excess:
        return Result(outcome=FALSE, facts=(("text", "every decrypt grant matches a secret "
                                                     "grant"),))
    return Result(outcome=TRUE, principals=tuple(excess),
                  facts=(("text", f"kms:Decrypt granted to {', '.join(excess)} but no secret "
                                  f"encrypted with the key grants them (secrets: {len(secrets)})"),),
                  evidence={"excess_principals": excess, "secrets": secrets[:20]},
                  principal_messages={e: f"kms:Decrypt granted to {e} but no secret encrypted "
                                         f"with the key grants it" for e in excess})
