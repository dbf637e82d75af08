"""Evidence from the access analysis' typed verdicts, shared by the predicates about secrets:
the classes of readers a ``*``, organization-wide or account-wide grant reaches (everyone, the
organization, the secret's own account, a named account), with counts."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.access.graph_io import replica_arn
from scanner.engine.context import RuleContext
from scanner.graph.schema import NodeKind


def secret_access_of(ctx: RuleContext, node_id: str,
                     attrs: Mapping[str, Any] | None = None) -> Any:
    """The access analysis' SecretAccess of a secret node, or of a replica node (by its
    replica ARN: ``AccessReport.replicas``); None when absent or not run."""
    if ctx.access is None:
        return None
    if attrs is not None and attrs.get("kind") == NodeKind.SECRET_REPLICA.value:
        return ctx.access.replicas.get(replica_arn(node_id, attrs))
    return ctx.access.secrets.get(node_id)


def reader_classes(ctx: RuleContext, secret_arn: str,
                   attrs: Mapping[str, Any] | None = None) -> list[dict[str, Any]] | None:
    """The secret's (or replica's) reach classes as evidence; None when access analysis did
    not run."""
    sa = secret_access_of(ctx, secret_arn, attrs)
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
