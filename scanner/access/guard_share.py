"""Guardrail (SCP / RCP) answers shared across principals and secrets that the control
policies cannot tell apart. The evaluation itself is scanner.access.scp; this module decides
what the answer may be keyed by (see docs/access.md "Shared guardrails")."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from scanner.access.classes import Interner, project
from scanner.access.graph_io import SecretView
from scanner.access.identity import Principal
from scanner.access.scp import RCP, SCP, Guardrails, GuardrailResult, is_service_linked_role
from scanner.model import Organization, OrgMembership
from scanner.policy.matching import arn_matches
from scanner.policy.parse import parse_policy
from scanner.policy.request import Request
from scanner.policy.tri import Tri, all3, any3

class SharedGuardrails:
    def __init__(self, org: Organization | None, interner: Interner,
                 membership: OrgMembership | None = None,
                 scanned: frozenset[str] | None = None) -> None:
        self.guard = Guardrails(org, membership, scanned)
        self._intern = interner
        # no answer is shared by every pair: even with no policy read it depends on the
        # accounts -- the management account and its resources are exempt, an account outside
        # the organization has no SCPs of ours, the others are not assessed
        # (Guardrails.evaluate, scp.not_read; fault-injection trial round 5: one constant "not
        # collected" answer allowed every read)
        keys: set[str] = set()
        pats: list[str] = []
        #: per policy type: the condition keys and the Resource / NotResource patterns of its
        #: documents (SCPs judge the caller's account path, RCPs the resource's: each half of
        #: the answer is cached by what its own documents can see, SharedGuardrails.result)
        type_keys: dict[str, set[str]] = {SCP: set(), RCP: set()}
        type_pats: dict[str, list[str]] = {SCP: [], RCP: []}
        resource_blind = True
        for cp in (org.policies if org else ()):
            parsed = parse_policy(cp.content)
            keys |= parsed.condition_keys
            type_keys.setdefault(cp.policy_type, set()).update(parsed.condition_keys)
            if parsed.problems or parsed.uses_variables:
                resource_blind = False
            for st in parsed.statements:
                if st.problems or st.not_principal is not None or (
                        st.principal is not None and not (st.principal.star and not (
                            st.principal.aws or st.principal.problems or
                            st.principal.canonical_user))):
                    resource_blind = False
                for x in (*(st.resources or ()), *(st.not_resources or ())):
                    pats.append(x)
                    type_pats.setdefault(cp.policy_type, []).append(x)
        self.keys = tuple(sorted(keys))
        #: the Resource / NotResource patterns of every SCP / RCP: a secret is seen by the
        #: guardrails only through which of them its ARN (and its key's) matches, and the
        #: resource-side values of their condition keys. None: a document that can see more
        #: (variables, problems, a Principal other than "*"): key by the secret ARN.
        self.patterns: tuple[str, ...] | None = (
            tuple(dict.fromkeys(pats)) if resource_blind else None)
        self._half_keys = {t: tuple(sorted(type_keys[t])) for t in (SCP, RCP)}
        self._half_pats = {t: tuple(dict.fromkeys(type_pats[t])) for t in (SCP, RCP)}
        self.has_policies = bool(org and org.policies)
        self._where: dict[tuple[object, ...], object] = {}
        #: (the secret view ``scope`` last answered for, its answer)
        self._last_scope: tuple[SecretView, object] | None = None
        self._secret_cache: dict[tuple[object, ...], GuardrailResult] = {}
        self._cache: dict[tuple[object, ...], GuardrailResult] = {}
        #: the SCP half ((GetSecretValue, Decrypt) on the caller's path) and the RCP half (on
        #: the secret's and the key's paths) of answers, each under its own key
        self._halves: dict[tuple[object, ...], tuple[GuardrailResult | None, ...]] = {}

    def scp_signature(self, account_id: str | None) -> object:
        """What tells principals of two accounts apart for the SCPs (None: nothing does)."""
        return self.guard.signature(SCP, account_id)

    def rcp_mentioned(self, sv: SecretView) -> frozenset[str]:
        """The accounts a condition of the RCPs on the secret's or its key's account path
        names (Guardrails.mentioned_accounts)."""
        return self.guard.mentioned_accounts(RCP, sv.account) | (
            self.guard.mentioned_accounts(RCP, sv.key_account) if sv.uses_kms else frozenset())

    def end_secret(self) -> None:
        self._where.clear()
        self._secret_cache.clear()

    def result(self, p: Principal, sv: SecretView, pctx: Any, make_sm: Callable[[], Request],
               make_kms: Callable[[], Request]) -> GuardrailResult:
        # with no SCP / RCP document at all nothing can look at the resource: the answer
        # depends on the accounts' paths only, and is shared by every secret
        where: object = self.scope(sv) if self.has_policies else (
            self.guard.signature(RCP, sv.account), self.guard.signature(RCP, sv.key_account),
            sv.uses_kms, sv.aws_managed, sv.region)
        key = (self.guard.signature(SCP, p.account_id), p.facts.principal_type,
               is_service_linked_role(p.arn), where,
               project(pctx, self.keys))
        cache = self._secret_cache if self.has_policies and self.patterns is None \
            else self._cache
        hit = cache.get(key)
        if hit is None:
            if self.has_policies and self.patterns is not None:
                hit = self._intern(self._from_halves(p, sv, pctx, make_sm, make_kms))
            else:
                hit = self._intern(self._uncached(p, sv, make_sm(),
                                                  make_kms() if sv.decrypt_arn else None))
            cache[key] = hit
        return hit

    def _from_halves(self, p: Principal, sv: SecretView, pctx: Any,
                     make_sm: Callable[[], Request],
                     make_kms: Callable[[], Request]) -> GuardrailResult:
        """``_uncached``'s answer from its two halves, each cached by what its own documents
        can see (organization-scale robustness trial: keyed together, the SCP walks of the
        caller's path were redone for every resource account, the RCP walks for every caller
        path).

        Organizations User Guide, "Service control policies": SCPs "affect only IAM users and
        roles that are managed by accounts that are part of the organization" -- they judge
        the caller's account path, so the SCP half is keyed by the caller's SCP signature and
        sees the secret only through the SCPs' Resource / NotResource patterns and condition
        keys. "Resource control policies": an RCP caps access to the resources of the member
        accounts along whose path it is attached, for every principal, external ones included
        (paraphrased) -- the RCP half is keyed by the secret's and the key's RCP signatures
        and sees the caller only through the RCPs' condition keys (their Principal is "*":
        ``patterns`` is None otherwise and ``_uncached`` runs instead)."""
        g = self.guard
        kms = bool(sv.decrypt_arn)
        made: dict[str, Request] = {}

        def req(which: str) -> Request:
            r = made.get(which)
            if r is None:
                r = made[which] = make_sm() if which == "sm" else make_kms()
            return r

        who = (p.facts.principal_type, is_service_linked_role(p.arn))
        scp_key = (SCP, g.signature(SCP, p.account_id), who,
                   project(pctx, self._half_keys[SCP]), self._half_scope(SCP, sv))
        scp = self._halves.get(scp_key)
        if scp is None:
            scp = (g.evaluate(SCP, p.account_id, req("sm")),
                   g.evaluate(SCP, p.account_id, req("kms")) if kms else None)
            self._halves[scp_key] = scp
        rcp_key = (RCP, g.signature(RCP, sv.account), g.signature(RCP, sv.key_account), who,
                   project(pctx, self._half_keys[RCP]), self._half_scope(RCP, sv))
        rcp = self._halves.get(rcp_key)
        if rcp is None:
            # RCPs do not apply to AWS managed keys (KMS Developer Guide, "Resource control
            # policies"), as in _uncached
            rcp = (g.evaluate(RCP, sv.account, req("sm")),
                   g.evaluate(RCP, sv.key_account, req("kms"))
                   if kms and not sv.aws_managed else None)
            self._halves[rcp_key] = rcp
        # the order _uncached evaluates them in (its reasons are listed in that order)
        return combine_guardrails([r for r in (scp[0], rcp[0], scp[1], rcp[1])
                                   if r is not None])

    def _half_scope(self, policy_type: str, sv: SecretView) -> object:
        """``scope`` for one policy type's documents, without the accounts (the signatures in
        the half's key stand for them): the region, the key's kind, which of this type's
        Resource / NotResource patterns the secret's and the key's ARNs match, and the
        resource-side values of this type's condition keys."""
        ck = (policy_type, sv.arn, sv.decrypt_arn, sv.uses_kms)
        hit = self._where.get(ck)
        if hit is None:
            pats = self._half_pats[policy_type]
            keys = self._half_keys[policy_type]
            key_arn = sv.decrypt_arn or ""
            vals = tuple(tuple(
                rctx[0].get(k) if k in rctx[0] else
                ("absent" if any(k.startswith(x) for x in rctx[1]) else None)
                for k in keys) for rctx in (sv.rctx_sm, sv.rctx_kms))
            hit = (sv.region, sv.uses_kms, sv.aws_managed,
                   tuple(arn_matches(x, sv.arn) for x in pats),
                   tuple(arn_matches(x, key_arn) for x in pats) if key_arn else None, vals)
            self._where[ck] = hit
        return hit

    def scope(self, sv: SecretView) -> object:
        """What the SCP / RCP documents can see of this secret's requests (its own and its
        key's): the accounts whose RCPs apply, which of their Resource patterns the ARNs match,
        and the resource-side values of their condition keys. Secrets with equal scopes get
        equal guardrail answers, so the answer is shared across secrets."""
        pats = self.patterns
        if pats is None:
            return sv.arn
        last = self._last_scope
        if last is not None and last[0] is sv:
            return last[1]  # asked again for the same secret: once per pair
        ck = (sv.arn, sv.decrypt_arn, sv.uses_kms)
        hit = self._where.get(ck)
        if hit is None:
            key_arn = sv.decrypt_arn or ""
            vals: list[object] = []
            for rctx in (sv.rctx_sm, sv.rctx_kms):
                vals.append(tuple(
                    rctx[0].get(k) if k in rctx[0] else
                    ("absent" if any(k.startswith(x) for x in rctx[1]) else None)
                    for k in self.keys))
            hit = ("scope", sv.account, sv.key_account, sv.region, sv.uses_kms,
                   sv.aws_managed, tuple(arn_matches(x, sv.arn) for x in pats),
                   tuple(arn_matches(x, key_arn) for x in pats) if key_arn else None,
                   tuple(vals))
            self._where[ck] = hit
        self._last_scope = (sv, hit)
        return hit

    def _uncached(self, p: Principal, sv: SecretView, req_sm: Request,
                  req_kms: Request | None) -> GuardrailResult:
        g = self.guard
        results = [g.evaluate(SCP, p.account_id, req_sm), g.evaluate(RCP, sv.account, req_sm)]
        if req_kms is not None:
            # the Decrypt is the caller's (a forward access session): its SCPs judge it, for
            # aws/secretsmanager too; RCPs do not apply to AWS managed keys (KMS Developer
            # Guide, "Resource control policies")
            results.append(g.evaluate(SCP, p.account_id, req_kms))
            if not sv.aws_managed:
                results.append(g.evaluate(RCP, sv.key_account, req_kms))
        return combine_guardrails(results)


def combine_guardrails(results: list[GuardrailResult]) -> GuardrailResult:
    """One answer from the SCP and RCP answers of a pair's requests: every applicable part
    must allow, a Deny in any part denies."""
    applicable = [r for r in results if r.status != "NOT_APPLICABLE"]
    if not applicable:
        reasons = tuple(dict.fromkeys(x for r in results for x in r.reasons))
        return GuardrailResult(status="NOT_APPLICABLE", allow=Tri.TRUE, deny=Tri.FALSE,
                               reasons=reasons)
    allow = all3(r.allow for r in applicable)
    deny = any3(r.deny for r in applicable)
    status = "DENIED" if deny is Tri.TRUE or allow is Tri.FALSE else \
        "ALLOWED" if allow is Tri.TRUE and deny is Tri.FALSE else \
        "UNKNOWN" if any(r.status == "UNKNOWN" and Tri.UNKNOWN in (r.allow, r.deny)
                         for r in applicable) else "CONDITIONAL"
    # UNKNOWN: a part could not be assessed (an account whose OU path was not read), not
    # one that depends on the request's context -- rules answer UNKNOWN for it
    unresolved = _said_once(u for r in applicable for u in r.unresolved)
    reasons = _said_once(x for r in applicable for x in r.reasons)
    return GuardrailResult(status=status, allow=allow, deny=deny, unresolved=unresolved,
                           reasons=reasons)


def _said_once(texts: Iterable[str]) -> tuple[str, ...]:
    """The texts without repeats, an SCP text and its RCP twin (the same words but for the
    label: "no organization data: SCPs not assessed", "... RCPs ...") said once as "SCPs and
    RCPs" (new-user trial round 30: `access` printed both, one fact twice)."""
    out = list(dict.fromkeys(texts))
    seen = set(out)
    merged: list[str] = []
    for text in out:
        if "SCPs" in text and text.replace("SCPs", "RCPs") in seen:
            merged.append(text.replace("SCPs", "SCPs and RCPs"))
        elif "RCPs" in text and text.replace("RCPs", "SCPs") in seen:
            continue  # said with its SCP twin
        else:
            merged.append(text)
    return tuple(merged)
