"""Evidence from the access analysis' typed verdicts, shared by the predicates about secrets:
the classes of readers a ``*``, organization-wide or account-wide grant reaches (everyone, the
organization, the secret's own account, a named account), with counts."""

from __future__ import annotations

from typing import Any

from scanner.engine.context import RuleContext


def reader_classes(ctx: RuleContext, secret_arn: str) -> list[dict[str, Any]] | None:
    """The secret's reach classes as evidence; None when access analysis did not run."""
    if ctx.access is None:
        return None
    sa = ctx.access.secrets.get(secret_arn)
    if sa is None:
        return None
    return [{"subject": r.subject, "label": r.label, "decision": r.decision,
             "principals": r.principals, "conditional_principals": r.conditional_principals,
             "accounts": r.accounts, "unassessed_accounts": len(r.unassessed_accounts),
             "blocked_by": list(r.blocked_by)} for r in sa.reach]


def with_reader_classes(ctx: RuleContext, secret_arn: str,
                        evidence: dict[str, Any]) -> dict[str, Any]:
    """``evidence`` plus ``reader_classes`` when the access analysis ran and found any."""
    classes = reader_classes(ctx, secret_arn)
    if classes:
        evidence = dict(evidence, reader_classes=classes)
    return evidence
