"""Access analysis: who can read each secret, across resource policy, key policy, identity
policy and organization guardrails."""

from scanner.access.analyze import analyze_access
from scanner.access.report import (
    AccessPath,
    AccessReport,
    Breadth,
    ClassVerdict,
    GateVerdict,
    Grant,
    IdentityWildcard,
    KeyAccess,
    Reach,
    SecretAccess,
)
from scanner.access.settings import AccessSettings

__all__ = [
    "AccessPath", "AccessReport", "AccessSettings", "Breadth", "ClassVerdict", "GateVerdict", "Grant",
    "IdentityWildcard", "KeyAccess", "Reach", "SecretAccess", "analyze_access",
]
