"""An Allow in a resource policy (secret or key) to everyone -- Principal ``*`` or
``{"AWS": "*"}``, or Allow with NotPrincipal -- without a condition that narrows who
(aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, aws:SourceVpce, kms:CallerAccount,
...). An ``...IfExists`` condition does not narrow (it is true when the key is absent). The
statements are those of scanner.policy.exposure.public_statements. A statement the policy's
own explicit Deny takes back from every caller outside, or whose own condition (or Resource /
NotResource element) never holds for one (exposure.public_withheld, asked of the access
analysis' ``*`` request), is not
reported, decided before the solver is asked, so the
verdict does not change with ``prove`` (IAM conformance trial round 12): for a secret's
resource policy for each action the statement grants on the secret, the caller's request by any
route (directly or through an AWS service: request.any_route; round 17); for a key policy for each
KMS action it names (exposure.key_granted_actions: ``kms:*`` for ``*`` or NotAction; none,
so nothing granted, for a NotAction of every KMS action or an Action of no KMS action), the
request on the key by any route (scanner.access.context.key_resource_context, the route's keys
unknown). Args: field (policy attribute, default resource_policy). With the config's ``prove``
on, whether some request from
an account outside the zone that the policy does not name gets through those statements (and
the policy's Deny statements; not the RCPs, another gate as the key policy is, so an RCP data
perimeter does not PASS a public grant with prove only: ground-truth trial round 12): the
evaluator's ALLOWED for a representative
outside request, else the SMT solver's WITNESS (FAIL, the request in the evidence) or
PROVEN_NONE (PASS); a solver UNKNOWN keeps the FAIL, with the reason in the evidence
(scanner/policy/smt/use.py)."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.access.context import key_resource_context, public_request
from scanner.access.graph_io import secret_resource_context
from scanner.engine.conditions import FALSE, TRUE, UNKNOWN, Result
from scanner.engine.context import RuleContext
from scanner.engine.predicates._access import with_reader_classes
from scanner.engine.predicates._common import policy_or_unknown
from scanner.engine.predicates._prove import prover
from scanner.policy.evaluate import action_part
from scanner.policy.exposure import (
    covers_action_pattern,
    granted_actions,
    key_granted_actions,
    public_statements,
    standing_public,
    unreadable_grantees,
    withheld_text,
)
from scanner.policy.request import Request, action_dependent, reads_route
from scanner.policy.tri import Tri


#: the policy attributes the rules name (``field``), as a finding says them
POLICY_WORDS = {"resource_policy": "the secret's resource policy", "policy": "the key policy"}


def policy_public(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                  args: Mapping[str, Any]) -> Result:
    field = str(args.get("field", "resource_policy"))
    policy, problem = policy_or_unknown(attrs, field, field, ctx)
    if problem is not None:
        return problem
    # the policy in words in what the finding says: 'resource_policy allows everyone' (an
    # attribute's name) and 'policy allows everyone' (which one?) were the morning's first
    # two lines (user trial round 25)
    named = POLICY_WORDS.get(field, field)
    if policy is None:
        return Result(outcome=FALSE, facts=(("text", f"no {named}"),))
    unreadable = unreadable_grantees(policy)
    if public_statements(policy):
        # a public grant the policy takes back from every outside caller with an explicit
        # Deny grants no one outside: IAM User Guide, "Policy evaluation logic": "An explicit
        # deny in any of these policies overrides the allow" (IAM conformance trial round 12:
        # FAIL without --prove, PASS with it); nor does one whose own condition is false for
        # every outside caller (exposure.never_holds: "The Condition element ... lets you
        # specify conditions for when a policy is in effect"; IAM conformance trial round 13:
        # Allow * under Bool aws:PrincipalIsAWSService "true" FAILed without --prove only). Asked of the access analysis' ``*`` request
        # (scanner.access.context.public_request), decided before the solver is. A key's
        # request is a call on the key by any route (key_resource_context, any_route): a Deny
        # that reads kms:ViaService, aws:CalledVia or the encryption context is undecided
        settings = ctx.index.access_settings
        key = field != "resource_policy"
        rctx = key_resource_context(
            account_id=str(attrs.get("account_id") or ""), region=str(attrs.get("region") or ""),
            settings=settings, key=attrs) if key else \
            secret_resource_context(node_id, attrs, settings)

        def outsider(action: str) -> Request:
            # by any route: a caller outside may read a secret through an AWS service too
            # (aws:ViaAWSService, aws:CalledVia; IAM conformance trial round 17)
            return public_request(settings, rctx, action=action, resource=node_id,
                                  any_route=True)

        def asked(index: int) -> tuple[str, ...] | None:
            if not key:
                return None  # the actions the statement grants on a secret
            return key_granted_actions(next(
                (s for s in policy.statements if s.index == index), None))

        matches, back = standing_public(policy, outsider, actions_of=asked)
        taken = [("text", f"{label} allows everyone, but "
                          f"{withheld_text(denies, 'a caller outside')} from every caller "
                          "outside")
                 for label, denies in back.items() if denies]
        if not matches and not unreadable:
            return Result(outcome=FALSE, facts=tuple(taken), evidence={
                "taken_back": {label: list(d) for label, d in back.items()}})
    else:
        matches = ()
    if not matches:
        if unreadable:  # a grant to whom the policy's text does not say: never PASS
            return Result(outcome=UNKNOWN, missing=unreadable)
        return Result(outcome=FALSE, facts=(("text", f"no unconditional public Allow in {named}"),))
    labels = [m.label for m in matches]
    indexes = [m.index for m in matches]
    matched = [st for st in policy.statements if st.index in indexes]
    text = f"{named} allows everyone without a narrowing condition: {', '.join(labels)}"
    # a clause the grammar does not read narrows nothing that can be relied on: said, not
    # passed over as if the statement had no Condition (IAM conformance trial round 32)
    unread = [f"{st.label}: {x}" for st in matched for x in st.problems]
    if unread:
        text += f" (a condition it could not read: {'; '.join(unread)})"
    evidence: dict[str, Any] = {"statements": labels,
                                "matched_statements": [m.to_json() for m in matches]}
    solver = prover(ctx)
    if solver is not None:
        if field == "resource_policy":
            proof = solver.secret_policy(node_id, policy, indexes)
            show = "secret"
        else:
            proof = solver.key_policy(node_id, policy, indexes,
                                      str(attrs.get("account_id") or ""),
                                      str(attrs.get("region") or ""))
            show = "key"
        evidence["proof"] = proof.evidence(node_id, show)
        # the solver's question is the read -- kms:Decrypt on a key, GetSecretValue on a
        # secret: a public statement that grants other actions too (kms:*, NotAction --
        # kms:PutKeyPolicy; secretsmanager:*, PutResourcePolicy) stays public whatever it
        # proves about the read, as without --prove (IAM conformance trial round 12, left by
        # fix-k1: a public kms:* with Decrypt alone denied PASSed with --prove; round 32: the
        # secret's side alike)
        read = "secretsmanager:GetSecretValue" if field == "resource_policy" else "kms:Decrypt"
        beyond = sorted({a for st in matched for a in (
            granted_actions(st) if field == "resource_policy" else key_granted_actions(st))
            if a.lower() != read.lower()})
        # what the proof shows of the read holds for those other actions when no Deny of the
        # policy tells them apart (the statements' conditions then block every action alike);
        # a Deny that may apply to the read but does not cover all of them (Deny kms:Decrypt
        # alone) does -- one that never applies to the read (Deny DeleteSecret) is not in
        # the proof
        specific = [st for st in policy.statements if st.effect == "Deny"
                    and action_part(st, read) is not Tri.FALSE
                    and not all(covers_action_pattern(st, a) for a in beyond)] if beyond else []
        # nor when a statement's condition reads a key only some actions carry
        # (request.action_dependent: kms:GrantIsForAWSResource, absent from Decrypt, present
        # on the CreateGrant a service makes; IAM conformance trial round 17: PASS with
        # --prove, FAIL without)
        if beyond and not specific:
            specific = [st for st in matched if any(
                action_dependent(c.key) for c in st.conditions)]
        # nor of a statement that does not grant the read at all (Allow * PutResourcePolicy,
        # NotAction kms:Decrypt): "none gets the read through it" is then its Action element,
        # not its conditions (IAM User Guide, "IAM JSON policy elements: Action"; IAM
        # conformance trial round 32: such a grant PASSed with --prove, FAILed without)
        if beyond and not specific:
            specific = [st for st in matched if action_part(st, read) is Tri.FALSE]
        # the solver's question on a secret is the caller's own GetSecretValue: a policy that
        # reads the route (aws:ViaAWSService, aws:CalledVia) may let a request through a
        # service in where the proof shows none of the caller's own gets through -- the
        # verdict stays the evaluator's, as without --prove (IAM conformance trial round 17)
        via_service = field == "resource_policy" and reads_route(policy.condition_keys)
        if proof.verdict is False and via_service:
            text = (f"{text} (no request of a caller outside gets GetSecretValue through them "
                    "on its own (proven), but the policy reads the route of a request: "
                    "through an AWS service one may)")
        elif proof.verdict is False and specific:
            text = (f"{text} (no outside request gets {read} through them (proven), but "
                    f"they also grant everyone {', '.join(beyond)})")
        elif proof.verdict is False:
            return Result(outcome=FALSE, facts=(("text", f"{text}, but no request from "
                                                 f"outside gets through them (proven)"),),
                          evidence=evidence)
        elif proof.decided_by != "evaluator":
            text = f"{text} ({proof.summary})"
    evidence = with_reader_classes(ctx, node_id, evidence)
    # what keeps a caller outside out today, as secret-policy-external-account says it of an
    # account (user trial round 25: the demo's CRITICAL said only 'allows everyone' while
    # `access --prove` on it answered PROVEN_NONE -- its key lets no one outside decrypt)
    outside = next((c for c in evidence.get("reader_classes") or ()
                    if c.get("subject") == "*"), None)
    if outside is not None and outside.get("decision") == "DENIED" and outside.get("blocked_by"):
        text += "; a caller outside is currently blocked by " + ", ".join(outside["blocked_by"])
    return Result(outcome=TRUE, principals=("*",), facts=(("text", text),), evidence=evidence)
