"""A rule parameter's declaration and the checks of its values (a rule file's defaults, a
config's overrides, a list's items): one reading for the rule loader and the config."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from scanner.policy.arn import is_account_id
from scanner.suggest import suggest

_PARAM_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,), "number": (int, float), "string": (str,), "boolean": (bool,),
    "list": (list, tuple),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class ParamSpec:
    name: str
    type: str
    default: Any
    description: str
    minimum: float | None = None
    maximum: float | None = None
    #: what a list parameter's items are (``items:`` of the parameter, ITEM_KINDS); None: any
    #: plain value (text, number, boolean)
    items: str | None = None

    @property
    def accepts(self) -> str:
        """What the parameter takes, in words -- "number, 0 to 1", "integer, at least 1",
        "list of account_id" -- for `rules show` and docs/rules.md, where only the type was
        said and a value out of range was first heard of as "must be <= 1" (new-user trial
        round 28)."""
        kind = f"{self.type} of {self.items}" if self.items else self.type
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None:
            return f"{kind}, {lo:g} to {hi:g}"
        if lo is not None:
            return f"{kind}, at least {lo:g}"
        if hi is not None:
            return f"{kind}, at most {hi:g}"
        return kind


#: the item kinds a list parameter may declare (``items:``), each checked item by item (bad-input
#: trial round 1: ``allowed_accounts: [999999999999]`` silently allowed nothing)
ITEM_KINDS: tuple[str, ...] = ("string", "integer", "number", "boolean", "account_id", "region",
                               "action")


# IAM User Guide, "IAM JSON policy elements: Action": an action is named by its service
# prefix, a colon and the action name ("secretsmanager:GetSecretValue"); "You can use
# wildcards (* or ?) as part of the action name" -- and "*" alone is every action
_ACTION = re.compile(r"\*|[a-z0-9][a-z0-9-]*:[A-Za-z0-9*?]+")


def check_param_value(spec: ParamSpec, value: Any) -> str | None:
    """None when ``value`` fits the parameter, else what is wrong."""
    problem = param_problem(spec, value)
    return None if problem is None else problem[1]


def param_problem(spec: ParamSpec, value: Any) -> tuple[str, str] | None:
    """None when ``value`` fits the parameter, else (where below the parameter -- ``[2]`` for
    the third item of a list, or "" -- and what is wrong)."""
    from scanner.engine.validation import quote_hint, yaml_value_words

    types = _PARAM_TYPES[spec.type]
    if isinstance(value, bool) and spec.type in ("integer", "number"):
        return "", f"must be {spec.type}, got a boolean"
    if not isinstance(value, types):
        # the value in YAML's words and what to write (new-user trial round 37: `max_days:
        # "30"` read "must be integer, got str")
        return "", (f"must be {spec.type}, got {yaml_value_words(value)}"
                    + quote_hint(value, spec.type))
    if isinstance(value, float) and not math.isfinite(value):  # passes < and > alike
        return "", f"must be a finite number, got {value!r}"
    if spec.minimum is not None and isinstance(value, (int, float)) and value < spec.minimum:
        return "", f"must be >= {spec.minimum:g}"
    if spec.maximum is not None and isinstance(value, (int, float)) and value > spec.maximum:
        return "", f"must be <= {spec.maximum:g}"
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            problem = item_problem(spec.items, item)
            if problem:
                return f"[{i}]", problem
    return None


def item_problem(kind: str | None, item: Any) -> str | None:
    """None when ``item`` is an item of kind ``kind`` (ITEM_KINDS; None: any plain value),
    else what is wrong. A value of the wrong type is named; a number where text is expected
    says to quote it (docs/configuration.md)."""
    from scanner.engine.validation import quote_hint, yaml_value_words

    if kind is None:
        if isinstance(item, float) and not math.isfinite(item):
            return f"must be a finite number, got {item!r}"
        if not isinstance(item, (str, int, float, bool)):
            return f"must be text, a number or a boolean, got {yaml_value_words(item)}"
        return None
    if kind in ("integer", "number", "boolean"):
        return check_param_value(ParamSpec(name="", type=kind, default=None, description=""),
                                 item)
    if not isinstance(item, str):
        return f"must be text, got {yaml_value_words(item)}{quote_hint(item)}"
    if kind == "account_id" and not is_account_id(item):
        return f"{item!r} is not a 12-digit account id"
    if kind == "region":
        from scanner.aws.regions import known_regions

        known = known_regions()
        if item not in known:
            return f"unknown region {item!r}{suggest(item, sorted(known))}"
    if kind == "action" and not _ACTION.fullmatch(item):
        return (f"{item!r} is not an action (service:ActionName, e.g. "
                "secretsmanager:GetSecretValue; * and ? match any characters)")
    return None
