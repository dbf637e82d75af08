"""The remediation role's IAM policy, generated from the remediators' PERMISSIONS.

It allows exactly what ``remediate --apply`` and ``--undo`` call (plus the identity checks), and
denies reading secret values outright, so the write role can never become a way to read secrets.
"""

from __future__ import annotations

from typing import Any

from remediations import REMEDIATORS, all_permissions

NEVER_ALLOWED_ACTIONS = ("secretsmanager:BatchGetSecretValue", "secretsmanager:GetSecretValue")


def remediation_policy_document() -> dict[str, Any]:
    statements: list[dict[str, Any]] = []
    for rid, module in REMEDIATORS.items():
        statements.append({
            "Sid": "".join(part.capitalize() for part in rid.split("-")),
            "Effect": "Allow", "Action": sorted(set(module.PERMISSIONS)), "Resource": "*"})
    engine = sorted(set(all_permissions()) - {a for m in REMEDIATORS.values()
                                              for a in m.PERMISSIONS})
    statements.append({"Sid": "IdentityChecks", "Effect": "Allow", "Action": engine,
                       "Resource": "*"})
    statements.append({"Sid": "NeverReadSecretValues", "Effect": "Deny",
                       "Action": list(NEVER_ALLOWED_ACTIONS), "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}
