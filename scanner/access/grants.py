"""Who a secret or key policy grants an action to, and whether that is unintended.

A ``*`` (or NotPrincipal) grant is *public* unless a condition narrows it
(scanner.policy.exposure.public_statements); a narrowed one that lets in a principal of the
organization through aws:PrincipalOrgID is *organization*-wide (not public; its breadth is
reported). A grant to an account or principal outside the trust zone and the allow-list
(scanner.policy.exposure.outside_zone_grants) is unintended.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from scanner.access.context import PrincipalFacts, principal_context
from scanner.access.settings import AccessSettings
from scanner.access.verdicts import Grant
from scanner.policy.evaluate import PolicyKind, evaluate_statement
from scanner.policy.exposure import (
    StatementMatch,
    condition_accounts,
    condition_organizations,
    everyone,
    outside_zone_grants,
    public_statements,
)
from scanner.policy.arn import arn_partition
from scanner.policy.matching import action_matches
from scanner.policy.parse import Policy, Statement
from scanner.policy.principals import entry_account, is_account_entry
from scanner.policy.request import Request
from scanner.policy.tri import Tri


@dataclass(frozen=True, kw_only=True, slots=True)
class NamedPrincipals:
    """The AWS principal entries of a policy's Allow statements for one action."""

    arns: frozenset[str]
    accounts: frozenset[str]
    star: bool  # "*" or NotPrincipal: any principal may match

    def names(self, arn: str, account_id: str | None) -> bool:
        return arn in self.arns or (account_id is not None and account_id in self.accounts)


def _acts(st: Statement, action: str) -> bool:
    if st.actions is not None:
        return any(action_matches(a, action) for a in st.actions)
    if st.not_actions is not None:
        return not any(action_matches(a, action) for a in st.not_actions)
    return True  # malformed: may act


def named_principals(policy: Policy | None, action: str,
                     partition: str = "aws") -> NamedPrincipals:
    """``partition``: the resource's. An entry of another partition names no one who can
    read it: "You cannot use IAM credentials from one partition to interact with resources
    in a different partition" (AWS fault isolation boundaries whitepaper, "Partitions") -- it
    is left out before evaluation (conformance trial round 8: an aws-us-gov role named on an
    aws secret was a conditional reader, its IAM "not read")."""
    arns: set[str] = set()
    accounts: set[str] = set()
    star = False
    if policy is None:
        return NamedPrincipals(arns=frozenset(), accounts=frozenset(), star=False)
    if policy.problems:
        return NamedPrincipals(arns=frozenset(), accounts=frozenset(), star=True)
    for st in policy.statements:
        if st.effect == "Deny" or not _acts(st, action):
            continue
        if st.problems or st.effect != "Allow" or st.not_principal is not None:
            star = True
        if st.principal is None:
            continue
        star |= st.principal.star
        for e in st.principal.aws:
            acct = entry_account(e)
            if (arn_partition(e) or partition) != partition:
                continue
            if is_account_entry(e) and acct:
                accounts.add(acct)
            elif e.startswith("arn:"):
                arns.add(e)
    return NamedPrincipals(arns=frozenset(arns), accounts=frozenset(accounts), star=star)


def _probe(account: str, settings: AccessSettings, action: str, resource: str,
           extra: dict[str, tuple[str, ...]]) -> Request:
    facts = PrincipalFacts(arn=f"arn:aws:iam::{account}:role/any-principal",
                           account_id=account, principal_type="role")
    ctx, absent, excluded = principal_context(facts, settings)
    ctx.pop("aws:principalarn", None)  # which principal of that account: unknown
    ctx.update(extra)
    return Request(principal_arn=facts.arn, principal_account=account, action=action,
                   resource=resource, principal_type="role", context=ctx,
                   absent=frozenset(absent), excluded=excluded, time_floor=settings.time_floor)


def _whole_org_path(value: str, org_id: str) -> bool:
    """An aws:PrincipalOrgPaths pattern matching every path of the organization: its id, an
    optional root, then ``*`` (Organizations paths: ``o-id/r-root/ou-.../``)."""
    return re.fullmatch(rf"{re.escape(org_id)}/(r-[a-z0-9]+/)?\*+", value) is not None


@lru_cache(maxsize=8)
def first_account(accounts: frozenset[str]) -> str | None:
    """The lowest account id of the set (a stand-in member of the organization); once per set,
    not once per secret (a frozenset's hash is computed once)."""
    return min(accounts, default=None)


def policy_grants(policy: Policy | None, *, source: str, action: str, resource: str,
                  settings: AccessSettings, extra_context: dict[str, tuple[str, ...]],
                  kind: PolicyKind = PolicyKind.RESOURCE) -> list[Grant]:
    """Every principal entry of the policy's Allow statements for ``action``. Which statements
    are public and which principals are outside the trust zone is decided by
    scanner.policy.exposure (the same statements the rules report and remediation edits)."""
    if policy is None or policy.problems:
        return []
    zone = settings.trust_zone
    public = {m.index for m in public_statements(policy)}
    outside: dict[tuple[int, str], StatementMatch] = {}
    for m in outside_zone_grants(policy, own_account=None, zone=zone):
        for e in m.principals:
            outside.setdefault((m.index, e), m)
    listed_accounts = settings.allowed_external_accounts

    def unintended(acct: str | None) -> str | None:
        if acct in listed_accounts:
            return None
        return "not-allow-listed" if listed_accounts else "outside-organization"

    out: list[Grant] = []
    member = first_account(settings.org_account_ids)
    for st in policy.statements:
        if st.effect != "Allow" or not _acts(st, action) or st.problems:
            continue
        if everyone(st):
            if st.index in public:
                out.append(Grant(source=source, statement=st.label,
                                 principal="*" if st.not_principal is None else
                                 "NotPrincipal", scope="public",
                                 conditions=tuple(sorted({c.key for c in st.conditions})),
                                 unintended="public"))
            else:
                scope = "restricted"
                # narrowed to our organization by its id, or by paths that cover the whole
                # organization (o-id/* or o-id/r-root/*: an outsider's paths never begin with
                # our id; a narrower path is an OU, not the organization -- conformance trial
                # round 6)
                if member is not None and settings.org_id and \
                        any(c.key == "aws:principalorgid" or (
                            c.key == "aws:principalorgpaths" and c.values and all(
                                _whole_org_path(v, settings.org_id) for v in c.values))
                            for c in st.conditions):
                    probe = _probe(member, settings, action, resource, extra_context)
                    inside, _, _ = evaluate_statement(st, probe, policy, kind)
                    if inside is not Tri.FALSE:
                        scope = "organization"
                out.append(Grant(source=source, statement=st.label, principal="*", scope=scope,
                                 in_zone=True))
                for c in st.conditions:
                    for v, acct in condition_accounts(c):
                        if (st.index, v) not in outside:
                            continue
                        out.append(Grant(source=source, statement=st.label, principal=v,
                                         scope="account", account_id=acct, in_zone=False,
                                         allow_listed=acct in listed_accounts,
                                         conditions=(c.key,), unintended=unintended(acct)))
                    for v in condition_organizations(c, zone.org_id,
                                                     none_ours=zone.no_organization):
                        # every account of another organization (outside_zone_grants)
                        out.append(Grant(source=source, statement=st.label, principal=v,
                                         scope="other-organization", in_zone=False,
                                         conditions=(c.key,),
                                         unintended="outside-organization"))
        if st.principal is None:
            continue
        for e in st.principal.aws:
            entry_acct = entry_account(e)
            if entry_acct is None:
                continue
            acct = entry_acct
            is_out = (st.index, e) in outside
            out.append(Grant(source=source, statement=st.label, principal=e,
                             scope="account" if is_account_entry(e) else "principal",
                             account_id=acct, in_zone=zone.contains(acct, arn_partition(e)),
                             allow_listed=acct in listed_accounts,
                             unintended=unintended(acct) if is_out else None))
        for svc in st.principal.service:
            out.append(Grant(source=source, statement=st.label, principal=svc, scope="service"))
        for fed in st.principal.federated:
            out.append(Grant(source=source, statement=st.label, principal=fed,
                             scope="federated", unintended="outside-organization"))
    return out
