"""One named principal reading one secret: every gate of the access analysis as formulas.

This is ``scanner/access/gates.combine`` (and ``identity._evaluate_identity``,
``scp.Guardrails.evaluate``, ``guard_share.SharedGuardrails._uncached``) over a symbolic
request context, for a concrete principal whose identity policies, permissions boundary and
SCP chain are in the snapshot. Each rule cites the AWS sentence it implements; the evaluator
cites the same ones. Two requests: ``secretsmanager:GetSecretValue`` on the secret (scope
``SM``) and the ``kms:Decrypt`` Secrets Manager makes on the caller's behalf (scope ``KMS``);
every policy evaluated on one request shares that request's keys, the principal's keys are
shared by both.

What the evaluator cannot decide the encoding does not decide either: an input that was not
read (identity policies of an account whose IAM was not read, a managed policy document not
collected, a key policy not collected, a resource policy not read, an OU path not known, a
level of the path with no policy in the data) becomes a fresh boolean with the reason in
``Encoder.not_encoded`` -- so an unsat answer is still a proof, and a satisfying request is a
witness only once the evaluator, replaying it, answers ALLOWED.
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from scanner.access.context import FAS_SHARED_KEYS, FAS_SHARED_PREFIXES
from scanner.access.classes import Interner
from scanner.access.gates import Combined, GateInputs, KeyFacts, combine
from scanner.access.graph_io import SecretView
from scanner.access.guard_share import SharedGuardrails
from scanner.access.identity import IdentityEvaluator, is_root_user
from scanner.access.identity import Principal as IamPrincipal
from scanner.access.scp import RCP, SCP, Guardrails, is_service_linked_role
from scanner.access.settings import AccessSettings
from scanner.model import Organization, OrgMembership
from scanner.policy.evaluate import PolicyKind, evaluate_policy
from scanner.policy.parse import Policy
from scanner.policy.request import Request
from scanner.policy.smt.encode import Encoder, Principal
from scanner.policy.tri import Tri

SM = "secret request"
KMS = "key request"

#: keys with one value for every request of a read (scanner.access.context)
SHARED_KEYS = FAS_SHARED_KEYS
SHARED_PREFIXES = FAS_SHARED_PREFIXES

_T, _F = z3.BoolVal(True), z3.BoolVal(False)


@dataclass(frozen=True)
class Gate:
    """A gate as formulas: (some Allow holds, some Deny applies)."""

    allow: z3.BoolRef
    deny: z3.BoolRef


@dataclass(frozen=True)
class IdentityFormulas:
    allow: z3.BoolRef  # an identity policy allows and the boundary (if any) allows
    deny: z3.BoolRef  # a Deny in an identity policy, a group's policy or the boundary
    boundary_allow: z3.BoolRef  # TRUE without a boundary


# ---------------------------------------------------------------------------- policies used
def identity_policies(principal: IamPrincipal) -> list[Policy]:
    out = [np.policy for np in principal.policies if np.policy is not None]
    if principal.boundary is not None and principal.boundary.policy is not None:
        out.append(principal.boundary.policy)
    return out


def guardrail_policies(guardrails: Guardrails | None) -> list[Policy]:
    if guardrails is None:
        return []
    return [parsed for pairs in guardrails._by_target.values() for _, parsed in pairs]


# ---------------------------------------------------------------------------- identity side
def identity(enc: Encoder, principal: IamPrincipal, req: Request, p: Principal, scope: str,
             label: str) -> IdentityFormulas:
    """identity._evaluate_identity as formulas. IAM User Guide, "Permissions boundaries for
    IAM entities": "An entity's permissions boundary allows it to perform only the actions
    that are allowed by both its identity-based policies and its permissions boundaries."
    "How AWS enforcement code logic evaluates requests": "An explicit deny overrides an
    explicit allow." -- a Deny in any of its policies, its groups' or its boundary."""
    who = principal.arn
    if is_root_user(principal):
        # the root user of an account whose IAM was read: no identity-based policy governs it
        # (identity.ROOT_USER_IDENTITY)
        return IdentityFormulas(allow=_T, deny=_F, boundary_allow=_T)
    if not principal.identity_known:
        why = f"{label}: identity policies of {who} were not collected (its account's IAM " \
              "was not read)"
        return IdentityFormulas(allow=enc.fresh(why), deny=enc.fresh(why),
                                boundary_allow=enc.fresh(why))
    allows: list[z3.BoolRef] = []
    denies: list[z3.BoolRef] = []
    for np in principal.policies:
        if np.policy is None:
            why = f"{label}: {np.name} of {who}: document not collected"
            allows.append(enc.fresh(why))
            denies.append(enc.fresh(why))
            continue
        f = enc.policy(np.policy, req, p, PolicyKind.IDENTITY, scope, SHARED_KEYS,
                       SHARED_PREFIXES, label=f"{label} {np.name}")
        allows.append(f.allow)
        denies.append(f.deny)
    boundary_allow: z3.BoolRef = _T
    if principal.boundary is not None:
        b = principal.boundary
        if b.policy is None:
            boundary_allow = enc.fresh(f"{label}: permissions boundary {b.name} of {who} not "
                                       "collected")
        else:
            f = enc.policy(b.policy, req, p, PolicyKind.IDENTITY, scope, SHARED_KEYS,
                           SHARED_PREFIXES, label=f"{label} boundary {b.name}")
            boundary_allow = f.allow
            denies.append(f.deny)
    any_allow = z3.Or(*allows) if allows else _F
    return IdentityFormulas(allow=z3.And(any_allow, boundary_allow),
                            deny=z3.Or(*denies) if denies else _F,
                            boundary_allow=boundary_allow)


# ---------------------------------------------------------------------------- guardrails
def guardrail(enc: Encoder, guardrails: Guardrails | None, policy_type: str,
              account: str | None, req: Request, p: Principal, scope: str,
              notes: list[str]) -> Gate | None:
    """scp.Guardrails.evaluate as formulas; None: the policy type does not apply (the gate
    is NOT_APPLICABLE). Documents that were not read are fresh booleans (``scp.not_read``).

    IAM User Guide, "How AWS enforcement code logic evaluates requests": "SCPs apply to
    principals of the account where the SCPs are attached" and "RCPs apply to resources of
    the account where the RCPs are attached"; "If the enforcement code does not find any
    applicable Allow statements in the SCPs [RCPs], then the enforcement code returns a final
    decision of Deny." Organizations User Guide: an Allow is needed at every level of the
    account's path (root, each OU, the account), a Deny at any level denies; SCPs do not
    affect the management account or service-linked roles; RCPs do not apply to the
    management account's resources or to service-linked roles, and do apply to principals
    outside the organization (as scanner/access/scp.py, which cites the same). Without
    organization data, ``Guardrails.without_org``: an account in no organization, the
    management account and service-linked roles are exempt; anywhere else an SCP nobody read
    may deny, so allow and deny are fresh booleans (not encoded), as the evaluator's UNKNOWN."""
    label = "SCP" if policy_type == SCP else "RCP"
    if guardrails is None:
        guardrails = Guardrails(None)
    org = guardrails.org
    if org is None:
        if p.concrete is not None and p.concrete.principal_type == "role" and \
                is_service_linked_role(p.concrete.principal_arn):
            return None
        unread = guardrails.without_org(policy_type, account, req)
        if unread.status == "NOT_APPLICABLE":
            return None
        why = f"{scope}: {unread.reasons[0]}"
        return Gate(allow=enc.fresh(why), deny=enc.fresh(why))
    enabled = org.policy_types_enabled
    if enabled is not None and policy_type not in enabled:
        return None  # "a policy type that is not enabled at the root has no effect"
    if account is None or account not in guardrails._parents:
        return None
    if p.concrete is not None and p.concrete.principal_type == "role" and \
            is_service_linked_role(p.concrete.principal_arn):
        return None
    if account == org.management_account_id:
        return None
    collected = guardrails.collected if policy_type == SCP else guardrails.rcps_collected
    if not collected:
        # scp.not_read: a document nobody read may deny ("an explicit Deny statement in an
        # SCP at any level ... denies"): not encoded, as the evaluator's unknown allow / deny
        why = f"{scope}: {label}s not collected (not assessed)"
        return Gate(allow=enc.fresh(why), deny=enc.fresh(why))
    if policy_type == RCP and not guardrails.rcps_listed:
        return None
    chain = guardrails.path(account)
    if chain is None:
        why = f"{scope}: the OU path of {account} is not known ({label}s)"
        return Gate(allow=enc.fresh(why), deny=enc.fresh(why))
    kind = PolicyKind.SCP if policy_type == SCP else PolicyKind.RCP
    levels: list[z3.BoolRef] = []
    denies: list[z3.BoolRef] = []
    for target in chain:
        attached = guardrails._by_target.get((policy_type, target), [])
        missing = guardrails.unread_at(policy_type, target)
        if not attached and not missing:
            levels.append(enc.fresh(f"{scope}: no {label} attached at {target} in the data"))
            continue
        allows = []
        for u in missing:
            # a policy not read (Guardrails._walk): its Allow and its Deny are not encoded
            why = f"{scope}: {label} {u.name or u.policy_id} at {target} not read"
            allows.append(enc.fresh(why))
            denies.append(enc.fresh(why))
        for cp, parsed in attached:
            f = enc.policy(parsed, req, p, kind, scope, SHARED_KEYS, SHARED_PREFIXES,
                           label=f"{scope} {label} {cp.name}")
            allows.append(f.allow)
            denies.append(f.deny)
        levels.append(z3.Or(*allows))
    return Gate(allow=z3.And(*levels), deny=z3.Or(*denies) if denies else _F)


def guardrails_gate(enc: Encoder, guardrails: Guardrails | None, sv: SecretView,
                    account: str | None, sm: Request, kms: Request | None, p: Principal,
                    notes: list[str]) -> Gate:
    """guard_share.SharedGuardrails._uncached: the caller account's SCPs on both requests,
    the secret account's RCPs on GetSecretValue, the key account's RCPs on kms:Decrypt (not
    for aws/secretsmanager)."""
    parts = [guardrail(enc, guardrails, SCP, account, sm, p, SM, notes),
             guardrail(enc, guardrails, RCP, sv.account, sm, p, SM, notes)]
    if kms is not None:
        # the Decrypt is the caller's: its SCPs judge it; RCPs do not apply to AWS managed
        # keys (KMS Developer Guide, "Resource control policies")
        parts.append(guardrail(enc, guardrails, SCP, account, kms, p, KMS, notes))
        if not sv.aws_managed:
            parts.append(guardrail(enc, guardrails, RCP, sv.key_account, kms, p, KMS, notes))
    applicable = [g for g in parts if g is not None]
    if not applicable:
        return Gate(allow=_T, deny=_F)
    return Gate(allow=z3.And(*[g.allow for g in applicable]),
                deny=z3.Or(*[g.deny for g in applicable]))


# ---------------------------------------------------------------------------- the pair
def read_formula(enc: Encoder, sv: SecretView, principal: IamPrincipal,
                 guardrails: Guardrails | None, sm: Request, kms: Request | None,
                 p: Principal, notes: list[str]) -> z3.BoolRef:
    """gates.combine as one formula: the read is allowed and no explicit Deny applies."""
    facts = principal.facts
    cross = facts.account_id != sv.account
    is_user = facts.principal_type == "user"
    # the session grants matter only past a boundary (without one, any grant that may name
    # the session names the role directly too: evaluate._statement)
    sessions = facts.principal_type == "role" and facts.has_boundary

    # ---- resource policy
    if sv.policy is None and sv.unread_result is not None:
        why = "resource policy: not read (see coverage)"
        rp_allow, rp_direct, rp_deny = enc.fresh(why), enc.fresh(why), enc.fresh(why)
        rp_session: z3.BoolRef = enc.fresh(why) if sessions else _F
    elif sv.policy is None:
        rp_allow = rp_direct = rp_deny = rp_session = _F  # no resource policy attached
    else:
        f = enc.policy(sv.policy, sm, p, PolicyKind.RESOURCE, SM, SHARED_KEYS, SHARED_PREFIXES,
                       label="resource policy", sessions=sessions and not cross)
        rp_allow, rp_direct, rp_deny, rp_session = f.allow, f.direct, f.deny, f.session

    ids = identity(enc, principal, sm, p, SM, "identity (GetSecretValue)")
    idk: IdentityFormulas | None = None
    #: the caller's identity Allow of kms:Decrypt, or a KMS grant naming it (another account)
    idk_allow: z3.BoolRef | None = None

    # ---- key policy. Secrets Manager User Guide, "Access secrets across accounts": the key
    # policy must allow kms:Decrypt for the caller and "the identity policy ... must allow
    # kms:Decrypt on the key"; "you can't use the AWS managed key aws/secretsmanager" across
    # accounts. KMS Developer Guide, "Key policies": in its own account a key policy that
    # allows the account (root) delegates to IAM policies; one naming the principal suffices.
    kf = sv.key_facts
    key_cross = facts.account_id != sv.key_account
    if kf.aws_managed:
        key_allow: z3.BoolRef = _F if cross else _T
        key_deny: z3.BoolRef = _F
        if not cross and kms is not None:
            # IAM User Guide, "Forward access sessions": the Decrypt Secrets Manager makes is
            # judged by the caller's own policies too -- its Denies (the identity gate below)
            # and, for a role, its boundary: the key policy's "*" grant past a boundary that
            # does not allow kms:Decrypt may name the session (gates.combine)
            idk = identity(enc, principal, kms, p, KMS, "identity (kms:Decrypt)")
            if not is_user:
                key_allow = z3.Or(idk.boundary_allow, enc.fresh(
                    "which session the aws/secretsmanager key policy's * grant names past "
                    "the permissions boundary") if sessions else _F)
    elif kms is None:  # no key ARN known
        why = f"key: {kf.reason or 'not known'}"
        key_allow, key_deny = enc.fresh(why), enc.fresh(why)
    else:
        idk = identity(enc, principal, kms, p, KMS, "identity (kms:Decrypt)")
        idk_allow = idk.allow
        if sv.key_policy is None:
            why = f"key policy: {kf.reason or 'not collected'}"
            key_allow, key_deny = enc.fresh(why), enc.fresh(why)
        else:
            kp = enc.policy(sv.key_policy, kms, p, PolicyKind.RESOURCE, KMS, SHARED_KEYS,
                            SHARED_PREFIXES, label="key policy",
                            sessions=sessions and not key_cross)
            key_deny = kp.deny
            if kf.grants_unread:
                # ListGrants failed: a grant may allow the Decrypt or name the caller
                # (gates.combine)
                grant_self = enc.fresh("key: KMS grants not read (see coverage)")
                idk_allow = z3.Or(idk.allow, z3.And(grant_self, idk.boundary_allow))
            elif key_cross and sv.key_grants is not None:
                # a KMS grant naming the caller itself stands in for its identity Allow of
                # kms:Decrypt from another account (gates.combine, scanner.policy.kms_grants),
                # within the caller's boundary whoever it names: the user's and the session's
                # exemption holds within one account only (IAM User Guide, "Policy evaluation
                # logic"; IAM conformance trial round 33)
                kg = enc.policy(sv.key_grants, kms, p, PolicyKind.RESOURCE, KMS, SHARED_KEYS,
                                SHARED_PREFIXES, label="KMS grants", sessions=sessions)
                grant_self = z3.And(z3.Or(kg.direct, kg.session), idk.boundary_allow)
                idk_allow = z3.Or(idk.allow, grant_self)
            if key_cross:
                key_allow = kp.allow
                if not cross:  # own-account secret on another account's key
                    key_allow = z3.And(key_allow, idk_allow)
            else:
                via_iam = z3.And(kp.allow, idk.allow)
                direct = kp.direct
                if not is_user:
                    # a grant to a role ARN is capped by its boundary, one to its session is
                    # not (IAM User Guide, "Permissions boundaries for IAM entities")
                    direct = z3.Or(z3.And(direct, idk.boundary_allow), kp.session)
                key_allow = z3.Or(direct, via_iam)
            if kf.grants_unread:
                key_allow = z3.Or(key_allow, grant_self)
            if kf.usable is Tri.FALSE:
                key_allow = _F
            elif kf.usable is Tri.UNKNOWN:
                key_allow = z3.And(key_allow, enc.fresh(f"key: {kf.reason or 'state unknown'}"))

    # ---- identity gate. IAM User Guide, "Access management for AWS resources": "If you need
    # to make a request in a different account, a policy in the other account must allow you
    # to access the resource. And the IAM entity that you use to make the request must have an
    # identity-based policy that allows the request." -- for the secret and for the key.
    # A key in the caller's own account takes the Decrypt as a same-account request (the key
    # gate above: the key policy naming the caller, or trusting the account with an identity
    # Allow), so only a key in another account adds the identity Allow here (gates.combine).
    if idk is not None and idk_allow is None:
        idk_allow = idk.allow
    id_allow = z3.And(ids.allow, idk_allow) if cross and idk_allow is not None and key_cross \
        else ids.allow
    id_deny = z3.Or(ids.deny, idk.deny) if idk is not None else ids.deny

    guard = guardrails_gate(enc, guardrails, sv, facts.account_id, sm, kms, p, notes)

    # ---- decision. "An explicit deny overrides an explicit allow." Cross account: the
    # resource policy AND the caller's identity policies (above). Same account ("Policy
    # evaluation for requests within a single account"): "If either the identity-based policy
    # or the resource-based policy within the same account allows the request and the other
    # doesn't, the request is still allowed" -- a grant naming the account only delegates to
    # IAM; and ("Permissions boundaries for IAM entities") "an implicit deny in a permissions
    # boundary does limit the permissions granted to the ARN of the underlying IAM role ... by
    # the resource-based policy. However, if the resource-based policy grants permission
    # directly to the session principal (assumed-role ARN ...), an implicit deny in the
    # permissions boundary does not limit those permissions"; "an implicit deny in a
    # permissions boundary does not limit the permissions granted to an IAM user by a
    # resource-based policy".
    if cross:
        allow = z3.And(rp_allow, key_allow, id_allow, guard.allow)
    else:
        rp_same = rp_direct if is_user else z3.Or(z3.And(rp_direct, ids.boundary_allow),
                                                  rp_session)
        allow = z3.And(z3.Or(id_allow, rp_same), key_allow, guard.allow)
    deny = z3.Or(rp_deny, key_deny, id_deny, guard.deny)
    return z3.And(allow, z3.Not(deny))


def policies_of(sv: SecretView, principal: IamPrincipal,
                guardrails: Guardrails | None) -> list[Policy]:
    """Every document the read formula may encode (to plan key types and bounds)."""
    out = [pol for pol in (sv.policy, sv.key_policy, sv.key_grants) if pol is not None]
    return out + identity_policies(principal) + guardrail_policies(guardrails)


# ---------------------------------------------------------------------------- replay
def replay(sv: SecretView, principal: IamPrincipal, settings: AccessSettings,
           org: Organization | None, sm: Request, kms: Request | None,
           membership: OrgMembership | None = None,
           scanned: frozenset[str] | None = None) -> Combined:
    """The three-valued evaluator on the witness's two requests, gate by gate, combined the
    way the access analysis combines them (pair_eval.PairEvaluator._evaluate_class).
    ``membership``: without ``org``, the snapshot's ``org_membership``; ``scanned``: the
    scan's accounts (Guardrails.scanned)."""
    facts = principal.facts
    rp = evaluate_policy(sv.policy, sm, PolicyKind.RESOURCE) if sv.policy is not None \
        else sv.unread_result
    kp = evaluate_policy(sv.key_policy, kms, PolicyKind.RESOURCE) \
        if sv.uses_kms and sv.key_policy is not None and kms is not None else None
    ie = IdentityEvaluator()
    ids = ie.evaluate(principal, settings.action, sv.arn, lambda: sm)
    idk = ie.evaluate(principal, settings.decrypt_action, sv.key_arn or "",
                      lambda: kms) if sv.uses_kms and sv.key_arn and kms is not None else None
    if sv.aws_managed and sv.decrypt_arn and kms is not None and \
            facts.account_id == sv.account:
        idk = ie.evaluate(principal, settings.decrypt_action, sv.decrypt_arn, lambda: kms)
    shared = SharedGuardrails(org, Interner(), membership, scanned)
    # the principal context as scanner.access.classes.Contexts holds it, without value views
    pctx: tuple[object, ...] = (dict(sm.context), set(sm.absent), dict(sm.excluded), {})
    scp = shared.result(principal, sv, pctx, lambda: sm,
                        lambda: kms if kms is not None else sm)
    kg = evaluate_policy(sv.key_grants, kms, PolicyKind.RESOURCE) \
        if kp is not None and sv.key_grants is not None and kms is not None and \
        facts.account_id != sv.key_account else None
    key = sv.key_facts if kp is None else KeyFacts(
        aws_managed=False, usable=sv.key_facts.usable, policy_result=kp,
        reason=sv.key_facts.reason, grants_read=sv.key_facts.grants_read, grants_result=kg,
        grants_unread=sv.key_facts.grants_unread)
    return combine(GateInputs(cross_account=facts.account_id != sv.account, resource=rp,
                              key=key, id_secret=ids, id_key=idk, scp=scp,
                              is_user=facts.principal_type == "user",
                              key_cross_account=facts.account_id != sv.key_account))
