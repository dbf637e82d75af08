"""The secret's resource policy allows principals of an account outside the trust zone (the
organization when read, the scanned accounts and the config's ``trusted_accounts``: see
scanner/policy/trust_zone.py) and outside the allow-list (parameter ``allowed_accounts``: the
config's ``allowed_external_accounts``, one list with the access analysis' -- the parameter is
another name of it, scanner.engine.config). Without an organization any other account is
outside. A principal is named in Principal or in a narrowing condition of a ``*`` statement
(aws:PrincipalAccount, aws:PrincipalArn, aws:userid ``123456789012:*``, ...); the statements are
those of scanner.policy.exposure.outside_zone_grants. A ``*`` statement narrowed only to a role
by its unique id (aws:userid ``AROA<id>:*``) that no principal of the snapshot has (IAM's RoleId
/ UserId of the scanned accounts' principals: those are inside the zone) names a principal whose
account the snapshot does not hold: UNKNOWN when nothing else is external
(exposure.unknown_account_grants), as is a
Principal ARN with a wildcard in its account (``arn:aws:iam::*:root``: not valid IAM), and an
Allow whose Principal element is not valid IAM at all (a string ARN: exposure.unreadable_grantees;
so do secret-policy-public, kms-key-policy-public and secret-policy-overbroad-actions). The grant
is reported whether or not another gate (key policy, identity policy, SCP, RCP) currently
blocks it, with ``prove`` or without; the evidence names the blocking gates (``blocked_by``; the SCPs and RCPs behind ``scp``, by
kind and name, in ``denied_by_policies`` and the message), or, where the access analysis has no
verdict for the grantee (one named only by a condition of a ``*`` statement, another
organization; analysis not run), says so (``blocked_by`` null and ``gates_note``) rather than
an empty list that reads as open.
A principal of another partition than the secret's is outside the zone (TrustZone.contains)
and can never read the secret: its message says so (the access analysis has no path for it).
A grant the policy takes back is not reported: for every action the Allow grants on the
secret, one of its Deny statements applies to the principal for certain
(exposure.taken_back; IAM User Guide, "Policy evaluation logic": "An explicit deny in any of
these policies overrides the allow"), or the Allow's own condition is false for the principal's
request for certain (exposure.never_holds: Bool aws:PrincipalIsAWSService "true" on a grant to
an account; IAM conformance trial round 13); a CONDITIONAL Deny or condition takes nothing
back. The result says
which Deny (evidence ``taken_back``). Decided before the solver is asked, so the verdict does
not change with ``prove``.
One FAIL per external principal. With the config's ``prove`` on, per principal: whether some
GetSecretValue request of it gets through the statements naming it (and the policy's Deny
statements; not the RCPs, another gate: ground-truth trial round 12, an RCP data perimeter
made the grant PASS with --prove only): the evaluator's ALLOWED, else the SMT solver's WITNESS (FAIL, the
request in the evidence) or PROVEN_NONE (the principal is not reported -- unless the statements
grant it other actions no Deny takes back: exposure.grant_left); a solver UNKNOWN keeps the
FAIL, with the reason in the evidence (scanner/policy/smt/use.py)."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.access.graph_io import secret_resource_context
from scanner.engine.conditions import FALSE, TRUE, UNKNOWN, Result
from scanner.engine.context import RuleContext
from scanner.engine.predicates._access import blocking_guardrails, with_reader_classes
from scanner.engine.predicates._common import policy_or_unknown
from scanner.engine.predicates._prove import prover
from scanner.policy.arn import (partition, principal_account, resource_account,
                                root_arn)
from scanner.policy.exposure import (
    READ_ACTION, grant_left, granted_partition, outside_zone_grants, principals_of,
    taken_back_principals, unknown_account_grants, unreadable_grantees, withheld_text,
)
from scanner.policy.narrowing import is_organization
from scanner.policy.request import reads_route
from scanner.policy.trust_zone import EVIDENCE_KEY as ZONE_EVIDENCE


#: what the evidence says when the access analysis has no verdict for a grantee
NOT_EVALUATED = ("other gates not evaluated: the access analysis evaluates the principals a "
                 "Principal element names (and the classes a * grant reaches inside the trust "
                 "zone), not a grantee named only by a condition of a * statement")


#: the note for a grantee of another partition than the secret's: the access analysis leaves
#: it out (scanner.access.grants.named_principals), it reads nothing. "You cannot use IAM
#: credentials from one partition to interact with resources in a different partition" (AWS
#: fault isolation boundaries whitepaper, "Partitions"; conformance trial round 8)
OTHER_PARTITION = ("a principal of another partition than the secret's: it can never read "
                   "the secret (partitions are separate)")


def _gates(ctx: RuleContext, secret: str, entry: str
           ) -> tuple[dict[str, str] | None, list[str] | None, str | None, list[str]]:
    """(the gate verdicts of the principal's access path, the gates that block it, None) from
    the access analysis: its recorded path (the entry itself, or its account's root for an
    account grantee: an outside account named in Principal always has one, its root standing
    in for principals whose IAM is not read; an account grantee is not blocked when the reach
    of its account reads -- a principal of it that another policy names may read where the
    root may not). Where the analysis has no verdict for the
    grantee (it did not run; a grantee named only by a condition of a ``*`` statement, or
    another organization: no path, and no reach class outside the zone), (None, None, why):
    "nothing blocks it" is not known, and an empty list would read as open. The fourth
    value: the SCPs and RCPs that block its ``scp`` gate, by kind and name ([] when none)."""
    granted = granted_partition(entry, partition(secret))
    if granted is not None and granted != partition(secret):
        return None, None, OTHER_PARTITION, []
    if ctx.access is None:
        return None, None, "other gates not evaluated: access analysis did not run", []
    sa = ctx.access.secrets.get(secret)
    if sa is None:
        return None, None, "other gates not evaluated: access analysis of the secret absent", []
    if sa.failed:
        return None, None, f"other gates not evaluated: access analysis of the secret failed " \
            f"({sa.failed})", []
    acct = principal_account(entry) or resource_account(entry)
    # the account's stand-in is its root of the secret's partition (identity.account_stand_in;
    # concept review round 3: a commercial root was looked for in GovCloud, found in no path)
    root = root_arn(acct, partition(secret)) if acct else None
    whole = bool(acct) and entry in (acct, root)
    wanted = {entry} | ({root} if root and whole else set())
    for path in sa.paths:
        if path.principal in wanted:
            gates = dict(path.gate_statuses())
            blocked = sorted(g for g, v in gates.items() if v == "DENIED")
            if whole:
                # an account named whole delegates to its principals (IAM User Guide, "AWS
                # JSON policy elements: Principal"): its root stands for those no policy
                # names, the reach of the account covers every one -- a role of it that the
                # key policy names may read although the root may not (new-user trial round
                # 7: "currently blocked by key_policy" while PartnerReader could read)
                reach = next((r for r in sa.reach if r.subject == f"account:{acct}"), None)
                if reach is not None and reach.reads:
                    blocked = []
            # the scp gate stands for SCPs and RCPs alike: which ones block, by kind and name
            # (ground-truth trial round 9: an RCP's block read "currently blocked by scp")
            guardrails = blocking_guardrails(ctx, path.gates["scp"]) if "scp" in blocked else []
            return gates, blocked, None, guardrails
    return None, None, NOT_EVALUATED, []


def secret_policy_external(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                           args: Mapping[str, Any]) -> Result:
    policy, problem = policy_or_unknown(attrs, "resource_policy", "resource_policy", ctx)
    if problem is not None:
        return problem
    if policy is None:
        return Result(outcome=FALSE, facts=(("text", "no resource policy"),))
    zone = ctx.index.trust_zone
    matches = outside_zone_grants(policy, own_account=attrs.get("account_id"), zone=zone,
                                  allowed=args.get("allowed_accounts") or ())
    if not matches:
        unknown = unknown_account_grants(policy, ctx.index.unique_ids)
        if unknown:
            # aws:userid AROA<id>:* names one role whose account the snapshot does not hold
            # (no principal it read has that unique id): never PASS on what was not read
            # nor on a principal ARN with a wildcard in its account, which AWS does not take
            return Result(outcome=UNKNOWN, missing=tuple(
                f"the account of {v} ({m.condition_key} in {m.label}): no principal of the "
                "snapshot has that unique id" if m.condition_key else
                f"the account of {v} (Principal in {m.label}): a wildcard in a principal's "
                "account is not valid IAM" for m in unknown for v in m.principals))
        unreadable = unreadable_grantees(policy)
        if unreadable:  # a grant to whom the policy's text does not say: never PASS
            return Result(outcome=UNKNOWN, missing=unreadable)
        return Result(outcome=FALSE, facts=(("text", "grants only accounts of the trust zone "
                                                     "or the allow-list"),))
    # a grant the policy takes back with an explicit Deny that applies to the principal for
    # certain grants no one: IAM User Guide, "Policy evaluation logic": "An explicit deny in
    # any of these policies overrides the allow" (ground-truth organization trial round 8:
    # partner/denied was FAIL "currently blocked by resource_policy" without --prove and had
    # no finding with it). One reading, exposure.taken_back, for the rule, remediation and the
    # solver's question; a grant another gate (key policy, SCP) blocks is still reported
    # the secret's side of the request as the access analysis gives it (its organization:
    # the data perimeter by ${aws:ResourceOrgID}, IAM conformance trial round 12)
    rctx = secret_resource_context(node_id, attrs, ctx.index.access_settings)
    back = taken_back_principals(policy, matches, resource=node_id, zone=zone,
                                 resource_ctx=rctx)
    taken = [("text", f"grants {e} in " + ", ".join(m.label for m in matches
                                                    if e in m.principals)
              + f", but {withheld_text(back[e])}") for e in back]
    external = [e for e in principals_of(matches) if e not in back]
    if not external:
        return Result(outcome=FALSE, facts=tuple(taken),
                      evidence={"taken_back": {e: list(v) for e, v in back.items()}})
    proofs: dict[str, Any] = {}

    def beyond_read(e: str) -> list[str]:
        # the solver answers for GetSecretValue: a grant of other actions that no Deny takes
        # back (exposure.grant_left) is still a grant, as without --prove
        return sorted({a for m in matches if e in m.principals
                       for a in grant_left(policy, m, e, resource=node_id, zone=zone,
                                           resource_ctx=rctx)[0]}
                      - {READ_ACTION})

    # the solver's question is the principal's own GetSecretValue: a policy that reads the
    # route (aws:ViaAWSService, aws:CalledVia) may let its request through an AWS service in
    # -- nothing is closed by the proof, as without --prove (IAM conformance trial round 17)
    via_service = reads_route(policy.condition_keys)
    solver = prover(ctx)
    if solver is not None:
        allowed = frozenset(str(a) for a in args.get("allowed_accounts") or ())
        for e in external:
            if is_organization(e):
                continue  # a whole organization: no one principal to put to the solver
            granted = granted_partition(e, partition(node_id))
            if granted is not None and granted != partition(node_id):
                # a principal of another partition: the grant is flagged with OTHER_PARTITION
                # as without --prove -- the solver's PROVEN_NONE (it can never read) does not
                # clear a grant the policy makes to it (IAM conformance trial round 15: FAIL
                # without --prove, PASS with it)
                continue
            proofs[e] = solver.secret_policy(
                node_id, policy, [m.index for m in matches if e in m.principals],
                principal=e, inside=allowed)
        closed = [e for e in external if e in proofs and proofs[e].verdict is False
                  and not beyond_read(e) and not via_service]
        external = [e for e in external if e not in closed]
        if not external:
            return Result(outcome=FALSE, facts=(("text", "grants accounts outside the trust "
                                                 "zone, but no request of theirs gets through "
                                                 "(proven)"),) + tuple(taken),
                          evidence={"proofs": {e: proofs[e].evidence(node_id, "secret")
                                               for e in closed}})
    messages: dict[str, str] = {}
    per: dict[str, dict[str, Any]] = {}
    for e in external:
        stmts = [m for m in matches if e in m.principals]
        where = ", ".join(m.label + (f" (condition {m.condition_key})" if m.condition_key
                                     else "") for m in stmts)
        gates, blocked, note, guardrails = _gates(ctx, node_id, e)
        what = "every account of another organization" if is_organization(e) else \
            "account outside the trust zone and the allow-list"
        text = f"grants {e} ({what}) in {where}"
        if blocked:
            text += "; currently blocked by " + ", ".join(
                f"scp ({', '.join(guardrails)})" if g == "scp" and guardrails else g
                for g in blocked)
        elif note == OTHER_PARTITION:
            text += f"; {OTHER_PARTITION}"
        elif note:
            text += "; other gates not evaluated"
        proof = proofs.get(e)
        if proof is not None and proof.verdict is False and via_service:
            text += (" (solver: no GetSecretValue request of its own gets through, but the "
                     "policy reads the route of a request: through an AWS service one may)")
        elif proof is not None and proof.verdict is False:
            text += (" (solver: no GetSecretValue request of it gets through; still granted: "
                     + ", ".join(beyond_read(e)) + ")")
        elif proof is not None and proof.decided_by != "evaluator":
            text += f" ({proof.summary})"
        messages[e] = text
        per[e] = {"external_principal": e,
                  "matched_statements": [m.to_json() for m in stmts],
                  "gates": gates, "blocked_by": blocked, ZONE_EVIDENCE: zone.to_json()}
        if guardrails:
            per[e]["denied_by_policies"] = guardrails
        if note:
            per[e]["gates_note"] = note
        if proof is not None:
            per[e]["proof"] = proof.evidence(node_id, "secret")
    return Result(outcome=TRUE, principals=tuple(external),
                  facts=tuple(("text", messages[e]) for e in external),
                  evidence=with_reader_classes(ctx, node_id, {
                      "external_principals": external, ZONE_EVIDENCE: zone.to_json(),
                      **({"taken_back": {e: list(v) for e, v in back.items()}}
                         if back else {})}),
                  principal_messages=messages, principal_evidence=per)
