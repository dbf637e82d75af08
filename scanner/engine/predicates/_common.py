"""Small helpers shared by predicates: policy reading. CIDRs and routes live in
scanner/graph/network_path.py, policy exposure concepts (public statements, outside-the-zone
grants, ...) in scanner/policy/exposure.py."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.access.graph_io import policy_input
from scanner.engine.conditions import UNKNOWN, Result
from scanner.policy import Policy, parse_policy_text


def policy_or_unknown(attrs: Mapping[str, Any], field: str, what: str,
                      ctx: Any = None) -> tuple[Policy | None, Result | None]:
    """The parsed policy in ``field``; (None, UNKNOWN result) when not read or unparseable;
    (None, None) when there is no policy at all."""
    parse = ctx.index.policy if ctx is not None else parse_policy_text
    policy, missing = policy_input(attrs, field, what, parse)
    if missing is None:
        return policy, None
    unread = attrs.get("unread") or ()
    if attrs.get("collected") is False:  # a placeholder: say why it was not collected
        why = ctx.index.not_collected(str(attrs.get("arn") or what), attrs) \
            if ctx is not None else missing
        return None, Result(outcome=UNKNOWN, missing=(f"{what}: {why}",),
                            facts=(("text", f"{what} was not collected"),))
    if field in unread or "key" in unread:
        return None, Result(outcome=UNKNOWN, missing=(missing,),
                            facts=(("text", f"{what} was not read"),))
    return None, Result(outcome=UNKNOWN, missing=(missing,))
