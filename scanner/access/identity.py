"""Principals and their identity-based permissions (inline, attached managed, group policies,
capped by the permissions boundary), indexed by account and by policy signature."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping

from scanner.access.context import PrincipalFacts
from scanner.access.scp import org_paths
from scanner.frozen import frozen
from scanner.model import IamGroup, IamPrincipal, ManagedPolicy, Snapshot
from scanner.policy.arn import parse_arn, root_arn
from scanner.policy.exposure import acts_on, not_resource_spares_some
from scanner.policy.evaluate import PolicyKind, PolicyResult, action_part, evaluate_policy
from scanner.policy.matching import INDEXED_PATTERNS, action_matches, arn_matches, \
    glob_match, index_of, resource_field
from scanner.policy.parse import Policy, parse_policy, statement_keys
from scanner.policy.principals import session_role
from scanner.policy.request import Request
from scanner.policy.tri import Tri, all3, any3


@dataclass(frozen=True, kw_only=True, slots=True)
class NamedPolicy:
    name: str  # "inline:<name>", a managed policy ARN, or "group:<group>/inline:<name>"
    policy: Policy | None  # None: the document was not collected


@dataclass(frozen=True, kw_only=True, slots=True)
class Principal:
    facts: PrincipalFacts
    policies: tuple[NamedPolicy, ...] = ()
    boundary: NamedPolicy | None = None
    identity_known: bool = True  # False: IAM of its account was not read, or it is external
    signature: tuple[object, ...] = ()
    condition_keys: frozenset[str] = frozenset()
    mentions: frozenset[str] = frozenset()  # services its Allow statements can reach
    #: its policies' names, in ``signature`` order (the boundary last): reasons name them
    labels: tuple[str, ...] = ()

    @property
    def arn(self) -> str:
        return self.facts.arn

    @property
    def account_id(self) -> str | None:
        return self.facts.account_id


@dataclass(frozen=True, kw_only=True, slots=True)
class IdentityResult:
    allow: Tri  # identity policies allow, and the boundary (if any) allows
    deny: Tri
    boundary_allow: Tri  # TRUE when there is no boundary
    unresolved: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    #: documents the answer needs that were not collected (an attached managed policy, a
    #: group's, the permissions boundary): the gate is not assessed (gates.combine: UNKNOWN)
    #: where they leave it undecided
    unread_documents: tuple[str, ...] = ()
    #: the identity policies' own allow, before the boundary caps it (None: not evaluated
    #: one by one -- not collected, an outsider): what tells a boundary that blocks an
    #: Allow from an Allow that is missing (gates.combine; IAM conformance trial round 21)
    policies_allow: Tri | None = None


UNKNOWN_IDENTITY = IdentityResult(allow=Tri.UNKNOWN, deny=Tri.UNKNOWN,
                                  boundary_allow=Tri.UNKNOWN,
                                  unresolved=("identity policies not collected",),
                                  # the reason is the unresolved input itself: `access
                                  # --why` says it once, as "? unresolved: ..."
                                  reasons=("identity policies not collected",))


_SERVICES: dict[int, tuple[Policy, frozenset[str]]] = {}


def _services(policy: Policy | None) -> frozenset[str]:
    if policy is None:
        return frozenset({"*"})
    hit = _SERVICES.get(id(policy))
    if hit is not None and hit[0] is policy:
        return hit[1]
    out = _services_uncached(policy)
    _SERVICES[id(policy)] = (policy, out)
    return out


def _services_uncached(policy: Policy | None) -> frozenset[str]:
    if policy is None or policy.problems:
        return frozenset({"*"})
    out: set[str] = set()
    for st in policy.statements:
        if st.effect != "Allow" or st.problems:
            if st.problems:
                out.add("*")
            continue
        if st.not_actions is not None:
            out.add("*")
        for a in st.actions or ():
            svc = a.split(":", 1)[0].lower() if ":" in a else "*"
            out.add("*" if "*" in svc or "?" in svc else svc)
    return frozenset(out)


def _same_basis(old: tuple[object, ...], new: tuple[object, ...]) -> bool:
    """(organization, org id, (account id, IAM record) per account): the same objects."""
    return len(old) == len(new) and old[0] is new[0] and old[1] == new[1] and all(
        a[0] == b[0] and a[1] is b[1]  # type: ignore[index]
        for a, b in zip(old[2:], new[2:]))


class PrincipalIndex:
    """Every IAM principal of the snapshot, by ARN and by account, with its policies parsed."""

    #: the last index built by ``of``, with what it was built from (held, compared by identity)
    _last: "tuple[tuple[object, ...], PrincipalIndex] | None" = None

    @classmethod
    def of(cls, snapshot: Snapshot) -> "PrincipalIndex":
        """The index of ``snapshot``, reused when the previous call's snapshot had the very
        same IAM records, organization and organization id: remediation planning analyses one
        estate hundreds of times with only a key or a secret changed (scanner/remediate/
        effects.py), and the index of thousands of principals cost a third of each analysis's
        access time. The records are frozen, so the same objects hold the same principals."""
        org = snapshot.organization
        basis: tuple[object, ...] = (org, snapshot.meta.org_id) + tuple(
            (a.account_id, a.iam) for a in snapshot.accounts)
        last = cls._last
        if last is not None and _same_basis(last[0], basis):
            return last[1]
        index = cls(snapshot)
        cls._last = (basis, index)
        return index

    def __init__(self, snapshot: Snapshot) -> None:
        self.by_arn: dict[str, Principal] = {}
        self.by_account: dict[str, list[Principal]] = {}
        self.iam_read: set[str] = set()
        self._policy_ids: dict[int, int] = {}
        org = snapshot.organization
        self._org_paths = org_paths(org, (org.org_id if org else None) or snapshot.meta.org_id)
        managed: dict[str, ManagedPolicy] = {}
        groups: dict[tuple[str, str], IamGroup] = {}
        for acct in snapshot.accounts:
            if acct.iam is None:
                continue
            self.iam_read.add(acct.account_id)
            for mp in acct.iam.policies:
                managed[mp.arn] = mp
            for g in acct.iam.groups:
                groups[(g.account_id, g.name)] = g
        for acct in snapshot.accounts:
            if acct.iam is None:
                continue
            for p in acct.iam.principals:
                principal = self._principal(p, managed, groups)
                self.by_arn[p.arn] = principal
                self.by_account.setdefault(p.account_id, []).append(principal)

    def stand_in(self, account_id: str, partition: str) -> "Principal":
        """The stand-in for the principals of ``account_id`` (an account whose IAM was not
        read) that no policy names: ``account_stand_in`` with its account's place in the
        organization. ``partition``: the resource's (a principal reads nothing in another
        partition)."""
        return account_stand_in(account_id, partition, self._org_paths.get(account_id))

    def role_of_session(self, arn: str) -> "Principal | None":
        """The role an assumed-role session ARN (``arn:aws:sts::ACCT:assumed-role/NAME/SESSION``)
        belongs to, when its account's IAM was read (role names are unique in an account)."""
        session = session_role(arn)
        if session is None:
            return None
        account, role_name = session
        for p in self.by_account.get(account, ()):
            if p.facts.principal_type == "role" and p.facts.name == role_name:
                return p
        return None

    def _named(self, name: str, doc: Mapping[str, object] | None) -> NamedPolicy:
        return NamedPolicy(name=name, policy=parse_policy(doc) if doc is not None else None)

    def _principal(self, p: IamPrincipal, managed: dict[str, ManagedPolicy],
                   groups: dict[tuple[str, str], IamGroup]) -> Principal:
        pols = [self._named(f"inline:{n}", d) for n, d in sorted(p.inline_policies.items())]
        pols += [self._named(a, managed[a].document if a in managed else None)
                 for a in p.attached_policy_arns]
        for gname in p.group_names:
            g = groups.get((p.account_id, gname))
            if g is None:
                pols.append(NamedPolicy(name=f"group:{gname}", policy=None))
                continue
            pols += [self._named(f"group:{gname}/inline:{n}", d)
                     for n, d in sorted(g.inline_policies.items())]
            pols += [self._named(f"group:{gname}/{a}",
                                 managed[a].document if a in managed else None)
                     for a in g.attached_policy_arns]
        boundary = None
        if p.permissions_boundary_arn:
            b = p.permissions_boundary_arn
            boundary = self._named(b, managed[b].document if b in managed else None)
        keys: set[str] = set()
        mentions: set[str] = set()
        for np in pols:
            mentions |= _services(np.policy)
            if np.policy is not None:
                keys |= np.policy.condition_keys
        if boundary and boundary.policy is not None:
            keys |= boundary.policy.condition_keys
        sig = tuple(self._pid(np.policy) for np in pols) + (
            (-2, self._pid(boundary.policy)) if boundary else ())
        final = tags_are_final(p, [np.policy for np in pols])
        facts = PrincipalFacts(arn=p.arn, account_id=p.account_id, may_federate=may_federate(p),
                               principal_type=p.principal_type, name=p.name,
                               tags=dict(p.tags) if final else {}, tags_final=final,
                               has_boundary=boundary is not None,
                               org_path=self._org_paths.get(p.account_id),
                               unique_id=p.unique_id)
        labels = tuple(np.name for np in pols) + ((boundary.name,) if boundary else ())
        return Principal(facts=facts, policies=tuple(pols), boundary=boundary, signature=sig,
                         labels=labels,
                         condition_keys=frozen(keys), mentions=frozen(mentions))

    def _pid(self, policy: Policy | None) -> int:
        if policy is None:
            return -1
        return self._policy_ids.setdefault(id(policy), len(self._policy_ids))

    def principals(self) -> list[Principal]:
        return list(self.by_arn.values())


class IdentityEvaluator:
    """Evaluates a principal's identity side, cached by (signature, action, resource, context
    projection): principals sharing documents are evaluated once."""

    def __init__(self) -> None:
        self._cache: dict[tuple[object, ...], tuple[IdentityResult,
                                                      tuple[str, ...]]] = {}
        self._relabel: dict[tuple[object, ...], tuple[IdentityResult, IdentityResult]] = {}
        self._reach: dict[tuple[object, ...], bool] = {}
        self._patterns: dict[tuple[object, ...], tuple[str, ...] | None] = {}
        self._keys: dict[tuple[object, ...], frozenset[str]] = {}
        #: ``evaluate``'s answers for documents that read no condition key, by (signature,
        #: action, resource, scope): the same (result, labels) ``_cache`` gives (labels None:
        #: the answer names no policy), found without the reachability checks and the
        #: fingerprint's matching (a principal is asked about a secret by the candidate walk,
        #: its pair, its look and its intent; about a key for each of the key's secrets).
        #: Emptied when full (``_RECENT_MAX``): a secret's ARN is asked about while that
        #: secret is evaluated only
        self._recent: dict[tuple[object, ...], tuple[IdentityResult,
                                                       tuple[str, ...] | None]] = {}
        #: ``fingerprint``'s answers by (signature, action, resource), emptied likewise
        self._recent_fps: dict[tuple[object, ...],
                               tuple[bool, ...] | frozenset[int] | None] = {}

    def condition_keys(self, principal: Principal, action: str) -> frozenset[str]:
        """The context keys the principal's documents read for ``action``: those of the
        statements whose Action / NotAction can match it (a statement for another action never
        applies, so its conditions cannot change the answer). Cached by signature."""
        if not principal.condition_keys:
            return principal.condition_keys
        pk = (principal.signature, action)
        hit = self._keys.get(pk)
        if hit is None:
            hit = _action_keys(principal, action)
            self._keys[pk] = hit
        return hit

    def patterns(self, principal: Principal, action: str) -> tuple[str, ...] | None:
        """The Resource / NotResource patterns of the principal's statements that can apply to
        ``action`` (None: not safe to reduce a resource to the patterns it matches)."""
        pk = (principal.signature, action)
        patterns = self._patterns.get(pk, ())
        if patterns == ():
            patterns = _patterns(principal, action)
            self._patterns[pk] = patterns
        return patterns

    def allow_patterns(self, principal: Principal, action: str) -> tuple[str, ...] | None:
        """The Resource patterns of the principal's identity Allow statements that can apply to
        ``action``: a resource none of them matches is not allowed by its identity policies
        (IAM User Guide, "Policy evaluation logic": without an applicable Allow the request is
        implicitly denied). None: a statement that can apply uses NotResource, has no Resource,
        or cannot be read -- any resource may be allowed."""
        pk = (principal.signature, action, "allow")
        if pk in self._patterns:
            return self._patterns[pk]
        out = _allow_patterns(principal, action)
        self._patterns[pk] = out
        return out

    def remembered_fingerprint(self, principal: Principal, action: str, resource: str
                               ) -> tuple[bool, ...] | frozenset[int] | None:
        """``fingerprint``, remembered by (signature, action, resource) (``_recent_fps``)."""
        fk = (principal.signature, action, resource)
        recent = self._recent_fps
        if fk in recent:
            return recent[fk]
        out = self.fingerprint(principal, action, resource)
        _put_bounded(recent, fk, out)
        return out

    def fingerprint(self, principal: Principal, action: str,
                    resource: str) -> tuple[bool, ...] | frozenset[int] | None:
        """What the principal's documents can see of ``resource``: which of their Resource /
        NotResource patterns (of statements that can apply to ``action``) match it. Two
        resources with the same fingerprint get the same answer from documents that use no
        condition keys. ``None``: not safe (a policy variable, an uncollected or malformed
        document)."""
        patterns = self.patterns(principal, action)
        if patterns is None:
            return None
        if len(patterns) > INDEXED_PATTERNS:
            # which patterns match, as a set of positions: equal for two resources exactly
            # when the tuple of matches is, found through the patterns' literal prefixes
            # (org-scale trial: a role listing 10,000 secret ARNs made each secret pay 10,000
            # matches and keep a 10,000-long key -- quadratic time and memory)
            index = index_of(patterns)
            assert index is not None  # no variables: _patterns refuses them
            return index.matching(resource)
        return tuple(arn_matches(p, resource) for p in patterns)

    def evaluate(self, principal: Principal, action: str, resource: str,
                 make_request: Callable[[], Request],
                 project: Callable[[frozenset[str]], tuple[object, ...]] | None = None,
                 scope: object = None) -> IdentityResult:
        """``scope`` + ``project`` (the principal-side context restricted to some keys) let the
        caller avoid building a Request on a cache hit; without them the request is built."""
        if is_root_user(principal):
            return ROOT_USER_IDENTITY
        if not principal.identity_known:
            return UNKNOWN_IDENTITY
        keys = self.condition_keys(principal, action)
        mk: tuple[object, ...] | None = None
        if not keys:
            # without condition keys the answer is a function of these four: looked up
            # before the checks below (a principal is asked about the same secret by the
            # candidate walk, its pair, its look and its intent)
            mk = (principal.signature, action, resource, scope)
            memo = self._recent.get(mk)
            if memo is not None:
                result, labels = memo
                return result if labels is None or labels == principal.labels else \
                    self._relabelled(result, labels, principal.labels)
        if principal.boundary is None and not self.reachable(principal, action, resource) \
                and not self.may_deny(principal, action):
            # IAM User Guide, "Policy evaluation logic": an explicit Deny in any applicable
            # policy overrides every Allow -- so the shortcut is taken only when no Deny
            # statement of the principal's policies can match the action
            parsed = parse_arn(resource)
            no_allow = _no_allow(parsed.account if parsed is not None else "")
            if mk is not None:
                self._remember(mk, (no_allow, None))
            return no_allow
        request: Request | None = None
        if keys:
            if project is not None:
                proj: object = project(keys)
            else:
                request = make_request()
                proj = request.projection(keys)
            key: tuple[object, ...] = (principal.signature, action, resource, scope, proj)
        else:
            fp = self.remembered_fingerprint(principal, action, resource)
            key = (principal.signature, action, resource, scope) if fp is None else \
                (principal.signature, action, "fingerprint", fp)
        hit = self._cache.get(key)
        if hit is not None:
            if mk is not None:
                self._remember(mk, hit)
            result, labels = hit
            # principals share a signature by their documents' text: the reasons name the
            # policies of the principal that was evaluated first (access ground-truth trial:
            # a managed ReadAll was reported as another role's inline policy)
            return result if labels == principal.labels else \
                self._relabelled(result, labels, principal.labels)
        if request is None:
            request = make_request()
        result = _evaluate_identity(principal, request)
        self._cache[key] = entry = (result, principal.labels)
        if mk is not None:
            self._remember(mk, entry)
        return result

    def _remember(self, key: tuple[object, ...],
                  entry: tuple[IdentityResult, tuple[str, ...] | None]) -> None:
        _put_bounded(self._recent, key, entry)

    def _relabelled(self, result: IdentityResult, old: tuple[str, ...],
                    new: tuple[str, ...]) -> IdentityResult:
        key = (id(result), old, new)
        hit = self._relabel.get(key)
        if hit is None:
            names = {o: n for o, n in zip(old, new) if o != n}
            pattern = re.compile("|".join(re.escape(o) for o in sorted(names, key=len,
                                                                        reverse=True)))

            def swap(texts: tuple[str, ...]) -> tuple[str, ...]:
                return tuple(pattern.sub(lambda m: names[m.group(0)], t) for t in texts)

            relabelled = replace(result, reasons=swap(result.reasons),
                                 unresolved=swap(result.unresolved)) if names else result
            hit = (relabelled, result)  # the result kept alive: its id stays its own
            self._relabel[key] = hit
        relabelled_result: IdentityResult = hit[0]
        return relabelled_result

    def may_deny(self, principal: Principal, action: str) -> bool:
        """Could a Deny statement of the principal's policies (its own, its groups') match
        ``action``? (Cached; False is definite: no Deny statement names the action.)"""
        key = (principal.signature, action, "deny")
        hit = self._reach.get(key)
        if hit is None:
            hit = any(_could_deny(np.policy, action) for np in principal.policies)
            self._reach[key] = hit
        return hit

    def reachable(self, principal: Principal, action: str, resource: str) -> bool:
        """Could any Allow statement of the principal's policies reach ``action`` on a resource
        in ``resource``'s account? (A cheap, cached pre-check; False is definite.)"""
        parsed = parse_arn(resource)
        account = parsed.account if parsed is not None else "*"
        key = (principal.signature, action, account)
        hit = self._reach.get(key)
        if hit is None:
            hit = any(_could_allow(np.policy, action, account) for np in principal.policies)
            self._reach[key] = hit
        return hit


#: ``IdentityEvaluator._recent`` is emptied past this many answers
_RECENT_MAX = 65536


def _put_bounded(table: dict[Any, Any], key: Any, value: Any) -> None:
    """``table[key] = value``, the table emptied first when it holds ``_RECENT_MAX``."""
    if len(table) >= _RECENT_MAX:
        table.clear()
    table[key] = value

@lru_cache(maxsize=4096)
def _no_allow(account: str) -> IdentityResult:
    """No Allow statement of the principal's policies reaches the action in ``account``, the
    one that owns the resource (``reachable``): the key's for kms:Decrypt, the secret's for
    GetSecretValue -- named, not "this account", which read as the caller's (ground-truth
    trial round 15)."""
    where = f"a resource of account {account}" if account and account != "*" else \
        "this resource"
    return IdentityResult(allow=Tri.FALSE, deny=Tri.FALSE, boundary_allow=Tri.TRUE,
                          reasons=(f"no identity policy of the caller allows it on {where}",))


def _documents(principal: Principal) -> list[Policy | None]:
    docs = [np.policy for np in principal.policies]
    if principal.boundary is not None:
        docs.append(principal.boundary.policy)
    return docs


def _action_keys(principal: Principal, action: str) -> frozenset[str]:
    keys: set[str] = set()
    for policy in _documents(principal):
        if policy is None or policy.problems:
            continue  # answered UNKNOWN whatever the context
        for st in policy.statements:
            if st.problems:
                keys |= policy.condition_keys
                break
            if action_part(st, action) is not Tri.FALSE:
                keys |= statement_keys(st)[0]
    return frozen(keys)


def _allow_patterns(principal: Principal, action: str) -> tuple[str, ...] | None:
    out: list[str] = []
    for np in principal.policies:
        policy = np.policy
        if policy is None or policy.problems:
            return None
        for st in policy.statements:
            if st.problems or st.effect not in ("Allow", "Deny"):
                return None
            if st.effect != "Allow" or action_part(st, action) is Tri.FALSE:
                continue
            if st.resources is None or any("${" in r for r in st.resources):
                return None
            out.extend(st.resources)
    return tuple(dict.fromkeys(out))


def _patterns(principal: Principal, action: str, *,
              with_conditions: bool = False) -> tuple[str, ...] | None:
    """The Resource / NotResource patterns of the principal's statements that can apply to
    ``action``; None for a document with problems, a variable in a pattern, or (unless
    ``with_conditions``) a statement with conditions."""
    out: list[str] = []
    for policy in _documents(principal):
        if policy is None or policy.problems:
            return None
        for st in policy.statements:
            if st.problems:
                return None
            if action_part(st, action) is Tri.FALSE:
                continue  # cannot apply to this action: its conditions do not matter
            if st.conditions and not with_conditions:
                return None
            pats = st.resources if st.resources is not None else st.not_resources
            for r in pats or ():
                if "$" in r:
                    return None
                out.append(r)
    return tuple(dict.fromkeys(out))


def identity_patterns(principal: Principal, action: str) -> tuple[str, ...] | None:
    """Every Resource / NotResource pattern of the principal's statements that can apply to
    ``action``, conditions or not (everything its documents can see of a resource's ARN);
    None when a document cannot be reduced so."""
    return _patterns(principal, action, with_conditions=True)


def _could_deny(policy: Policy | None, action: str) -> bool:
    if policy is None or policy.problems:
        return True
    for st in policy.statements:
        if st.problems or st.effect not in ("Allow", "Deny"):
            return True
        if st.effect != "Deny":
            continue
        if st.actions is not None and not any(action_matches(a, action) for a in st.actions):
            continue
        if st.not_actions is not None and any(action_matches(a, action)
                                              for a in st.not_actions):
            continue
        return True
    return False


def _could_allow(policy: Policy | None, action: str, account: str) -> bool:
    if policy is None or policy.problems:
        return True
    for st in policy.statements:
        if st.problems:
            return True
        if st.effect != "Allow":
            continue
        if st.actions is not None and not any(action_matches(a, action) for a in st.actions):
            continue
        if st.not_actions is not None and any(action_matches(a, action)
                                              for a in st.not_actions):
            continue
        if st.resources is None:
            return True
        for r in st.resources:
            if r == "*" or "${" in r or account == "*":
                return True
            # the pattern's account field, unless a segment before it ends in a * that may
            # span colons (IAM User Guide, "IAM JSON policy elements: Resource": "If the *
            # wildcard is the last character of a resource ARN segment, it can expand to match
            # beyond the colon boundaries": arn:aws:secretsmanager:*:secret:app/* reaches
            # every account -- IAM conformance trial round 11)
            field = resource_field(r, 4)
            if field is None or glob_match(field, account):
                return True
    return False


def _evaluate_identity(principal: Principal, request: Request) -> IdentityResult:
    allows: list[Tri] = []
    denies: list[Tri] = []
    unresolved: list[str] = []
    reasons: list[str] = []
    unread: list[str] = []
    for np in principal.policies:
        if np.policy is None:
            allows.append(Tri.UNKNOWN)
            denies.append(Tri.UNKNOWN)
            unread.append(np.name)
            unresolved.append(f"policy {np.name} not collected")
            reasons.append(f"{np.name}: document not collected")
            continue
        r: PolicyResult = evaluate_policy(np.policy, request, PolicyKind.IDENTITY)
        allows.append(r.allow)
        denies.append(r.deny)
        if r.allow is not Tri.FALSE or r.deny is not Tri.FALSE:
            unresolved.extend(r.unresolved)
            reasons.extend(f"{np.name}: {why}" for why in r.reasons
                           if "implicit deny" not in why)
        else:
            # an Allow of the action on the resource that its own condition keeps out
            # (evaluate._allows_kept_out_by_a_condition): named, so that "no identity policy
            # allows" does not read as if none mentioned it (ground-truth trial round 22)
            reasons.extend(f"{np.name}: {why}" for why in r.reasons
                           if " Allow does not apply: its condition " in why)
    boundary_allow = Tri.TRUE
    if principal.boundary is not None:
        b = principal.boundary
        if b.policy is None:
            boundary_allow = Tri.UNKNOWN
            unread.append(b.name)
            unresolved.append(f"permissions boundary {b.name} not collected")
        else:
            br = evaluate_policy(b.policy, request, PolicyKind.IDENTITY)
            boundary_allow = br.allow
            denies.append(br.deny)
            unresolved.extend(br.unresolved)
            if br.deny is not Tri.FALSE:
                # IAM User Guide, "Policy evaluation logic": "An explicit deny in any of these
                # policies overrides the allow" -- a permissions boundary's included; its Deny
                # statement is the cause and is named first, as a group's Deny is by its
                # policy (conformance trial round 8: only the Allows were named)
                reasons[:0] = [f"permissions boundary {b.name}: {why}" for why in br.reasons
                               if " Deny applies" in why or "Allow/Deny applies" in why]
            if br.allow is Tri.FALSE:
                reasons.append(f"permissions boundary {b.name} does not allow {request.action}")
    allow = all3((any3(allows), boundary_allow))
    if any3(allows) is Tri.FALSE:
        reasons.append(f"no identity policy allows {request.action}")
    return IdentityResult(allow=allow, deny=any3(denies), boundary_allow=boundary_allow,
                          unresolved=tuple(dict.fromkeys(unresolved)), reasons=tuple(reasons),
                          unread_documents=tuple(dict.fromkeys(unread)),
                          policies_allow=any3(allows))


#: a secret and a key of no real Region or account, in partition {P}: a Resource pattern that
#: matches them matches any account's
WILDCARD_PROBES = {
    "secretsmanager:GetSecretValue": "arn:{P}:secretsmanager:zz-none-0:000000000000:secret:x",
    "kms:Decrypt": "arn:{P}:kms:zz-none-0:000000000000:key/00000000-0000",
}


_WILDCARDS: dict[tuple[int, str], tuple[Policy, list[tuple[str, str]]]] = {}


def wildcard_grants(policy: Policy, partition: str) -> list[tuple[str, str]]:
    """(statement label, action) for Allow statements that grant GetSecretValue or kms:Decrypt on
    every resource (``*``, a pattern that matches any account's secret / key, or NotResource
    leaving some secret / key out) of ``partition``, the principal's: the resources it can ever
    read ("You cannot use IAM credentials from one partition to interact with resources in a
    different partition", AWS fault isolation boundaries whitepaper, "Partitions"; concept
    review round 3: probed with arn:aws: ARNs, arn:aws-us-gov:secretsmanager:*:*:secret:* was
    no wildcard)."""
    hit = _WILDCARDS.get((id(policy), partition))
    if hit is not None and hit[0] is policy:
        return hit[1]
    out = _wildcard_grants(policy, partition)
    _WILDCARDS[(id(policy), partition)] = (policy, out)
    return out


def _wildcard_grants(policy: Policy, partition: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for st in policy.statements:
        if st.effect != "Allow" or st.problems:
            continue
        for action, template in WILDCARD_PROBES.items():
            probe = template.replace("{P}", partition)
            if st.actions is not None:
                acts = any(action_matches(a, action) for a in st.actions)
            else:
                acts = not any(action_matches(a, action) for a in st.not_actions or ())
            if not acts:
                continue
            if st.resources is not None:
                res = any(arn_matches(r, probe) for r in st.resources)
            else:
                # IAM User Guide, "IAM JSON policy elements: NotResource": the statement
                # "explicitly matches every resource except those specified" -- every secret
                # (key) but those named, read as identity-policy-secret-wildcard reads it
                # (exposure.not_resource_spares_some): a NotResource sparing the probe's own
                # name (``secret:x*``) still leaves every other secret (IAM conformance trial
                # round 13, concept review round 3)
                res = not_resource_spares_some(st.not_resources or (), action, partition)
            if res:
                out.append((st.label, action))
    return out


def external_principal(arn: str, account_id: str | None, principal_type: str) -> Principal:
    return Principal(facts=PrincipalFacts(arn=arn, account_id=account_id,
                                          principal_type=principal_type),
                     identity_known=False, signature=("external", arn))


#: the signature head of an account's root user (``root_user``)
ROOT_USER = "root-user"
#: IAM User Guide, "AWS account root user": the root user "has complete access to all AWS
#: services and resources in the account" -- no identity-based policy or permissions boundary
#: can be attached to it; SCPs (scp gate) still apply in a member account
ROOT_USER_IDENTITY = IdentityResult(
    allow=Tri.TRUE, deny=Tri.FALSE, boundary_allow=Tri.TRUE,
    reasons=("the root user is not governed by identity-based policies (IAM User Guide, "
             "AWS account root user: complete access to the account's services and resources)",))


def is_root_user(principal: Principal) -> bool:
    """``principal`` is an account's root user made by ``root_user``."""
    return principal.signature[:1] == (ROOT_USER,)


def root_user(account_id: str, partition: str, org_path: str | None = None) -> Principal:
    """The root user of an account whose IAM was read, as a reader of a secret whose resource
    policy names the account whole (secret_eval; docs/access.md "The root user of a named
    account"): its identity gate is ROOT_USER_IDENTITY, its request the root user's
    (scanner.access.context.principal_context: aws:PrincipalType Account, aws:userid the
    account id, no principal tags). Not the stand-in of an unread account (``account_stand_in``,
    whose principal-identity keys are unknown)."""
    root = root_arn(account_id, partition)
    return Principal(facts=PrincipalFacts(arn=root, account_id=account_id,
                                          principal_type="root", org_path=org_path,
                                          tags_final=True, may_federate=False),
                     identity_known=True, signature=(ROOT_USER, root))


def account_stand_in(account_id: str, partition: str,
                     org_path: str | None = None) -> Principal:
    """The stand-in for the principals of an account whose IAM was not read, that no policy
    names (docs/access.md "account:<id>"): its root ARN, so that a policy's account entries
    (the id, the root ARN) match it as they match every principal of the account (IAM User
    Guide, "AWS JSON policy elements: Principal", AWS account principals), but with the
    principal-identity keys of its requests unknown (PrincipalFacts.account_stand_in): it
    stands for a role, a user or the root user alike. ``partition``: the partition of the
    resource it asks for (SecretView.partition): "You cannot use IAM credentials from one
    partition to interact with resources in a different partition" (AWS fault isolation
    boundaries whitepaper, "Partitions"), and a root ARN of another partition than the
    policy's entries names another principal (IAM User Guide, "IAM identifiers"; concept
    review round 3: a commercial root stood in for every GovCloud account, and a GovCloud
    grant to the account applied to none of them). ``org_path``: its account's
    aws:PrincipalOrgPaths where its place in the organization is known."""
    root = root_arn(account_id, partition)
    return Principal(facts=PrincipalFacts(arn=root, account_id=account_id,
                                          principal_type="root", org_path=org_path,
                                          account_stand_in=True),
                     identity_known=False, signature=("external", root))


def tags_are_final(p: IamPrincipal,
                   policies: Iterable[Policy | None] | None = None) -> bool:
    """Whether the principal's IAM tags are the values of ``aws:PrincipalTag/*`` in its
    requests. IAM User Guide, "Pass session tags in AWS STS": a role session's principal tags
    are its session tags, the transitive tags it inherits and the role's tags, and "session
    tags override a role or user tag with the same key"; passing any of them needs
    ``sts:TagSession`` in the role's trust policy. A role's tags are final only when its trust
    policy was read and allows no ``sts:TagSession``. A user's are final unless it can tag a
    session of its own: GetFederationToken takes session tags ("Session tagging operations"),
    which needs ``sts:TagSession`` in the user's identity policies (``policies``: its own and
    its groups'; None, or one not collected: not final). Otherwise a tag is unknown (a
    condition on it CONDITIONAL), as are tags the principal does not carry."""
    if p.principal_type != "role":
        if policies is None:
            return False
        return not any(pol is None or _allows_action(pol, "sts:TagSession")
                       for pol in policies)
    if not p.trust_policy:
        return False
    return not _allows_action(parse_policy(dict(p.trust_policy)), "sts:TagSession")


def may_federate(p: IamPrincipal) -> bool:
    """Whether requests of this principal may come from a SAML or web-identity session: a
    role whose trust policy was not read, or allows sts:AssumeRoleWithSAML or
    sts:AssumeRoleWithWebIdentity (a Federated principal assumes it so). Users cannot."""
    if p.principal_type != "role":
        return False
    if not p.trust_policy:
        return True
    policy = parse_policy(dict(p.trust_policy))
    return _allows_action(policy, "sts:AssumeRoleWithSAML") or \
        _allows_action(policy, "sts:AssumeRoleWithWebIdentity")


def own_policies(snapshot: Snapshot, p: IamPrincipal) -> list[Policy | None]:
    """The principal's identity policies and its groups' (None: a document not collected),
    for ``tags_are_final`` where no PrincipalIndex is built (the solver's named principal)."""
    acct = next((a for a in snapshot.accounts if a.account_id == p.account_id), None)
    iam = acct.iam if acct is not None else None
    if iam is None:
        return [None]
    managed = {m.arn: m for m in iam.policies}
    groups = {g.name: g for g in iam.groups}
    docs: list[Mapping[str, object] | None] = list(p.inline_policies.values())
    arns = list(p.attached_policy_arns)
    for name in p.group_names:
        g = groups.get(name)
        if g is None:
            docs.append(None)
            continue
        docs += list(g.inline_policies.values())
        arns += list(g.attached_policy_arns)
    docs += [managed[a].document if a in managed else None for a in arns]
    return [parse_policy(d) if d is not None else None for d in docs]


def _allows_action(policy: Policy, action: str) -> bool:
    """Some Allow statement of ``policy`` can cover ``action`` (conditions aside; a policy
    with problems is taken to) and no Deny takes it back from every caller: IAM User Guide,
    "Policy evaluation logic": "An explicit deny in any of these policies overrides the
    allow" -- a Deny of the action to everyone (Principal ``*`` in a trust policy, none in an
    identity policy), on every resource, under no condition (IAM conformance trial round 29:
    a trust policy's Deny of sts:TagSession left the role's principal tags unknown)."""
    if policy.problems:
        return True
    if any(st.effect == "Deny" and not st.problems and not st.conditions
           and st.not_principal is None and (st.principal is None or st.principal.star)
           and st.not_resources is None and st.resources in (None, ("*",))
           and acts_on(st, (action,)) for st in policy.statements):
        return False
    return any(st.effect == "Allow" and acts_on(st, (action,)) for st in policy.statements)
