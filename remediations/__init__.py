"""Remediators: one module per remediation id, listed in one explicit table.

Each module offers REMEDIATION_ID, PERMISSIONS, REVERSIBLE, EXPLICIT_ONLY, EVIDENCE_KEYS and the
functions plan / read_current / apply / verify / undo_call (see remediations/base.py).
"""

from __future__ import annotations

from types import ModuleType

from remediations import (add_peering_route, cancel_key_deletion, enable_key_rotation,
                          enable_secret_rotation, grant_key_decrypt, move_secret_to_cmk,
                          remove_external_grant, replicate_secret, restrict_public_secret_policy)

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


def all_permissions() -> tuple[str, ...]:
    """Every IAM action the remediation role needs (sorted, unique), plus the identity checks."""
    actions = {"sts:GetCallerIdentity", "organizations:DescribeOrganization"}
    for module in REMEDIATORS.values():
        actions.update(module.PERMISSIONS)
    return tuple(sorted(actions))
