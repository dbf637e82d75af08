"""Evaluate one policy for one request: three-valued, with reasons.

IAM User Guide, "Policy evaluation logic": an explicit Deny in any statement overrides every
Allow; without an applicable Allow the request is implicitly denied. A statement applies when
its principal, action, resource and condition parts all hold. Each part is TRUE, FALSE or
UNKNOWN, and so is the policy's answer: ALLOWED, DENIED, or CONDITIONAL (naming what was not
resolved). Malformed input never yields a confident answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from scanner.policy.conditions import evaluate_conditions, false_clause
from scanner.policy.variables import literal_pattern_value, substitute_variables
from scanner.policy.matching import (INDEXED_PATTERNS, action_matches, arn_matches, index_of,
                                     literal_prefix)
from scanner.policy.parse import Policy, Statement
from scanner.policy.principals import (NOT_PRINCIPAL_BOUNDARY, NOT_PRINCIPAL_NO_SESSION,
                                       deleted_principals,
                                       denied_for_boundary, match_principal,
                                       not_principal_applies, principal_index, session_match)
from scanner.policy.request import KeyState, Request
from scanner.policy.tri import Tri, all3, any3


#: the evaluator's words for a statement that applies for certain, after its label
#: ("statement 0 (ReadSecrets) Allow applies"): a reason that says why a request is let in
ALLOW_APPLIES = "Allow applies"
#: the evaluator's words for a policy none of whose Allow statements applies
IMPLICIT_DENY = "no Allow statement applies (implicit deny)"


def says_an_allow_applies(reason: str) -> bool:
    """The reason is an Allow statement that applies for certain (``ALLOW_APPLIES``, with
    any prefix the gate puts before it: "kms:Decrypt: inline:read: statement 1 Allow
    applies"): it explains why a request is allowed, never why it is denied."""
    return reason.endswith(f" {ALLOW_APPLIES}")


class PolicyKind(str, Enum):
    IDENTITY = "identity"  # identity policies and permissions boundaries: no Principal
    RESOURCE = "resource"  # secret resource policies and KMS key policies: Principal required
    SCP = "scp"  # service control policies: no Principal
    RCP = "rcp"  # resource control policies: Principal "*"


class Decision(str, Enum):
    ALLOWED = "ALLOWED"
    DENIED = "DENIED"
    CONDITIONAL = "CONDITIONAL"


@dataclass(frozen=True, kw_only=True, slots=True)
class PolicyResult:
    """What one policy says about one request.

    ``allow``: some Allow statement applies; ``allow_direct``: one applies that names the
    principal itself (or ``*``) rather than its account; ``deny``: some Deny statement applies;
    ``allow_session``: one applies that names (or may name) the requesting role's session -- a
    grant a permissions boundary does not cap (see principals.session_match).
    """

    allow: Tri
    allow_direct: Tri
    deny: Tri
    allow_session: Tri = Tri.FALSE
    unresolved: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def decision(self) -> Decision:
        return decide(self.allow, self.deny)

    @property
    def explicit_deny(self) -> bool:
        return self.deny is Tri.TRUE


def decide(allow: Tri, deny: Tri) -> Decision:
    if deny is Tri.TRUE or allow is Tri.FALSE:
        return Decision.DENIED
    if allow is Tri.TRUE and deny is Tri.FALSE:
        return Decision.ALLOWED
    return Decision.CONDITIONAL


UNKNOWN_RESULT = PolicyResult(allow=Tri.UNKNOWN, allow_direct=Tri.UNKNOWN, deny=Tri.UNKNOWN,
                              allow_session=Tri.UNKNOWN)


def action_part(st: Statement, action: str) -> Tri:
    """Does the statement's Action / NotAction match ``action``? FALSE: the statement cannot
    apply to a request for ``action``, whatever its resource, principal or context (IAM User
    Guide, "IAM JSON policy elements: Action": "The Action element describes the specific
    action or actions that will be allowed or denied"; "NotAction": "explicitly matches
    everything except the specified list of actions")."""
    if st.actions is not None:
        return Tri.of(any(action_matches(p, action) for p in st.actions))
    if st.not_actions is not None:
        return Tri.of(not any(action_matches(p, action) for p in st.not_actions))
    return Tri.UNKNOWN


def _resource_part(st: Statement, request: Request, policy: Policy,
                   kind: PolicyKind) -> tuple[Tri, tuple[str, ...]]:
    patterns = st.resources if st.resources is not None else st.not_resources
    if patterns is None:
        # a resource policy may omit Resource (it then means the resource it is attached to)
        return (Tri.TRUE, ()) if kind in (PolicyKind.RESOURCE, PolicyKind.RCP) else \
            (Tri.UNKNOWN, ("statement has no Resource",))
    if len(patterns) > INDEXED_PATTERNS and isinstance(patterns, tuple):
        index = index_of(patterns, variables=policy.variables_enabled)
        if index is not None:
            # the patterns that can match are found by their literal prefix (PatternIndex):
            # the same answer as trying each, without trying thousands for every resource
            hit = Tri.of(bool(index.matching(request.resource)))
            return (~hit if st.not_resources is not None else hit), ()
    results: list[Tri] = []
    unresolved: list[str] = []
    for p in patterns:
        if policy.variables_enabled and "${" in p:
            sub = substitute_variables(p, request)
            if sub.text is None:
                if not request.resource.startswith(literal_prefix(p.split("${", 1)[0])):
                    # the text before the variable (and before a wildcard) is matched as it
                    # is: a resource it does not begin matches the pattern whatever the
                    # variable holds (IAM conformance trial round 35: Resource
                    # arn:...:<account>:secret:${aws:PrincipalTag/team}/* was UNKNOWN for
                    # another account's secret)
                    results.append(Tri.FALSE)
                    continue
                results.append(Tri.UNKNOWN)
                unresolved.extend(sub.unresolved)
                continue
            if sub.void:
                # IAM User Guide, "Variables and tags", policy variables with no value: "If a
                # variable that has no value in the authorization context is used as part of
                # the Resource or NotResource element of a policy, the resource that includes a
                # policy variable with no value will not match any resource" -- in Resource the
                # pattern names nothing; in NotResource it excludes nothing, so the statement
                # covers every resource the other entries do not exclude (IAM conformance
                # trial round 35: Deny NotResource secret:${aws:PrincipalTag/team}/* left an
                # untagged role CONDITIONAL, "a policy variable's key is absent")
                results.append(Tri.FALSE)
                continue
            if sub.literal_wildcard and sub.pattern is not None:
                # only the escapes put a * or ? there: IAM User Guide, "Variables and tags",
                # special characters: "${*} - use where you need an * (asterisk) character"
                # ... "These predefined policy variables can be used in any string where you
                # can use regular policy variables" -- the character, not a wildcard, in
                # Resource / NotResource as in StringLike (IAM conformance trial round 35:
                # ``secret:app${*}`` was CONDITIONAL on "a variable's value contains a
                # wildcard")
                results.append(Tri.of(arn_matches(sub.pattern,
                                                  literal_pattern_value(request.resource))))
                continue
            if sub.literal_wildcard:
                results.append(Tri.UNKNOWN)
                unresolved.append(f"Resource {p}: a variable's value contains a wildcard")
                continue
            p = sub.text
        results.append(Tri.of(arn_matches(p, request.resource)))
    hit = any3(results)
    if st.not_resources is not None:
        hit = ~hit
    return hit, tuple(unresolved) if hit is Tri.UNKNOWN else ()


def resource_part(st: Statement, request: Request, policy: Policy, kind: PolicyKind) -> Tri:
    """Does the statement's Resource / NotResource element cover ``request``'s resource (IAM
    User Guide, "IAM JSON policy elements: Resource")? FALSE: the statement does not apply to
    the request, whoever makes it."""
    return _resource_part(st, request, policy, kind)[0]


def resource_matches(policy: Policy, action: str, resource: str,
                     kind: PolicyKind) -> tuple[str, ...]:
    """Each statement's Resource / NotResource match of ``resource`` (its Tri value): what
    tells two resources apart for this policy, for memo keys shared across resources."""
    probe = Request(principal_arn="", principal_account=None, action=action, resource=resource)
    return tuple(_resource_part(st, probe, policy, kind)[0].value for st in policy.statements)


def _principal_part(st: Statement, request: Request,
                    kind: PolicyKind) -> tuple[Tri, Tri, tuple[str, ...]]:
    if kind in (PolicyKind.IDENTITY, PolicyKind.SCP):
        if st.has_principal_element:
            return Tri.UNKNOWN, Tri.UNKNOWN, (f"{kind.value} policy statement has a Principal",)
        return Tri.TRUE, Tri.TRUE, ()
    if st.principal is not None:
        return match_principal(st.principal, request)
    if st.not_principal is not None:
        applies, why = not_principal_applies(st.not_principal, request, st.effect)
        return applies, applies, why
    if kind is PolicyKind.RCP:
        return Tri.UNKNOWN, Tri.UNKNOWN, ("RCP statement without Principal",)
    return Tri.UNKNOWN, Tri.UNKNOWN, ("resource policy statement without Principal",)


def evaluate_statement(st: Statement, request: Request, policy: Policy,
                       kind: PolicyKind) -> tuple[Tri, Tri, tuple[str, ...]]:
    """(applies, applies directly, unresolved names/reasons)."""
    applies, direct, _session, unresolved = _statement(st, request, policy, kind)
    return applies, direct, unresolved


_NO = (Tri.FALSE, Tri.FALSE, Tri.FALSE, ())


def _statement(st: Statement, request: Request, policy: Policy,
               kind: PolicyKind) -> tuple[Tri, Tri, Tri, tuple[str, ...]]:
    """(applies, applies directly, applies to the role session, unresolved names/reasons)."""
    if st.problems:
        return Tri.UNKNOWN, Tri.UNKNOWN, Tri.UNKNOWN, tuple(f"{st.label}: {p}"
                                                             for p in st.problems)
    action = action_part(st, request.action)
    if action is Tri.FALSE:
        return _NO
    resource, r_unresolved = _resource_part(st, request, policy, kind)
    if resource is Tri.FALSE:
        return _NO
    direct, anyway, p_reasons = _principal_part(st, request, kind)
    if anyway is Tri.FALSE:
        return _NO
    cond, c_unresolved = evaluate_conditions(st.conditions, request, policy.variables_enabled)
    applies = all3((action, resource, anyway, cond))
    applies_direct = all3((action, resource, direct, cond))
    session = Tri.FALSE
    if kind is PolicyKind.RESOURCE and st.principal is not None:
        session = all3((action, resource, session_match(st.principal, request), cond))
    unresolved = r_unresolved + p_reasons + c_unresolved if applies is Tri.UNKNOWN else ()
    return applies, applies_direct, session, unresolved


#: below this many statements a policy is walked whole (an index would cost more than it saves)
_INDEXED_FROM = 8


class _ByPrincipal:
    """The statements of a resource policy (or RCP) grouped by whom their Principal element
    can name: ``by_name`` maps an exact role/user ARN or an account id to the statements that
    list it; ``service`` holds those naming a service principal; ``always`` every other
    statement (``*``, NotPrincipal, no Principal, entries match_principal interprets one by
    one, statements with problems). Positions, in document order."""

    __slots__ = ("policy", "always", "by_name", "service")

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        always: list[int] = []
        by_name: dict[str, list[int]] = {}
        service: list[int] = []
        for i, st in enumerate(policy.statements):
            spec = st.principal
            if st.problems or spec is None or spec.star:
                always.append(i)
                continue
            accounts, arns, others = principal_index(spec)
            if others:
                always.append(i)
                continue
            for name in accounts | arns:
                by_name.setdefault(name, []).append(i)
            if spec.service:
                service.append(i)
        self.always = tuple(always)
        self.by_name = {k: tuple(v) for k, v in by_name.items()}
        self.service = tuple(service)


_BY_PRINCIPAL: dict[int, _ByPrincipal] = {}


def candidates(policy: Policy, request: Request, kind: PolicyKind) -> tuple[Statement, ...]:
    """The statements of ``policy`` that can apply to ``request``'s principal, in document
    order: every other statement's Principal element does not name it, so ``_statement``
    would answer "does not apply" (``_NO``) for it, whatever its action, resource and
    conditions (IAM User Guide, "IAM JSON policy elements: Principal": a resource-based
    policy's statement applies to the principals its Principal element specifies). The
    answer is the same as walking every statement; a key policy with a statement per member
    account is read in a few look-ups. Identity policies and SCPs have no Principal element:
    all of their statements are candidates."""
    statements = policy.statements
    if len(statements) < _INDEXED_FROM or kind in (PolicyKind.IDENTITY, PolicyKind.SCP):
        return statements
    index = _BY_PRINCIPAL.get(id(policy))
    if index is None or index.policy is not policy:
        if len(_BY_PRINCIPAL) > 100_000:
            _BY_PRINCIPAL.clear()
        index = _BY_PRINCIPAL[id(policy)] = _ByPrincipal(policy)
    picked = set(index.always)
    picked.update(index.by_name.get(request.principal_arn, ()))
    if request.principal_account is not None:
        picked.update(index.by_name.get(request.principal_account, ()))
    if request.principal_type == "service":
        picked.update(index.service)
    return tuple(statements[i] for i in sorted(picked))


def _allows_kept_out_by_a_condition(policy: Policy, request: Request,
                                    kind: PolicyKind) -> list[str]:
    """For a policy none of whose Allow statements applies: each Allow whose action, resource
    and principal parts hold for ``request`` but one of whose conditions is false, named with
    that condition and what the request carries for its key. A statement applies only when
    its Condition is true (IAM User Guide, "IAM JSON policy elements: Condition"); "no Allow
    statement applies" alone read as if the policy never named the principal (ground-truth
    trial round 19: a key policy granting the role kms:Decrypt only via Secrets Manager in
    another Region)."""
    out: list[str] = []
    for st in candidates(policy, request, kind):
        if st.effect != "Allow" or st.problems or not st.conditions or \
                action_part(st, request.action) is not Tri.TRUE or \
                _resource_part(st, request, policy, kind)[0] is not Tri.TRUE or \
                _principal_part(st, request, kind)[1] is not Tri.TRUE:
            continue
        clause = false_clause(st.conditions, request, policy.variables_enabled)
        if clause is None:
            continue
        values = ", ".join(clause.values)
        if request.key_state(clause.key) is KeyState.KNOWN:
            carried = ", ".join(request.values(clause.key)) or "no value"
            has = f"the request's {clause.key} is {carried}"
        elif request.key_state(clause.key) is KeyState.ABSENT:
            has = f"the request has no {clause.key}"
        else:
            has = f"the request's {clause.key} is known not to match"
        out.append(f"{st.label} Allow does not apply: its condition {clause.operator} "
                   f"{clause.key} [{values}] is false ({has})")
    return out


def evaluate_policy(policy: Policy, request: Request,
                    kind: PolicyKind = PolicyKind.IDENTITY) -> PolicyResult:
    """Evaluate ``policy`` for ``request``. Pure; callers cache by (policy, request projection)."""
    if policy.problems:
        return PolicyResult(allow=Tri.UNKNOWN, allow_direct=Tri.UNKNOWN, deny=Tri.UNKNOWN,
                            allow_session=Tri.UNKNOWN,
                            unresolved=("policy could not be parsed",), problems=policy.problems,
                            reasons=tuple(f"policy: {p}" for p in policy.problems))
    allows: list[Tri] = []
    directs: list[Tri] = []
    sessions: list[Tri] = []
    denies: list[Tri] = []
    unresolved: list[str] = []
    reasons: list[str] = []
    problems: list[str] = []
    for st in candidates(policy, request, kind):
        applies, direct, session, names = _statement(st, request, policy, kind)
        problems.extend(f"{st.label}: {p}" for p in st.problems)
        if applies is Tri.FALSE:
            deleted = deleted_principals(st.principal) \
                if st.principal is not None and st.effect == "Allow" else ()
            if deleted and action_part(st, request.action) is not Tri.FALSE:
                # match_principal's reason for a unique id is dropped with the FALSE match:
                # it tells which statement to fix (conformance trial round 7); asked in this
                # order, a statement without unique ids (nearly all) costs one cached look-up
                reasons.extend(f"{st.label} Allow does not apply: principal {e} is a unique "
                               "id: the principal it named was deleted" for e in deleted)
            continue
        effect = st.effect or "Allow/Deny"
        if applies is Tri.TRUE:
            if st.effect == "Deny" and st.not_principal is not None and \
                    denied_for_boundary(st.not_principal, request):
                # the boundary is why (IAM User Guide, NotPrincipal): said, not left to guess
                # from the list that names the principal (ground-truth trial round 12)
                reasons.append(f"{st.label} Deny applies ({NOT_PRINCIPAL_BOUNDARY}, whatever "
                               "NotPrincipal lists)")
            elif st.effect == "Deny" and st.not_principal is not None and \
                    NOT_PRINCIPAL_NO_SESSION in not_principal_applies(
                        st.not_principal, request, "Deny")[1]:
                # the role is listed, none of its sessions: said, as the boundary is
                reasons.append(f"{st.label} Deny applies ({NOT_PRINCIPAL_NO_SESSION})")
            else:
                reasons.append(f"{st.label} {ALLOW_APPLIES}" if st.effect == "Allow"
                               else f"{st.label} {effect} applies")
        else:
            unresolved.extend(names)
            reasons.append(f"{st.label} {effect} applies only if: {', '.join(names) or '?'}")
        if st.effect == "Deny":
            denies.append(applies)
        elif st.effect == "Allow":
            allows.append(applies)
            directs.append(direct)
            sessions.append(session)
        else:  # invalid effect: could be either
            denies.append(Tri.UNKNOWN)
            allows.append(Tri.UNKNOWN)
            directs.append(Tri.UNKNOWN)
            sessions.append(Tri.UNKNOWN)
    if not allows:
        # the secret's and the key's own grants, and the caller's identity policies (ground-
        # truth trial round 22: "no identity policy allows" beside an Allow of the action on
        # "*" kept to the role's own account by aws:ResourceAccount); not an SCP's or RCP's
        if kind in (PolicyKind.RESOURCE, PolicyKind.IDENTITY):
            reasons.extend(_allows_kept_out_by_a_condition(policy, request, kind))
        reasons.append(IMPLICIT_DENY)
    return PolicyResult(
        allow=any3(allows), allow_direct=any3(directs), deny=any3(denies),
        allow_session=any3(sessions),
        unresolved=tuple(dict.fromkeys(unresolved)), reasons=tuple(reasons),
        problems=tuple(problems),
    )
