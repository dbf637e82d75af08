"""The secret's resource policy grants other accounts (or everyone) more than reading: a
wildcard that expands beyond the parameter ``allowed_actions``, a write/admin action
(PutResourcePolicy, PutSecretValue, DeleteSecret, ...), or Allow with NotAction (not one
that excepts every Secrets Manager action: it grants nothing on the secret). The statements
are those of scanner.policy.exposure.overbroad_grants; a ``*`` statement grants whom its
narrowing conditions let in (narrowing.confined_accounts: none but the own account, no one
else). A statement whose Resource / NotResource element leaves the secret out grants
nothing on it. A principal of another partition than the secret's is of another account whatever its
id (exposure.another_account, as secret-policy-external-account reads it). An action the
policy's own explicit Deny takes back from a grantee for certain is not granted to it
(exposure.overbroad_left, by grant_left as secret-policy-external-account reads it); from
everyone (``*``) when it applies to every principal of every other account -- the ``*``
request as secret-policy-public asks it, in or out of the organization, and each account a
statement names (IAM conformance trial round 30). One FAIL per principal."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.access.context import public_request
from scanner.access.graph_io import secret_resource_context
from scanner.engine.conditions import FALSE, TRUE, UNKNOWN, Result
from scanner.engine.context import RuleContext
from scanner.engine.predicates._common import policy_or_unknown
from scanner.graph.schema import EdgeKind, rotation_execution_role
from scanner.policy.arn import arn_partition
from scanner.policy.exposure import (EVERYONE, overbroad_grants, overbroad_left,
                                     principals_of, unreadable_grantees)
from scanner.policy.principals import grantee_words


def secret_policy_overbroad(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                            args: Mapping[str, Any]) -> Result:
    policy, problem = policy_or_unknown(attrs, "resource_policy", "resource_policy", ctx)
    if problem is not None:
        return problem
    if policy is None:
        return Result(outcome=FALSE, facts=(("text", "no resource policy"),))
    # a principal of another partition is another account whatever its id (exposure.
    # another_account; concept review round 3)
    matches = overbroad_grants(policy, own_account=attrs.get("account_id"),
                               allowed_actions=tuple(args.get("allowed_actions") or ()),
                               own_partition=arn_partition(node_id),
                               rotation_role=_rotation_role(ctx, node_id),
                               resource=node_id)
    settings = ctx.index.access_settings
    rctx = secret_resource_context(node_id, attrs, settings)
    # the "*" request by any route, as secret-policy-public asks it: a Deny that applies to
    # every other account takes a grant to everyone back (IAM conformance trial round 30)
    matches = overbroad_left(policy, matches, resource=node_id, zone=ctx.index.trust_zone,
                             resource_ctx=rctx,
                             allowed=tuple(args.get("allowed_actions") or ()),
                             outsider=lambda action: public_request(
                                 settings, rctx, action=action, resource=node_id,
                                 any_route=True))
    if not matches:
        unreadable = unreadable_grantees(policy)
        if unreadable:  # a grant to whom the policy's text does not say: never PASS
            return Result(outcome=UNKNOWN, missing=unreadable)
        return Result(outcome=FALSE, facts=(("text", "other accounts get read actions only"),))
    facts: list[tuple[Any, ...]] = []
    messages: dict[str, str] = {}
    for m in matches:
        extra = list(m.actions)
        shown = f"{', '.join(extra[:8])}{' ...' if len(extra) > 8 else ''}"
        narrowed = f" (narrowed by {m.condition_key}, not everyone)" \
            if m.condition_key and EVERYONE in m.principals else ""
        for g in m.principals:
            messages[g] = (messages[g] + "; " if g in messages else "") + (
                f"{m.label} grants {grantee_words(g)}{narrowed if g == EVERYONE else ''}: "
                f"{shown}")
        facts.append(("text", f"{m.label} grants "
                      f"{', '.join(map(grantee_words, m.principals))}{narrowed}: {shown}"))
    principals = principals_of(matches)
    return Result(outcome=TRUE, principals=tuple(principals), facts=tuple(facts),
                  evidence={"principals": principals,
                            "matched_statements": [m.to_json() for m in matches]},
                  principal_messages=messages)


def _rotation_role(ctx: RuleContext, node_id: str) -> str | None:
    """The execution role of the function version that rotates the secret (its
    ``ROTATED_BY`` edge: a function the snapshot shows runs; a version or alias runs as its
    own role: graph.schema.rotation_function), or None."""
    graph = ctx.graph
    if node_id not in graph:
        return None
    attrs = graph.nodes[node_id]
    if not attrs.get("rotation_lambda_arn"):
        return None
    # the engine's adjacency index: a networkx edge view per secret cost a third of the rule
    for fn in ctx.index.neighbours(node_id, EdgeKind.ROTATED_BY.value):
        return rotation_execution_role(attrs.get("rotation_lambda_arn"), graph.nodes[fn])[0]
    return None

