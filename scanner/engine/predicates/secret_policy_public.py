"""An Allow in a resource policy (secret or key) to everyone -- Principal ``*`` or
``{"AWS": "*"}``, or Allow with NotPrincipal -- without a condition that narrows who
(aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, aws:SourceVpce, kms:CallerAccount,
...). An ``...IfExists`` condition does not narrow (it is true when the key is absent). The
statements are those of scanner.policy.exposure.public_statements. Args: field (policy
attribute, default resource_policy)."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, Result
from scanner.engine.context import RuleContext
from scanner.engine.predicates._access import with_reader_classes
from scanner.engine.predicates._common import policy_or_unknown
from scanner.policy.exposure import public_statements


def policy_public(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                  args: Mapping[str, Any]) -> Result:
    field = str(args.get("field", "resource_policy"))
    policy, problem = policy_or_unknown(attrs, field, field, ctx)
    if problem is not None:
        return problem
    if policy is None:
        return Result(outcome=FALSE, facts=(("text", f"no {field}"),))
    matches = public_statements(policy)
    if not matches:
        return Result(outcome=FALSE, facts=(("text", f"no unconditional public Allow in {field}"),))
    labels = [m.label for m in matches]
    return Result(outcome=TRUE, principals=("*",),
                  facts=(("text", f"{field} allows everyone without a narrowing condition: "
                                  f"{', '.join(labels)}"),),
                  evidence=with_reader_classes(ctx, node_id, {
                      "statements": labels,
                      "matched_statements": [m.to_json() for m in matches]}))
