"""An Allow in a resource policy (secret or key) to everyone -- Principal ``*`` or
``{"AWS": "*"}``, or Allow with NotPrincipal -- without a condition that narrows who
(aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, aws:SourceVpce, kms:CallerAccount,
...). Args: field (policy attribute, default resource_policy)."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, Result
from scanner.engine.context import RuleContext
from scanner.engine.predicates._access import with_reader_classes
from scanner.engine.predicates._common import is_narrowed, policy_or_unknown


def policy_public(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                  args: Mapping[str, Any]) -> Result:
    field = str(args.get("field", "resource_policy"))
    policy, problem = policy_or_unknown(attrs, field, field, ctx)
    if problem is not None:
        return problem
    if policy is None:
        return Result(outcome=FALSE, facts=(("text", f"no {field}"),))
    public = []
    for st in policy.statements:
        if st.effect != "Allow":
            continue
        everyone = (st.principal is not None and st.principal.star) or st.not_principal is not None
        if everyone and not is_narrowed(st):
            public.append(st.label)
    if not public:
        return Result(outcome=FALSE, facts=(("text", f"no unconditional public Allow in {field}"),))
    return Result(outcome=TRUE, principals=("*",),
                  facts=(("text", f"{field} allows everyone without a narrowing condition: "
                                  f"{', '.join(public)}"),),
                  evidence=with_reader_classes(ctx, node_id, {"statements": public}))
