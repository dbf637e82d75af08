"""Who a secret or key policy grants an action to, and whether that is unintended.

A ``*`` (or NotPrincipal) grant is *public* unless a condition narrows it
(scanner.policy.exposure.public_statements); a narrowed one that lets in a principal of the
organization through aws:PrincipalOrgID is *organization*-wide (not public; its breadth is
reported). A grant to an account or principal outside the trust zone and the allow-list
(scanner.policy.exposure.outside_zone_grants) is unintended. On a secret, the ones the policy
withholds from every caller outside -- its own Deny takes them back, or the Allow's own
condition never holds for one (exposure.public_withheld, exposure.taken_back_principals) --
are neither (``standing_grants``): what the rules report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from scanner.access.context import PrincipalFacts, ResourceContext, principal_context, \
    public_request
from scanner.access.settings import AccessSettings
from scanner.access.verdicts import Grant
from scanner.frozen import frozen
from scanner.policy.evaluate import PolicyKind, evaluate_statement
from scanner.policy.exposure import (
    StatementMatch, everyone, granted_partition, key_granted_actions, outside_zone_grants,
    public_statements, standing_public, taken_back_principals,
)
from scanner.policy.narrowing import (
    RESOURCE_ACCOUNT, condition_accounts, condition_organizations, confined_accounts,
    mentioned_accounts, narrows, resource_facts,
)
from scanner.policy.arn import arn_partition, partition
from scanner.policy.matching import action_matches
from scanner.policy.parse import Policy, Statement
from scanner.policy.principals import entry_account, is_account_entry, session_role
from scanner.policy.request import Request
from scanner.policy.tri import Tri


@dataclass(frozen=True, kw_only=True, slots=True)
class NamedPrincipals:
    """The AWS principal entries of a policy's Allow statements for one action."""

    arns: frozenset[str]
    accounts: frozenset[str]
    star: bool  # "*" or NotPrincipal: any principal may match
    #: the accounts a "*" statement's conditions confine it to (narrowing.confined_accounts:
    #: ``aws:PrincipalAccount = 999...``, an ARN naming its account): their principals are let
    #: in by the "*" as if named, and none other is; and, when a "*" statement acts, every
    #: account any condition of the policy names (narrowing.mentioned_accounts: a Deny's
    #: exception lets that account's principals in where the "*" stand-in is denied)
    confined: frozenset[str] = frozenset()
    #: (account, role name) of every assumed-role session ARN among ``arns``: the policy
    #: names a session of that role (IAM User Guide, "AWS JSON policy elements: Principal",
    #: role session principals), so it meant the role's session to act
    session_roles: frozenset[tuple[str, str]] = frozenset()

    def names(self, arn: str, account_id: str | None) -> bool:
        return arn in self.arns or (account_id is not None and account_id in self.accounts)

    def names_session_of(self, account_id: str | None, role_name: str | None) -> bool:
        """Does the policy name an assumed-role session of this role?"""
        return bool(self.session_roles) and (account_id, role_name) in self.session_roles


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
    confined: set[str] = set()
    star = False
    if policy is None:
        return NamedPrincipals(arns=frozenset(), accounts=frozenset(), star=False)
    if policy.problems:
        return NamedPrincipals(arns=frozenset(), accounts=frozenset(), star=True)
    mentioned: set[str] = set()
    for st in policy.statements:
        # every account a condition names, of any statement (a Deny's exception too: IAM
        # conformance trial round 15, Allow * and Deny * unless ArnNotLike aws:PrincipalArn
        # arn:aws:iam::999999999999:* -- 999's principals read, and the "*" stand-in, an
        # account no policy names, is denied): a candidate of a "*" grant
        mentioned.update(acct for value, acct in mentioned_accounts(st)
                         if (granted_partition(value, partition) or partition) == partition)
        if st.effect == "Deny" or not _acts(st, action):
            continue
        if st.problems or st.effect != "Allow" or st.not_principal is not None:
            star = True
        if st.principal is None:
            continue
        star |= st.principal.star
        if st.principal.star:
            for value, confined_to in confined_accounts(
                    st, variables=policy.variables_enabled) or ():
                if confined_to != RESOURCE_ACCOUNT and (granted_partition(value, partition)
                                                        or partition) == partition:
                    confined.add(confined_to)
        for e in st.principal.aws:
            acct = entry_account(e)
            if (arn_partition(e) or partition) != partition:
                continue
            if is_account_entry(e) and acct:
                accounts.add(acct)
            elif e.startswith("arn:"):
                arns.add(e)
    if star:
        confined |= mentioned
    session_roles = {r for r in map(session_role, arns) if r is not None}
    return NamedPrincipals(arns=frozen(arns), accounts=frozen(accounts), star=star,
                           confined=frozen(confined), session_roles=frozenset(session_roles))


def _probe(account: str, settings: AccessSettings, action: str, resource: str,
           extra: dict[str, tuple[str, ...]], org_path: str | None = None) -> Request:
    # a principal of the resource's partition: one of another partition reads nothing of it,
    # and a policy's account entries of this partition do not name it (principals._same_
    # partition; concept review round 3: the probe was a commercial role in GovCloud)
    facts = PrincipalFacts(arn=f"arn:{partition(resource)}:iam::{account}:role/any-principal",
                           account_id=account, principal_type="role", org_path=org_path)
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


@dataclass(frozen=True, kw_only=True, slots=True)
class OpenStatement:
    """Whom one ``*`` (or NotPrincipal) Allow statement for the action can let in, as the
    secret's reach names it (docs/access.md, ``reach``; ground-truth organization trial round
    8: a ``*`` grant narrowed to one account or one OU was "the whole organization").

    ``kind``: ``organization`` -- any principal of the zone (no condition, aws:PrincipalOrgID,
    org paths covering the whole organization, or a condition that names no account or path:
    aws:SourceVpce, ...); ``accounts`` -- the accounts a narrowing condition confines it to
    (``narrowing.confined_accounts``); ``paths`` -- the aws:PrincipalOrgPaths patterns of our
    organization it is confined to (an OU). ``accounts``: for ``accounts`` and ``paths``, the
    zone accounts it can admit."""

    label: str
    kind: str
    accounts: frozenset[str] = frozenset()
    paths: tuple[str, ...] = ()

    def admits(self, account: str | None) -> bool:
        return self.kind == "organization" or account in self.accounts


def _ou_paths(st: Statement, org_id: str | None, variables: bool) -> tuple[str, ...] | None:
    """The aws:PrincipalOrgPaths patterns of a narrowing clause (``narrowing.narrows``) that
    confine the statement to part of our organization: none covers all of it
    (``_whole_org_path``). Values naming another organization admit none of ours and are left
    out (that organization is a grant of its own, ``condition_organizations``). None: no such
    clause, or our organization's id is not known."""
    if not org_id:
        return None
    for c in st.conditions:
        if c.key != "aws:principalorgpaths" or not narrows(c, variables=variables):
            continue
        # the secret's own organization by its variable is ours (narrowing.resource_facts:
        # ``${aws:ResourceOrgID}/*`` is our organization's every path)
        values = tuple(resource_facts(v.strip(), org=org_id) if variables else v.strip()
                       for v in c.values)
        if any(_whole_org_path(v, org_id) for v in values):
            continue
        return tuple(sorted(v for v in values
                            if v.split("/", 1)[0].lower() == org_id.lower()))
    return None


def _other_organizations_only(st: Statement, org_id: str | None, variables: bool) -> bool:
    """Whether a narrowing aws:PrincipalOrgID clause of the statement names only other
    organizations than ours (``narrowing.condition_organizations``: literal ids, none ours):
    "aws:PrincipalOrgID: Compare the identifier of the organization ... to which the
    requesting principal belongs" (IAM User Guide, global condition keys), so it admits none of
    our principals (ground-truth trial round 18: a grant kept for an acquired company's former
    organization reached "the whole organization")."""
    if not org_id:
        return False
    for c in st.conditions:
        if c.key != "aws:principalorgid" or not narrows(c, variables=variables):
            continue
        if c.values and len(condition_organizations(c, org_id)) == len(c.values):
            return True
    return False


def open_statements(policy: Policy | None, *, action: str, resource: str, own_account: str,
                    settings: AccessSettings,
                    kind: PolicyKind = PolicyKind.RESOURCE) -> tuple[OpenStatement, ...]:
    """The policy's Allow statements for ``action`` to ``*`` or with NotPrincipal (and the
    malformed ones, which may let in anyone), each with whom it can let in.

    IAM User Guide, "Condition element": "If you specify multiple condition operators in the
    Condition element, or multiple keys in a single condition operator, the conditions are
    evaluated using a logical AND" -- a statement whose condition names accounts (or an OU's
    paths) lets in no principal of another account (or from outside that OU). An OU's accounts
    are those whose aws:PrincipalOrgPaths ("the AWS Organizations path for the principal who is
    making the request", IAM User Guide, global condition keys) the statement does not rule
    out: it is evaluated for a principal of each account of the zone, with its account's path
    (unknown where its place is not known: then it is not ruled out)."""
    if policy is None or policy.problems:
        return ()
    variables = policy.variables_enabled
    zone: list[str] | None = None  # the zone's accounts, sorted: read for OU paths only
    out: list[OpenStatement] = []
    for st in policy.statements:
        if st.effect == "Deny" or not _acts(st, action):
            continue
        if st.problems:
            out.append(OpenStatement(label=st.label, kind="organization"))
            continue
        if st.effect != "Allow" or not everyone(st):
            continue
        confined = confined_accounts(st, variables=variables)
        if confined is not None:
            accounts = {own_account if a == RESOURCE_ACCOUNT else a for _, a in confined}
            out.append(OpenStatement(label=st.label, kind="accounts", accounts=frozenset(
                a for a in accounts if settings.in_zone(a))))
            continue
        paths = _ou_paths(st, settings.org_id, variables)
        if paths == () or _other_organizations_only(st, settings.org_id, variables):
            # only other organizations' paths or ids: none of ours is under them or in them
            out.append(OpenStatement(label=st.label, kind="accounts"))
            continue
        if paths is not None:
            if zone is None:
                zone = sorted(a for a in settings.org_account_ids if settings.in_zone(a))
            # the resource's own facts, for a path headed by ${aws:ResourceOrgID}
            # (``_ou_paths``): unknown to the probe, it admitted every account
            facts: dict[str, tuple[str, ...]] = {"aws:resourceaccount": (own_account,)}
            if settings.org_id and own_account in settings.org_account_ids:
                facts["aws:resourceorgid"] = (settings.org_id,)
            admitted = frozenset(a for a in zone if evaluate_statement(
                st, _probe(a, settings, action, resource, facts, settings.org_paths.get(a)),
                policy, kind)[0] is not Tri.FALSE)
            out.append(OpenStatement(label=st.label, kind="paths", accounts=admitted,
                                     paths=paths))
            continue
        out.append(OpenStatement(label=st.label, kind="organization"))
    return tuple(out)


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
        # a statement with a problem (a Condition value list that is empty or not strings) is
        # read as the exposure rules read it -- its Principal and the clauses that parsed --
        # not skipped: the evaluator answers it UNKNOWN, and secret-policy-public /
        # secret-policy-external-account report its grant (IAM conformance trial round 32:
        # the report's grants, public breadth and unintended grants left it out beside two
        # FAILs). A problem in the Principal leaves nothing of it to name (PrincipalSpec)
        if st.effect != "Allow" or not _acts(st, action):
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
        if everyone(st):
            # an outside account another condition of the policy names (a Deny's
            # exception): a grantee of this "*" as outside_zone_grants reads it, so that
            # the access report's unintended grants say what secret-policy-external-
            # account reports (standing_grants drops one the policy withholds from it;
            # left by fix-c14: the reader path and the rule had it, `unintended` not)
            for (index, v), m in outside.items():
                spared = entry_account(v)
                if index != st.index or m.via != "mentioned" or spared is None:
                    continue
                out.append(Grant(source=source, statement=st.label, principal=v,
                                 scope="account", account_id=spared, in_zone=False,
                                 allow_listed=spared in listed_accounts,
                                 unintended=unintended(spared)))
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


def standing_grants(grants: tuple[Grant, ...], policy: Policy | None, *, resource: str,
                    settings: AccessSettings, rctx: ResourceContext,
                    key: bool = False) -> tuple[Grant, ...]:
    """``grants`` of a secret's resource policy (``policy_grants``) with the public and
    unintended labels the rules give them: a ``*`` statement the policy withholds from every
    caller outside (exposure.public_withheld, asked of the ``*`` path's request,
    context.public_request -- its own Deny takes it back, or its own condition never holds
    for such a caller) is not public (scope ``restricted``: what it lets in is inside), and a
    principal outside the zone whose every grant the policy withholds
    (exposure.taken_back_principals) is not unintended -- secret-policy-public and
    secret-policy-external-account do not report them (concept review round 3: Allow * plus
    Deny unless aws:PrincipalOrgID is ours was "PUBLIC grant" and "unintended: * [public]",
    the rule PASS; IAM conformance trial round 13: "PUBLIC grant" under Bool
    aws:PrincipalIsAWSService "true"). ``rctx``: the secret's side of the request, as the rules
    give it (graph_io.secret_resource_context). The shared ``policy_grants`` answer is per
    policy document; this step reads the secret's own context.

    ``key``: a key policy's grants, as kms-key-policy-public reads them -- the ``*`` request on
    the key by any route (``rctx``: context.key_resource_context; public_request any_route),
    asked for each KMS action the statement names (exposure.key_granted_actions); its
    principals outside are judged by kms-key-policy-excess-grant, not here."""
    if policy is None or policy.problems or not any(g.unintended for g in grants):
        return grants
    zone = settings.trust_zone

    def outsider(action: str) -> Request:
        # by any route, the key's and the secret's alike (secret-policy-public: IAM
        # conformance trial round 17)
        return public_request(settings, rctx, action=action, resource=resource,
                              any_route=True)

    def asked(index: int) -> tuple[str, ...] | None:
        if not key:
            return None  # the actions the statement grants on a secret
        return key_granted_actions(next((x for x in policy.statements if x.index == index),
                                        None))

    # the public statements the rules leave out: exposure.standing_public, the one reading of
    # secret-policy-public, kms-key-policy-public and restrict-public-secret-policy
    public = {label for label, withheld in
              standing_public(policy, outsider, actions_of=asked)[1].items() if withheld}
    back = taken_back_principals(policy, outside_zone_grants(policy, own_account=None,
                                                             zone=zone),
                                 resource=resource, zone=zone, resource_ctx=rctx) \
        if not key and any(g.unintended and g.scope != "public" for g in grants) else {}
    if not public and not back:
        return grants
    out: list[Grant] = []
    for g in grants:
        if g.scope == "public" and g.statement in public:
            g = replace(g, scope="restricted", unintended=None, in_zone=True)
        elif g.unintended and g.scope != "public" and g.principal in back:
            g = replace(g, unintended=None)
        out.append(g)
    return tuple(out)
