"""What the policies can see of a principal's context values.

Principals are put in classes (and verdicts cached) by the values of the context keys the
policies read. A raw value such as ``aws:PrincipalArn`` differs for every principal, yet a
condition compares it with a few policy values only: a principal's answer depends on the
value through those comparisons alone. ``KeyViews`` replaces such a value by its *view*: for
each (operator, policy value) that some policy of the analysis compares the key with, whether
the value matches. Principals with equal views get equal answers from every condition on the
key (IAM User Guide, "IAM JSON policy elements: Condition operators": a string or ARN
condition is true when the request value matches one of the policy values -- the negated
operators are the negation of the same comparisons).

A key keeps its raw value (no view) when a comparison could depend on more than the match:
a policy variable in a compared value, a policy variable that substitutes the key itself into
another element, or an operator other than the string and ARN ones. ``Null`` compares no
value (presence alone, which the view keeps).

Every policy the analysis evaluates with a principal's context must be among the policies a
``KeyViews`` is built from: identity policies and boundaries, resource policies, key policies,
SCPs and RCPs (scanner.access.analyze builds it from all of them).
"""

from __future__ import annotations

from typing import Iterable, Mapping

from scanner.policy.conditions import OPERATORS, is_arn_value
from scanner.policy.parse import Policy, variable_keys

#: operators whose answer depends on the request value only through matcher(value, policy value)
_COMPARED = {"stringequals", "stringnotequals", "stringequalsignorecase",
             "stringnotequalsignorecase", "stringlike", "stringnotlike",
             "arnequals", "arnlike", "arnnotequals", "arnnotlike"}
_ARN = {"arnequals", "arnlike", "arnnotequals", "arnnotlike"}


class KeyViews:
    def __init__(self, policies: Iterable[Policy | None]) -> None:
        usages: dict[str, dict[tuple[str, str], None]] = {}
        raw: set[str] = set()
        seen: set[int] = set()
        for policy in policies:
            if policy is None or id(policy) in seen:
                continue
            seen.add(id(policy))
            for st in policy.statements:
                for group in (st.resources, st.not_resources):
                    for r in group or ():
                        if "${" in r:
                            raw |= variable_keys(r)
                for c in st.conditions:
                    for v in c.values:
                        if "${" in v:
                            raw |= variable_keys(v)
                            raw.add(c.key)
                    if c.base == "null":
                        continue
                    if c.base not in _COMPARED:
                        raw.add(c.key)
                        continue
                    # ARN operators: the request value must itself be an ARN (see
                    # scanner.policy.conditions) -- the view records that as well
                    matcher = "arn" if c.base in _ARN else c.base.replace("not", "")
                    u = usages.setdefault(c.key, {})
                    for v in c.values:
                        u[(matcher, v)] = None
        #: key -> the (matcher, policy value) comparisons a value is reduced to
        self._usages: dict[str, tuple[tuple[str, str], ...]] = {
            k: tuple(u) for k, u in usages.items() if k not in raw}

    def view(self, ctx: Mapping[str, tuple[str, ...]]) -> dict[str, object]:
        """The views of the principal-side values in ``ctx`` that have one."""
        out: dict[str, object] = {}
        for k, values in ctx.items():
            usage = self._usages.get(k)
            if usage is not None:
                out[k] = ("view",) + tuple(_view(usage, v) for v in values)
        return out


def _view(usage: tuple[tuple[str, str], ...], value: str) -> tuple[bool, ...]:
    out = [is_arn_value(value)]
    for matcher, policy_value in usage:
        op = OPERATORS["arnlike" if matcher == "arn" else matcher][0]
        out.append(op(value, policy_value))
    return tuple(out)
