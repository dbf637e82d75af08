"""Equivalence classes of principals: who can be told apart from whom, for one secret.

Principals sharing identity documents form a *group*. For a secret, the candidate groups are
those whose identity could allow the read (shared by secrets matching the same Resource
patterns). Members in the secret's *special* accounts (its own, its key's, the accounts its
resource / key policy names) are evaluated one by one; the other members are split into
*classes* (same type, boundary, zone, SCP path and condition-key values), and one
representative per class stands for all. See docs/access.md "Scale".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from scanner.access.context import principal_context
from scanner.access.graph_io import SecretView
from scanner.access.identity import IdentityEvaluator, IdentityResult, Principal, PrincipalIndex
from scanner.access.key_views import KeyViews
from scanner.access.scp import is_service_linked_role
from scanner.access.settings import AccessSettings
from scanner.frozen import frozen
from scanner.policy.request import is_absent
from scanner.policy.matching import PatternIndex
from scanner.policy.parse import Policy, Statement
from scanner.policy.principals import entry_account, is_account_entry, wildcard_entry
from scanner.policy.request import Request
from scanner.policy.tri import Tri

_T = TypeVar("_T")

#: the principal side of a request context: (known values, absent keys, excluded values, the
#: values' views)
PrincipalContext = Any


class Interner:
    """One object per distinct verdict: caches keyed by identity (``id()``) then share entries
    across equal results computed for different secrets."""

    def __init__(self) -> None:
        self._seen: dict[object, object] = {}

    def __call__(self, result: _T) -> _T:
        return self._seen.setdefault(result, result)  # type: ignore[return-value]


def project(pctx: PrincipalContext, keys: tuple[str, ...]) -> tuple[object, ...]:
    """The principal side of the context, restricted to ``keys`` (what a policy can see): a
    value's view where it has one (scanner.access.key_views), else the value."""
    ctx, absent, excluded, views = pctx
    out: list[object] = []
    for k in keys:
        v = views.get(k)
        if v is None:
            v = ctx.get(k)
        if v is not None:
            out.append(v)
        elif k in excluded:
            out.append(("!", excluded[k]))
        elif is_absent(k, absent):
            out.append("absent")
        else:
            out.append(None)  # decided by the resource side: the same for the whole secret
    return tuple(out)


class Contexts:
    """Principal contexts (built once per principal) and sorted key tuples (once per set)."""

    def __init__(self, settings: AccessSettings, views: KeyViews) -> None:
        self.s = settings
        self.views = views
        self._pctx: dict[str, PrincipalContext] = {}
        self._sorted: dict[frozenset[str], tuple[str, ...]] = {}

    def principal(self, p: Principal) -> PrincipalContext:
        hit = self._pctx.get(p.arn)
        if hit is None:
            ctx, absent, excluded = principal_context(p.facts, self.s)
            hit = (ctx, absent, excluded, self.views.view(ctx))
            self._pctx[p.arn] = hit
        return hit

    def keys(self, keys: frozenset[str]) -> tuple[str, ...]:
        hit = self._sorted.get(keys)
        if hit is None:
            hit = tuple(sorted(keys))
            self._sorted[keys] = hit
        return hit

    def projector(self, p: Principal) -> Callable[[frozenset[str]], tuple[object, ...]]:
        pctx = self.principal(p)

        def run(keys: frozenset[str]) -> tuple[object, ...]:
            return project(pctx, self.keys(keys))
        return run


@dataclass(frozen=True, slots=True)
class Refs:
    """Which principals a policy's Principal elements can single out (for cache keys)."""

    arn_accounts: frozenset[str]
    account_entries: frozenset[str]
    per_principal: bool  # NotPrincipal or unrecognised entries: key by principal ARN


def is_open(st: Statement) -> bool:
    """Can this statement apply to a principal whose account and ARN it does not list? Only a
    Principal of plain account / ARN entries (and services) rules such a principal out."""
    spec = st.principal
    if st.problems or spec is None or st.not_principal is not None:
        return True
    if spec.star or spec.problems or spec.canonical_user:
        return True
    for e in spec.aws:
        if wildcard_entry(e) or entry_account(e) is None:
            return True
    return False


def _refs(policy: Policy) -> Refs:
    arn_accounts: set[str] = set()
    accounts: set[str] = set()
    per_principal = False
    for st in policy.statements:
        if st.not_principal is not None:
            per_principal = True
        if st.principal is None:
            continue
        for e in st.principal.aws:
            acct = entry_account(e)
            if acct is None:
                per_principal = True
            elif is_account_entry(e):
                accounts.add(acct)
            else:
                arn_accounts.add(acct)
    return Refs(frozen(arn_accounts), frozen(accounts), per_principal)


class PolicyRefs:
    """``Refs`` per parsed policy (cached by identity)."""

    def __init__(self) -> None:
        self._refs: dict[int, Refs] = {}

    def __call__(self, policy: Policy) -> Refs:
        refs = self._refs.get(id(policy))
        if refs is None:
            refs = _refs(policy)
            self._refs[id(policy)] = refs
        return refs


class Group:
    """Principals sharing identity documents (one signature), indexed by account."""

    __slots__ = ("first", "signature", "members", "by_account")

    def __init__(self, first: Principal) -> None:
        self.first = first
        self.signature = first.signature
        self.members: list[Principal] = []
        self.by_account: dict[str | None, list[Principal]] = {}

    def add(self, p: Principal) -> None:
        self.members.append(p)
        self.by_account.setdefault(p.account_id, []).append(p)


SmRequest = Callable[[Principal, SecretView], Callable[[], Request]]


class ClassIndex:
    """Groups, candidate groups per secret, special accounts and classes."""

    def __init__(self, index: PrincipalIndex, identity: IdentityEvaluator,
                 settings: AccessSettings, contexts: Contexts, refs: PolicyRefs,
                 guard_keys: tuple[str, ...], scp_signature: Callable[[str | None], object],
                 sm_request: SmRequest) -> None:
        self.index = index
        self.identity = identity
        self.s = settings
        self.contexts = contexts
        self.refs = refs
        self.guard_keys = guard_keys
        self.scp_signature = scp_signature
        self.sm_request = sm_request
        self.groups = self._signature_groups()
        self._dynamic: set[int] = set()  # group ids that use condition keys for the action
        self._always: list[int] = []  # group ids that are candidates for every secret
        self._allowed_by: dict[int, list[int]] = {}  # Allow pattern id -> group ids
        #: a static group's pattern ids, and its shared answers by which of them match
        self._group_pids: dict[int, frozenset[int]] = {}
        self._group_answers: dict[tuple[int, frozenset[int]], IdentityResult] = {}
        self._pattern_index = self._index_patterns()
        self._candidates: dict[frozenset[int], list[tuple[Group, IdentityResult | None]]] = {}
        self._group_keys: dict[tuple[object, ...], tuple[str, ...]] = {}
        self._subclass_cache: dict[tuple[object, ...], list[list[Principal]]] = {}
        #: by id() of a list held by _subclass_cache for the whole run
        self._counts: dict[int, dict[str | None, int]] = {}

    def _signature_groups(self) -> list[Group]:
        groups: dict[tuple[object, ...], Group] = {}
        for p in self.index.principals():
            if "secretsmanager" in p.mentions or "*" in p.mentions:
                g = groups.get(p.signature)
                if g is None:
                    g = groups[p.signature] = Group(p)
                g.add(p)
        return list(groups.values())

    def candidate_groups(self, sv: SecretView) -> list[tuple[Group, IdentityResult | None]]:
        """The groups whose identity documents could allow reading ``sv``, with their shared
        answer (None: the group uses condition keys, each member is checked), in group order.
        Only groups with an Allow Resource pattern matching the ARN (found through a
        ``PatternIndex``, not by trying every group) and groups that cannot be reduced to
        patterns are evaluated. Secrets that match the same patterns share the list."""
        matched = self._pattern_index.matching(sv.arn)
        hit = self._candidates.get(matched)
        if hit is None:
            gids = set(self._always)
            for pid in matched:
                gids.update(self._allowed_by.get(pid, ()))
            hit = []
            for gid in sorted(gids):
                g = self.groups[gid]
                if gid in self._dynamic:
                    hit.append((g, None))
                    continue
                # a static group's answer depends only on which of its own patterns the ARN
                # matches (IdentityEvaluator.fingerprint): read off the matches already found,
                # not matched again per group (org-scale trial: 100 roles per secret, each
                # with its own list of ARNs, every one of them matched for every secret)
                mine = matched & self._group_pids[gid]
                gk = (gid, mine)
                shared = self._group_answers.get(gk)
                if shared is None:
                    shared = self._group_answers[gk] = self.identity.evaluate(
                        g.first, self.s.action, sv.arn, self.sm_request(g.first, sv), None,
                        "sm")
                if shared.allow is not Tri.FALSE:
                    hit.append((g, shared))
            self._candidates[matched] = hit
        return hit

    def _index_patterns(self) -> PatternIndex:
        """Every static group's Resource patterns in one index (the cache key: which of them
        a secret's ARN matches decides every static group's answer), and which groups each
        Allow pattern makes candidates; groups reduced to no patterns are always candidates."""
        ids: dict[str, int] = {}
        for gid, g in enumerate(self.groups):
            # None when a statement that can apply to the action reads the context
            gp = self.identity.patterns(g.first, self.s.action)
            if gp is None:
                self._dynamic.add(gid)
                self._always.append(gid)
                continue
            for pat in gp:
                ids.setdefault(pat, len(ids))
            self._group_pids[gid] = frozenset(ids[pat] for pat in gp)
            allow = self.identity.allow_patterns(g.first, self.s.action)
            if allow is None:
                self._always.append(gid)
                continue
            for pat in allow:
                self._allowed_by.setdefault(ids[pat], []).append(gid)
        return PatternIndex(tuple(ids))

    def special_accounts(self, sv: SecretView) -> frozenset[str] | None:
        """Accounts whose principals a policy of this secret can tell apart from the rest of
        their group (the secret's and key's own accounts, accounts named by ARN or account in
        its resource or key policy, the management account). ``None``: a policy singles
        principals out in a way that cannot be indexed by account (NotPrincipal, an
        unrecognised entry): every candidate is then evaluated on its own."""
        accts: set[str | None] = {sv.account, sv.key_account, self.s.management_account_id}
        for pol in (sv.policy, sv.key_policy):
            if pol is None:
                continue
            refs = self.refs(pol)
            if refs.per_principal:
                return None
            accts |= refs.arn_accounts | refs.account_entries
        for named in (sv.named, sv.key_named):
            accts |= named.accounts
            accts |= {entry_account(a) for a in named.arns}
        return frozen(a for a in accts if a)

    def class_keys(self, group: Group, sv: SecretView) -> tuple[str, ...]:
        """Every condition key that can tell two principals of ``group`` apart for ``sv``."""
        ck = (group.signature, sv.policy_keys)
        hit = self._group_keys.get(ck)
        if hit is None:
            hit = tuple(sorted(set(group.first.condition_keys) | set(self.guard_keys)
                               | sv.policy_keys))
            self._group_keys[ck] = hit
        return hit

    def subclasses(self, group: Group, keys: tuple[str, ...]) -> list[list[Principal]]:
        """``group`` split into equivalence classes: principals with the same type, boundary,
        zone, guardrail path and values of ``keys``. Outside the special accounts of a secret,
        members of one class get the same verdict (computed per group once per key set)."""
        ck = (group.signature, keys)
        hit = self._subclass_cache.get(ck)
        if hit is None:
            by: dict[tuple[object, ...], list[Principal]] = {}
            for p in group.members:
                f = p.facts
                k = (f.principal_type, is_service_linked_role(f.arn), f.has_boundary,
                     p.identity_known,
                     self.s.in_zone(f.account_id),
                     f.account_id in self.s.allowed_external_accounts,
                     self.scp_signature(f.account_id),
                     project(self.contexts.principal(p), keys))
                by.setdefault(k, []).append(p)
            hit = list(by.values())
            self._subclass_cache[ck] = hit
        return hit

    def account_counts(self, sub: list[Principal]) -> dict[str | None, int]:
        """How many members of a class (one of the cached subclasses lists) each account has."""
        hit = self._counts.get(id(sub))
        if hit is None:
            hit = {}
            for p in sub:
                hit[p.account_id] = hit.get(p.account_id, 0) + 1
            self._counts[id(sub)] = hit
        return hit
