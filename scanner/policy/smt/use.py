"""The solver's answers for the exposure rules: ``secret-policy-public``,
``secret-policy-external-account`` and ``kms-key-policy-public`` (config ``prove: true``,
``scan --prove``), and for remediation plans (``remediate --prove``).

Each rule asks about the statements its own concept matched (scanner/policy/exposure.py: the
public statements, or the statements granting one principal outside the zone), together with
every Deny statement of the same policy: *can some request get through them?* The RCPs are
not asked: they are another gate, as the key policy is (secret-policy-external-account reports
a grant "even when another gate currently blocks it", the ``scp`` gate standing for SCPs and
RCPs alike; secret-policy-public and kms-key-policy-public judge the policy, as they do
without the solver). With the RCPs in the question an RCP data perimeter made the grant PASS
with ``--prove`` and FAIL without it (ground-truth trial round 12). ``access --prove`` and
``remediate --prove`` (``plan_proof``) ask the full question, RCPs included. The solver answers
with the public questions of ``questions.py``:

* a secret's policy: ``outside_read`` on the secret, its resource policy cut down to those
  statements, its key treated as open to every caller (the key policy is judged by
  ``kms-key-policy-public``; the grant is reported whatever another gate says);
* a key's policy: ``outside_decrypt`` on the key, its policy cut down the same way.

The accounts the question treats as inside: the trust zone and the allow-list
(``questions.zone_of``), plus, for "public", every account the policy names (a request that
only a named account can make is an external grant, not a public one) and, for one external
principal, every other named account (the witness is then a principal of that account).

The three-valued evaluator stays the primary source. It is asked the same question (the same
statements) for one representative outside request (a role of an unnamed account with every request key unknown;
for an external principal, that principal). ALLOWED is a definite "yes" (that request gets
through). Anything else is not an answer for *every* outside request, and the solver decides:
WITNESS (a concrete request, replayed through the evaluator), PROVEN_NONE, or UNKNOWN (time
out, not encoded), which leaves the rule's own answer. Where both are definite they must
agree: an ALLOWED the solver proves impossible raises ``Disagreement`` (the rule runner turns
it into a rule-error finding naming both answers).

Answers are memoized by policy shape: the statements asked about, the request facts, whether
each statement's Resource matches the resource, and the accounts treated as inside. A shape
answered once is reused for every resource of that shape (a witness then names the resource
it was found for; its request is the same for each).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping

from scanner.access.context import PrincipalFacts, build_request, principal_context
from scanner.access.graph_io import SecretView, secret_views
from scanner.access.scp import Guardrails
from scanner.access.settings import AccessSettings
from scanner.policy.arn import parse_arn, partition, principal_account, resource_account, root_arn
from scanner.policy.evaluate import Decision, PolicyKind, evaluate_policy, resource_matches
from scanner.policy.narrowing import ACCOUNT_KEYS, ARN_KEYS
from scanner.policy.matching import compared_value
from scanner.policy.parse import Policy, Statement, parse_policy
from scanner.policy.request import Request
from scanner.policy.smt.questions import (
    DEFAULT_TIMEOUT_S, key_decrypt_template, outside_decrypt, outside_read, principal_facts,
)
from scanner.policy.smt.solve import PROVEN_NONE, UNKNOWN, WITNESS, Answer, zone_of
from scanner.policy.tri import Tri

#: the key policy a secret-policy question assumes: every caller may decrypt (the secret's
#: own policy then decides; the key is judged by its own rule)
OPEN_KEY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]})
#: the account the open key is placed in: outside every organization (the rules' question asks
#: no RCP: module doc)
NOWHERE = "000000000000"

def representative(partition: str) -> PrincipalFacts:
    """The representative outside caller of the evaluator's question (an unnamed account): a
    role of the secret's ``partition`` -- one of another partition reads nothing of it, and
    its aws:PrincipalArn is of that partition (concept review round 3: an arn:aws: caller
    failed ArnLike arn:aws-us-gov:iam::*:role/* in GovCloud, the evaluator said DENIED where
    the commercial twin was ALLOWED)."""
    return PrincipalFacts(arn=f"arn:{partition}:iam::000000000000:role/outsider",
                          account_id="000000000000", principal_type="role")

_KEYS_WITH_ARN = ("kms:encryptioncontext", "secretsmanager:secretid")


class Disagreement(Exception):
    """The evaluator and the solver give opposite definite answers: never silently picked."""


@dataclass(frozen=True, kw_only=True)
class RuleProof:
    """What a rule takes from the solver: the evaluator's answer, the solver's, and which one
    decides (``verdict``: True = some request gets through, False = proven none, None =
    neither is definite: the rule keeps its own answer)."""

    question: str
    evaluator: str  # ALLOWED | DENIED | CONDITIONAL | UNKNOWN (the representative request)
    answer: Answer | None  # None: not asked (no candidate statements)
    verdict: bool | None
    decided_by: str  # evaluator | solver | none
    shared_with: str | None = None  # the resource whose answer this shape reuses

    def evidence(self, resource: str, show: str) -> dict[str, Any]:
        """The ``proof`` entry of a finding's evidence."""
        a = self.answer
        out: dict[str, Any] = {"question": self.question, "evaluator": self.evaluator,
                               "decided_by": self.decided_by,
                               "status": a.status if a is not None else None,
                               "reason": a.reason if a is not None else None}
        if a is not None:  # no solver time: the same inputs give the same findings
            if a.not_encoded:
                out["not_encoded"] = list(a.not_encoded)
            if a.witness is not None:
                out["witness"] = compact_witness(a.witness, show, resource)
            if a.replay:
                out["replay"] = {k: v for k, v in a.replay.items() if k.startswith(show)}
        if self.shared_with and self.shared_with != resource:
            out["same_shape_as"] = self.shared_with
        return out

    @property
    def summary(self) -> str:
        a = self.answer
        if a is None:
            return "solver: not asked"
        if a.status == WITNESS and a.witness is not None:
            return (f"solver: WITNESS, e.g. {a.witness['principal']} "
                    f"({a.witness['principal_type']} in account "
                    f"{a.witness['principal_account']})")
        if a.status == PROVEN_NONE:
            return "solver: PROVEN_NONE (no outside request gets through)"
        return f"solver: UNKNOWN ({a.reason})"


def compact_witness(witness: Mapping[str, Any], show: str, resource: str) -> dict[str, Any]:
    """A witness as evidence: the principal, and the request ``show`` (secret | key) with the
    keys the policies look at (present with values, or absent)."""
    out: dict[str, Any] = {k: witness.get(k) for k in ("principal", "principal_account",
                                                        "principal_type",
                                                        "permissions_boundary")}
    req = (witness.get("requests") or {}).get(show)
    if req is not None:
        decisive = set(req.get("decisive") or ())
        out["request"] = {
            "action": req.get("action"), "resource": resource,
            "context": {k: v for k, v in (req.get("context") or {}).items() if k in decisive},
            "absent": [k for k in req.get("absent") or () if k in decisive]}
    return out


def named_accounts(policy: Policy | None) -> frozenset[str]:
    """Every account a policy names: principal entries, and the account ids / ARNs compared
    with an account or ARN key (scanner/policy/exposure.py ``ACCOUNT_KEYS``, ``ARN_KEYS``)
    under any operator -- an account a policy mentions is not "anyone"."""
    out: set[str] = set()
    for st in (policy.statements if policy is not None else ()):
        for spec in (st.principal, st.not_principal):
            for e in (spec.aws if spec is not None else ()):
                acct = principal_account(e)
                if acct:
                    out.add(acct)
        for c in st.conditions:
            if c.key in ACCOUNT_KEYS or c.key in ARN_KEYS:
                # read as the operator compares it: an IgnoreCase value case-folded
                # (matching.compared_value; concept review round 4: "ARN:AWS:IAM::
                # 999999999999:ROOT" named no account, and the evaluator's "account no
                # policy names" was 999999999999 for the solver)
                out.update(a for a in (resource_account(compared_value(c.base, v))
                                       for v in c.values) if a)
    return frozenset(out)


def restrict(policy: Policy, indexes: Iterable[int]) -> Policy:
    """The policy with only the Allow statements ``indexes`` and every Deny statement."""
    keep = frozenset(indexes)
    return replace(policy, statements=tuple(
        st for st in policy.statements if st.effect == "Deny" or st.index in keep))


def _principal_type(entry: str) -> str | None:
    arn = parse_arn(entry)
    if arn is None or arn.service != "iam":
        return None
    head = arn.resource.split("/", 1)[0]
    return head if head in ("role", "user") else None


class RuleProver:
    """The solver for the rules of one run (one snapshot, one settings)."""

    def __init__(self, graph: Any, snapshot: Any, settings: AccessSettings,
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.graph = graph
        self.snapshot = snapshot
        self.settings = settings
        self.timeout_s = timeout_s
        self.guardrails = Guardrails(snapshot.organization, snapshot.org_membership,
                                     settings.trust_zone.scanned)
        self.zone = zone_of(settings, snapshot)
        self._views: dict[str, SecretView] | None = None
        self._memo: dict[tuple[object, ...], tuple[Answer, str]] = {}
        self.solved = 0
        self.reused = 0

    # ------------------------------------------------------------------ inputs
    def view(self, arn: str) -> SecretView | None:
        if self._views is None:
            primaries, replicas = secret_views(self.graph, self.settings)
            self._views = {sv.arn: sv for sv in primaries + replicas}
        return self._views.get(arn)

    def _open_key_view(self, sv: SecretView, policy: Policy) -> SecretView:
        """The view with its resource policy cut down and its key open (see module doc)."""
        out = copy.copy(sv)
        out.policy = policy
        out.key_policy = parse_policy(OPEN_KEY)
        out.aws_managed = False
        out.key_account = NOWHERE
        out.key_facts = replace(sv.key_facts, aws_managed=False, usable=Tri.TRUE, reason=None,
                                grants_unread=False)
        if not out.key_arn:
            out.key_arn = f"arn:{partition(sv.arn)}:kms:{sv.region}:{sv.account}:key/open"
        return out

    def _memoized(self, key: tuple[object, ...], subject: str, ask: Any) -> tuple[Answer, str]:
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = (ask(), subject)
            self.solved += 1
        else:
            self.reused += 1
        return hit

    def _matches(self, policy: Policy, action: str, resource: str) -> tuple[object, ...]:
        return resource_matches(policy, action, resource, PolicyKind.RESOURCE)

    def _evaluator(self, policy: Policy, request: Request) -> str:
        """The three-valued evaluator's answer to the same question for one request: the
        policy alone (the RCPs are another gate: module doc)."""
        return evaluate_policy(policy, request, PolicyKind.RESOURCE).decision.value

    # ------------------------------------------------------------------ questions
    def secret_policy(self, arn: str, policy: Policy, indexes: Iterable[int], *,
                      principal: str | None = None,
                      inside: frozenset[str] = frozenset()) -> RuleProof:
        """Can a request from outside get ``secretsmanager:GetSecretValue`` on the secret
        through the Allow statements ``indexes`` of ``policy`` (its resource policy)?
        ``principal``: the external principal the statements name (else: anyone, from an
        account the policy does not name). ``inside``: more accounts treated as inside (the
        rule's allow-list)."""
        question = "external-principal" if principal else "public"
        sv = self.view(arn)
        if sv is None:
            return RuleProof(question=question, evaluator="UNKNOWN", verdict=None,
                             decided_by="none", answer=Answer(
                                 question="outside-read", subject=arn, status=UNKNOWN,
                                 reason="the secret is not in the graph"))
        cut = restrict(policy, indexes)
        named = named_accounts(policy)
        if principal is None:
            zone = self.zone | inside | named
            facts = representative(sv.partition)
        else:
            acct = principal_account(principal) or resource_account(principal) or ""
            zone = (self.zone | inside | named) - {acct}
            ptype = _principal_type(principal)
            if ptype is not None and not any(c in principal for c in "*?"):
                facts = principal_facts(self.snapshot, principal, acct, ptype)
            else:  # an account, or a pattern: its root stands in (the solver is not bound)
                facts = PrincipalFacts(arn=root_arn(acct, partition(arn)), account_id=acct,
                                       principal_type="root")
        request = build_request(facts, principal_context(facts, self.settings), sv.rctx_sm,
                                action=self.settings.action, resource=sv.arn)
        evaluator = self._evaluator(cut, request)
        shape: tuple[object, ...] = (
            "secret", cut.statements, zone - self.zone, sv.account, sv.region,
            tuple(sorted(sv.rctx_sm[0].items())), sv.rctx_sm[1],
            self._matches(cut, self.settings.action, sv.arn))
        if any(k.startswith(_KEYS_WITH_ARN) for k in policy.condition_keys):
            shape += (sv.arn,)
        view = self._open_key_view(sv, cut)
        answer, first = self._memoized(shape, arn, lambda: outside_read(
            view, self.settings, self.guardrails, self.timeout_s, zone, rcps=False))
        return _decide(question, evaluator, answer, first, arn)

    def key_policy(self, key_arn: str, policy: Policy, indexes: Iterable[int], account: str,
                   region: str) -> RuleProof:
        """Can a caller from an account outside the zone that the policy does not name call
        ``kms:Decrypt`` with the key, by any route, through the Allow statements ``indexes``
        of its key policy?"""
        cut = restrict(policy, indexes)
        zone = self.zone | named_accounts(policy)
        template = key_decrypt_template(self.settings, key_arn, account, region)
        evaluator = self._evaluator(cut, template)
        shape: tuple[object, ...] = (
            "key", cut.statements, zone - self.zone, account, region,
            self._matches(cut, self.settings.decrypt_action, key_arn))
        answer, first = self._memoized(shape, key_arn, lambda: outside_decrypt(
            key_arn, cut, account, region, self.settings, self.guardrails, self.timeout_s,
            None, zone, rcps=False))
        return _decide("public", evaluator, answer, first, key_arn)


def _decide(question: str, evaluator: str, answer: Answer, first: str,
            subject: str) -> RuleProof:
    """The evaluator first (ALLOWED: definite), the solver where it is not; a contradiction
    raises Disagreement."""
    shared = first if first != subject else None
    if evaluator == Decision.ALLOWED.value:
        if answer.status == PROVEN_NONE:
            raise Disagreement(
                f"{subject}: the evaluator says ALLOWED for a request from outside, the solver "
                f"says PROVEN_NONE ({answer.reason}): one of them is wrong")
        return RuleProof(question=question, evaluator=evaluator, answer=answer, verdict=True,
                         decided_by="evaluator", shared_with=shared)
    if answer.status == WITNESS:
        return RuleProof(question=question, evaluator=evaluator, answer=answer, verdict=True,
                         decided_by="solver", shared_with=shared)
    if answer.status == PROVEN_NONE:
        return RuleProof(question=question, evaluator=evaluator, answer=answer, verdict=False,
                         decided_by="solver", shared_with=shared)
    return RuleProof(question=question, evaluator=evaluator, answer=answer, verdict=None,
                     decided_by="none", shared_with=shared)



# ---------------------------------------------------------------------------- plans
def plan_proof(graph: Any, snapshot: Any, settings: AccessSettings, *,
               secret_arn: str | None = None, key_arn: str | None = None,
               timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, Any]:
    """After a planned change: does any reader outside the zone remain? For a secret: the
    full outside-read question (resource policy, key policy, RCPs); for a key: outside
    decrypt. ``closes``: True (proven none), False (a witness: the plan does not close the
    exposure), None (unknown, with the reason)."""
    from scanner.policy.smt.questions import Prover

    prover = Prover(graph, snapshot, settings, timeout_s=timeout_s)
    answers: list[Answer] = []
    if secret_arn is not None and secret_arn in prover.views:
        answers.append(prover.secret(secret_arn).read)
    attrs = graph.nodes.get(key_arn) if key_arn is not None else None
    if key_arn is not None and attrs is not None:
        # the key's grants are Allow statements beside its policy's (scanner.policy.kms_grants;
        # conformance trial round 24: the policy's text alone, a grant to an outsider unseen)
        from scanner.policy.kms_grants import grants_unread, key_policy_with_grants

        text = key_policy_with_grants(attrs.get("policy"), attrs.get("grants"))
        answers.append(prover.key(key_arn, parse_policy(str(text)) if text else None,
                                  str(attrs.get("account_id") or ""),
                                  str(attrs.get("region") or ""), "key policy not read",
                                  grants_unread=grants_unread(attrs)))
    if not answers:
        return {"closes": None, "answers": [],
                "reason": "nothing the solver can ask about (resource not in the estate)"}
    statuses = {a.status for a in answers}
    closes = False if WITNESS in statuses else (None if UNKNOWN in statuses else True)
    return {"closes": closes, "answers": [_plan_answer(a) for a in answers]}


def _plan_answer(a: Answer) -> dict[str, Any]:
    out: dict[str, Any] = {"question": a.question, "subject": a.subject, "status": a.status,
                           "reason": a.reason}
    if a.witness is not None:
        show = "key" if a.question == "outside-decrypt" else "secret"
        out["witness"] = compact_witness(a.witness, show, a.subject)
    if a.not_encoded:
        out["not_encoded"] = list(a.not_encoded)
    return out
