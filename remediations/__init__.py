"""Remediators: one module per remediation id, listed in one explicit table.

Each module offers REMEDIATION_ID, PERMISSIONS, REVERSIBLE, EXPLICIT_ONLY, EVIDENCE_KEYS and the
functions plan / apply_to_snapshot / read_current / apply / verify / undo_call (see
remediations/base.py).
"""

from __future__ import annotations

from types import ModuleType
from typing import Mapping

from remediations import (add_peering_route, cancel_key_deletion, enable_key_rotation,
                          enable_secret_rotation, grant_key_decrypt, move_secret_to_cmk,
                          remove_external_grant, replicate_secret, restrict_public_secret_policy)
from scanner.findings import Finding

#: remediation id -> module
REMEDIATORS: dict[str, ModuleType] = {
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

#: rule id -> remediation id, used only when a finding carries no remediation id. Rules whose
#: remediation depends on the evidence (secret-cross-account-access-broken) are not listed, and
#: remove-external-grant is planned only when the finding is selected explicitly.
DEFAULT_FOR_RULE: dict[str, str] = {
    "secret-rotation-disabled": "enable-secret-rotation",
    "secret-uses-aws-managed-key": "move-secret-to-cmk",
    "secret-policy-public": "restrict-public-secret-policy",
    "secret-policy-external-account": "remove-external-grant",
    "vpc-peering-route-missing": "add-peering-route",
    "kms-key-rotation-disabled": "enable-key-rotation",
    "secret-not-replicated": "replicate-secret",
}


#: remediation ids rules emit that stand for several remediators: which one applies depends on
#: the finding's evidence (see resolve_remediation_id)
COMPOSITE = {"repair-cross-account-access"}


def resolve_remediation_id(finding: Finding) -> tuple[str | None, str | None]:
    """(remediation id, None) for the finding, or (None, why not).

    ``repair-cross-account-access`` (rule secret-cross-account-access-broken) becomes
    grant-key-decrypt when evidence ``gates[<principal>].key_policy`` is DENIED; an identity
    policy or SCP that blocks is left to a person.
    """
    rid = finding.remediation.get("id") if isinstance(finding.remediation, Mapping) else None
    if not isinstance(rid, str) or not rid:
        rid = DEFAULT_FOR_RULE.get(finding.rule_id)
        if rid is None:
            return None, "no remediation for this rule"
    if rid not in COMPOSITE:
        return rid, None
    gates_by_principal = finding.evidence.get("gates")
    gates = (gates_by_principal.get(finding.principal or "")
             if isinstance(gates_by_principal, Mapping) else None)
    if finding.evidence.get("blocking_gate") == "key" or (
            isinstance(gates, Mapping) and gates.get("key_policy") == "DENIED"):
        return "grant-key-decrypt", None
    blocked = ", ".join(sorted(g for g, v in (gates or {}).items() if v == "DENIED")) or "unknown"
    return None, (f"the gate that blocks is {blocked}, not the key policy: fix the identity "
                  "policy or SCP by hand")


def all_permissions() -> tuple[str, ...]:
    """Every IAM action the remediation role needs (sorted, unique), plus the identity checks."""
    actions = {"sts:GetCallerIdentity", "organizations:DescribeOrganization"}
    for module in REMEDIATORS.values():
        actions.update(module.PERMISSIONS)
    return tuple(sorted(actions))
