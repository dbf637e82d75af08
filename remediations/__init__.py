"""Remediators: one module per remediation id, listed in one explicit table.

Each module satisfies scanner.changes.Remediator (REMEDIATION_ID, PERMISSIONS, REVERSIBLE,
EXPLICIT_ONLY, EVIDENCE_KEYS and plan / simulate / read_current / apply / verify / undo_call);
mypy checks the table against it. Which remediator fixes a finding is the rule's YAML
``remediation.id``, carried on the finding: there is no rule -> remediator table in code.
"""

from __future__ import annotations

from typing import Any, Mapping

from remediations import (add_peering_route, cancel_key_deletion, enable_key_rotation,
                          enable_secret_rotation, grant_key_decrypt, move_secret_to_cmk,
                          remove_external_grant, replicate_secret, restrict_public_secret_policy)
from remediations.grant_key_decrypt import ROTATION_READ
from scanner.changes import Remediator
from scanner.findings import Finding

#: remediation id -> module
REMEDIATORS: dict[str, Remediator] = {
    "enable-secret-rotation": enable_secret_rotation,
    "move-secret-to-cmk": move_secret_to_cmk,
    "grant-key-decrypt": grant_key_decrypt,
    "restrict-public-secret-policy": restrict_public_secret_policy,
    "remove-external-grant": remove_external_grant,
    "add-peering-route": add_peering_route,
    "enable-key-rotation": enable_key_rotation,
    "cancel-key-deletion": cancel_key_deletion,
    "replicate-secret": replicate_secret,
}

#: remediation ids rules emit that stand for several remediators: which one applies depends on
#: the finding's evidence (see resolve_remediation_id) -> (the remediator, the findings it is
#: planned for, in words: `rules show` says so, not "a manual step": new-user trial round 30)
COMPOSITE: Mapping[str, tuple[str, str]] = {
    "repair-cross-account-access": (
        "grant-key-decrypt", "a finding on a secret (not a replica) whose key policy denies"),
    ROTATION_READ: (
        "grant-key-decrypt", "a finding whose rotation role only the key policy denies (not "
        "by an explicit Deny, the key usable)"),
}


def resolve_remediation_id(finding: Finding) -> tuple[str | None, str | None]:
    """(remediation id, None) for the finding, or (None, why not): ``resolve_remediation``
    of its parts."""
    rid = finding.remediation.get("id") if isinstance(finding.remediation, Mapping) else None
    return resolve_remediation(rid, finding.resource.type, finding.principal, finding.evidence)


def resolve_remediation(rid: object, resource_type: str, principal: str | None,
                        evidence: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(remediation id, None) for a finding of these parts (its remediation id, resource type,
    principal and evidence), or (None, why not). The rule engine asks it for the rows of a
    COMPOSITE id (``remediation.automated``), `remediate` for each finding it plans.
    ``grant-rotation-role-read`` (secret-rotation-role-cannot-read): ``_rotation_read``.

    ``repair-cross-account-access`` (rule secret-cross-account-access-broken) becomes
    grant-key-decrypt when evidence ``gates[<principal>].key_policy`` is DENIED; an identity
    policy, SCP or RCP that blocks is left to a person, the reason saying which (evidence
    ``denied_by_policies``), as is the secret policy's own NotPrincipal Deny that denies a
    principal for its permissions boundary, or a role it lists for naming none of its sessions
    (gate ``resource_policy`` DENIED: no Allow added to the key policy lifts it).
    """
    if not isinstance(rid, str) or not rid:
        # the rule's YAML (remediation.id) is the one map from rule to remediator
        return None, "the finding names no remediation (its rule has no remediation.id)"
    if rid not in COMPOSITE:
        return rid, None
    if rid == ROTATION_READ:
        return _rotation_read(evidence)
    if resource_type == "SecretReplica":
        # the replica is read through its own key in its own Region (its encryption context
        # names the replica): grant-key-decrypt edits the primary's key only
        return None, ("a replica's read is fixed on the replica's own key (or the identity "
                      "policy or SCP that blocks it) by hand; grant-key-decrypt edits the "
                      "primary secret's key")
    gates_by_principal = evidence.get("gates")
    gates = (gates_by_principal.get(principal or "")
             if isinstance(gates_by_principal, Mapping) else None)
    own_deny = isinstance(gates, Mapping) and gates.get("resource_policy") == "DENIED"
    if not own_deny and (evidence.get("blocking_gate") == "key" or (
            isinstance(gates, Mapping) and gates.get("key_policy") == "DENIED")):
        return "grant-key-decrypt", None
    denied = sorted(g for g, v in (gates or {}).items() if v == "DENIED")
    # which guardrail blocks, as the finding's evidence names it: the gate ``scp`` is the
    # SCPs of the principal's account and the RCPs of the resource's (conformance trial
    # round 8: a blocking RCP was "fix the identity policy or SCP by hand")
    policies = evidence.get("denied_by_policies")
    names = [str(p) for p in policies] if isinstance(policies, list) else []
    shown = [f"scp ({', '.join(names)})" if g == "scp" and names else g for g in denied]
    fix: list[str] = []
    if "resource_policy" in denied:
        # IAM User Guide, NotPrincipal: it "will always deny any IAM principal that has a
        # permissions boundary policy attached"; the guide recommends ArnNotEquals on
        # aws:PrincipalArn instead (ground-truth trial round 12)
        # and a role it lists without any of its sessions ("Principals must always name a
        # specific session": IAM conformance trial round 36)
        fix.append("the secret policy's Deny with NotPrincipal (it denies a principal with a "
                   "permissions boundary whatever it lists, and a role's sessions unless one "
                   "is named: use ArnNotEquals on aws:PrincipalArn instead)")
    if "identity_policy" in denied:
        fix.append("the principal's identity policy (or its permissions boundary)")
    if "scp" in denied:
        kinds = {n.split(" ", 1)[0] for n in names}
        if "SCP" in kinds:
            fix.append("an SCP on the principal's account, its OUs or the root")
        if "RCP" in kinds:
            fix.append("an RCP on the secret's (or its key's) account, its OUs or the root")
        if not kinds:
            fix.append("the SCP or RCP the finding's reasons name")
    return None, (f"the gate that blocks is {', '.join(shown) or 'unknown'}, not the key "
                  f"policy: fix {' and '.join(fix) or 'that gate'} by hand")


class DefersToFinding(str):
    """A reason not to plan that leaves what was found to the finding's own message ("the
    finding's message says which"): the planner quotes that message after it (``found:
    ...``). A mark on the reason, not words the planner looks for in it."""


def _rotation_read(evidence: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """``grant-rotation-role-read`` (secret-rotation-role-cannot-read) becomes grant-key-decrypt
    when the key policy is the one gate that denies the rotation function's role (evidence
    ``denied_by``), not by an explicit Deny and with the key usable (``explicit_deny``,
    ``key_unusable``: no Allow opens either): a statement for the role, for that secret only
    (grant_key_decrypt.decrypt_change's ``rotator``). Anything else -- the role missing, Lambda
    not trusted, an identity policy, SCP or RCP that denies -- is a person's."""
    denied = evidence.get("denied_by")
    gates = sorted(str(g) for g in denied) if isinstance(denied, list) else []
    explicit = evidence.get("explicit_deny")
    if gates == ["key_policy"] and isinstance(evidence.get("execution_role"), str) and not (
            isinstance(explicit, Mapping) and explicit.get("key_policy")) and \
            not evidence.get("key_unusable"):
        return "grant-key-decrypt", None
    if not gates and isinstance(evidence.get("gates"), Mapping):
        return None, DefersToFinding(
            "the rotation function's role is denied with no single gate to blame (the "
            "finding's message says why): fix it by hand")
    if not gates:
        return None, DefersToFinding(
            "the rotation function's role is missing, or Lambda may not assume it (the "
            "finding's message says which): fix the role by hand")
    return None, (f"the gate that denies the rotation function's role is {', '.join(gates)}"
                  + (" (an explicit Deny, or the key not usable)" if gates == ["key_policy"]
                     else "") + ": fix it by hand as the finding's remediation says")


def all_permissions() -> tuple[str, ...]:
    """Every IAM action the remediation role needs (sorted, unique), plus the identity checks."""
    actions = {"sts:GetCallerIdentity", "organizations:DescribeOrganization"}
    for module in REMEDIATORS.values():
        actions.update(module.PERMISSIONS)
    return tuple(sorted(actions))
