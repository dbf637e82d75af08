"""Combine the gates of one (principal, secret) pair into a decision.

IAM User Guide, "Cross-account policy evaluation logic": a request from another account needs the
resource policy AND the caller's identity policies to allow it. Secrets Manager User Guide,
"Access secrets across accounts": the KMS key policy must also allow kms:Decrypt, and the caller's
identity policy must allow kms:Decrypt on the key; a secret encrypted with aws/secretsmanager can
never be read from another account, and in its own account the caller's Denies, boundary and
SCPs judge its kms:Decrypt too (IAM User Guide, "Forward access sessions": the service that
receives the FAS request "also checks the permissions of the same IAM principal"). Same account: identity policies OR the resource policy (a
resource policy naming the account only delegates to IAM), and the key policy must allow the
principal directly, or trust the account (root) and an identity policy must allow kms:Decrypt.
An explicit Deny anywhere wins (identity, group and boundary policies included, whether or not an
identity Allow matched). Permissions boundaries cap identity grants, and resource-policy grants to
a role ARN, but not grants naming an IAM user directly or naming the role's assumed-role session
(IAM User Guide, "Permissions boundaries for IAM entities"): a grant that may name the session
(a session ARN, or ``*``) past a boundary that does not allow is CONDITIONAL -- the session name
is not in the snapshot -- never a confident DENIED.
A key's KMS grants are Allow statements of its key policy (scanner.policy.kms_grants, read into
``KeyFacts.policy_result``), with one difference from the key policy's: from another account a
grant naming the caller itself needs no identity Allow of kms:Decrypt (KMS Developer Guide,
"Allowing users in other accounts to use a KMS key": "or use grants to manage access"), within
the caller's permissions boundary whoever it names (the user's and the session's exemption holds
within one account only); grants
that could not be read leave the key gate UNKNOWN where the key policy does not allow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scanner.access.identity import UNKNOWN_IDENTITY, IdentityResult
from scanner.access.report import GateVerdict
from scanner.access.scp import GuardrailResult
from scanner.policy.evaluate import PolicyResult, decide
from scanner.policy.tri import Tri, all3, any3


@dataclass(frozen=True, kw_only=True, slots=True)
class KeyFacts:
    """What is known about the secret's key."""

    aws_managed: bool
    usable: Tri  # FALSE: disabled / pending deletion
    policy_result: PolicyResult | None  # None: policy not collected
    reason: str | None = None
    #: the key's grants were read (ListGrants): ``policy_result`` includes them
    #: (scanner.policy.kms_grants); otherwise the key policy's implicit deny says grants
    #: were not collected
    grants_read: bool = False
    #: what the grants alone allow (None: the key has no grant that can apply): a grant
    #: naming another account's principal itself needs no identity Allow of kms:Decrypt
    grants_result: PolicyResult | None = None
    #: ListGrants failed for the key (a coverage entry): a grant may allow what the key
    #: policy does not, so the key policy's implicit deny is not the answer (UNKNOWN)
    grants_unread: bool = False
    #: why the key's Decrypt grants naming the caller (or its account) never apply to
    #: Secrets Manager's Decrypt (scanner.policy.kms_grants.left_out): named when the key
    #: does not allow, where "no Allow statement applies" alone hid them
    grants_left_out: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class GateInputs:
    cross_account: bool
    resource: PolicyResult | None  # None: no resource policy attached
    key: KeyFacts
    id_secret: IdentityResult
    #: the caller's identity for kms:Decrypt on the key (None: no Decrypt judged -- another
    #: account's caller of aws/secretsmanager, ``*``, a key not collected); for
    #: aws/secretsmanager only its Deny and boundary count
    id_key: IdentityResult | None
    scp: GuardrailResult
    is_user: bool
    #: the key lives in another account than the principal (normally: same as cross_account)
    key_cross_account: bool | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Combined:
    decision: str
    gates: dict[str, GateVerdict]
    conditions: tuple[str, ...]
    reasons: tuple[str, ...]
    blocking: tuple[str, ...]  # gates whose verdict blocks the read


#: the key gate's caveat where the key policy does not allow the Decrypt and no Deny applies:
#: a KMS grant, which the scan does not collect, would still allow it. Short: it is part of
#: the message of every secret-cross-account-access-broken row the key policy breaks (the
#: first wording, 108 characters, made findings.json 22 MB larger at 199,527 such rows)
KMS_GRANTS_NOT_COLLECTED = "KMS grants not collected: one may allow the Decrypt"

#: the key gate's unresolved input where ListGrants failed for the key (see coverage)
KMS_GRANTS_NOT_READ = "KMS grants not read (see coverage)"

#: the unresolved input of a resource policy that was not read (its gate is UNKNOWN)
RESOURCE_POLICY_NOT_COLLECTED = "resource policy not collected"


#: a grant's label in its statement's reasons: "statement 0 (KMS grant 0d8a...) Allow applies"
_GRANT_LABEL = re.compile(r"\((KMS grant [^)]*)\)")

#: KMS Developer Guide, "Allowing users in other accounts to use a KMS key"
_GRANT_CITE = ("KMS Developer Guide, Allowing users in other accounts: they cannot use the key "
               "until IAM policies delegate the permissions, \"or use grants\"")


#: IAM User Guide, "Cross-account policy evaluation logic" and "Policy evaluation logic": from
#: another account the caller's boundary limits what stands in for its identity Allow; a user's
#: or a session's exemption holds "Within the same account"
_GRANT_BOUNDARY_CITE = ("IAM User Guide, Cross-account policy evaluation logic: the caller's "
                        "account checks \"any policies that can limit an identity-based "
                        "policy\"; the exemptions of a user or session hold \"Within the same "
                        "account\"")


def _status(allow: Tri, deny: Tri) -> str:
    return decide(allow, deny).value


def _verdict(allow: Tri, deny: Tri, unresolved: tuple[str, ...],
             reasons: tuple[str, ...], status: str | None = None,
             key_unusable: str = "") -> GateVerdict:
    st = status or _status(allow, deny)
    # a gate that does not allow may still carry a Deny that applies only under some condition:
    # that condition is what a CONDITIONAL decision depends on, so it is kept
    keep = st in ("CONDITIONAL", "UNKNOWN") or (deny is Tri.UNKNOWN and st != "NOT_APPLICABLE")
    # IAM User Guide, "Policy evaluation logic": "An explicit deny in any of these policies
    # overrides the allow" -- recorded so that what reads the verdict (remediation) knows an
    # added Allow cannot open this gate (conformance trial round 8)
    return GateVerdict(status=st, conditions=unresolved if keep else (), reasons=reasons,
                       explicit_deny=deny is Tri.TRUE, key_unusable=key_unusable)


#: IAM User Guide, "Permissions boundaries for IAM entities": a resource-based policy's grant
#: to the role ARN "is limited by an implicit deny in a permissions boundary"
_BOUNDARY_CITE = ("IAM User Guide, Permissions boundaries: a grant to the role ARN is limited "
                  "by an implicit deny in a permissions boundary")


#: IAM User Guide, "Permissions boundaries for IAM entities": the entity may perform "only the
#: actions that are allowed by both its identity-based policies and its permissions boundaries"
_BOUNDARY_IAM_CITE = ("IAM User Guide, Permissions boundaries: only the actions allowed by both "
                      "the identity-based policies and the permissions boundary")


def _boundary_text(result: IdentityResult | None, action: str) -> str:
    """The identity result's own words for the boundary that does not allow ``action``."""
    for r in result.reasons if result is not None else ():
        if r.startswith("permissions boundary"):
            return r
    return f"the permissions boundary does not allow {action}"


def combine(g: GateInputs) -> Combined:
    rp = g.resource
    no_policy = Tri.FALSE
    # the key in another account than the caller's (unknown: as the secret's)
    key_cross = g.cross_account if g.key_cross_account is None else g.key_cross_account
    # ---- resource policy gate
    if rp is None:
        rp_allow, rp_direct, rp_deny = no_policy, no_policy, Tri.FALSE
        rp_session = Tri.FALSE
        rp_reasons: tuple[str, ...] = ("no resource policy attached",)
        rp_unresolved: tuple[str, ...] = ()
    else:
        rp_allow, rp_direct, rp_deny = rp.allow, rp.allow_direct, rp.deny
        rp_session = rp.allow_session
        rp_reasons, rp_unresolved = rp.reasons, rp.unresolved
    ids, idk = g.id_secret, g.id_key
    #: the key gate's allow without the role's boundary (None: the boundary does not cap it)
    key_uncapped: Tri | None = None
    #: own-account secret on another account's key: what the key policy itself allows (the
    #: caller's kms:Decrypt Allow is reported at the identity gate)
    key_foreign: Tri | None = None
    # ---- key gate
    k = g.key
    #: a KMS grant naming the caller itself, from another account than the key's
    grant_self = Tri.FALSE
    if k.aws_managed:
        key_allow = Tri.FALSE if g.cross_account else Tri.TRUE
        key_deny = Tri.FALSE
        key_reasons: tuple[str, ...] = (
            ("aws/secretsmanager cannot be used from another account",) if g.cross_account else
            ("aws/secretsmanager allows principals of its own account via Secrets Manager",))
        key_unresolved: tuple[str, ...] = ()
        key_status = None
        if not g.cross_account and not g.is_user and idk is not None and \
                idk.boundary_allow is not Tri.TRUE:
            # its key policy grants "*" (kms:CallerAccount, kms:ViaService): past a boundary
            # that does not allow kms:Decrypt that grant may name the role's session, as for a
            # customer key with the same policy (module docstring)
            key_allow = any3((idk.boundary_allow, Tri.UNKNOWN))
            key_reasons = key_reasons + ("the permissions boundary does not allow kms:Decrypt; "
                                         "the key policy's * grant may name the role's session",)
            key_unresolved = ("which session the aws/secretsmanager key policy's * grant "
                              "names past the permissions boundary",)
    elif k.policy_result is None:
        key_allow, key_deny = Tri.UNKNOWN, Tri.UNKNOWN
        key_reasons = (k.reason or "key policy not collected",)
        key_unresolved = (k.reason or "key policy not collected",)
        key_status = "UNKNOWN"
    else:
        kp = k.policy_result
        key_status = None
        key_deny = kp.deny
        key_unresolved = kp.unresolved
        key_reasons = kp.reasons
        kg = k.grants_result
        if k.grants_unread:
            # the grants could not be read: one may allow the Decrypt, or name the caller
            # itself (below) -- what AWS answers depends on what the scan could not read;
            # standing in for the caller's identity Allow it stays within the caller's
            # boundary (below)
            grant_self = Tri.UNKNOWN if idk is None else \
                all3((Tri.UNKNOWN, idk.boundary_allow))
        elif key_cross and kg is not None:
            # KMS Developer Guide, "Allowing users in other accounts to use a KMS key": they
            # "cannot use the CMK until you attach IAM policies that delegate those
            # permissions, or use grants to manage access to the CMK": a grant naming the
            # caller itself stands in for its identity Allow of kms:Decrypt (one to its
            # account delegates to IAM, as the key policy's account grant does). It stays
            # within the caller's boundary whoever it names -- the role, one of its sessions
            # or an IAM user: IAM User Guide, "Cross-account policy evaluation logic": in the
            # caller's account AWS "checks the identity-based policy and any policies that can
            # limit an identity-based policy"; the user's and the session's exemption from the
            # boundary holds "Within the same account" ("Policy evaluation logic"), as for the
            # secret's and the key's own grants across accounts (IAM conformance trial round
            # 33: another account's user a grant names was ALLOWED past its boundary)
            to_caller = any3((kg.allow_direct, kg.allow_session))
            grant_self = to_caller if idk is None else all3((to_caller, idk.boundary_allow))
        if key_cross:
            key_allow = kp.allow
            if not g.cross_account:  # own-account secret on another account's key
                key_foreign = key_allow
                key_allow = all3((key_allow, any3((idk.allow if idk else Tri.FALSE,
                                                   grant_self))))
        else:
            via_iam = all3((kp.allow, idk.allow if idk else Tri.FALSE))
            direct = kp.allow_direct
            # the key policy's trust of the account, relied on by identity policies that
            # allow kms:Decrypt while the boundary does not: IAM User Guide, "Permissions
            # boundaries for IAM entities": the entity may "perform only the actions that
            # are allowed by both its identity-based policies and its permissions
            # boundaries" -- the boundary blocks, not the key policy, and is reported at the
            # identity gate (IAM conformance trial round 21: "key policy trusts the account;
            # no identity policy allows kms:Decrypt" beside an identity Allow)
            boundary_caps_iam = idk is not None and idk.boundary_allow is Tri.FALSE and \
                idk.policies_allow is not None and idk.policies_allow is not Tri.FALSE and \
                kp.allow is not Tri.FALSE
            via_iam_uncapped = all3((kp.allow, idk.policies_allow)) \
                if boundary_caps_iam and idk is not None and idk.policies_allow is not None \
                else via_iam
            if not g.is_user and idk is not None:
                # a grant to a role ARN is capped by its boundary, one to its session is not
                direct = any3((all3((direct, idk.boundary_allow)), kp.allow_session))
                # what the key policy itself allows: the boundary is reported at the
                # identity gate (docs/access.md: the identity policies "capped by its
                # permissions boundary"; conformance trial round 7)
                key_uncapped = any3((kp.allow_direct, kp.allow_session, via_iam_uncapped))
            elif boundary_caps_iam:
                # a user's key grant by name is not capped; its identity policies are
                key_uncapped = any3((kp.allow_direct, via_iam_uncapped))
            key_allow = any3((direct, via_iam))
            if kp.allow is not Tri.FALSE and kp.allow_direct is not Tri.TRUE and idk and \
                    idk.allow is Tri.FALSE and not boundary_caps_iam:
                key_reasons = key_reasons + ("key policy trusts the account; no identity policy "
                                             "allows kms:Decrypt on the key",)
        if k.grants_left_out and key_allow is not Tri.TRUE:
            key_reasons = key_reasons + k.grants_left_out
        if k.grants_unread:
            if key_allow is not Tri.TRUE and key_deny is not Tri.TRUE and \
                    k.usable is not Tri.FALSE:
                # not assessed, as a key policy that was not read (the access baseline and
                # the rules read the gate as UNKNOWN, not as a condition of the request); a
                # key that cannot decrypt (Disabled, PendingDeletion) is DENIED whatever a
                # grant says (fault-injection trial round 14)
                key_status = "UNKNOWN"
            key_allow = any3((key_allow, Tri.UNKNOWN))
            if key_uncapped is not None:
                key_uncapped = any3((key_uncapped, Tri.UNKNOWN))
            if key_foreign is not None:
                key_foreign = any3((key_foreign, Tri.UNKNOWN))
            key_unresolved = key_unresolved + (KMS_GRANTS_NOT_READ,)
            key_reasons = key_reasons + (KMS_GRANTS_NOT_READ,)
        if k.usable is not Tri.TRUE:
            key_allow = all3((key_allow, k.usable))
            key_reasons = key_reasons + (k.reason or "key state unknown",)
            if key_uncapped is not None:
                key_uncapped = all3((key_uncapped, k.usable))
    # ---- identity gate
    if g.cross_account and key_cross:
        parts = [ids.allow] + ([any3((idk.allow, grant_self))] if idk is not None else [])
        id_allow = all3(parts)
    else:
        # the key is in the caller's own account (or the secret is): the Decrypt, made with
        # the caller's credentials (IAM User Guide, "Forward access sessions"), is a
        # same-account request there, where "an identity-based policy or a resource-based
        # policy" can allow it (IAM User Guide, "Policy evaluation logic") -- the key gate
        # above takes either (``direct`` or ``via_iam``); no identity Allow is needed besides
        # (conformance trial: a key naming the caller's role was DENIED at identity_policy)
        id_allow = ids.allow
    id_deny = any3([ids.deny] + ([idk.deny] if idk is not None else []))
    # for aws/secretsmanager only the Decrypt's Denies matter (no identity Allow is needed)
    idk_shown = idk is not None and not (k.aws_managed and idk.deny is Tri.FALSE)
    # one entry per input: the GetSecretValue and the Decrypt name the same ones ("identity
    # policies not collected" was shown twice in `access --why`; new-user trial round 24)
    id_unresolved = tuple(dict.fromkeys(
        ids.unresolved + (idk.unresolved if idk is not None and idk_shown else ())))
    # the Decrypt's reason once more only where it is its own: "identity policies not
    # collected" is the same input for both actions (new-user trial round 25: three times in
    # `access --why` for a principal of an account whose IAM was not read)
    id_reasons = ids.reasons + (tuple(f"kms:Decrypt: {r}" for r in idk.reasons
                                      if r not in ids.reasons
                                      or r not in UNKNOWN_IDENTITY.reasons)
                                if idk is not None and idk_shown else ())
    if g.cross_account and key_cross and idk is not None and idk.allow is not Tri.TRUE and \
            grant_self is not Tri.FALSE and k.grants_result is not None:
        # `access --why`: what stands in for the missing kms:Decrypt Allow (conformance trial
        # round 24: the gate was ALLOWED with only "no identity policy ... allows it" to show)
        named = ", ".join(dict.fromkeys(m.group(1) for r in k.grants_result.reasons
                                        for m in _GRANT_LABEL.finditer(r)))
        id_reasons = id_reasons + (
            f"kms:Decrypt: {named or 'a KMS grant'} names the caller: it stands in for an "
            f"identity Allow ({_GRANT_CITE})"
            + ("" if grant_self is Tri.TRUE else " under the condition shown"),)
    elif g.cross_account and key_cross and idk is not None and idk.allow is not Tri.TRUE and \
            idk.boundary_allow is Tri.FALSE and k.grants_result is not None and \
            any3((k.grants_result.allow_direct, k.grants_result.allow_session)) \
            is not Tri.FALSE:
        # a grant names the caller but cannot stand in past its boundary: said, where the
        # reasons showed the boundary and "no identity policy allows" alone (IAM conformance
        # trial round 33)
        named = ", ".join(dict.fromkeys(m.group(1) for r in k.grants_result.reasons
                                        for m in _GRANT_LABEL.finditer(r)))
        id_reasons = id_reasons + (
            f"kms:Decrypt: {named or 'a KMS grant'} names the caller but stays within its "
            f"permissions boundary ({_GRANT_BOUNDARY_CITE})",)
    id_status = "UNKNOWN" if "identity policies not collected" in ids.unresolved else None
    if k.grants_unread and g.cross_account and key_cross and idk is not None and \
            idk.allow is not Tri.TRUE and id_allow is Tri.UNKNOWN and id_deny is not Tri.TRUE:
        # only a grant the scan could not read may stand in for the kms:Decrypt Allow
        id_status = "UNKNOWN"
        id_unresolved = id_unresolved + (KMS_GRANTS_NOT_READ,)
    # likewise a resource policy that was not read (graph_io.SecretView.unread_result): the
    # gate could not be assessed; the decision stays CONDITIONAL on it (docs/access.md: "a
    # policy that was not collected"), the access baseline reads the gate as UNKNOWN
    rp_status = "UNKNOWN" if RESOURCE_POLICY_NOT_COLLECTED in rp_unresolved else None
    # ---- a boundary that blocks a grant to the role ARN: reported at the identity gate, the
    # grant's own gate shows what its policy allows (the decision is unchanged: the identity
    # gate takes the capped answer, which is never above the uncapped one)
    boundary_blocks: list[str] = []
    key_shown = key_allow
    if key_uncapped is not None and key_uncapped is not key_allow:
        key_shown = key_uncapped
        if k.policy_result is not None and k.policy_result.allow_direct is Tri.FALSE and \
                k.policy_result.allow_session is Tri.FALSE:
            # no grant to the role or user itself: the key trusts the account, and the
            # boundary caps the identity policies that grant kms:Decrypt there
            key_reasons = key_reasons + ("key policy trusts the account; the identity "
                                         "policies' kms:Decrypt Allow is capped by the "
                                         "permissions boundary (see identity_policy)",)
            boundary_blocks.append(f"kms:Decrypt: {_boundary_text(idk, 'kms:Decrypt')}: it "
                                   f"caps the identity policies' kms:Decrypt Allow that the "
                                   f"key policy's trust of the account relies on "
                                   f"({_BOUNDARY_IAM_CITE})")
        else:
            key_reasons = key_reasons + ("its grant to the role ARN is limited by the "
                                         "permissions boundary (see identity_policy)",)
            boundary_blocks.append(f"kms:Decrypt: {_boundary_text(idk, 'kms:Decrypt')}: it "
                                   f"limits the key policy's grant to the role ARN "
                                   f"({_BOUNDARY_CITE})")
    # ---- an own-account secret on another account's key: "the key policy must allow ... and
    # the caller's identity policy" (IAM User Guide, "Cross-account policy evaluation logic"),
    # so a missing kms:Decrypt Allow of the caller is an identity-side gap, reported there as
    # for a cross-account secret; the key gate shows what its policy allows (ground-truth
    # trial round 13: DENIED at key_policy with "statement 1 Allow applies")
    foreign_key_blocks = False
    if key_foreign is not None and key_foreign is not Tri.FALSE and key_uncapped is None and \
            any3((idk.allow if idk else Tri.FALSE, grant_self)) is not Tri.TRUE:
        foreign_key_blocks = True
        key_shown = all3((key_foreign, k.usable))
        key_reasons = key_reasons + ("the key is in another account: the caller's identity "
                                     "policy must allow kms:Decrypt on it too (see "
                                     "identity_policy)",)
    if not k.aws_managed and k.policy_result is not None and key_shown is Tri.FALSE and \
            key_deny is not Tri.TRUE and k.usable is not Tri.FALSE and not k.grants_read and \
            not k.grants_unread:
        # KMS Developer Guide, "KMS key access and permissions": "Grants - You can use grants
        # in combination with the key policy and IAM policies to allow access to a KMS key".
        # Where the key's grants were not read (ListGrants failed, a snapshot from before
        # they were collected) the key policy's implicit deny is said to be the key
        # policy's, not the last word on the key (IAM conformance trial round 22: a reader
        # only a grant lets decrypt was "no Allow statement applies" with nothing said)
        key_reasons = key_reasons + (KMS_GRANTS_NOT_COLLECTED,)
    # ---- guardrails
    scp = g.scp
    # ---- decision
    if g.cross_account:
        allow = all3((rp_allow, key_allow, id_allow, scp.allow))
    else:
        # a resource policy naming the principal directly suffices in its own account; for a
        # role that grant is still capped by its permissions boundary, unless it names the
        # role's session
        rp_same = rp_direct if g.is_user else any3((all3((rp_direct, ids.boundary_allow)),
                                                    rp_session))
        allow = all3((any3((id_allow, rp_same)), key_allow, scp.allow))
        rp_allow = rp_same
        rp_uncapped = rp_direct if g.is_user else any3((rp_direct, rp_session))
        if rp_uncapped is not rp_same:
            # the identity Allow is capped by the same boundary (IdentityResult.allow), so
            # the identity gate already does not allow what the boundary blocks
            rp_allow = rp_uncapped
            rp_reasons = rp_reasons + ("its grant to the role ARN is limited by the "
                                       "permissions boundary (see identity_policy)",)
            boundary_blocks.append(
                f"{_boundary_text(ids, 'secretsmanager:GetSecretValue')}: it limits the "
                f"resource policy's grant to the role ARN ({_BOUNDARY_CITE})")
    deny = any3((rp_deny, key_deny, id_deny, scp.deny))
    id_shown = id_allow
    if key_shown is not key_allow:
        id_shown = all3((id_allow, key_allow))
    # first: the gate text shows three; a block's own opening (the boundary's reason it
    # explains) is not said again after it (ground-truth trial round 27)
    id_reasons = tuple(boundary_blocks) + tuple(
        r for r in id_reasons if not any(b.startswith(f"{r}: ") for b in boundary_blocks))
    if id_status is None and (ids.unread_documents or (idk is not None and idk_shown and
                                                       idk.unread_documents)) and \
            _status(id_shown, id_deny) == "CONDITIONAL":
        # a document the gate needs was not collected (the boundary, an attached policy) and
        # what was read does not decide it: not assessed, as for identity policies not
        # collected at all -- the rules answer UNKNOWN, never PASS (ground-truth trial round
        # 19: a boundary absent from the snapshot left the gate CONDITIONAL, and
        # secret-cross-account-access-broken passed the reader). A Deny that was read still
        # denies; the decision stays CONDITIONAL.
        id_status = "UNKNOWN"
    gates = {
        "resource_policy": _verdict(rp_allow, rp_deny, rp_unresolved, rp_reasons,
                                    "NOT_APPLICABLE" if rp is None and not g.cross_account
                                    else rp_status),
        # KMS Developer Guide, "Key states of AWS KMS keys": only an Enabled (or Updating) key
        # works in cryptographic operations (scanner.model.USABLE_KEY_STATES) -- no key-policy
        # statement changes that
        "key_policy": _verdict(key_shown, key_deny, key_unresolved, key_reasons, key_status,
                               key_unusable=(k.reason or "key is not usable")
                               if k.usable is Tri.FALSE and k.policy_result is not None
                               else ""),
        "identity_policy": _verdict(id_shown, id_deny, id_unresolved, id_reasons, id_status),
        "scp": GateVerdict(status=scp.status, conditions=scp.unresolved, reasons=scp.reasons,
                           explicit_deny=scp.deny is Tri.TRUE),
    }
    decision = _status(allow, deny)
    blocking: list[str] = []
    if decision == "DENIED":
        for name, v in gates.items():
            if v.status == "DENIED":
                blocking.append(name)
        if not g.cross_account and "identity_policy" in blocking and \
                gates["resource_policy"].status not in ("DENIED", "NOT_APPLICABLE") and \
                id_deny is not Tri.TRUE and not boundary_blocks and not foreign_key_blocks:
            blocking.remove("identity_policy")
        if not g.cross_account and "resource_policy" in blocking and \
                gates["identity_policy"].status != "DENIED" and rp_deny is not Tri.TRUE:
            blocking.remove("resource_policy")
    conditions: tuple[str, ...] = ()
    if decision == "CONDITIONAL":
        conditions = tuple(dict.fromkeys(c for v in gates.values() for c in v.conditions))
    reasons = tuple(f"{name}: {v.status}" + (f" ({'; '.join(v.reasons[:3])})" if v.reasons
                                             else "") for name, v in gates.items())
    return Combined(decision=decision, gates=gates, conditions=conditions, reasons=reasons,
                    blocking=tuple(blocking))
