"""Who a secret or key policy grants an action to, and whether that is unintended.

A ``*`` (or NotPrincipal) grant is *public* unless its conditions shut out a principal from an
unknown account outside the organization; if they do but let in a principal of the
organization, it is *organization*-wide (not public; its breadth is reported). A grant to an
account or principal outside the organization and the allow-list is unintended.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.access.context import PrincipalFacts, principal_context
from scanner.access.settings import OUTSIDER_ACCOUNT, AccessSettings
from scanner.access.verdicts import Grant
from scanner.policy.evaluate import PolicyKind, evaluate_statement
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


def named_principals(policy: Policy | None, action: str) -> NamedPrincipals:
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
                   absent=frozenset(absent), excluded=excluded)


_ACCOUNT_KEYS = {"aws:principalaccount", "kms:calleraccount", "aws:sourceaccount"}
_ARN_KEYS = {"aws:principalarn", "aws:sourcearn"}
_POSITIVE = {"stringequals", "stringlike", "stringequalsignorecase", "arnequals", "arnlike"}


def _condition_accounts(st: Statement, source: str, settings: AccessSettings) -> list[Grant]:
    """A ``*`` grant narrowed by conditions to named accounts: those outside the zone of trust
    and the allow-list are external grants all the same."""
    out: list[Grant] = []
    for c in st.conditions:
        if c.base not in _POSITIVE or c.qualifier == "forallvalues":
            continue
        for v in c.values:
            if c.key in _ACCOUNT_KEYS:
                acct: str | None = v if len(v) == 12 and v.isdigit() else None
            elif c.key in _ARN_KEYS:
                acct = v.split(":")[4] if v.count(":") >= 5 else None
            else:
                continue
            if acct is None or settings.in_zone(acct):
                continue
            listed = acct in settings.allowed_external_accounts
            out.append(Grant(source=source, statement=st.label, principal=v, scope="account",
                             account_id=acct, in_zone=False, allow_listed=listed,
                             conditions=(c.key,),
                             unintended=None if listed else (
                                 "not-allow-listed" if settings.allowed_external_accounts
                                 else "outside-organization")))
    return out


def policy_grants(policy: Policy | None, *, source: str, action: str, resource: str,
                  settings: AccessSettings, extra_context: dict[str, tuple[str, ...]],
                  kind: PolicyKind = PolicyKind.RESOURCE) -> list[Grant]:
    if policy is None or policy.problems:
        return []
    out: list[Grant] = []
    member = next(iter(sorted(settings.org_account_ids)), None)
    for st in policy.statements:
        if st.effect != "Allow" or not _acts(st, action) or st.problems:
            continue
        if st.not_principal is not None or (st.principal is not None and st.principal.star):
            outsider = _probe(OUTSIDER_ACCOUNT, settings, action, resource, extra_context)
            applies, _, names = evaluate_statement(st, outsider, policy, kind)
            if applies is not Tri.FALSE:
                out.append(Grant(source=source, statement=st.label,
                                 principal="*" if st.not_principal is None else
                                 "NotPrincipal", scope="public", conditions=names,
                                 unintended="public"))
            else:
                scope = "restricted"
                if member is not None:
                    probe = _probe(member, settings, action, resource, extra_context)
                    inside, _, _ = evaluate_statement(st, probe, policy, kind)
                    if inside is not Tri.FALSE and settings.org_id and \
                            any(c.key == "aws:principalorgid" for c in st.conditions):
                        scope = "organization"
                out.append(Grant(source=source, statement=st.label, principal="*", scope=scope,
                                 in_zone=True))
                out.extend(_condition_accounts(st, source, settings))
        if st.principal is None:
            continue
        for e in st.principal.aws:
            acct = entry_account(e)
            if acct is None:
                continue
            in_zone = settings.in_zone(acct)
            listed = acct in settings.allowed_external_accounts
            unintended = None
            if not in_zone and not listed:
                probe = _probe(acct, settings, action, resource, extra_context)
                applies, _, _ = evaluate_statement(st, probe, policy, kind)
                if applies is not Tri.FALSE:
                    unintended = "not-allow-listed" if settings.allowed_external_accounts \
                        else "outside-organization"
            out.append(Grant(source=source, statement=st.label, principal=e,
                             scope="account" if is_account_entry(e) else "principal",
                             account_id=acct, in_zone=in_zone, allow_listed=listed,
                             unintended=unintended))
        for svc in st.principal.service:
            out.append(Grant(source=source, statement=st.label, principal=svc, scope="service"))
        for fed in st.principal.federated:
            out.append(Grant(source=source, statement=st.label, principal=fed,
                             scope="federated", unintended="outside-organization"))
    return out
