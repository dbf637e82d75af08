"""The exposure questions, answered with a proof or a witness.

1. ``outside_read``: can a principal outside the trust zone read this secret --
   ``secretsmanager:GetSecretValue`` on it AND the ``kms:Decrypt`` Secrets Manager makes on its
   key for that caller?
2. ``outside_decrypt``: can a principal outside the zone call ``kms:Decrypt`` with this key,
   in any way (directly, any encryption context, any service or none)?
3. ``reader_context``: for one reader the evaluator found CONDITIONAL: under which request
   context exactly is the read allowed (or: proven never)?

Cross-account evaluation (IAM User Guide, "Cross-account policy evaluation logic"; Secrets
Manager User Guide, "Access secrets across accounts"; see scanner/access/gates.py): the
resource policy AND the key policy AND the caller's identity policies AND the resource
account's RCPs must allow, and no explicit Deny may apply. The caller's identity policies
live in its own account, outside the zone: the question assumes they allow (the outsider
writes them). SCPs of our organization do not apply to an outside account; RCPs do ("RCPs
apply to ... principals external to your organization").

Answers: ``PROVEN_NONE`` (unsat: no request in the encoded domain gets through),
``WITNESS`` (a concrete request, replayed through the three-valued evaluator gate by gate,
every gate ALLOWED), or ``UNKNOWN`` with the reason (solver timeout, not-encoded policy
parts that a candidate request leans on, a replay the evaluator does not confirm, inputs
that were not read).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import z3

from scanner.access.context import (PrincipalFacts, ResourceContext, build_request,
                                    principal_context)
from scanner.access.gates import KMS_GRANTS_NOT_READ
from scanner.access.graph_io import SecretView
from scanner.access.identity import Principal as IamPrincipal
from scanner.access.identity import (PrincipalIndex, external_principal, may_federate,
                                     own_policies, root_user, tags_are_final)
from scanner.access.scp import RCP, SCP, Guardrails
from scanner.access.settings import AccessSettings
from scanner.graph.schema import SCHEDULED_DELETION
from scanner.policy.arn import arn_partition, iam_entity, partition, principal_account
from scanner.policy.evaluate import PolicyKind, resource_matches
from scanner.policy.parse import Policy
from scanner.policy.request import Request
from scanner.policy.smt import pair as _pair
from scanner.policy.smt.encode import Encoder, NotEncoded, Principal, sval
from scanner.policy.smt.solve import (PROVEN_NONE, UNKNOWN, WITNESS, Answer, Gate, ask,
                                      leans_on_unique_id, rcp_policies, solve, witness_dict,
                                      zone_of)
from scanner.policy.tri import Tri


DEFAULT_TIMEOUT_S = 10.0

#: why a proof the key policy gives stands not where the key's grants were not read
_GRANTS_UNREAD = (f"input missing: {KMS_GRANTS_NOT_READ}: the key policy allows no request "
                  "from outside the zone, a grant may")


def _outsider_context(settings: AccessSettings) -> tuple[PrincipalFacts, Any, Any, Any]:
    """An outside caller's facts and request context as context.py builds them, with the
    principal's own keys left to the solver (the symbolic principal supplies them)."""
    facts = PrincipalFacts(arn="arn:aws:iam::000000000000:role/outsider",
                           account_id="000000000000", principal_type="role")
    ctx, absent, excluded = principal_context(facts, settings)
    for k in ("aws:principalarn", "aws:principalaccount", "kms:calleraccount",
              "aws:principaltype"):
        ctx.pop(k, None)
    absent.discard("aws:username")
    if settings.org_id:
        excluded["aws:principalorgid"] = frozenset({settings.org_id})
    return facts, ctx, absent, excluded


def _outsider_template(settings: AccessSettings, rctx: ResourceContext,
                       action: str, resource: str) -> Request:
    """The request facts of an outside caller as context.py builds them (the principal's own
    keys are replaced by the symbolic principal's)."""
    facts, ctx, absent, excluded = _outsider_context(settings)
    return build_request(facts, (ctx, absent, excluded), rctx, action=action,
                         resource=resource)


def outside_read(sv: SecretView, settings: AccessSettings, guardrails: Guardrails | None,
                 timeout_s: float = DEFAULT_TIMEOUT_S,
                 zone: frozenset[str] | None = None, *, rcps: bool = True) -> Answer:
    """Question 1 for one secret (or replica). ``rcps`` False: the policies alone, the RCPs
    not asked (the exposure rules' question: an RCP is another gate, use.RuleProver)."""
    q, subject = "outside-read", sv.arn
    if sv.scheduled_deletion:
        # the access analysis' answer (graph.schema.scheduled_for_deletion): its policy is
        # not read, and not needed (ground-truth trial round 13: UNKNOWN, "see coverage")
        return Answer(question=q, subject=subject, status=PROVEN_NONE,
                      reason=SCHEDULED_DELETION)
    if sv.aws_managed:
        return Answer(question=q, subject=subject, status=PROVEN_NONE,
                      reason="encrypted with aws/secretsmanager: never readable from another "
                             "account (Secrets Manager User Guide, cross-account access)")
    if sv.policy is None:
        if sv.policy_unread or sv.policy_missing:
            return Answer(question=q, subject=subject, status=UNKNOWN,
                          reason=f"input missing: {sv.policy_missing or 'resource policy'}")
        return Answer(question=q, subject=subject, status=PROVEN_NONE,
                      reason="no resource policy: another account can be granted nothing")
    if sv.key_policy is None:
        return Answer(question=q, subject=subject, status=UNKNOWN,
                      reason=f"input missing: {sv.key_facts.reason or 'key policy'}")
    if sv.key_facts.usable is Tri.FALSE:
        return Answer(question=q, subject=subject, status=PROVEN_NONE,
                      reason=sv.key_facts.reason or "the key is not usable")
    extra: list[z3.BoolRef] = []
    if sv.key_facts.usable is Tri.UNKNOWN:
        return Answer(question=q, subject=subject, status=UNKNOWN,
                      reason=sv.key_facts.reason or "key state not read")
    sm = _outsider_template(settings, sv.rctx_sm, settings.action, sv.arn)
    kms = _outsider_template(settings, sv.rctx_kms, settings.decrypt_action, sv.key_arn or "")
    gates = [Gate("secret", sv.policy, PolicyKind.RESOURCE, "resource policy", sm),
             Gate("key", sv.key_policy, PolicyKind.RESOURCE, "key policy", kms)]
    answer = ask(q, subject, gates, extra, settings, guardrails,
                  {"secret": sv.account, "key": sv.key_account} if rcps else {}, timeout_s,
                  partition(sv.arn), zone=zone)
    if answer.status == PROVEN_NONE and sv.key_facts.grants_unread:
        # ListGrants failed for the key: a grant (KMS Developer Guide, "Grants in AWS KMS":
        # its grantee "can be in the same account as the KMS key or a different account")
        # may allow the Decrypt the key policy does not. A grant cannot deny, so a proof
        # stands only where the secret's side alone allows no one outside (conformance
        # trial round 24: PROVEN_NONE on the key policy alone)
        alone = ask(q, subject, gates[:1], extra, settings, guardrails,
                     {"secret": sv.account} if rcps else {}, timeout_s, partition(sv.arn),
                     zone=zone)
        if alone.status != PROVEN_NONE:
            return replace(answer, status=UNKNOWN, witness=None,
                           reason=_GRANTS_UNREAD)
        return replace(alone, seconds=answer.seconds + alone.seconds)
    return answer


def key_decrypt_template(settings: AccessSettings, key_arn: str, account: str,
                         region: str) -> Request:
    """kms:Decrypt on the key by any route: the via-service, encryption-context and
    called-via keys are free (any value, or absent)."""
    facts, ctx, absent, excluded = _outsider_context(settings)
    ctx.update({"aws:securetransport": ("true",), "aws:requestedregion": (region,),
                "aws:resourceaccount": (account,)})
    if settings.org_id and settings.in_zone(account):
        ctx["aws:resourceorgid"] = (settings.org_id,)
    return Request(principal_arn=facts.arn, principal_account=None,
                   action=settings.decrypt_action, resource=key_arn, principal_type="role",
                   context=ctx, absent=frozenset(absent), excluded=excluded,
                   time_floor=settings.time_floor)  # as resource_context gives every request


def outside_decrypt(key_arn: str, key_policy: Policy | None, account: str, region: str,
                    settings: AccessSettings, guardrails: Guardrails | None,
                    timeout_s: float = DEFAULT_TIMEOUT_S, missing: str | None = None,
                    zone: frozenset[str] | None = None, *, rcps: bool = True,
                    grants_unread: bool = False) -> Answer:
    """Question 2 for one customer-managed key (``rcps``: as outside_read). ``key_policy``:
    with the key's grants (scanner.policy.kms_grants); ``grants_unread``: ListGrants failed,
    so no proof (a grant may allow what the key policy does not)."""
    q = "outside-decrypt"
    if key_policy is None:
        return Answer(question=q, subject=key_arn, status=UNKNOWN,
                      reason=f"input missing: {missing or 'key policy'}")
    tmpl = key_decrypt_template(settings, key_arn, account, region)
    answer = ask(q, key_arn,
                  [Gate("key", key_policy, PolicyKind.RESOURCE, "key policy", tmpl)],
                  [], settings, guardrails, {"key": account} if rcps else {}, timeout_s,
                  partition(key_arn), zone=zone)
    if answer.status == PROVEN_NONE and grants_unread:
        return replace(answer, status=UNKNOWN,
                       reason=_GRANTS_UNREAD)
    return answer


def _pair_requests(sv: SecretView, facts: PrincipalFacts,
                   settings: AccessSettings) -> tuple[Request, Request | None]:
    """The principal's two requests as the access analysis builds them (pair_eval)."""
    pctx = principal_context(facts, settings)
    sm = build_request(facts, pctx, sv.rctx_sm, action=settings.action, resource=sv.arn)
    kms = build_request(facts, pctx, sv.rctx_kms, action=settings.decrypt_action,
                        resource=sv.decrypt_arn or "") if sv.decrypt_arn else None
    return sm, kms


def _read_problem(enc: Encoder, sv: SecretView, principal: IamPrincipal,
                  settings: AccessSettings, guardrails: Guardrails | None) -> tuple[
                      z3.BoolRef, Principal, dict[str, Request], list[str]]:
    """(the read formula, the principal, the templates by gate, notes)."""
    sm, kms = _pair_requests(sv, principal.facts, settings)
    templates = {"secret": sm} | ({"key": kms} if kms is not None else {})
    enc.plan_policies(_pair.policies_of(sv, principal, guardrails), list(templates.values()))
    p = Principal.of_request(sm)
    notes: list[str] = []
    goal = _pair.read_formula(enc, sv, principal, guardrails, sm, kms, p, notes)
    _member_orgpath_facts(enc, settings, guardrails, principal.facts.account_id)
    return goal, p, templates, notes


def member_org_path(settings: AccessSettings, guardrails: Guardrails | None,
                    account: str | None) -> str | None:
    """The ``aws:PrincipalOrgPaths`` value of a principal of a member account whose place in
    the organization is known: ``o-id/r-root/ou-.../`` (IAM User Guide, global condition
    keys, aws:PrincipalOrgPaths: "the AWS Organizations path for the principal who is
    making the request", e.g. ``o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/``)."""
    if guardrails is None or guardrails.org is None or not settings.org_id or account is None:
        return None
    chain = guardrails.path(account) if account in guardrails._parents else None
    if chain is None:
        return None
    return f"{settings.org_id}/" + "".join(f"{node}/" for node in chain[:-1])


def _member_orgpath_facts(enc: Encoder, settings: AccessSettings,
                          guardrails: Guardrails | None, account: str | None) -> None:
    """A named principal of an organization account has that account's path as its one
    ``aws:PrincipalOrgPaths`` value: a fact of the snapshot (the organization tree, as the
    evaluator reads it: scanner.access.scp.org_paths); a witness carries the value for its
    replay."""
    kv = enc._keys.get(("shared", "aws:principalorgpaths"))
    path = member_org_path(settings, guardrails, account)
    if kv is None or path is None or kv.kind != "str":
        return
    enc.facts += [kv.count == 1, kv.vals[0] == sval(path)]


_SCOPES = {"secret": _pair.SM, "key": _pair.KMS}


def principal_read(sv: SecretView, principal: IamPrincipal, settings: AccessSettings,
                   guardrails: Guardrails | None, timeout_s: float = DEFAULT_TIMEOUT_S, *,
                   question: str = "principal-read", subject: str | None = None) -> Answer:
    """Can this named principal read this secret (GetSecretValue and the kms:Decrypt Secrets
    Manager makes for it)? Every gate is encoded (``pair.read_formula``): the resource
    policy, the key policy, the principal's identity policies and permissions boundary (from
    the snapshot, as scanner/access resolves them: ``PrincipalIndex``), the SCPs of its
    account's path and the RCPs of the resource accounts' paths, with the same-account and
    cross-account logic of ``gates.combine``. The answer is a proof that no request context
    lets it read, or a witness -- the context under which it reads, replayed through the
    evaluator (every gate combined: ALLOWED) --, or UNKNOWN naming what is not encoded."""
    facts = principal.facts
    subject = subject or f"{facts.arn} -> {sv.arn}"
    if facts.principal_type not in ("role", "user", "root"):
        return Answer(question=question, subject=subject, status=UNKNOWN,
                      reason=f"not encoded: principal type {facts.principal_type}")
    start = time.perf_counter()
    enc = Encoder()
    try:
        goal, p, templates, notes = _read_problem(enc, sv, principal, settings, guardrails)
        result, model = solve(enc, goal, timeout_s)
    except NotEncoded as exc:
        return Answer(question=question, subject=subject, status=UNKNOWN,
                      reason=f"not encoded: {exc}", seconds=time.perf_counter() - start)
    except z3.Z3Exception as exc:
        return Answer(question=question, subject=subject, status=UNKNOWN,
                      reason=f"solver error: {str(exc)[:200]}")
    seconds = time.perf_counter() - start
    caveat = ("; " + "; ".join(dict.fromkeys(notes))) if notes else ""
    gated = "identity policies, boundary, SCPs and RCPs included"
    if result == "unsat":
        return Answer(question=question, subject=subject, status=PROVEN_NONE,
                      reason=f"no request context lets this principal read ({gated}; unsat)"
                             + caveat, not_encoded=tuple(enc.not_encoded), seconds=seconds)
    if model is None:
        return Answer(question=question, subject=subject, status=UNKNOWN,
                      reason=(f"solver: out of time ({timeout_s:g}s per question: "
                              "--prove-timeout)" if result == "timeout" else f"solver: {result}"),
                      not_encoded=tuple(enc.not_encoded), seconds=seconds)
    reqs = {name: enc.model_request(model, _SCOPES[name], t, p, _pair.SHARED_KEYS,
                                    _pair.SHARED_PREFIXES) for name, t in templates.items()}
    combined = _pair.replay(sv, principal, settings,
                            guardrails.org if guardrails else None, reqs["secret"],
                            reqs.get("key"),
                            membership=guardrails.membership if guardrails else None,
                            scanned=guardrails.scanned if guardrails else None)
    replay = {gate: v.status for gate, v in combined.gates.items()}
    replay["decision"] = combined.decision
    witness = witness_dict(p, reqs)
    for name in reqs:
        witness["requests"][name]["decisive"] = sorted(
            {key for (slot, key) in enc._keys if slot in (_SCOPES[name], "shared")})
    leans = leans_on_unique_id(enc, reqs, list(templates.values()))
    if combined.decision == "ALLOWED" and leans is not None:
        return Answer(question=question, subject=subject, status=UNKNOWN,
                      reason=f"allowed only if the principal's unique id is {leans} "
                             "(aws:userid): the snapshot holds no unique ids" + caveat,
                      witness=witness, not_encoded=tuple(enc.not_encoded), seconds=seconds,
                      replay=replay)
    if combined.decision == "ALLOWED":
        return Answer(question=question, subject=subject, status=WITNESS,
                      reason=f"this request context lets the principal read ({gated}; "
                             "replayed through the evaluator: ALLOWED)" + caveat,
                      witness=witness, not_encoded=tuple(enc.not_encoded), seconds=seconds,
                      replay=replay)
    return Answer(question=question, subject=subject, status=UNKNOWN,
                  reason=f"a candidate request context was found but the evaluator answers "
                         f"{combined.decision} for it (it leans on a part that is not encoded)",
                  witness=witness, not_encoded=tuple(enc.not_encoded), seconds=seconds,
                  replay=replay)


def check_pair(sv: SecretView, principal: IamPrincipal, settings: AccessSettings,
               guardrails: Guardrails | None,
               timeout_s: float = DEFAULT_TIMEOUT_S) -> "PolicyCheck":
    """The solver's verdict on one (principal, secret) read, every gate included, over every
    completion of the request's unknown keys: ALLOWED (every completion reads), DENIED (none
    does), CONDITIONAL (some do, some do not; only when everything was encoded), UNKNOWN (not
    encoded parts or a timeout). The cross-checks compare it with the access analysis."""
    enc = Encoder()
    try:
        goal, _p, _t, _notes = _read_problem(enc, sv, principal, settings, guardrails)
        can_allow, _ = solve(enc, goal, timeout_s)
        can_refuse, _ = solve(enc, z3.Not(goal), timeout_s)
    except (NotEncoded, z3.Z3Exception) as exc:
        return PolicyCheck(decision="UNKNOWN", exact=False, not_encoded=(str(exc)[:200],))
    exact = not enc.not_encoded
    decision = _decision(can_allow, can_refuse, exact)
    return PolicyCheck(decision=decision, exact=exact, not_encoded=tuple(enc.not_encoded))


def _decision(can_allow: str, can_refuse: str, exact: bool) -> str:
    """The evaluator's four answers from the two solver checks: no allowing request ->
    DENIED; no refusing request -> ALLOWED; both exist and everything was encoded ->
    CONDITIONAL; otherwise (a timeout, or a part not encoded) UNKNOWN."""
    if can_allow == "unsat":
        return "DENIED"
    if can_refuse == "unsat":
        return "ALLOWED"
    if can_allow == "sat" and can_refuse == "sat" and exact:
        return "CONDITIONAL"
    return "UNKNOWN"


def principal_of(snapshot: Any, arn: str, account: str | None = None,
                 principal_type: str | None = None,
                 index: PrincipalIndex | None = None, *, partition: str) -> IamPrincipal:
    """The principal as the access analysis resolves it: with its identity policies, groups'
    policies and boundary when its account's IAM was read (``PrincipalIndex``), else an
    external principal whose identity side is not known (the root of an account whose IAM
    was not read: the stand-in for its principals, identity.account_stand_in).
    ``partition``: the secret's (SecretView.partition), the stand-in's where ``arn`` names
    none."""
    index = index if index is not None else PrincipalIndex(snapshot)
    hit = index.by_arn.get(arn)
    if hit is not None:
        return hit
    ptype = principal_type or ("user" if (iam_entity(arn) or ("",))[0] == "user"
                               else "root" if arn.endswith(":root") else "role")
    acct = account or principal_account(arn)
    if ptype == "root" and acct is not None and acct not in index.iam_read:
        # the access analysis' stand-in for the account's principals no policy names, whose
        # identity keys are unknown (identity.account_stand_in; IAM conformance trial round
        # 10): the root user of an account whose IAM was read stays the root user
        return index.stand_in(acct, arn_partition(arn) or partition)
    if ptype == "root" and acct is not None:
        # the root user of an account whose IAM was read (identity.root_user: no identity
        # policy governs it; IAM conformance trial round 21)
        return root_user(acct, arn_partition(arn) or partition)
    return external_principal(arn, acct, ptype)


def reader_context(sv: SecretView, path: Any, facts: PrincipalFacts, settings: AccessSettings,
                   guardrails: Guardrails | None,
                   timeout_s: float = DEFAULT_TIMEOUT_S, *,
                   principal: IamPrincipal | None = None) -> Answer:
    """Question 3 for one CONDITIONAL reader: the exact request context under which its read
    is allowed, or a proof that none is.

    With ``principal`` (the reader as the access analysis resolved it: identity policies,
    boundary; ``principal_of``) every gate is encoded, SCPs and the same-account logic
    included (``principal_read``). Without it only the resource policy, the key policy and
    the RCPs are: where that is everything that decides the read (cross-account, identity
    and SCP gates definite ALLOWED) the answer is a witness or a proof; otherwise they are
    necessary conditions only (same account: the key policy must allow and no Deny apply):
    unsat is still a proof, a satisfying request is UNKNOWN (a candidate), naming what is
    missing."""
    q, subject = "reader-context", f"{path.principal} -> {sv.arn}"
    if principal is not None:
        return principal_read(sv, principal, settings, guardrails, timeout_s, question=q,
                              subject=subject)
    statuses = path.gate_statuses()
    caveats: list[str] = []
    #: gates that decide the read but are not encoded: then only necessary conditions are
    #: encoded -- an unsat answer is still a proof, a satisfying request is only a candidate
    missing: list[str] = []
    if not path.cross_account:
        missing.append("identity OR resource policy (same account), boundaries, sessions")
    for gate in ("identity_policy", "scp"):
        verdict = path.gates[gate]
        if gate == "scp" and verdict.status == "UNKNOWN" and \
                any("not assessed" in r for r in verdict.reasons):
            # not collected: the evaluator lets it pass (allow TRUE), so does the proof
            caveats.append("; ".join(r for r in verdict.reasons if "not assessed" in r))
        elif statuses.get(gate) not in ("ALLOWED", "NOT_APPLICABLE"):
            missing.append(f"the {gate} gate ({statuses.get(gate)}: identity policies and "
                           "SCPs are not encoded)")
    if sv.key_policy is None and not sv.aws_managed:
        return Answer(question=q, subject=subject, status=UNKNOWN,
                      reason="input missing: key policy")
    if sv.policy is None and path.cross_account:
        return Answer(question=q, subject=subject, status=UNKNOWN,
                      reason="input missing: resource policy")
    pctx = principal_context(facts, settings)
    sm = build_request(facts, pctx, sv.rctx_sm, action=settings.action, resource=sv.arn)
    kms = build_request(facts, pctx, sv.rctx_kms, action=settings.decrypt_action,
                        resource=sv.key_arn or "")
    gates = []
    if sv.policy is not None:
        gates.append(Gate("secret", sv.policy, PolicyKind.RESOURCE, "resource policy", sm,
                           deny_only=not path.cross_account))
    if sv.key_policy is not None and not sv.aws_managed:
        # same account too: every way the key gate passes needs the key policy to allow
        gates.append(Gate("key", sv.key_policy, PolicyKind.RESOURCE, "key policy", kms))
    if not gates:
        return Answer(question=q, subject=subject, status=UNKNOWN,
                      reason="not encoded: " + "; ".join(missing))
    answer = ask(q, subject, gates, [], settings, guardrails,
                  {g.name: (sv.account if g.name == "secret" else sv.key_account)
                   for g in gates}, timeout_s, partition(sv.arn), concrete=True)
    if missing and answer.status == WITNESS:
        answer = replace(answer, status=UNKNOWN,
                         reason="the encoded gates allow this candidate request, but not "
                                "everything that decides the read is encoded: "
                                + "; ".join(missing))
    elif missing and answer.status == PROVEN_NONE:
        answer = replace(answer, reason=f"{answer.reason}: the encoded gates alone rule the "
                                        "read out")
    if caveats and answer.status != UNKNOWN:
        answer = replace(answer, reason=f"{answer.reason}; {'; '.join(caveats)}")
    return answer


def principal_facts(snapshot: Any, arn: str, account: str | None,
                    principal_type: str) -> PrincipalFacts:
    """What the snapshot knows of a principal (tags, boundary), as the access analysis uses."""
    for acct in snapshot.accounts:
        for ip in (acct.iam.principals if acct.iam else ()):
            if ip.arn == arn:
                final = tags_are_final(ip, own_policies(snapshot, ip))
                return PrincipalFacts(arn=arn, account_id=ip.account_id,
                                      principal_type=ip.principal_type, name=ip.name,
                                      tags=dict(ip.tags) if final else {}, tags_final=final,
                                      may_federate=may_federate(ip),
                                      has_boundary=ip.permissions_boundary_arn is not None)
    return PrincipalFacts(arn=arn, account_id=account, principal_type=principal_type)


# ---------------------------------------------------------------------------- one policy
@dataclass(frozen=True, kw_only=True)
class PolicyCheck:
    """What the solver says about one policy for one request whose unknown keys are free."""

    decision: str  # ALLOWED | DENIED | CONDITIONAL | UNKNOWN
    exact: bool  # no part was left not encoded
    not_encoded: tuple[str, ...] = ()
    witness: Request | None = None  # an allowed completion of the request, when one exists


def check_policy(policy: Policy, request: Request, kind: PolicyKind,
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> PolicyCheck:
    """ALLOWED: every completion of the request's unknown keys is allowed (proven); DENIED: none
    is (proven); CONDITIONAL: some are, some are not (only when everything was encoded);
    UNKNOWN: not encoded parts or a timeout leave it open."""
    enc = Encoder()
    enc.plan_policies([policy], [request])
    try:
        p = Principal.of_request(request)
        f = enc.policy(policy, request, p, kind, "policy")
        allowed = z3.And(f.allow, z3.Not(f.deny))
        can_allow, model = solve(enc, allowed, timeout_s)
        can_refuse, _ = solve(enc, z3.Not(allowed), timeout_s)
    except (NotEncoded, z3.Z3Exception) as exc:
        return PolicyCheck(decision="UNKNOWN", exact=False, not_encoded=(str(exc)[:200],))
    exact = not enc.not_encoded
    witness = enc.model_request(model, "policy", request, p, frozenset(), ()) \
        if model is not None else None
    decision = _decision(can_allow, can_refuse, exact)
    return PolicyCheck(decision=decision, exact=exact, not_encoded=tuple(enc.not_encoded),
                       witness=witness)


# ---------------------------------------------------------------------------- a whole estate
@dataclass(frozen=True, kw_only=True)
class SecretProof:
    secret_arn: str
    key_arn: str | None
    read: Answer
    decrypt: Answer | None  # None: AWS-managed key (or no key)

    def to_dict(self) -> dict[str, Any]:
        return {"secret_arn": self.secret_arn, "key_arn": self.key_arn,
                "outside_read": self.read.to_dict(),
                "outside_decrypt": self.decrypt.to_dict() if self.decrypt else None}


class Prover:
    """Asks the questions for the secrets of one snapshot. Answers are memoized by policy
    shape: the policy texts and the request facts a question is built from, so secrets (and
    replicas, and keys shared by many secrets) with the same shape are solved once."""

    def __init__(self, graph: Any, snapshot: Any, settings: AccessSettings,
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        from scanner.access.graph_io import secret_views

        self.settings = settings
        self.timeout_s = timeout_s
        self.guardrails = Guardrails(snapshot.organization, snapshot.org_membership,
                                     settings.trust_zone.scanned)
        self.zone = zone_of(settings, snapshot)
        primaries, replicas = secret_views(graph, settings)
        self.views = {sv.arn: sv for sv in primaries + replicas}
        self._memo: dict[tuple[object, ...], Answer] = {}
        self._proofs: dict[tuple[object, ...], Answer] = {}
        self.snapshot = snapshot
        self._index: PrincipalIndex | None = None
        self.solved = 0
        self.reused = 0

    @property
    def index(self) -> PrincipalIndex:
        """The snapshot's principals with their identity policies and boundaries, built on
        first use (as the access analysis builds it)."""
        if self._index is None:
            self._index = PrincipalIndex(self.snapshot)
        return self._index

    def _memoized(self, key: tuple[object, ...], ask: Any) -> Answer:
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = ask()
            self.solved += 1
        else:
            self.reused += 1
        return hit

    def _shape(self, sv: SecretView) -> tuple[object, ...] | None:
        """What the outside-read question of ``sv`` depends on, without the secret's ARN: the
        policies, the request facts, and whether each statement's Resource matches the
        secret. None when a policy looks at the encryption context (it holds the ARN)."""
        rcps = rcp_policies(self.guardrails)
        for pol in [sv.policy, sv.key_policy] + rcps:
            if pol is not None and any(k.startswith("kms:encryptioncontext") or
                                       k == "secretsmanager:secretid"
                                       for k in pol.condition_keys):
                return None
        matches = tuple(v for pol, kind in [(sv.policy, PolicyKind.RESOURCE)] +
                        [(r, PolicyKind.RCP) for r in rcps] if pol is not None
                        for v in resource_matches(pol, self.settings.action, sv.arn, kind))
        kms_ctx = {k: v for k, v in sv.rctx_kms[0].items()
                   if k != "kms:encryptioncontext:secretarn"}
        return (id(sv.policy), id(sv.key_policy), sv.key_arn, sv.account, sv.key_account,
                sv.region, sv.aws_managed, sv.key_facts.usable, sv.policy_missing,
                sv.scheduled_deletion, tuple(sorted(sv.rctx_sm[0].items())), sv.rctx_sm[1],
                tuple(sorted(kms_ctx.items())), matches)

    def secret(self, arn: str) -> SecretProof:
        """Outside read (and the key's outside decrypt) for one secret. A proof is shared by
        every secret of the same shape (it holds for each: nothing in the question tells them
        apart); a witness names its secret, so another secret of the shape is solved anew."""
        sv = self.views[arn]
        shape = self._shape(sv)
        hit = self._proofs.get(shape) if shape is not None else None
        if hit is not None:
            self.reused += 1
            read = replace(hit, subject=sv.arn,
                           reason=f"{hit.reason} (the proof of {hit.subject}: same shape)")
        else:
            read = self._memoized(("read", sv.arn, shape),
                                  lambda: outside_read(sv, self.settings, self.guardrails,
                                                       self.timeout_s, self.zone))
            if shape is not None and read.status == PROVEN_NONE:
                self._proofs[shape] = read
        decrypt = None
        if sv.uses_kms and sv.key_arn:
            decrypt = self.key(sv.key_arn, sv.key_policy, sv.key_account, sv.region,
                               sv.key_facts.reason, sv.key_facts.grants_unread)
        return SecretProof(secret_arn=arn, key_arn=sv.key_arn, read=read, decrypt=decrypt)

    def readers(self, snapshot: Any, sa: Any) -> list[Answer]:
        """Question 3 for every CONDITIONAL reader of the secret ``sa`` (a SecretAccess), every
        gate encoded: its identity policies, boundary and SCP chain as the access analysis
        resolves them (``principal_of``)."""
        sv = self.views[sa.secret_arn]
        out = []
        for path in sa.paths:
            if path.decision != "CONDITIONAL" or path.principal_type not in ("role", "user",
                                                                              "root"):
                continue
            principal = principal_of(snapshot, path.principal, path.principal_account,
                                     path.principal_type, self.index, partition=sv.partition)
            out.append(self._principal_answer(sv, principal, "reader-context",
                                              f"{path.principal} -> {sv.arn}"))
        return out

    def principal(self, secret_arn: str, principal_arn: str) -> Answer:
        """Can the named principal ``principal_arn`` read the secret? (``principal_read``: its
        identity policies, boundary and SCPs from the snapshot; a principal of an account
        whose IAM was not read has an identity side that is not encoded.) The outside
        question for the same secret is ``secret(arn).read``."""
        sv = self.views[secret_arn]
        principal = principal_of(self.snapshot, principal_arn, index=self.index,
                                 partition=sv.partition)
        return self._principal_answer(sv, principal, "principal-read",
                                      f"{principal_arn} -> {sv.arn}")

    def _principal_shape(self, sv: SecretView, principal: IamPrincipal) -> tuple[
            object, ...] | None:
        """What a named principal's read of ``sv`` depends on besides the secret's shape: the
        principal (its ARN, type, tags, boundary), its identity documents and boundary, which
        of their statements' Resource patterns match the secret and the key, and the SCPs on
        its account's path (the guardrails' documents are in the secret's shape). None when a
        document can see more (policy variables, the encryption context)."""
        shape = self._shape(sv)
        if shape is None:
            return None
        docs = _pair.identity_policies(principal) + _pair.guardrail_policies(self.guardrails)
        for pol in docs:
            if pol.uses_variables or any(k.startswith("kms:encryptioncontext") or
                                         k == "secretsmanager:secretid"
                                         for k in pol.condition_keys):
                return None
        probes = [(sv.arn, self.settings.action)] + (
            [(sv.key_arn, self.settings.decrypt_action)] if sv.uses_kms and sv.key_arn else [])
        matches = tuple(v for res, act in probes for pol in docs
                        for v in resource_matches(pol, act, res, PolicyKind.IDENTITY))
        facts = principal.facts
        return (shape, facts.arn, facts.principal_type, tuple(sorted(facts.tags.items())),
                facts.has_boundary, principal.identity_known, principal.signature,
                self.guardrails.signature(SCP, facts.account_id), matches)

    def _principal_answer(self, sv: SecretView, principal: IamPrincipal, question: str,
                          subject: str) -> Answer:
        """principal_read, memoized by shape: a proof holds for every secret of the same
        shape (and the same principal shape); a witness names its secret: solved anew."""
        pshape = self._principal_shape(sv, principal)
        key = ("principal", question, pshape) if pshape is not None else None
        hit = self._proofs.get(key) if key is not None else None
        if hit is not None:
            self.reused += 1
            if hit.subject == subject:
                return hit
            return replace(hit, subject=subject,
                           reason=f"{hit.reason} (the proof of {hit.subject}: same shape)")
        answer = self._memoized(
            ("principal", question, sv.arn, principal.arn, pshape),
            lambda: principal_read(sv, principal, self.settings, self.guardrails,
                                   self.timeout_s, question=question, subject=subject))
        if key is not None and answer.status == PROVEN_NONE:
            self._proofs[key] = answer
        return answer

    def key(self, key_arn: str, policy: Policy | None, account: str, region: str,
            missing: str | None = None, grants_unread: bool = False) -> Answer:
        return self._memoized(
            ("decrypt", key_arn, id(policy), account, region, grants_unread),
            lambda: outside_decrypt(key_arn, policy, account, region, self.settings,
                                    self.guardrails, self.timeout_s, missing, self.zone,
                                    grants_unread=grants_unread))
