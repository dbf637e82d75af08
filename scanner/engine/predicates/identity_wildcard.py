"""An IAM role or user whose identity policies (inline, attached managed, and its groups') allow
secretsmanager:GetSecretValue or kms:Decrypt on every resource (``Resource: "*"``, or an ARN
pattern that matches every secret or every key of every account and Region, such as
``arn:aws:secretsmanager:*:*:secret:*`` or ``arn:aws:kms:*:*:key/*``) without any Condition.
NotResource "explicitly matches every resource except those specified" (IAM User Guide, "IAM
JSON policy elements: NotResource"): an Allow with NotResource is a wildcard of an action when
its patterns leave some secret (key) of some account out -- one naming a name prefix is; one
covering every secret (key), or ``*``, allows the action on nothing.
A permissions boundary caps them: IAM User Guide, "Permissions boundaries for IAM entities": "An
entity's permissions boundary allows it to perform only the actions that are allowed by both its
identity-based policies and its permissions boundaries" -- an action is reported only when the
boundary too allows it on every resource without a Condition (its statements read as the identity statements are).
An explicit Deny takes it back: IAM User Guide, "Policy evaluation logic": "An explicit deny in
any of these policies overrides the allow" -- a Deny of an identity policy or of the boundary
covering the action on every resource, its condition (if any) holding for every request of the
principal (the policy evaluator's answer), leaves no wildcard; a Deny under an undecided
condition or on named resources leaves it, and the finding says so.
UNKNOWN when an attached policy's document was not read, or a wildcard's boundary was not."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping

from scanner.access.context import PrincipalFacts, principal_context
from scanner.access.settings import AccessSettings
from scanner.engine.conditions import FALSE, TRUE, UNKNOWN, Result, unknown
from scanner.engine.context import RuleContext
from scanner.policy import parse_policy
from scanner.policy.parse import Policy, Statement
from scanner.policy.arn import arn_account, arn_partition
from scanner.policy.conditions import evaluate_conditions
from scanner.policy.matching import glob_match, resource_field
from scanner.policy.request import Request
from scanner.policy.tri import Tri
from scanner.policy.exposure import READ_SPACES, acts_on, not_resource_spares_some, \
    on_every_resource

ACTIONS = ("secretsmanager:GetSecretValue", "kms:Decrypt")

_SPACE = READ_SPACES


def _every(pattern: str, action: str, partition: str) -> bool:
    """Does the Resource pattern match every resource ``action`` can name -- every secret (key)
    of every account and Region of the partition (``exposure.on_every_resource``)? ``*``
    does; so does ``arn:aws:kms:*:*:key/*``, ``arn:*:secretsmanager:*:*:*`` and
    ``arn:aws:secretsmanager:*:secret:*`` (IAM conformance trial round 11). Security Hub KMS.1 /
    KMS.2 fail a policy that allows kms:Decrypt "on all KMS keys", however it is written
    (ground-truth trial: the ARN spelling passed)."""
    return on_every_resource(pattern, action, partition)


def _documents(ctx: RuleContext, attrs: Mapping[str, Any]
               ) -> Iterator[tuple[str, Mapping[str, Any] | None]]:
    for name, doc in (attrs.get("inline_policies") or {}).items():
        yield f"inline {name}", doc
    arns = list(attrs.get("attached_policy_arns") or ())
    for group in attrs.get("group_names") or ():
        g = ctx.index.groups.get((str(attrs.get("account_id")), str(group)))
        if g is None:
            yield f"group {group}", None
            continue
        for name, doc in (g.get("inline_policies") or {}).items():
            yield f"group {group} inline {name}", doc
        arns.extend(g.get("attached_policy_arns") or ())
    for arn in arns:
        yield arn, ctx.index.managed_policies.get(arn)


def _wildcards(st: Statement, partition: str) -> tuple[list[str], str]:
    """The ACTIONS an unconditional Allow statement allows on every resource (``_every``, or
    NotResource leaving some secret / key out), and the pattern it names them with; ([], "")
    for any other statement. One reading for the identity policies and the permissions
    boundary."""
    if st.effect != "Allow" or st.conditions:
        return [], ""
    if st.not_resources is not None:
        # IAM User Guide, "IAM JSON policy elements: NotResource": the statement "explicitly
        # matches every resource except those specified" -- a wildcard of an action only when
        # its patterns leave some secret (key) of some account out; NotResource covering every
        # secret (``arn:aws:secretsmanager:*:*:secret:*``, ``*``) allows GetSecretValue on
        # nothing. Read as _denials reads a Deny's NotResource (IAM conformance trial round 13,
        # concept review round 3: such an Allow was FAIL "on every resource (NotResource)")
        return [a for a in ACTIONS if acts_on(st, (a,))
                and not_resource_spares_some(st.not_resources, a, partition)], \
            "every resource but " + ", ".join(st.not_resources) + " (NotResource)"
    matched: list[str] = []
    on = "*"
    for a in ACTIONS:
        every = [r for r in st.resources or () if _every(r, a, partition)]
        if every and acts_on(st, (a,)):
            matched.append(a)
            if "*" not in every and on == "*":
                on = every[0]
    return matched, on


def _request(principal: str, principal_type: str, name: str | None, action: str,
             partition: str, settings: AccessSettings) -> Request:
    """What is known of any request of the principal for ``action``: what the access analysis
    knows of its requests (scanner.access.context.principal_context: its ARN, account, type,
    organization, the keys a role's temporary credentials carry; its tags left unknown) and
    that it is made from the scan on (``settings.time_floor``); the resource and every other
    key unknown -- so a Deny condition on them is undecided, and takes back nothing for
    certain. One reading of a Deny for the rule and the access analysis (IAM conformance
    trial round 26: the console's AWSRevokeOlderSessions, revoked in 2024, was "a Deny that
    leaves the wildcard under a condition" here and no Deny at all in the access report)."""
    service, prefix = _SPACE[action]
    account = arn_account(principal)
    kind = "user" if principal_type == "user" else "role"
    facts = PrincipalFacts(arn=principal, account_id=account, principal_type=kind, name=name)
    context, absent, excluded = principal_context(facts, settings)
    return Request(principal_arn=principal, principal_account=account, action=action,
                   resource=f"arn:{partition}:{service}:*:*:{prefix}*", principal_type=kind,
                   context=context, absent=frozenset(absent), excluded=excluded,
                   time_floor=settings.time_floor)


def _denials(st: Statement, policy: Policy, request_of: Callable[[str], Request],
             partition: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """What a Deny statement takes back of a wildcard read: ([(action, how)] for the ACTIONS
    it denies on every resource for certain -- the wildcard is gone --, [(action, how)] for
    those it denies only under a condition the snapshot cannot decide, or on named resources
    only -- the wildcard stays). IAM User Guide, "Policy evaluation logic": "An explicit deny
    in any of these policies overrides the allow." The Resource element is read as the
    Allow's is (``_every``); the condition by the policy evaluator, for a request of this
    principal whose resource and other keys are unknown."""
    full: list[tuple[str, str]] = []
    part: list[tuple[str, str]] = []
    if st.effect != "Deny" or st.problems:
        return full, part
    for a in ACTIONS:
        if not acts_on(st, (a,)):
            continue
        if st.not_resources is not None:
            if not not_resource_spares_some(st.not_resources, a, partition):
                continue  # NotResource: every resource -- it denies nothing
            # every resource but those NotResource names: what is left is named resources
            everywhere, how = True, "on every resource but " + ", ".join(st.not_resources)
            named: list[str] = []
        else:
            rs = st.resources or ()
            every = [r for r in rs if _every(r, a, partition)]
            everywhere, how = bool(every), f"on {every[0]}" if every else ""
            service = _SPACE[a][0]
            named = [r for r in rs if (f := resource_field(r, 2)) is None or
                     glob_match(f, service, ignore_case=True)]
        cond = Tri.TRUE
        if st.conditions:
            cond = evaluate_conditions(st.conditions, request_of(a), policy.variables_enabled)[0]
        if cond is Tri.FALSE:
            continue  # never for this principal
        if cond is Tri.UNKNOWN and (everywhere or named):
            part.append((a, "under a condition only"))
        elif everywhere:
            full.append((a, how))
        elif named:
            part.append((a, f"on {', '.join(named)} only"))
    return full, part


def _parsed(ctx: RuleContext, doc: Mapping[str, Any]) -> Policy:
    # the same managed policy document is attached to many principals: parse (and
    # canonicalise) it once per run; documents live in the graph for the whole run
    key = ("identity_wildcard.policy", id(doc))
    policy: Policy | None = ctx.cache.get(key)
    if policy is None:
        policy = ctx.cache[key] = parse_policy(doc)
    return policy


def identity_wildcard(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                      args: Mapping[str, Any]) -> Result:
    if "inline_policies" not in attrs:
        # a reader node (scanner.access.graph_io.add_reader_nodes): its IAM was not read, or
        # it is not among the roles and users read in its account -- said as it is
        # (conformance trial round 8: "IAM of account ... not read" of an account read)
        account = str(attrs.get("account_id"))
        read = any(a.account_id == account and a.iam is not None
                   for a in ctx.snapshot.accounts)
        return unknown(f"identity policies of {node_id} (" + (
            f"not among the IAM roles and users read in account {account})" if read
            else f"IAM of account {account} not read)"))
    hits: list[tuple[str, list[str], str]] = []  # (where, actions, on what)
    missing: list[str] = []
    partition = arn_partition(node_id) or "aws"
    requests: dict[str, Request] = {}

    def request_of(action: str) -> Request:
        if action not in requests:
            name = attrs.get("name")
            requests[action] = _request(node_id, str(attrs.get("principal_type")),
                                        str(name) if name else None, action, partition,
                                        ctx.index.access_settings)
        return requests[action]

    # IAM User Guide, "Policy evaluation logic": "An explicit deny in any of these policies
    # overrides the allow" -- a Deny of the identity policies or of the permissions boundary
    # that takes an action back on every resource, for certain, leaves no wildcard read of it
    # (review of the day's merges, defect 3: a boundary allowing * and denying
    # secretsmanager:* was FAIL "allows secretsmanager:GetSecretValue on every resource too")
    denied: dict[str, str] = {}  # action -> the Deny that takes it back everywhere
    partial: list[tuple[str, str]] = []  # (action, text): a Deny that leaves the wildcard

    def take_back(where: str, st: Statement, policy: Policy) -> None:
        full, part = _denials(st, policy, request_of, partition)
        for a, how in full:
            denied.setdefault(a, f"{where} {st.label} denies it {how}")
        partial.extend((a, f"{where} {st.label} denies {a} {how}") for a, how in part)

    for label, doc in _documents(ctx, attrs):
        if doc is None:
            missing.append(f"policy document {label} (not read)")
            continue
        policy = _parsed(ctx, doc)
        if policy.problems:
            missing.append(f"policy document {label} (unparseable)")
            continue
        for st in policy.statements:
            matched, on = _wildcards(st, partition)
            if matched:
                hits.append((f"{label} {st.label}", matched, on))
            take_back(label, st, policy)
    if hits and denied:
        before = hits
        hits = _without(hits, denied)
        if not hits:
            return _taken_back(before, denied, missing)
    boundary = attrs.get("permissions_boundary_arn")
    capped = ""
    if hits and boundary:
        # IAM User Guide, "Permissions boundaries for IAM entities": "An entity's permissions
        # boundary allows it to perform only the actions that are allowed by both its
        # identity-based policies and its permissions boundaries." A wildcard read stands
        # only for the actions the boundary also allows on every resource, without a
        # condition (ground-truth organization trial round 8: C/BoundedRole, whose boundary
        # allows one secret and its key, was reported as reading every secret)
        bdoc = ctx.index.managed_policies.get(str(boundary))
        bpolicy = _parsed(ctx, bdoc) if bdoc is not None else None
        if bpolicy is None or bpolicy.problems:
            # never PASS on what was not read: the boundary may narrow the wildcard or not
            why = "not read" if bpolicy is None else "unparseable"
            return Result(outcome=UNKNOWN, missing=(
                f"permissions boundary {boundary} ({why}; it decides whether "
                + "; ".join(f"{w} ({', '.join(m)} on {on})" for w, m, on in hits)
                + " reads every secret or key)", *missing))
        wide: dict[str, str] = {}
        for st in bpolicy.statements:
            for a in _wildcards(st, partition)[0]:
                wide.setdefault(a, st.label)
            take_back(f"permissions boundary {boundary}", st, bpolicy)
        if denied:
            before = hits
            hits = _without(hits, denied)
            if not hits:
                return _taken_back(before, denied, missing)
        before = hits
        hits = [(w, kept, on) for w, m, on in hits
                if (kept := [a for a in m if a in wide])]
        if not hits:
            return Result(outcome=FALSE, facts=tuple(("text", t) for t in (
                f"{w}: {', '.join(m)} on {on}, but the permissions boundary {boundary} "
                "allows them on named resources only (an entity can perform only the "
                "actions both allow)" for w, m, on in before)) + tuple(
                ("text", f"not read: {m}") for m in missing))
        kept = [a for a in ACTIONS if any(a in m for _, m, _ in hits)]
        capped = (f"; its permissions boundary {boundary} allows {', '.join(kept)} on every "
                  f"resource too ({', '.join(dict.fromkeys(wide[a] for a in kept))})")
    if hits:
        kept_actions = {a for _, m, _ in hits for a in m}
        left = [t for a, t in partial if a in kept_actions]
        leaves = ("; a Deny leaves the wildcard: " + "; ".join(dict.fromkeys(left))) \
            if left else ""
        texts = [f"{w}: {', '.join(m)} on {on}{capped}{leaves}" for w, m, on in hits]
        return Result(outcome=TRUE, facts=tuple(("text", h) for h in texts),
                      evidence={"statements": texts}, missing=tuple(missing))
    if missing:
        return Result(outcome=UNKNOWN, missing=tuple(missing))
    return Result(outcome=FALSE, facts=(("text", "no unconditional wildcard read of secrets or "
                                                 "keys"),))


def _without(hits: list[tuple[str, list[str], str]], denied: Mapping[str, str]
             ) -> list[tuple[str, list[str], str]]:
    """The wildcard reads with the actions a Deny takes back everywhere left out."""
    return [(w, kept, on) for w, m, on in hits if (kept := [a for a in m if a not in denied])]


def _taken_back(hits: list[tuple[str, list[str], str]], denied: Mapping[str, str],
                missing: list[str]) -> Result:
    """PASS: every wildcard read is taken back by an explicit Deny (a document not read can
    add no read of those actions past it: "An explicit deny in any of these policies
    overrides the allow"); UNKNOWN when a document was not read and an action no Deny takes
    back everywhere is left for it to allow (never PASS on missing input)."""
    if missing and any(a not in denied for a in ACTIONS):
        return Result(outcome=UNKNOWN, missing=tuple(missing))
    return Result(outcome=FALSE, facts=tuple(("text", t) for t in (
        f"{w}: {a} on {on}, but {denied[a]} (an explicit deny overrides the allow)"
        for w, m, on in hits for a in m)) + tuple(("text", f"not read: {m}") for m in missing))
