"""Per key: its kms:Decrypt grants, the secrets it encrypts, and the grants no secret policy
goes with (kms-key-policy-excess-grant reads them); and identity statements that grant every
secret or key (identity-policy-secret-wildcard)."""

from __future__ import annotations

from typing import Any

from scanner.access.grants import policy_grants
from scanner.access.graph_io import SecretView, policy_input
from scanner.access.identity import PrincipalIndex, wildcard_grants
from scanner.access.settings import AccessSettings
from scanner.access.verdicts import Grant, IdentityWildcard, KeyAccess
from scanner.policy.parse import parse_policy
from scanner.policy.principals import entry_account


def key_access(key_id: str, attrs: dict[str, Any], views: list[SecretView],
               settings: AccessSettings) -> KeyAccess:
    text = attrs.get("policy")
    policy = parse_policy(text) if text else None
    region = attrs.get("region") or ""
    grants = policy_grants(policy, source="key_policy", action=settings.decrypt_action,
                           resource=key_id, settings=settings,
                           extra_context={"kms:viaservice": (
                               f"secretsmanager.{region}.amazonaws.com",)})
    key_account = attrs.get("account_id") or ""
    missing: list[str] = []
    if views:
        missing.extend(m for m in (policy_input(attrs, "policy", "key policy")[1],) if m)
        missing.extend(dict.fromkeys(v.policy_missing for v in views if v.policy_missing))
    return KeyAccess(key_arn=key_id, account_id=key_account, region=region,
                     aws_managed=bool(attrs.get("aws_managed")),
                     collected=bool(attrs.get("collected", True)), grants=tuple(grants),
                     secrets=tuple(sorted(v.arn for v in views)),
                     primaries=tuple(sorted({v.primary_arn for v in views})),
                     excess_grants=() if missing or not views else _excess(grants, key_account,
                                                                         views),
                     missing=tuple(missing),
                     problems=tuple(policy.problems) if policy else ())


def _excess(grants: list[Grant], key_account: str, views: list[SecretView]) -> tuple[Grant, ...]:
    """Grants to a principal or account of another account that no secret covers."""
    if any(v.named.star for v in views):
        return ()  # a secret grants everyone
    arns: set[str] = set()
    accounts: set[str] = set()  # granted as a whole (id or root)
    arn_accounts: set[str] = set()  # someone in them is granted
    for v in views:
        arns |= v.named.arns
        accounts |= v.named.accounts
        arn_accounts |= {a for a in (entry_account(x) for x in v.named.arns) if a}
    out: dict[str, Grant] = {}
    for g in grants:
        if g.scope not in ("account", "principal") or g.account_id in (None, key_account):
            continue
        covered = g.account_id in accounts or g.principal in arns or (
            g.scope == "account" and g.account_id in arn_accounts)
        if not covered and g.principal not in out:
            out[g.principal] = g
    return tuple(out.values())


def identity_wildcards(index: PrincipalIndex) -> list[IdentityWildcard]:
    out: list[IdentityWildcard] = []
    for p in index.principals():
        for np in p.policies:
            if np.policy is None:
                continue
            for label, action in wildcard_grants(np.policy):
                out.append(IdentityWildcard(principal=p.arn, account_id=p.account_id,
                                            policy=np.name, statement=label, action=action))
    return out
