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
from scanner.policy.arn import principal_account
from scanner.policy.exposure import excess_key_grants
from scanner.policy.parse import Policy, parse_policy


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
    # a secret scheduled for deletion grants no one (it cannot be read, nor its policy)
    views = [v for v in views if not v.scheduled_deletion]
    missing: list[str] = []
    excess: tuple[Grant, ...] = ()
    if views:
        key_missing = policy_input(attrs, "policy", "key policy")[1]
        secrets_missing = list(dict.fromkeys(v.policy_missing for v in views
                                             if v.policy_missing))
        if key_missing:
            missing = [key_missing, *secrets_missing]
        elif policy is not None:
            excess = _excess(policy, grants, key_account, views)
            # a secret policy not read can only cover more of the key's grants: with none in
            # excess over the policies read, none is over all of them (a definite PASS)
            if excess and secrets_missing:
                missing, excess = secrets_missing, ()
    return KeyAccess(key_arn=key_id, account_id=key_account, region=region,
                     aws_managed=bool(attrs.get("aws_managed")),
                     collected=bool(attrs.get("collected", True)), grants=tuple(grants),
                     secrets=tuple(sorted(v.arn for v in views)),
                     primaries=tuple(sorted({v.primary_arn for v in views})),
                     excess_grants=excess,
                     missing=tuple(missing),
                     problems=tuple(policy.problems) if policy else ())


def _excess(policy: Policy, grants: list[Grant], key_account: str,
            views: list[SecretView]) -> tuple[Grant, ...]:
    """The key's grants that scanner.policy.exposure.excess_key_grants matches (one home for
    "excess key grant": the rule, this report and remediation agree), one per principal. A
    principal named only by a condition of a ``*`` statement keeps the grant that statement
    gives it, or gets one of scope ``account``."""
    by_entry = {(g.statement, g.principal): g for g in grants}
    out: dict[str, Grant] = {}
    primaries: dict[str, Policy | None] = {}
    for v in views:  # replicas carry their primary's policy: count each primary once
        primaries.setdefault(v.primary_arn, v.policy)
    for m in excess_key_grants(policy, list(primaries.values()), key_account=key_account):
        for p in m.principals:
            if p in out:
                continue
            out[p] = by_entry.get((m.label, p)) or Grant(
                source="key_policy", statement=m.label, principal=p, scope="account",
                account_id=principal_account(p), in_zone=False,
                conditions=(m.condition_key,) if m.condition_key else ())
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
