"""Asking the solver one question: the gates of a read encoded together, solved within the
time budget (simple and readable requests first), the model turned into one request per gate
and replayed through the three-valued evaluator. What each question asks -- and for whom --
is scanner/policy/smt/questions.py.

Answers: ``PROVEN_NONE`` (unsat: no request in the encoded domain gets through),
``WITNESS`` (a concrete request, replayed through the three-valued evaluator gate by gate,
every gate ALLOWED), or ``UNKNOWN`` with the reason (solver timeout, not-encoded policy
parts that a candidate request leans on, a replay the evaluator does not confirm, inputs
that were not read).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import z3

from scanner.access.context import FAS_SHARED_KEYS, FAS_SHARED_PREFIXES
from scanner.access.scp import RCP, Guardrails
from scanner.access.settings import AccessSettings
from scanner.policy.evaluate import Decision, PolicyKind, evaluate_policy
from scanner.policy.narrowing import userid_head
from scanner.policy.parse import Policy
from scanner.policy.request import USERID, Request, _UniqueIdOf
from scanner.policy.smt import pair as _pair
from scanner.policy.smt.domain import READABLE_NAME
from scanner.policy.smt.encode import Encoder, NotEncoded, Principal, sval

# Ctrl-C is Python's, not z3's: z3 would take SIGINT while a check runs (check_sat)
z3.set_param("ctrl_c", False)

PROVEN_NONE = "PROVEN_NONE"
WITNESS = "WITNESS"
UNKNOWN = "UNKNOWN"

#: keys with one value for every request of a read (scanner.access.context)
SHARED_KEYS = FAS_SHARED_KEYS
SHARED_PREFIXES = FAS_SHARED_PREFIXES


@dataclass(frozen=True, kw_only=True)
class Answer:
    question: str  # outside-read | outside-decrypt | reader-context
    subject: str  # the secret or key ARN (and principal for reader-context)
    status: str  # PROVEN_NONE | WITNESS | UNKNOWN
    reason: str
    witness: dict[str, Any] | None = None
    not_encoded: tuple[str, ...] = ()
    seconds: float = 0.0
    replay: dict[str, str] = field(default_factory=dict)  # gate -> evaluator decision

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "subject": self.subject, "status": self.status,
                "reason": self.reason, "witness": self.witness,
                "not_encoded": list(self.not_encoded), "seconds": round(self.seconds, 3),
                "replay": dict(self.replay)}


@dataclass
class Gate:
    name: str
    policy: Policy
    kind: PolicyKind
    scope: str
    template: Request
    #: only its Deny statements constrain (same account: identity OR resource policy allows)
    deny_only: bool = False


def _rcp_formula(enc: Encoder, guardrails: Guardrails | None, account: str, req: Request,
                 p: Principal, scope: str, notes: list[str]) -> z3.BoolRef:
    """The RCPs of the resource account on ``req`` as one formula: the pair's RCP gate
    (pair.guardrail, which cites the documentation: an Allow at every level of the account's
    path, a Deny anywhere denies, not enabled / the management account / a service-linked
    role exempt, a policy not read a fresh boolean) allowing and not denying; true where RCPs
    do not apply. One encoding of the RCPs for a named principal and for an outside caller:
    this module held a second copy of the pair's loop (without its service-linked-role
    exemption)."""
    gate = _pair.guardrail(enc, guardrails, RCP, account, req, p, scope, notes)
    if gate is None:
        return z3.BoolVal(True)
    return z3.And(gate.allow, z3.Not(gate.deny))


def check_sat(solver: z3.Solver) -> z3.CheckSatResult:
    """``solver.check()``, stopped by Ctrl-C and SIGTERM as any other step of a command is.
    z3 took SIGINT for itself while a check ran (its ``ctrl_c`` parameter, off since): the
    check returned unknown ("interrupted from keyboard", "canceled" after a push), read as a
    proof out of time, and the scan went on to write its reports (new-user trial round 23).
    The check runs in a thread (z3's calls release the GIL) while this one waits, so a
    signal's handler runs here at once -- not when the check ends, up to ``prove_timeout``
    later -- and its exception interrupts the solver and is raised. Off the main thread (no
    handler runs there) the check runs in place."""
    if threading.current_thread() is not threading.main_thread():
        return solver.check()
    done: list[Any] = []

    def run() -> None:
        try:
            done.append(solver.check())
        except BaseException as exc:  # noqa: BLE001 -- raised below, in the caller's thread
            done.append(exc)

    worker = threading.Thread(target=run, name="secretgraph-z3-check", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.25)
    except BaseException:  # KeyboardInterrupt, Terminated
        while worker.is_alive():  # again until it stops: one sent before the check began
            solver.ctx.interrupt()  # is not seen by it
            worker.join(0.1)
        raise
    if isinstance(done[0], BaseException):
        raise done[0]
    return done[0]


def solve(enc: Encoder, goal: z3.BoolRef, timeout_s: float,
           prefer: tuple[z3.BoolRef, ...] = (),
           readable: tuple[z3.BoolRef, ...] = ()) -> tuple[str, z3.ModelRef | None]:
    """sat / unsat / unknown (why), and a model when sat, within ``timeout_s`` in all.

    ``prefer``: facts that narrow the search to simple requests (a role without a permissions
    boundary or IAM path): tried first, with part of the time -- string constraints over the
    principal ARN solve much faster there, and a witness found there is as good as any (it is
    replayed). ``readable``: within those, a principal name a reader takes for one
    (domain.READABLE_NAME: "role/a", not "role/+"), tried first. Only when that finds nothing is
    the whole domain searched: its unsat is the proof."""
    deadline = time.perf_counter() + timeout_s
    solver = z3.Solver()
    solver.add(*enc.facts)
    solver.add(*enc.credential_facts())
    solver.add(goal)
    if prefer:
        solver.push()
        solver.add(*prefer)
        if readable:  # a readable name first: 10% of the budget, then 20% without it
            solver.set("timeout", max(1, int(timeout_s * 100)))
            solver.push()
            solver.add(*readable)
            if check_sat(solver) == z3.sat:
                return "sat", solver.model()
            solver.pop()
        solver.set("timeout", max(1, int(timeout_s * (200 if readable else 300))))
        if check_sat(solver) == z3.sat:
            return "sat", solver.model()
        solver.pop()
    left = deadline - time.perf_counter()
    if left <= 0.001:
        return "timeout", None
    solver.set("timeout", max(1, int(left * 1000)))
    r = check_sat(solver)
    if r == z3.sat:
        return "sat", solver.model()
    if r == z3.unsat:
        return "unsat", None
    why = solver.reason_unknown()
    return ("timeout" if why in ("timeout", "canceled") else f"unknown ({why})"), None


def witness_dict(p: Principal, reqs: dict[str, Request]) -> dict[str, Any]:
    first = next(iter(reqs.values()))
    return {
        "principal": first.principal_arn, "principal_account": first.principal_account,
        "principal_type": first.principal_type,
        "permissions_boundary": first.has_permissions_boundary,
        "requests": {name: {"action": r.action, "resource": r.resource,
                            "context": {k: list(v) for k, v in sorted(r.context.items())},
                            "absent": sorted(r.absent)} for name, r in reqs.items()},
    }


def zone_of(settings: AccessSettings, snapshot: Any = None) -> frozenset[str]:
    """The accounts a proof treats as inside: the trust zone (scanner/policy/trust_zone.py, the
    one home of "outside": organization + scanned accounts + trusted_accounts) plus the accounts
    the configuration allows (``allowed_external_accounts``), as the access report does.
    ``snapshot`` is accepted for callers that have one; the settings already carry its zone."""
    return settings.trust_zone.accounts | settings.allowed_external_accounts


def _outside(p: Principal, zone: frozenset[str]) -> list[Any]:
    return [p.account != sval(a) for a in sorted(zone)]


def _orgpath_facts(enc: Encoder, settings: AccessSettings) -> None:
    """An outside account's organization paths never start with our organization id."""
    kv = enc._keys.get(("shared", "aws:principalorgpaths"))
    if kv is None or not settings.org_id or kv.kind != "str":
        return
    for i, v in enumerate(kv.vals):
        enc.facts.append(z3.Implies(kv.count > i, z3.Not(
            z3.PrefixOf(sval(f"{settings.org_id}/"), v))))


def ask(question: str, subject: str, gates: list[Gate], extra: list[z3.BoolRef],
         settings: AccessSettings, guardrails: Guardrails | None,
         rcp_accounts: dict[str, str], timeout_s: float,
         partition: str = "aws", concrete: bool = False,
         zone: frozenset[str] | None = None) -> Answer:
    """_solve_question; a z3 error (a value z3 cannot represent, ...) is UNKNOWN with the
    reason, never a crash."""
    try:
        return _solve_question(question, subject, gates, extra, settings, guardrails,
                               rcp_accounts, timeout_s, partition, concrete, zone)
    except z3.Z3Exception as exc:
        return Answer(question=question, subject=subject, status=UNKNOWN,
                      reason=f"solver error: {str(exc)[:200]}")


def _solve_question(question: str, subject: str, gates: list[Gate], extra: list[z3.BoolRef],
                    settings: AccessSettings, guardrails: Guardrails | None,
                    rcp_accounts: dict[str, str], timeout_s: float,
                    partition: str = "aws", concrete: bool = False,
                    zone: frozenset[str] | None = None) -> Answer:
    """Is there a request (one per gate, sharing the principal and its keys) that every gate
    allows? ``concrete``: the principal is the templates' own; else any principal outside the
    zone."""
    start = time.perf_counter()
    enc = Encoder()
    enc.plan_policies([g.policy for g in gates] + rcp_policies(guardrails),
                      [g.template for g in gates])
    if concrete:
        try:
            p = Principal.of_request(gates[0].template)
        except NotEncoded as exc:
            return Answer(question=question, subject=subject, status=UNKNOWN,
                          reason=f"not encoded: {exc}")
    else:
        p, pfacts = Principal.symbolic("p", partition)
        enc.facts += pfacts + _outside(p, zone_of(settings) if zone is None else zone)
    notes: list[str] = []
    parts: list[z3.BoolRef] = list(extra)
    try:
        for g in gates:
            f = enc.policy(g.policy, g.template, p, g.kind, g.scope, SHARED_KEYS,
                           SHARED_PREFIXES)
            parts += [z3.Not(f.deny)] if g.deny_only else [f.allow, z3.Not(f.deny)]
            if g.name in rcp_accounts:
                parts.append(_rcp_formula(enc, guardrails, rcp_accounts[g.name], g.template,
                                          p, g.scope, notes))
    except NotEncoded as exc:  # a key compared as two types, an unparseable known value
        return Answer(question=question, subject=subject, status=UNKNOWN,
                      reason=f"not encoded: {exc}", seconds=time.perf_counter() - start)
    if not concrete:  # a fact about outside accounts only: a reader may be in the organization
        _orgpath_facts(enc, settings)
    prefer = () if concrete or p.path is None else (z3.Not(p.boundary), p.ptype == 0,
                                                      p.path == sval(""))
    readable = () if concrete or p.name is None else (z3.InRe(p.name, READABLE_NAME),)
    result, model = solve(enc, z3.And(*parts), timeout_s, prefer, readable)
    seconds = time.perf_counter() - start
    caveat = ("; " + "; ".join(dict.fromkeys(notes))) if notes else ""
    who = "for this principal" if concrete else "from outside the zone"
    # the unique ids of the snapshot's principals are of scanned accounts, in the zone
    unplaced = [v for v in enc.userid_heads if userid_head(v) not in settings.unique_ids]
    if result == "unsat" and not concrete and unplaced:
        # the symbolic principal's unique id is a stand-in no policy names: the role (or
        # federated users) an aws:userid value names by id or account may be outside the
        # zone, when no principal of the snapshot has that id (conformance trial round 7)
        return Answer(question=question, subject=subject, status=UNKNOWN,
                      reason=f"no request {who} is allowed but perhaps one of the principal "
                             "aws:userid names (" + ", ".join(unplaced[:3]) + "): "
                             "its account is not in the snapshot" + caveat,
                      not_encoded=tuple(enc.not_encoded), seconds=seconds)
    if result == "unsat":
        return Answer(question=question, subject=subject, status=PROVEN_NONE,
                      reason=f"no request {who} is allowed (unsat)" + caveat,
                      not_encoded=tuple(enc.not_encoded), seconds=seconds)
    if model is None:
        return Answer(question=question, subject=subject, status=UNKNOWN,
                      reason=(f"solver: out of time ({timeout_s:g}s per question: "
                              "--prove-timeout)" if result == "timeout" else f"solver: {result}"),
                      not_encoded=tuple(enc.not_encoded), seconds=seconds)
    reqs = {g.name: enc.model_request(model, g.scope, g.template, p, SHARED_KEYS,
                                      SHARED_PREFIXES) for g in gates}
    replay = {}
    for g in gates:
        replay[g.name] = evaluate_policy(g.policy, reqs[g.name], g.kind).decision.value
        if g.name in rcp_accounts and guardrails is not None:
            replay[f"{g.name} RCPs"] = guardrails.evaluate(RCP, rcp_accounts[g.name],
                                                           reqs[g.name]).status
    confirmed = all(v in (Decision.ALLOWED.value, "NOT_APPLICABLE", "ALLOWED")
                    or (k.endswith("RCPs") and v == "UNKNOWN") for k, v in replay.items())
    witness = witness_dict(p, reqs)
    for g in gates:  # the keys the policies look at: what the witness is about
        witness["requests"][g.name]["decisive"] = sorted(
            {name for (slot, name) in enc._keys if slot in (g.scope, "shared")})
    leans = leans_on_unique_id(enc, reqs, [g.template for g in gates]) if concrete else None
    if confirmed and leans is not None:
        return Answer(question=question, subject=subject, status=UNKNOWN,
                      reason=f"allowed only if the principal's unique id is {leans} "
                             "(aws:userid): the snapshot holds no unique ids" + caveat,
                      witness=witness, not_encoded=tuple(enc.not_encoded), seconds=seconds,
                      replay=replay)
    if confirmed:
        return Answer(question=question, subject=subject, status=WITNESS,
                      reason=f"this request {who} is allowed (replayed through the "
                             "evaluator: every gate ALLOWED)" + caveat,
                      witness=witness, not_encoded=tuple(enc.not_encoded), seconds=seconds,
                      replay=replay)
    return Answer(question=question, subject=subject, status=UNKNOWN,
                  reason="a candidate request was found but the evaluator does not confirm it "
                         "(it leans on a part that is not encoded)",
                  witness=witness, not_encoded=tuple(enc.not_encoded), seconds=seconds,
                  replay=replay)


def leans_on_unique_id(enc: Encoder, reqs: dict[str, Request],
                        templates: list[Request]) -> str | None:
    """The unique id a named principal's candidate request gives it in aws:userid, when a
    policy names that id (``AROA<id>:*``): the request is allowed only if the principal's
    unique id is that one, which the snapshot does not hold (IAM User Guide, global condition
    keys, aws:userid: "role-id:caller-specified-role-name") -- a condition, not a witness
    (conformance trial round 7). Not when the principal's own id is known (``templates``, its
    requests as the access analysis built them: request.role_userid, or a user's id as its
    value; ground-truth trial round 22): then that id is a fact of the principal."""
    named = {userid_head(v) for v in enc.userid_heads}
    known = {_known_userid_head(t) for t in templates} - {None}
    for r in reqs.values():
        for v in r.context.get("aws:userid", ()):
            head = userid_head(v)
            if head in named and head != (r.principal_account or "") and head not in known:
                return head
    return None


def _known_userid_head(template: Request) -> str | None:
    """The unique id at the head of the principal's aws:userid when its request knows it."""
    shape = template.excluded.get(USERID)
    if isinstance(shape, _UniqueIdOf) and shape.known:
        return shape.prefix
    values = template.context.get(USERID, ())
    return userid_head(values[0]) if len(values) == 1 else None


def rcp_policies(guardrails: Guardrails | None) -> list[Policy]:
    if guardrails is None:
        return []
    return [parsed for (ptype, _), pairs in guardrails._by_target.items() if ptype == RCP
            for _, parsed in pairs]
