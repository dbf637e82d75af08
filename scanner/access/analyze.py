"""analyze_access: who can read each secret, gate by gate; CAN_READ edges; per-secret summary.

Pairs are not tested exhaustively. Principals sharing identity documents form a group; for each
secret the candidate groups are those whose identity could allow the read (shared by secrets
matching the same Resource patterns). Members in the secret's *special* accounts (its own, its
key's, the accounts its resource / key policy names) are evaluated one by one; the other members
are split into equivalence classes (same type, boundary, zone, SCP path and condition-key
values) and one representative per class is evaluated for all. Policy results are cached by
what the policy can see (for an unnamed principal: its open statements), identity results by
the Resource patterns the resource matches. See docs/access.md "Scale".
"""

from __future__ import annotations

import gc
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable, Iterable, TypeVar

import networkx as nx

from scanner.access.context import (
    PrincipalFacts,
    build_request,
    principal_context,
    resource_context,
)
from scanner.access.gates import Combined, GateInputs, KeyFacts, combine
from scanner.access.grants import named_principals, policy_grants
from scanner.access.identity import (
    IdentityEvaluator,
    IdentityResult,
    Principal,
    PrincipalIndex,
    external_principal,
    wildcard_grants,
)
from scanner.access.report import (
    AccessPath,
    AccessReport,
    Breadth,
    ClassVerdict,
    Grant,
    IdentityWildcard,
    KeyAccess,
    SecretAccess,
)
from scanner.access.scp import RCP, SCP, Guardrails, GuardrailResult
from scanner.access.settings import OUTSIDER_ACCOUNT, AccessSettings
from scanner.graph.schema import EdgeKind, NodeKind, PUBLIC_PRINCIPAL, root_principal
from scanner.model import Snapshot
from scanner.policy.arn import arn_account, arn_region, arn_resource, parse_arn, with_region
from scanner.policy.exposure import excess_key_grants
from scanner.policy.evaluate import PolicyKind, PolicyResult, evaluate_policy
from scanner.policy.matching import arn_matches
from scanner.policy.parse import Policy, Statement, parse_policy
from scanner.policy.principals import entry_account, is_account_entry
from scanner.policy.request import Request
from scanner.policy.tri import Tri, all3, any3

_T = TypeVar("_T")

_UNUSABLE_STATES = {"Disabled", "PendingDeletion", "PendingImport", "Unavailable",
                    "PendingReplicaDeletion"}
_AWS_MANAGED_ALIAS = "alias/aws/secretsmanager"


class _SecretView:
    """The facts about one secret (and its key) that every pair needs, computed once."""

    def __init__(self, arn: str, attrs: dict[str, Any], key_id: str | None,
                 key_attrs: dict[str, Any] | None, settings: AccessSettings) -> None:
        self.arn = arn
        self.name: str | None = attrs.get("name")
        self.account: str = attrs.get("account_id") or arn_account(arn) or ""
        self.region: str = attrs.get("region") or arn_region(arn) or ""
        self.tags: dict[str, str] = dict(attrs.get("tags") or {})
        text = attrs.get("resource_policy")
        self.policy: Policy | None = parse_policy(text) if text else None
        self.unread_result: PolicyResult | None = None
        if self.policy is None and "resource_policy" in (attrs.get("unread") or ()):
            self.unread_result = PolicyResult(
                allow=Tri.UNKNOWN, allow_direct=Tri.UNKNOWN, deny=Tri.UNKNOWN,
                unresolved=("resource policy not collected",),
                reasons=("resource policy could not be read",))
        kms_ref = attrs.get("kms_key_id")
        self.key_arn = key_id
        ka = key_attrs or {}
        self.aws_managed = (not kms_ref or str(kms_ref).endswith(_AWS_MANAGED_ALIAS)
                            or bool(ka.get("aws_managed")) or ka.get("key_manager") == "AWS")
        self.key_account: str = ka.get("account_id") or (
            arn_account(key_id) if key_id else None) or self.account
        key_text = ka.get("policy")
        self.key_policy: Policy | None = parse_policy(key_text) if key_text else None
        state = ka.get("key_state")
        usable = Tri.FALSE if state in _UNUSABLE_STATES else Tri.TRUE
        reason: str | None = f"key is {state}" if state in _UNUSABLE_STATES else None
        if state is None and "key_state" in (ka.get("unread") or ()):
            usable, reason = Tri.UNKNOWN, "key state not read"
        if not self.aws_managed and self.key_policy is None:
            reason = "key not collected" if key_attrs is None or not ka.get("collected", True) \
                else "key policy not collected"
        self.key_facts = KeyFacts(aws_managed=self.aws_managed, usable=usable,
                                  policy_result=None, reason=reason)
        self.named = named_principals(self.policy, settings.action)
        self.key_named = named_principals(self.key_policy, settings.decrypt_action)
        self.uses_kms = not self.aws_managed and bool(self.key_arn)
        self.rctx_sm = resource_context(account_id=self.account, region=self.region,
                                        tags=self.tags, settings=settings, kms=False,
                                        secret_arn=arn)
        self.rctx_kms = resource_context(account_id=self.key_account, region=self.region,
                                         tags={}, settings=settings, kms=True, secret_arn=arn)
        #: identity results for kms:Decrypt differ between secrets of one key only through the
        #: encryption context (SecretARN) and the region (kms:ViaService)
        self.kms_scope = (self.region, arn)
        keys: set[str] = set()
        for pol in (self.policy, self.key_policy):
            if pol is not None:
                keys |= pol.condition_keys
        self.policy_keys: frozenset[str] = frozenset(keys)


class _Group:
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


@dataclass(frozen=True, slots=True)
class _Refs:
    """Which principals a policy's Principal elements can single out (for cache keys)."""

    arn_accounts: frozenset[str]
    account_entries: frozenset[str]
    per_principal: bool  # NotPrincipal or unrecognised entries: key by principal ARN


def _open(st: Statement) -> bool:
    """Can this statement apply to a principal whose account and ARN it does not list? Only a
    Principal of plain account / ARN entries (and services) rules such a principal out."""
    spec = st.principal
    if st.problems or spec is None or st.not_principal is not None:
        return True
    if spec.star or spec.problems or spec.canonical_user:
        return True
    for e in spec.aws:
        if "*" in e or "?" in e or entry_account(e) is None:
            return True
    return False


def _refs(policy: Policy) -> _Refs:
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
    return _Refs(frozenset(arn_accounts), frozenset(accounts), per_principal)


def _project(pctx: Any, keys: tuple[str, ...]) -> tuple[object, ...]:
    """The principal side of the context, restricted to ``keys`` (what a policy can see)."""
    ctx, absent, excluded = pctx
    out: list[object] = []
    for k in keys:
        v = ctx.get(k)
        if v is not None:
            out.append(v)
        elif k in excluded:
            out.append(("!", excluded[k]))
        elif k in absent:
            out.append("absent")
        else:
            out.append(None)  # decided by the resource side: the same for the whole secret
    return tuple(out)


#: "*": an authenticated principal of an account outside everything known (Secrets Manager and
#: KMS take no anonymous requests); its own account's administrators control its identity
#: policies, so that gate is theirs to open.
_PUBLIC = external_principal(PUBLIC_PRINCIPAL, OUTSIDER_ACCOUNT, "public")
_OUTSIDER_IDENTITY = IdentityResult(
    allow=Tri.TRUE, deny=Tri.FALSE, boundary_allow=Tri.TRUE,
    reasons=("a principal outside the organization controls its own identity policies",))

_NOT_COLLECTED = GuardrailResult(status="UNKNOWN", allow=Tri.TRUE, deny=Tri.FALSE,
                                 reasons=("SCPs/RCPs were not collected: not assessed",))
_NO_ORG = GuardrailResult(status="UNKNOWN", allow=Tri.TRUE, deny=Tri.FALSE,
                          reasons=("no organization data: guardrails not assessed",))


class _Analyzer:
    def __init__(self, graph: nx.MultiDiGraph, snapshot: Snapshot,
                 settings: AccessSettings) -> None:
        self.graph = graph
        self.snapshot = snapshot
        self.s = settings
        self.index = PrincipalIndex(snapshot)
        self.identity = IdentityEvaluator()
        self.guard = Guardrails(snapshot.organization)
        org = snapshot.organization
        self.guard_constant: GuardrailResult | None = (
            _NO_ORG if org is None else _NOT_COLLECTED if not org.policies_read else None)
        keys: set[str] = set()
        pats: list[str] = []
        resource_blind = True
        for cp in (org.policies if org else ()):
            parsed = parse_policy(cp.content)
            keys |= parsed.condition_keys
            if parsed.problems or parsed.uses_variables:
                resource_blind = False
            for st in parsed.statements:
                if st.problems or st.not_principal is not None or (
                        st.principal is not None and not (st.principal.star and not (
                            st.principal.aws or st.principal.problems or
                            st.principal.canonical_user))):
                    resource_blind = False
                pats.extend(st.resources or ())
                pats.extend(st.not_resources or ())
        self.guard_keys = tuple(sorted(keys))
        #: the Resource / NotResource patterns of every SCP / RCP: a secret is seen by the
        #: guardrails only through which of them its ARN (and its key's) matches, and the
        #: resource-side values of their condition keys. None: a document that can see more
        #: (variables, problems, a Principal other than "*"): key by the secret ARN.
        self._guard_patterns: tuple[str, ...] | None = (
            tuple(dict.fromkeys(pats)) if resource_blind else None)
        self._guard_where: dict[tuple[object, ...], object] = {}
        self.guard_policies = bool(org and org.policies)
        self._interned: dict[object, object] = {}
        self._rp_cache: dict[tuple[object, ...], PolicyResult] = {}  # key policies
        #: per-secret caches (resource-policy results, pair classes, resource scopes), emptied
        #: after each secret so memory stays bounded by the largest secret, not the estate
        self._secret_cache: dict[tuple[object, ...], PolicyResult] = {}
        self._secret_guard: dict[tuple[object, ...], GuardrailResult] = {}
        self._shape_cache: dict[tuple[object, ...], PolicyResult] = {}
        self._shapes: dict[int, tuple[object, tuple[str, ...]] | None] = {}
        self._guard_cache: dict[tuple[object, ...], GuardrailResult] = {}
        self._combine_cache: dict[tuple[object, ...], Combined] = {}
        self._refs: dict[int, _Refs] = {}
        self._rscopes: dict[tuple[object, ...], tuple[str, tuple[object, ...]]] = {}
        self._union: dict[tuple[object, ...], tuple[str, ...]] = {}
        self._pair_cache: dict[tuple[object, ...], tuple[Combined, bool]] = {}
        self._sorted: dict[frozenset[str], tuple[str, ...]] = {}
        self._pctx: dict[str, Any] = {}
        self._probe: dict[tuple[object, ...], bool] = {}
        self._group_keys: dict[tuple[object, ...], tuple[str, ...]] = {}
        self._subclass_cache: dict[tuple[object, ...], list[list[Principal]]] = {}
        #: by id() of a list held by _subclass_cache for the whole run
        self._counts: dict[int, dict[str | None, int]] = {}
        self._groups = self._signature_groups()
        self._static: list[_Group] | None = None
        self._dynamic: list[_Group] = []
        self._static_patterns: tuple[str, ...] = ()
        self._candidates: dict[tuple[bool, ...], list[tuple[_Group, IdentityResult | None]]] = {}

    # ------------------------------------------------------------------ indexing
    def _signature_groups(self) -> list[_Group]:
        groups: dict[tuple[object, ...], _Group] = {}
        for p in self.index.principals():
            if "secretsmanager" in p.mentions or "*" in p.mentions:
                g = groups.get(p.signature)
                if g is None:
                    g = groups[p.signature] = _Group(p)
                g.add(p)
        return list(groups.values())

    def _candidate_groups(self, sv: _SecretView) -> list[tuple[_Group, IdentityResult | None]]:
        """The groups whose identity documents could allow reading ``sv``, with their shared
        answer (None: the group uses condition keys, each member is checked). Secrets that
        match the same Resource patterns of the groups' documents share the list."""
        if self._static is None:
            pats: list[str] = []
            self._static, self._dynamic = [], []
            for g in self._groups:
                gp = None if g.first.condition_keys else \
                    self.identity.patterns(g.first, self.s.action)
                if gp is None:
                    self._dynamic.append(g)
                else:
                    self._static.append(g)
                    pats.extend(gp)
            self._static_patterns = tuple(dict.fromkeys(pats))
        fp = tuple(arn_matches(x, sv.arn) for x in self._static_patterns)
        hit = self._candidates.get(fp)
        if hit is None:
            hit = []
            for g in self._groups:
                if g in self._dynamic:
                    hit.append((g, None))
                    continue
                shared = self.identity.evaluate(g.first, self.s.action, sv.arn,
                                                self._sm_request(g.first, sv), None, "sm")
                if shared.allow is not Tri.FALSE:
                    hit.append((g, shared))
            self._candidates[fp] = hit
        return hit

    # ------------------------------------------------------------------ equivalence classes
    def _special_accounts(self, sv: _SecretView) -> frozenset[str] | None:
        """Accounts whose principals a policy of this secret can tell apart from the rest of
        their group (the secret's and key's own accounts, accounts named by ARN or account in
        its resource or key policy, the management account). ``None``: a policy singles
        principals out in a way that cannot be indexed by account (NotPrincipal, an
        unrecognised entry): every candidate is then evaluated on its own."""
        accts: set[str | None] = {sv.account, sv.key_account, self.s.management_account_id}
        for pol in (sv.policy, sv.key_policy):
            if pol is None:
                continue
            refs = self._refs_of(pol)
            if refs.per_principal:
                return None
            accts |= refs.arn_accounts | refs.account_entries
        for named in (sv.named, sv.key_named):
            accts |= named.accounts
            accts |= {entry_account(a) for a in named.arns}
        return frozenset(a for a in accts if a)

    def _class_keys(self, group: _Group, sv: _SecretView) -> tuple[str, ...]:
        """Every condition key that can tell two principals of ``group`` apart for ``sv``."""
        ck = (group.signature, sv.policy_keys)
        hit = self._group_keys.get(ck)
        if hit is None:
            hit = tuple(sorted(set(group.first.condition_keys) | set(self.guard_keys)
                               | sv.policy_keys))
            self._group_keys[ck] = hit
        return hit

    def _subclasses(self, group: _Group, keys: tuple[str, ...]) -> list[list[Principal]]:
        """``group`` split into equivalence classes: principals with the same type, boundary,
        zone, guardrail path and values of ``keys``. Outside the special accounts of a secret,
        members of one class get the same verdict (computed per group once per key set)."""
        ck = (group.signature, keys)
        hit = self._subclass_cache.get(ck)
        if hit is None:
            by: dict[tuple[object, ...], list[Principal]] = {}
            for p in group.members:
                f = p.facts
                k = (f.principal_type, f.has_boundary, p.identity_known,
                     self.s.in_zone(f.account_id),
                     f.account_id in self.s.allowed_external_accounts,
                     self.guard.signature(SCP, f.account_id) if self.guard_constant is None
                     else None,
                     _project(self._principal_ctx(p), keys))
                by.setdefault(k, []).append(p)
            hit = list(by.values())
            self._subclass_cache[ck] = hit
        return hit

    def _account_counts(self, sub: list[Principal]) -> dict[str | None, int]:
        """How many members of a class (one of the cached _subclasses lists) each account has."""
        hit = self._counts.get(id(sub))
        if hit is None:
            hit = {}
            for p in sub:
                hit[p.account_id] = hit.get(p.account_id, 0) + 1
            self._counts[id(sub)] = hit
        return hit

    def _intern(self, result: _T) -> _T:
        """One object per distinct verdict: the combine cache is keyed by identity, so equal
        results computed for different secrets must be the same object to share it."""
        return self._interned.setdefault(result, result)  # type: ignore[return-value]

    def _principal_ctx(self, p: Principal) -> Any:
        hit = self._pctx.get(p.arn)
        if hit is None:
            hit = principal_context(p.facts, self.s)
            self._pctx[p.arn] = hit
        return hit

    def _keys(self, keys: frozenset[str]) -> tuple[str, ...]:
        hit = self._sorted.get(keys)
        if hit is None:
            hit = tuple(sorted(keys))
            self._sorted[keys] = hit
        return hit

    # ------------------------------------------------------------------ evaluation
    def _policy_result(self, policy: Policy, tag: str, sv: _SecretView, facts: PrincipalFacts,
                       pctx: Any, make: Callable[[], Request]) -> PolicyResult:
        pkey = self._pkey(policy, facts)
        keys = self._keys(policy.condition_keys)
        rscope = self._rscope(policy, tag, sv, keys)
        proj = _project(pctx, keys)
        shape = self._shape(policy) if isinstance(pkey, tuple) and pkey[0] == "-" else None
        if shape is not None:
            # a principal no Principal element singles out sees only the open statements:
            # policies that differ in their named grantees share the answer
            resource, rvals = rscope
            fp = tuple(arn_matches(x, resource) for x in shape[1])
            key: tuple[object, ...] = (shape, tag, fp, rvals, pkey, proj)
            cache = self._shape_cache
        else:
            key = (id(policy), tag, rscope, pkey, proj)
            cache = self._rp_cache if tag == "kms" else self._secret_cache
        hit = cache.get(key)
        if hit is None:
            hit = self._intern(evaluate_policy(policy, make(), PolicyKind.RESOURCE))
            cache[key] = hit
        return hit

    def _shape(self, policy: Policy) -> tuple[object, tuple[str, ...]] | None:
        """(the statements that can apply to a principal no Principal element names, their
        Resource / NotResource patterns), or None when that cannot be said safely."""
        pid = id(policy)
        if pid in self._shapes:
            return self._shapes[pid]
        out: tuple[object, tuple[str, ...]] | None = None
        if not policy.problems and not policy.uses_variables:
            open_sts = tuple(st for st in policy.statements if _open(st))
            pats: list[str] = []
            for st in open_sts:
                pats.extend(st.resources or st.not_resources or ())
            out = ((policy.version, open_sts), tuple(dict.fromkeys(pats)))
        self._shapes[pid] = out
        return out

    def _refs_of(self, policy: Policy) -> _Refs:
        refs = self._refs.get(id(policy))
        if refs is None:
            refs = _refs(policy)
            self._refs[id(policy)] = refs
        return refs

    def _pkey(self, policy: Policy, facts: PrincipalFacts) -> object:
        """What a policy's Principal elements can tell apart about this principal."""
        refs = self._refs_of(policy)
        acct = facts.account_id
        if refs.per_principal or facts.principal_type in ("public", "root") or \
                acct in refs.arn_accounts:
            return facts.arn
        return (acct if acct in refs.account_entries else "-", facts.principal_type,
                facts.has_boundary)

    def _class_key(self, p: Principal, sv: _SecretView, pctx: Any) -> tuple[object, ...]:
        """Principals with equal class keys get equal gate verdicts for this secret."""
        facts = p.facts
        uk = (p.signature, sv.policy_keys)
        keys = self._union.get(uk)
        if keys is None:
            keys = tuple(sorted(set(p.condition_keys) | set(self.guard_keys) | sv.policy_keys))
            self._union[uk] = keys
        return (
            sv.arn, p.signature, facts.account_id == sv.account,
            facts.account_id == sv.key_account, facts.principal_type,
            facts.has_boundary, p.identity_known,
            self._pkey(sv.policy, facts) if sv.policy is not None else None,
            self._pkey(sv.key_policy, facts) if sv.key_policy is not None else None,
            p.arn in sv.named.arns, facts.account_id in sv.named.accounts,
            self.guard.signature(SCP, facts.account_id) if self.guard_constant is None
            else None,
            _project(pctx, keys),
        )

    def _rscope(self, policy: Policy, tag: str, sv: _SecretView,
                 keys: tuple[str, ...]) -> tuple[str, tuple[object, ...]]:
        """What the resource side of the request shows the policy: the resource ARN and the
        values of the keys it uses (so a key policy is evaluated once for all its secrets)."""
        ck = (id(policy), tag, sv.arn)
        hit = self._rscopes.get(ck)
        if hit is None:
            rctx = sv.rctx_sm if tag == "sm" else sv.rctx_kms
            resource = sv.arn if tag == "sm" else (sv.key_arn or "")
            vals = tuple(rctx[0].get(k) if k in rctx[0] else
                         ("absent" if any(k.startswith(x) for x in rctx[1]) else None)
                         for k in keys)
            hit = (resource, vals)
            self._rscopes[ck] = hit
        return hit

    def _guardrails(self, p: Principal, sv: _SecretView, pctx: Any,
                    make_sm: Callable[[], Request],
                    make_kms: Callable[[], Request]) -> GuardrailResult:
        if self.guard_constant is not None:
            return self.guard_constant
        # with no SCP / RCP document at all nothing can look at the resource: the answer
        # depends on the accounts' paths only, and is shared by every secret
        where: object = self._guard_scope(sv) if self.guard_policies else (
            self.guard.signature(RCP, sv.account), self.guard.signature(RCP, sv.key_account),
            sv.uses_kms, sv.region)
        key = (self.guard.signature(SCP, p.account_id), p.facts.principal_type, where,
               _project(pctx, self.guard_keys))
        cache = self._secret_guard if self.guard_policies and self._guard_patterns is None \
            else self._guard_cache
        hit = cache.get(key)
        if hit is None:
            hit = self._intern(self._guardrails_uncached(
                p, sv, make_sm(), make_kms() if sv.uses_kms else None))
            cache[key] = hit
        return hit

    def _guard_scope(self, sv: _SecretView) -> object:
        """What the SCP / RCP documents can see of this secret's requests (its own and its
        key's): the accounts whose RCPs apply, which of their Resource patterns the ARNs match,
        and the resource-side values of their condition keys. Secrets with equal scopes get
        equal guardrail answers, so the answer is shared across secrets."""
        pats = self._guard_patterns
        if pats is None:
            return sv.arn
        ck = (sv.arn, sv.key_arn, sv.uses_kms)
        hit = self._guard_where.get(ck)
        if hit is None:
            key_arn = sv.key_arn or ""
            vals: list[object] = []
            for rctx in (sv.rctx_sm, sv.rctx_kms):
                vals.append(tuple(
                    rctx[0].get(k) if k in rctx[0] else
                    ("absent" if any(k.startswith(x) for x in rctx[1]) else None)
                    for k in self.guard_keys))
            hit = ("scope", sv.account, sv.key_account, sv.region, sv.uses_kms,
                   tuple(arn_matches(x, sv.arn) for x in pats),
                   tuple(arn_matches(x, key_arn) for x in pats) if sv.uses_kms else None,
                   tuple(vals))
            self._guard_where[ck] = hit
        return hit

    def _guardrails_uncached(self, p: Principal, sv: _SecretView, req_sm: Request,
                             req_kms: Request | None) -> GuardrailResult:
        results = [self.guard.evaluate(SCP, p.account_id, req_sm),
                   self.guard.evaluate(RCP, sv.account, req_sm)]
        if req_kms is not None:
            results.append(self.guard.evaluate(SCP, p.account_id, req_kms))
            results.append(self.guard.evaluate(RCP, sv.key_account, req_kms))
        applicable = [r for r in results if r.status != "NOT_APPLICABLE"]
        if not applicable:
            reasons = tuple(dict.fromkeys(x for r in results for x in r.reasons))
            return GuardrailResult(status="NOT_APPLICABLE", allow=Tri.TRUE, deny=Tri.FALSE,
                                   reasons=reasons)
        allow = all3(r.allow for r in applicable)
        deny = any3(r.deny for r in applicable)
        status = "DENIED" if deny is Tri.TRUE or allow is Tri.FALSE else \
            "ALLOWED" if allow is Tri.TRUE and deny is Tri.FALSE else "CONDITIONAL"
        unresolved = tuple(dict.fromkeys(u for r in applicable for u in r.unresolved))
        reasons = tuple(dict.fromkeys(x for r in applicable for x in r.reasons))
        return GuardrailResult(status=status, allow=allow, deny=deny, unresolved=unresolved,
                               reasons=reasons)

    def evaluate_pair(self, p: Principal, sv: _SecretView) -> AccessPath:
        facts = p.facts
        cross = facts.account_id != sv.account
        pctx = self._principal_ctx(p)
        ck = self._class_key(p, sv, pctx)
        hit = self._pair_cache.get(ck)
        if hit is None:
            hit = self._evaluate_class(p, sv, pctx, cross)
            self._pair_cache[ck] = hit
        c, intended = hit
        # a grant outside the trust zone and the allow-list is not intended access that is
        # broken: secret-policy-external-account reports it (with the gate that blocks it)
        broken_at = c.blocking if intended and c.decision == "DENIED" and \
            self.s.allowed(facts.account_id) else ()
        return AccessPath(
            principal=facts.arn, principal_account=facts.account_id,
            principal_type=facts.principal_type, secret_arn=sv.arn, secret_account=sv.account,
            decision=c.decision, cross_account=cross, gates=c.gates, conditions=c.conditions,
            reasons=c.reasons, intended=intended, broken_at=broken_at,
            in_zone=self.s.in_zone(facts.account_id),
            allow_listed=facts.account_id in self.s.allowed_external_accounts,
        )

    def _evaluate_class(self, p: Principal, sv: _SecretView, pctx: Any,
                        cross: bool) -> tuple[Combined, bool]:
        facts = p.facts
        s = self.s

        def make_sm() -> Request:
            return build_request(facts, pctx, sv.rctx_sm, action=s.action, resource=sv.arn)

        def make_kms() -> Request:
            return build_request(facts, pctx, sv.rctx_kms, action=s.decrypt_action,
                                 resource=sv.key_arn or "")

        def project(keys: frozenset[str]) -> tuple[object, ...]:
            return _project(pctx, self._keys(keys))

        rp = self._policy_result(sv.policy, "sm", sv, facts, pctx, make_sm) if sv.policy \
            else sv.unread_result
        kp = None
        if sv.uses_kms and sv.key_policy is not None:
            kp = self._policy_result(sv.key_policy, "kms", sv, facts, pctx, make_kms)
        ids = self._intern(self.identity.evaluate(p, s.action, sv.arn, make_sm, project, "sm"))
        if facts.principal_type == "public":
            ids = _OUTSIDER_IDENTITY
        idk: IdentityResult | None = None
        if facts.principal_type == "public" and sv.uses_kms:
            idk = _OUTSIDER_IDENTITY
        elif sv.uses_kms and sv.key_arn:
            idk = self._intern(self.identity.evaluate(p, s.decrypt_action, sv.key_arn,
                                                      make_kms, project, sv.kms_scope))
        scp = self._guardrails(p, sv, pctx, make_sm, make_kms)
        is_user = facts.principal_type == "user"
        kf = sv.key_facts
        ckey = (id(rp), id(kp), id(ids), id(idk), id(scp), cross, is_user, kf.aws_managed,
                kf.usable, kf.reason, facts.account_id != sv.key_account)
        c = self._combine_cache.get(ckey)
        if c is None:
            key = sv.key_facts if kp is None else KeyFacts(
                aws_managed=False, usable=sv.key_facts.usable, policy_result=kp,
                reason=sv.key_facts.reason)
            c = combine(GateInputs(cross_account=cross, resource=rp, key=key, id_secret=ids,
                                   id_key=idk, scp=scp, is_user=is_user,
                                   key_cross_account=facts.account_id != sv.key_account))
            self._combine_cache[ckey] = c
        return c, self._intended(p, sv, c.gates, ids)

    def _intended(self, p: Principal, sv: _SecretView, gates: dict[str, Any],
                  ids: IdentityResult) -> bool:
        """A policy meant this principal to read this secret: the resource policy names it (or
        its account), or the resource policy lets it in and its identity policy allows, or its
        identity policy grants this secret by name (not by a pattern that also covers an
        unrelated secret of the same account)."""
        if p.facts.principal_type == "public":
            return False
        if p.arn in sv.named.arns:
            return True
        rp_ok = gates["resource_policy"].status in ("ALLOWED", "CONDITIONAL")
        id_ok = gates["identity_policy"].status in ("ALLOWED", "CONDITIONAL", "UNKNOWN") or \
            ids.allow is not Tri.FALSE
        if not id_ok:
            return False
        if p.account_id in sv.named.accounts:
            return True  # the resource policy trusts its account and its IAM allows the read
        if not p.identity_known:
            return rp_ok
        if rp_ok:
            # let in by a "*" grant: intended unless its identity grants every secret
            return self._names_secret(p, sv, strict=False, cross=p.account_id != sv.account)
        cross = p.account_id != sv.account
        return self._names_secret(p, sv, strict=cross, cross=cross)

    def _names_secret(self, p: Principal, sv: _SecretView, strict: bool = True,
                      cross: bool = False) -> bool:
        """Does the principal's identity grant this secret rather than every secret? It does
        not when it also grants an unrelated secret of the same account; from another account
        (``strict``) also not when it grants a sibling under the same path (``app/*`` is a
        pattern, ``app/db-??????`` names one secret). For a principal of another account
        (``cross``) a grant that also covers the same secret name in any other account
        (``arn:...:*:secret:app-*``) names no secret of this account either."""
        head = (sv.name or "").split("/", 1)[0] + "/" if "/" in (sv.name or "") else ""
        if not strict:
            head = "<none>"
        if cross and not self._names_any_account(p, sv):
            return False
        key = (p.signature, sv.account, sv.region, head)
        hit = self._probe.get(key)
        if hit is None:
            base = f"arn:aws:secretsmanager:{sv.region}:{sv.account}:secret:"
            hit = True
            fakes = [base + "zz-unrelated-000000"]
            if strict:
                fakes.append(base + head + "zz-sibling-000000")
            for fake in fakes:
                req = Request(principal_arn=p.arn, principal_account=p.account_id,
                              action=self.s.action, resource=fake,
                              principal_type=p.facts.principal_type)
                if self.identity.evaluate(p, self.s.action, fake, lambda: req,
                                          scope="probe").allow is not Tri.FALSE:
                    hit = False
                    break
            self._probe[key] = hit
        return hit

    def _names_any_account(self, p: Principal, sv: _SecretView) -> bool:
        """False when the principal's identity grants this secret's name in an account that is
        not the secret's (an account-wildcard pattern): it does not single this secret out."""
        tail = arn_resource(sv.arn)
        key = (p.signature, "other-account", sv.region, tail)
        hit = self._probe.get(key)
        if hit is None:
            fake = f"arn:aws:secretsmanager:{sv.region}:{OUTSIDER_ACCOUNT}:{tail}"
            req = Request(principal_arn=p.arn, principal_account=p.account_id,
                          action=self.s.action, resource=fake,
                          principal_type=p.facts.principal_type)
            hit = self.identity.evaluate(p, self.s.action, fake, lambda: req,
                                         scope="probe").allow is Tri.FALSE
            self._probe[key] = hit
        return hit

    # ------------------------------------------------------------------ per secret / key
    def secret_access(self, sv: _SecretView) -> SecretAccess:
        try:
            return self._secret_access(sv)
        finally:
            self._secret_cache.clear()
            self._secret_guard.clear()
            self._pair_cache.clear()
            self._rscopes.clear()
            self._guard_where.clear()

    def _secret_access(self, sv: _SecretView) -> SecretAccess:
        paths: list[AccessPath] = []
        classes: list[ClassVerdict] = []
        named = sv.named
        rp_closed = not named.star and sv.unread_result is None and not (
            sv.policy is not None and sv.policy.problems)
        record_all = self.s.record_denied

        def consider(p: Principal) -> None:
            path = self.evaluate_pair(p, sv)
            # a grant outside the trust zone stays visible although a gate blocks it
            if path.decision != "DENIED" or path.broken_at or record_all or (
                    path.intended and not path.in_zone):
                paths.append(path)

        seen: set[str] = set()
        for arn in sorted(named.arns):
            p = self.index.by_arn.get(arn)
            if p is None:
                ptype = "user" if ":user/" in arn else "role"
                p = external_principal(arn, entry_account(arn), ptype)
            seen.add(p.arn)
            consider(p)
        for acct in sorted(named.accounts - self.index.iam_read):
            consider(external_principal(root_principal(acct), acct, "root"))
        special = None if record_all else self._special_accounts(sv)
        for group, shared in (self._candidate_groups(sv) if not record_all else
                              [(g, None) for g in self._groups]):
            # principals sharing documents (and using no condition keys) share an identity
            # answer: a group whose identity cannot allow the read is skipped whole
            first = group.first
            names: bool | None = None
            if special is None:
                members: Iterable[Principal] = group.members
            else:
                members = [p for acct in sorted(special) for p in group.by_account.get(acct, ())]
            for p in members:
                if p.arn in seen:
                    continue
                if not record_all:
                    if shared is None:
                        ids = self.identity.evaluate(p, self.s.action, sv.arn,
                                                     self._sm_request(p, sv), self._projector(p),
                                                     "sm")
                        if ids.allow is Tri.FALSE:
                            continue
                    if rp_closed and p.account_id != sv.account and \
                            p.account_id not in named.accounts:
                        # the resource policy cannot let it in: it matters only if its
                        # identity names this secret (then the access is intended but broken)
                        if names is None:
                            names = self._names_secret(first, sv, cross=True)
                        if not names:
                            continue
                consider(p)
            if special is None:
                continue
            # the rest of the group: cross-account principals no policy of this secret singles
            # out. One evaluation per equivalence class stands for all its members.
            if rp_closed:
                if names is None:
                    names = self._names_secret(first, sv, cross=True)
                if not names:
                    continue  # the resource policy cannot let them in, and nobody meant it to
            for sub in self._subclasses(group, self._class_keys(group, sv)):
                rep = next((p for p in sub if p.account_id not in special), None)
                if rep is None:
                    continue
                if shared is None:
                    ids = self.identity.evaluate(rep, self.s.action, sv.arn,
                                                 self._sm_request(rep, sv), self._projector(rep),
                                                 "sm")
                    if ids.allow is Tri.FALSE:
                        continue
                path = self.evaluate_pair(rep, sv)
                recorded = path.decision != "DENIED" or bool(path.broken_at)
                if named.star:
                    # counted without walking the class (it spans every account)
                    counts = self._account_counts(sub)
                    classes.append(ClassVerdict(
                        example=rep.arn, principal_type=rep.facts.principal_type,
                        principals=len(sub) - sum(counts.get(a, 0) for a in special),
                        accounts=len(counts) - sum(1 for a in special if a in counts),
                        decision=path.decision, gates=path.gate_statuses(),
                        broken_at=path.broken_at, recorded=recorded))
                if not recorded:
                    continue
                counts = self._account_counts(sub)
                if any(a in counts for a in special):
                    rest = [p for p in sub if p.facts.account_id not in special]
                else:
                    rest = sub  # the usual case: no member in a special account
                for p in rest:
                    paths.append(path if p is rep else replace(
                        path, principal=p.arn, principal_account=p.account_id))
        if named.star:
            consider(_PUBLIC)
        grants = policy_grants(sv.policy, source="resource_policy", action=self.s.action,
                               resource=sv.arn, settings=self.s, extra_context={})
        readers = [p for p in paths if p.decision == "ALLOWED" and p.principal_type != "public"]
        cond = [p for p in paths if p.decision == "CONDITIONAL"]
        breadth = Breadth(
            principals=len({p.principal for p in readers}),
            accounts=len({p.principal_account for p in readers}),
            conditional_principals=len({p.principal for p in cond}),
            conditional_accounts=len({p.principal_account for p in cond}),
            organization_wide=any(g.scope == "organization" for g in grants),
            public=any(g.scope == "public" for g in grants) or any(
                p.principal_type == "public" and p.decision != "DENIED" for p in paths),
        )
        problems = tuple(sv.policy.problems if sv.policy else ()) + tuple(
            f"key policy: {x}" for x in (sv.key_policy.problems if sv.key_policy else ()))
        return SecretAccess(secret_arn=sv.arn, name=sv.name, account_id=sv.account,
                            region=sv.region, key_arn=sv.key_arn, aws_managed_key=sv.aws_managed,
                            paths=tuple(sorted(paths, key=lambda x: x.principal)),
                            grants=tuple(grants), breadth=breadth, problems=problems,
                            classes=tuple(classes))

    def _sm_request(self, p: Principal, sv: _SecretView) -> Callable[[], Request]:
        def make() -> Request:
            return build_request(p.facts, self._principal_ctx(p), sv.rctx_sm,
                                 action=self.s.action, resource=sv.arn)
        return make

    def _projector(self, p: Principal) -> Callable[[frozenset[str]], tuple[object, ...]]:
        pctx = self._principal_ctx(p)

        def project(keys: frozenset[str]) -> tuple[object, ...]:
            return _project(pctx, self._keys(keys))
        return project

    def key_access(self, key_id: str, attrs: dict[str, Any], views: list[_SecretView]) -> \
            KeyAccess:
        text = attrs.get("policy")
        policy = parse_policy(text) if text else None
        region = attrs.get("region") or ""
        grants = policy_grants(policy, source="key_policy", action=self.s.decrypt_action,
                               resource=key_id, settings=self.s,
                               extra_context={"kms:viaservice": (
                                   f"secretsmanager.{region}.amazonaws.com",)})
        key_account = attrs.get("account_id") or ""
        matched = {(m.label, p) for m in excess_key_grants(
            policy, [v.policy for v in views], key_account=key_account) for p in m.principals}
        excess: list[Grant] = [g for g in grants if (g.statement, g.principal) in matched]
        return KeyAccess(key_arn=key_id, account_id=key_account, region=region,
                         aws_managed=bool(attrs.get("aws_managed")),
                         collected=bool(attrs.get("collected", True)), grants=tuple(grants),
                         secrets=tuple(sorted(v.arn for v in views)), excess_grants=tuple(excess),
                         problems=tuple(policy.problems) if policy else ())

    def identity_wildcards(self) -> list[IdentityWildcard]:
        out: list[IdentityWildcard] = []
        for p in self.index.principals():
            for np in p.policies:
                if np.policy is None:
                    continue
                for label, action in wildcard_grants(np.policy):
                    out.append(IdentityWildcard(principal=p.arn, account_id=p.account_id,
                                                policy=np.name, statement=label, action=action))
        return out


def _key_of(graph: nx.MultiDiGraph, node: str) -> tuple[str | None, dict[str, Any] | None]:
    for _, dst, data in graph.out_edges(node, data=True):
        if data.get("kind") == EdgeKind.ENCRYPTED_BY.value:
            return dst, dict(graph.nodes[dst])
    return None, None


def _secret_views(graph: nx.MultiDiGraph, settings: AccessSettings) -> tuple[
        list[_SecretView], list[_SecretView]]:
    """(primary secrets, replicas). A replica carries its primary's resource policy and tags,
    and is encrypted by its own key in its own region."""
    views: list[_SecretView] = []
    replicas: list[_SecretView] = []
    for node, attrs in graph.nodes(data=True):
        kind = attrs.get("kind")
        if kind == NodeKind.SECRET.value:
            key_id, key_attrs = _key_of(graph, node)
            views.append(_SecretView(node, dict(attrs), key_id, key_attrs, settings))
        elif kind == NodeKind.SECRET_REPLICA.value:
            primary = attrs.get("primary_arn")
            if not primary or primary not in graph:
                continue
            merged = dict(graph.nodes[primary])
            region = attrs.get("region") or ""
            merged.update(region=region, kms_key_id=attrs.get("kms_key_id"))
            arn = attrs.get("replica_arn") or (with_region(str(primary), region)
                                               if parse_arn(str(primary)) else node)
            key_id, key_attrs = _key_of(graph, node)
            replicas.append(_SecretView(str(arn), merged, key_id, key_attrs, settings))
    return views, replicas


def _add_edges(graph: nx.MultiDiGraph, report: dict[str, SecretAccess]) -> None:
    # paths sharing one verdict share its summary: one dict for all their edges (read-only by
    # contract, like every graph attribute after the analysis)
    statuses: dict[int, dict[str, str]] = {}
    for sa in report.values():
        for p in sa.paths:
            if p.principal not in graph:
                ptype = p.principal_type
                graph.add_node(p.principal, kind=NodeKind.PRINCIPAL.value,
                               account_id=p.principal_account, region="global",
                               principal_type=ptype, external=not p.in_zone)
            gates = statuses.get(id(p.gates))
            if gates is None:
                gates = statuses[id(p.gates)] = p.gate_statuses()
            graph.add_edge(p.principal, sa.secret_arn, key=EdgeKind.CAN_READ.value,
                           kind=EdgeKind.CAN_READ.value, decision=p.decision,
                           gates=gates, conditions=p.conditions, reasons=p.reasons,
                           broken_at=p.broken_at, cross_account=p.cross_account)


def analyze_access(graph: nx.MultiDiGraph, snapshot: Snapshot,
                   settings: AccessSettings) -> AccessReport:
    """Evaluate every (principal, secret) pair worth considering; add CAN_READ edges.

    The cyclic garbage collector is paused meanwhile: the analysis allocates many small,
    acyclic, long-lived objects, and repeated full collections would dominate its run time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze(graph, snapshot, settings)
    finally:
        if enabled:
            gc.enable()


def _analyze(graph: nx.MultiDiGraph, snapshot: Snapshot,
             settings: AccessSettings) -> AccessReport:
    an = _Analyzer(graph, snapshot, settings)
    views, replica_views = _secret_views(graph, settings)
    secrets = {sv.arn: an.secret_access(sv) for sv in views}
    replicas = {sv.arn: an.secret_access(sv) for sv in replica_views}
    by_key: dict[str, list[_SecretView]] = {}
    for sv in views + replica_views:
        if sv.key_arn:
            by_key.setdefault(sv.key_arn, []).append(sv)
    keys: dict[str, KeyAccess] = {}
    for node, attrs in graph.nodes(data=True):
        if attrs.get("kind") == NodeKind.KMS_KEY.value:
            keys[node] = an.key_access(node, dict(attrs), by_key.get(node, []))
    _add_edges(graph, secrets)
    problems = tuple(f"{arn}: {p}" for arn, s in secrets.items() for p in s.problems)
    return AccessReport(secrets=secrets, replicas=replicas, keys=keys,
                        identity_wildcards=tuple(an.identity_wildcards()),
                        settings=_settings_dict(settings), problems=problems)


def _settings_dict(s: AccessSettings) -> dict[str, Any]:
    d = asdict(s)
    for k, v in d.items():
        if isinstance(v, frozenset):
            d[k] = sorted(v)
    d["zone"] = s.trust_zone.to_json()
    return d
