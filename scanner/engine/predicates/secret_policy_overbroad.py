"""The secret's resource policy grants other accounts (or everyone) more than reading: a
wildcard that expands beyond the parameter ``allowed_actions``, a write/admin action
(PutResourcePolicy, PutSecretValue, DeleteSecret, ...), or Allow with NotAction. The statements
are those of scanner.policy.exposure.overbroad_grants; a ``*`` statement grants whom its
narrowing conditions let in (exposure.confined_accounts: none but the own account, no one
else). A statement whose Resource / NotResource element leaves the secret out grants
nothing on it. A principal of another partition than the secret's is of another account whatever its
id (exposure.another_account, as secret-policy-external-account reads it). An action the
policy's own explicit Deny takes back from a grantee for certain is not granted to it
(exposure.grant_left, as secret-policy-external-account reads it). One FAIL per principal."""

from __future__ import annotations

from typing import Any, Mapping

from dataclasses import replace

from scanner.access.graph_io import secret_resource_context
from scanner.engine.conditions import FALSE, TRUE, Result
from scanner.engine.context import RuleContext
from scanner.engine.predicates._common import policy_or_unknown
from scanner.graph.schema import EdgeKind
from scanner.policy.arn import arn_partition
from scanner.policy.evaluate import PolicyKind, resource_part
from scanner.policy.exposure import (EVERYONE, SECRET_RESOURCE_ACTIONS, StatementMatch,
                                     acts_on, grant_left, granted_actions, is_organization,
                                     overbroad_grants, principals_of)
from scanner.policy.request import Request
from scanner.policy.tri import Tri
from scanner.policy.matching import action_matches
from scanner.policy.parse import Policy


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
    matches = _not_taken_back(ctx, node_id, attrs, policy, matches,
                              tuple(args.get("allowed_actions") or ()))
    if not matches:
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
                f"{m.label} grants {g}{narrowed if g == EVERYONE else ''}: {shown}")
        facts.append(("text", f"{m.label} grants {', '.join(m.principals)}{narrowed}: {shown}"))
    principals = principals_of(matches)
    return Result(outcome=TRUE, principals=tuple(principals), facts=tuple(facts),
                  evidence={"principals": principals,
                            "matched_statements": [m.to_json() for m in matches]},
                  principal_messages=messages)


def _not_taken_back(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any], policy: Policy,
                    matches: tuple[StatementMatch, ...],
                    allowed: tuple[str, ...]) -> tuple[StatementMatch, ...]:
    """``matches`` without the actions the policy's own explicit Deny takes back from the
    grantee for certain (exposure.grant_left, the reading of secret-policy-external-account:
    IAM User Guide, "Policy evaluation logic": "An explicit deny in any of these policies
    overrides the allow"), and without a grantee left none beyond ``allowed`` (IAM conformance
    trial round 25: Allow 999999999999 secretsmanager:* beside Deny it NotAction
    [GetSecretValue, DescribeSecret] FAILed). Everyone (``*``) loses only what a Deny of
    everyone without a Condition takes back (a data perimeter's Deny leaves the grant to those
    it spares); an organization is no one principal: kept as it is."""
    zone = ctx.index.trust_zone
    rctx = secret_resource_context(node_id, attrs, ctx.index.access_settings)
    out: list[StatementMatch] = []
    for m in matches:
        st = next((x for x in policy.statements if x.index == m.index), None)
        # the concrete actions beyond ``allowed`` the statement grants on the secret, and an
        # unknown secretsmanager: name it grants (excess_actions), which no Deny is asked about
        concrete = tuple(a for a in (granted_actions(st) if st is not None else ())
                         if not any(action_matches(x, a) for x in allowed))
        unknown = tuple(a for a in m.actions if a.lower().startswith("secretsmanager:")
                        and a not in SECRET_RESOURCE_ACTIONS)
        kept: dict[str, tuple[str, ...]] = {}
        for g in m.principals:
            if g == EVERYONE and concrete:
                # everyone: taken back only by a Deny of everyone that holds for every
                # request -- Principal "*", no Condition, its Resource the secret's (a data
                # perimeter's Deny leaves those it spares the grant)
                left = tuple(a for a in concrete if not any(
                    d.effect == "Deny" and not d.problems and d.principal is not None
                    and d.principal.star and not d.conditions and acts_on(d, (a,))
                    and resource_part(d, _probe(node_id, a), policy,
                                      PolicyKind.RESOURCE) is Tri.TRUE
                    for d in policy.statements)) + unknown
                if left:
                    kept[g] = m.actions if left == concrete + unknown else left
                continue
            if g == EVERYONE or is_organization(g) or not concrete:
                kept[g] = m.actions
                continue
            left = grant_left(policy, m, g, resource=node_id, zone=zone, resource_ctx=rctx,
                              actions=concrete)[0] + unknown
            if left:
                kept[g] = m.actions if st is not None and st.not_actions is not None \
                    and left == concrete else left
        # one match per set of actions left (the grantees of a statement usually share one)
        for actions in dict.fromkeys(kept.values()):
            out.append(replace(m, principals=tuple(g for g, a in kept.items() if a == actions),
                               actions=actions))
    return tuple(out)


def _probe(resource: str, action: str) -> Request:
    """A request for ``action`` on ``resource``, for a Resource element alone."""
    return Request(principal_arn="", principal_account=None, action=action, resource=resource)


def _rotation_role(ctx: RuleContext, node_id: str) -> str | None:
    """The execution role of the function that rotates the secret (its ``ROTATED_BY`` edge: a
    function the snapshot shows runs), or None."""
    graph = ctx.graph
    if node_id not in graph:
        return None
    for _, fn, kind in graph.out_edges(node_id, data="kind"):
        if kind == EdgeKind.ROTATED_BY.value:
            role = graph.nodes[fn].get("role_arn")
            return str(role) if role else None
    return None

