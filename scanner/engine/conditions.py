"""The condition language of rule files: all / any / not over attribute comparisons, edge
traversals and named graph predicates, evaluated in three-valued logic.

Every operator is a tiny function in the explicit table ``OPERATORS``; every compiled condition
is a small class with ``evaluate(ctx, node_id, attrs) -> Result``. The outcome is TRUE (the rule's
``fail_when`` holds: the resource FAILS), FALSE (it passes) or UNKNOWN (an input was not
collected; ``Result.missing`` names it). Reasons are kept as cheap tuples and only rendered into
text for findings that need them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from scanner.engine.context import RuleContext

# Three-valued outcomes (ints: they are compared millions of times per scan).
FALSE = 0
TRUE = 1
UNKNOWN = 2
OUTCOME_NAMES = {FALSE: "false", TRUE: "true", UNKNOWN: "unknown"}

_ABSENT = object()


_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Result:
    """The outcome of one condition on one resource, with why.

    ``facts`` are tuples rendered by :func:`render_fact`; ``evidence`` is predicate output;
    ``principals`` lists the principals a FAIL is about (access rules emit one finding each),
    ``principal_messages`` the one-line reason per principal,
    ``principal_evidence`` evidence about that principal alone (it replaces ``evidence`` in the
    principal's finding, whose ``facts`` are then empty: its fact is its message),
    ``unknown_principals`` of a per-principal rule the principals it could not decide for,
    beside a FAIL or in an UNKNOWN, each with what is missing (each an UNKNOWN finding of its
    own, the same row either way: one principal's FAIL does not hide another's UNKNOWN, and
    fixing it does not turn the other's row into the resource's). A plain slotted class, not a frozen dataclass:
    millions are made per scan and nothing mutates them after creation.
    """

    __slots__ = ("outcome", "facts", "missing", "evidence", "principals", "principal_messages",
                 "principal_evidence", "unknown_principals")

    def __init__(self, *, outcome: int, facts: tuple[tuple[Any, ...], ...] = (),
                 missing: tuple[str, ...] = (), evidence: Mapping[str, Any] = _EMPTY,
                 principals: tuple[str, ...] = (),
                 principal_messages: Mapping[str, str] = _EMPTY,
                 principal_evidence: Mapping[str, Mapping[str, Any]] = _EMPTY,
                 unknown_principals: Mapping[str, tuple[str, ...]] = _EMPTY) -> None:
        self.outcome = outcome
        self.facts = facts
        self.missing = missing
        self.evidence = evidence
        self.principals = principals
        self.principal_messages = principal_messages
        self.principal_evidence = principal_evidence
        self.unknown_principals = unknown_principals

    def __repr__(self) -> str:
        return (f"Result(outcome={OUTCOME_NAMES.get(self.outcome)}, facts={self.facts!r}, "
                f"missing={self.missing!r})")


R_TRUE = Result(outcome=TRUE)
R_FALSE = Result(outcome=FALSE)


def unknown(missing: str, fact: str | None = None) -> Result:
    return Result(outcome=UNKNOWN, missing=(missing,), facts=((("text", fact),) if fact else ()))


def render_fact(fact: tuple[Any, ...]) -> str:
    """The technical form of a fact, for evidence (``rotation_enabled = False (is_false)``)."""
    tag = fact[0]
    if tag == "attr":
        _, path, op, expected, actual, negated = fact
        shown = _short(actual)
        exp = "" if expected is None else f" {_short(expected)}"
        return f"{path} = {shown} ({'not ' if negated else ''}{op}{exp})"
    if tag == "text":
        return str(fact[1])
    if tag == "say":  # ("say", plain text, the facts it summarises)
        return "; ".join(render_fact(f) for f in fact[2]) or str(fact[1])
    return " ".join(str(x) for x in fact[1:])


def render_plain(fact: tuple[Any, ...]) -> str:
    """The plain-language form of a fact, for a finding's message (``rotation is disabled``):
    the rule's own ``message`` where the condition has one, else a sentence made from the
    attribute and its operator."""
    tag = fact[0]
    if tag == "say":
        return str(fact[1])
    if tag == "attr":
        _, path, op, expected, actual, negated = fact
        label = path.replace("_", " ").replace(".", " ")
        phrase = _PLAIN.get(op, "is {a} ({op} {e})").format(
            a=plain_value(actual), e=plain_value(expected), op=op.replace("_", " "),
            n=_length_of(actual)) + _of_limit(op, expected, _length_of(actual))
        return f"not: {label} {phrase}" if negated else f"{label} {phrase}"
    return render_fact(fact)


def _of_limit(op: str, expected: Any, length: Any) -> str:
    """What a length ratio measured against: ``: 85% of the 20,480-character limit, warning at
    80%`` (user trial round 25: 'resource policy is 17512 characters long' said a number
    without its limit, beside 'quota 50, warning at 40'). The share is rounded down: 100%
    only at the limit."""
    if op != "length_ratio_at_least" or not isinstance(expected, Mapping) \
            or not isinstance(length, int):
        return ""
    try:
        limit, ratio = float(expected["limit"]), float(expected["ratio"])
    except (KeyError, TypeError, ValueError):
        return ""
    if limit <= 0:
        return ""
    return (f": {int(length * 100 // limit)}% of the {limit:,.0f}-character limit, warning at "
            f"{ratio:.0%}")


_LENGTH_SUMMARY = re.compile(r"<(\d+) (?:characters|items)>")


def _length_of(actual: Any) -> Any:
    """The length a length comparison measured: its fact keeps ``<N characters>`` (the value
    itself can be 20,000 characters), so N is read back from there."""
    if isinstance(actual, str):
        m = _LENGTH_SUMMARY.fullmatch(actual)
        return int(m.group(1)) if m else len(actual)
    return len(actual) if isinstance(actual, (list, tuple)) else "?"


#: operator -> how a true comparison reads after the attribute's name ({a}: the value,
#: {e}: what it was compared with, {n}: the value's length)
_PLAIN: dict[str, str] = {
    "equals": "is {a}", "not_equals": "is {a}, not {e}", "in": "is {a}", "not_in": "is {a}",
    "exists": "is set ({a})", "is_null": "is not set", "is_true": "is true",
    "is_false": "is false", "greater_than": "is {a}, more than {e}",
    "less_than": "is {a}, less than {e}", "at_least": "is {a}, at least {e}",
    "at_most": "is {a}, at most {e}", "contains": "includes {e}",
    "not_contains": "does not include {e}", "lacks_any": "lacks some of {e}",
    "matches": "is {a}", "not_matches": "is {a}",
    "older_than_days": "was {a}, more than {e} days ago", "in_past": "was {a}, in the past",
    "length_at_least": "is {n} characters long (limit {e})",
    "length_ratio_at_least": "is {n} characters long",
}


def plain_value(value: Any, limit: int = 60) -> str:
    """A value as a reader says it: dates without time, booleans and nulls as words."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, re.Pattern):
        return str(value.pattern)
    if isinstance(value, str):
        if _ISO_DATE.match(value):
            return value[:10]
        return value if len(value) <= limit else value[: limit - 1] + "…"
    if isinstance(value, (list, tuple)):
        return ", ".join(plain_value(v, limit) for v in value) or "none"
    return _short(value, limit)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- value helpers


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 timestamp (``Z`` or offset; date-only allowed) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str):
        return _parse_time_text(value)  # several rules read the same timestamps: parse once
    return _parse_time_text(str(value))


@lru_cache(maxsize=1 << 19)
def _parse_time_text(value: str) -> datetime:
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


# --------------------------------------------------------------------------- operators
#
# An operator takes (actual, expected, now) and returns TRUE / FALSE / UNKNOWN. ``actual`` is
# never _ABSENT here (an absent attribute is UNKNOWN before the operator runs). Operators that
# cannot judge a null value return UNKNOWN: a missing input never passes.


OperatorFn = Callable[[Any, Any, datetime], int]


@dataclass(frozen=True, kw_only=True, slots=True)
class Operator:
    name: str
    fn: OperatorFn
    value: str  # what `value` must be: none | any | number | list | string | regex | mapping
    doc: str


def _b(flag: bool) -> int:
    return TRUE if flag else FALSE


def _op_equals(a: Any, e: Any, now: datetime) -> int:
    return _b(a == e)


def _op_not_equals(a: Any, e: Any, now: datetime) -> int:
    return _b(a != e)


def _op_in(a: Any, e: Any, now: datetime) -> int:
    return _b(a in e)


def _op_not_in(a: Any, e: Any, now: datetime) -> int:
    return _b(a not in e)


def _op_exists(a: Any, e: Any, now: datetime) -> int:
    return _b(a is not None and a != "" and a != [] and a != {})


def _op_is_null(a: Any, e: Any, now: datetime) -> int:
    return _b(a is None)


def _op_is_true(a: Any, e: Any, now: datetime) -> int:
    return UNKNOWN if a is None else _b(a is True)


def _op_is_false(a: Any, e: Any, now: datetime) -> int:
    return UNKNOWN if a is None else _b(a is False)


def _num(a: Any) -> float | None:
    """A number to compare; None (null: cannot be judged) for null. Any other value is a
    rule that compares the wrong attribute (a name, a date): a rule error finding naming the
    value, as ``contains`` on a boolean or ``older_than_days`` on a name are, never an UNKNOWN
    that calls the value null."""
    if a is None:
        return None
    if isinstance(a, bool) or not isinstance(a, (int, float)):
        raise TypeError(f"a number comparison on a {type(a).__name__} value ({a!r:.60})")
    return float(a)


def _op_greater_than(a: Any, e: Any, now: datetime) -> int:
    n = _num(a)
    return UNKNOWN if n is None else _b(n > e)


def _op_less_than(a: Any, e: Any, now: datetime) -> int:
    n = _num(a)
    return UNKNOWN if n is None else _b(n < e)


def _op_at_least(a: Any, e: Any, now: datetime) -> int:
    n = _num(a)
    return UNKNOWN if n is None else _b(n >= e)


def _op_at_most(a: Any, e: Any, now: datetime) -> int:
    n = _num(a)
    return UNKNOWN if n is None else _b(n <= e)


def _op_contains(a: Any, e: Any, now: datetime) -> int:
    if a is None:
        return FALSE
    return _b(e in a)


def _op_not_contains(a: Any, e: Any, now: datetime) -> int:
    if a is None:
        return TRUE
    return _b(e not in a)


def _op_lacks_any(a: Any, e: Any, now: datetime) -> int:
    """TRUE when some expected item is missing from the actual collection."""
    if a is None:
        return UNKNOWN
    have = set(a)
    return _b(any(item not in have for item in e))


def _op_matches(a: Any, e: Any, now: datetime) -> int:
    if a is None:
        return FALSE
    return _b(e.search(str(a)) is not None)


def _op_not_matches(a: Any, e: Any, now: datetime) -> int:
    if a is None:
        return TRUE
    return _b(e.search(str(a)) is None)


def _op_older_than_days(a: Any, e: Any, now: datetime) -> int:
    """TRUE when the timestamp is more than ``value`` days before now; null is FALSE (combine
    with is_null where a missing date means something)."""
    t = parse_time(a)
    if t is None:
        return FALSE
    return _b(t < now - timedelta(days=float(e)))


def _op_in_past(a: Any, e: Any, now: datetime) -> int:
    t = parse_time(a)
    if t is None:
        return FALSE
    return _b(t < now)


def _op_length_at_least(a: Any, e: Any, now: datetime) -> int:
    if a is None:
        return FALSE
    return _b(len(a) >= e)


def _op_length_ratio_at_least(a: Any, e: Any, now: datetime) -> int:
    """len(actual) >= ratio * limit; value is {ratio, limit}. Whitespace counts."""
    if a is None:
        return FALSE
    return _b(len(a) >= float(e["ratio"]) * float(e["limit"]))


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator(name="equals", fn=_op_equals, value="any", doc="actual == value"),
        Operator(name="not_equals", fn=_op_not_equals, value="any", doc="actual != value"),
        Operator(name="in", fn=_op_in, value="list", doc="actual is one of value"),
        Operator(name="not_in", fn=_op_not_in, value="list", doc="actual is none of value"),
        Operator(name="exists", fn=_op_exists, value="none",
                 doc="actual is set (not null, not empty)"),
        Operator(name="is_null", fn=_op_is_null, value="none", doc="actual is null (absent in AWS)"),
        Operator(name="is_true", fn=_op_is_true, value="none",
                 doc="actual is true; null is unknown"),
        Operator(name="is_false", fn=_op_is_false, value="none",
                 doc="actual is false; null is unknown"),
        Operator(name="greater_than", fn=_op_greater_than, value="number",
                 doc="actual > value (null is unknown; a value that is not a number -- a "
                     "name, a date -- is a rule error)"),
        Operator(name="less_than", fn=_op_less_than, value="number", doc="actual < value"),
        Operator(name="at_least", fn=_op_at_least, value="number", doc="actual >= value"),
        Operator(name="at_most", fn=_op_at_most, value="number", doc="actual <= value"),
        Operator(name="contains", fn=_op_contains, value="any",
                 doc="value is an item (or substring) of actual"),
        Operator(name="not_contains", fn=_op_not_contains, value="any",
                 doc="value is not an item (or substring) of actual"),
        Operator(name="lacks_any", fn=_op_lacks_any, value="list",
                 doc="some item of value is missing from actual"),
        Operator(name="matches", fn=_op_matches, value="regex",
                 doc="actual matches the regular expression (search)"),
        Operator(name="not_matches", fn=_op_not_matches, value="regex",
                 doc="actual does not match the regular expression"),
        Operator(name="older_than_days", fn=_op_older_than_days, value="number",
                 doc="timestamp more than value days before the evaluation time; null is false"),
        Operator(name="in_past", fn=_op_in_past, value="none",
                 doc="timestamp before the evaluation time; null is false"),
        Operator(name="length_at_least", fn=_op_length_at_least, value="number",
                 doc="len(actual) >= value"),
        Operator(name="length_ratio_at_least", fn=_op_length_ratio_at_least, value="mapping",
                 doc="len(actual) >= value.ratio * value.limit (characters, whitespace counts)"),
    )
}


# --------------------------------------------------------------------------- compiled nodes


class Condition:
    """A compiled condition."""

    def evaluate(self, ctx: "RuleContext", node_id: str, attrs: Mapping[str, Any]) -> Result:
        raise NotImplementedError

    def outcome(self, ctx: "RuleContext", node_id: str, attrs: Mapping[str, Any]) -> int:
        """``evaluate(...).outcome`` without building reasons: the engine asks this first and
        calls ``evaluate`` only when the reasons are needed (most resources pass)."""
        return self.evaluate(ctx, node_id, attrs).outcome

    def attributes(self) -> list[str]:
        """Top-level attribute names read on the resource itself (for evidence)."""
        return []


class AllOf(Condition):
    def __init__(self, children: Sequence[Condition]) -> None:
        self.children = tuple(children)

    def evaluate(self, ctx: "RuleContext", node_id: str, attrs: Mapping[str, Any]) -> Result:
        unknowns: list[Result] = []
        trues: list[Result] = []
        for child in self.children:
            r = child.evaluate(ctx, node_id, attrs)
            if r.outcome == FALSE:
                return r
            (trues if r.outcome == TRUE else unknowns).append(r)
        if unknowns:
            return _merge(UNKNOWN, unknowns)
        return _merge(TRUE, trues)

    def outcome(self, ctx: "RuleContext", node_id: str, attrs: Mapping[str, Any]) -> int:
        out = TRUE
        for child in self.children:
            o = child.outcome(ctx, node_id, attrs)
            if o == FALSE:
                return FALSE
            if o == UNKNOWN:
                out = UNKNOWN
        return out

    def attributes(self) -> list[str]:
        return [a for c in self.children for a in c.attributes()]


class AnyOf(Condition):
    def __init__(self, children: Sequence[Condition]) -> None:
        self.children = tuple(children)

    def evaluate(self, ctx: "RuleContext", node_id: str, attrs: Mapping[str, Any]) -> Result:
        unknowns: list[Result] = []
        falses: list[Result] = []
        for child in self.children:
            r = child.evaluate(ctx, node_id, attrs)
            if r.outcome == TRUE:
                return r  # TRUE decides an any: its reason is the finding's reason
            if r.outcome == UNKNOWN:
                unknowns.append(r)
            else:
                falses.append(r)
        if unknowns:
            return _merge(UNKNOWN, unknowns)
        return _merge(FALSE, falses)

    def outcome(self, ctx: "RuleContext", node_id: str, attrs: Mapping[str, Any]) -> int:
        out = FALSE
        for child in self.children:
            o = child.outcome(ctx, node_id, attrs)
            if o == TRUE:
                return TRUE
            if o == UNKNOWN:
                out = UNKNOWN
        return out

    def attributes(self) -> list[str]:
        return [a for c in self.children for a in c.attributes()]


class Not(Condition):
    def __init__(self, child: Condition) -> None:
        self.child = child

    def evaluate(self, ctx: "RuleContext", node_id: str, attrs: Mapping[str, Any]) -> Result:
        r = self.child.evaluate(ctx, node_id, attrs)
        if r.outcome == UNKNOWN:
            return r
        facts = tuple(_negate(f) for f in r.facts)
        # a fix is for a condition that holds: the negation of one does not carry it
        evidence = {k: v for k, v in r.evidence.items() if k != "fixes"} \
            if r.evidence and "fixes" in r.evidence else r.evidence
        return Result(outcome=FALSE if r.outcome == TRUE else TRUE, facts=facts,
                      missing=r.missing, evidence=evidence)

    def outcome(self, ctx: "RuleContext", node_id: str, attrs: Mapping[str, Any]) -> int:
        o = self.child.outcome(ctx, node_id, attrs)
        return o if o == UNKNOWN else (FALSE if o == TRUE else TRUE)

    def attributes(self) -> list[str]:
        return self.child.attributes()


def _negate(fact: tuple[Any, ...]) -> tuple[Any, ...]:
    if fact[0] == "attr":
        return fact[:5] + (not fact[5],)
    if fact[0] == "text":
        return ("text", f"not ({fact[1]})")
    if fact[0] == "say":  # a message says when its condition holds, not when it does not
        return ("text", f"not ({render_fact(fact)})")
    return fact


def _via(edge_kind: str, target: str, fact: tuple[Any, ...]) -> tuple[Any, ...]:
    """A neighbour's fact, prefixed with the edge it was reached by (a message stays plain)."""
    text = ("text", f"{edge_kind} -> {target}: {render_fact(fact)}")
    return ("say", fact[1], (text,)) if fact[0] == "say" else text


class _Templated(Condition):
    """A condition with a text of the rule's (``template``, its ``{name}`` placeholders filled
    from the resource's attributes and the rule's parameters) that joins its result when it
    holds (``_with``); its outcome and attributes are the child's."""

    def __init__(self, child: Condition, template: str, params: Mapping[str, Any]) -> None:
        self.child = child
        self.template = template
        self.params = params

    def evaluate(self, ctx: "RuleContext", node_id: str, attrs: Mapping[str, Any]) -> Result:
        r = self.child.evaluate(ctx, node_id, attrs)
        if r.outcome != TRUE:
            return r
        return self._with(r, self.template.format_map(_Placeholders(attrs, self.params)))

    def _with(self, r: Result, text: str) -> Result:
        raise NotImplementedError

    def outcome(self, ctx: "RuleContext", node_id: str, attrs: Mapping[str, Any]) -> int:
        return self.child.outcome(ctx, node_id, attrs)

    def attributes(self) -> list[str]:
        return self.child.attributes()


class Described(_Templated):
    """A condition with the rule's plain-language ``message``: when it holds, its facts are
    summarised by the message (placeholders filled from the resource's attributes and the
    rule's parameters); the technical facts stay in the evidence."""

    def _with(self, r: Result, text: str) -> Result:
        return Result(outcome=TRUE, facts=(("say", text, r.facts),), missing=r.missing,
                      evidence=r.evidence, principals=r.principals,
                      principal_messages=r.principal_messages,
                      principal_evidence=r.principal_evidence)


class Fixed(_Templated):
    """A condition with the rule's ``fix``: when it holds, the step that fixes what it found
    joins the evidence's ``fixes`` (`remediate` prints a finding's fixes as its manual step,
    in place of the rule's whole remediation: new-user trial round 37)."""

    def _with(self, r: Result, text: str) -> Result:
        fixes = [*(r.evidence.get("fixes") or ()), text] if r.evidence else [text]
        return Result(outcome=TRUE, facts=r.facts, missing=r.missing,
                      evidence={**r.evidence, "fixes": list(dict.fromkeys(fixes))},
                      principals=r.principals, principal_messages=r.principal_messages,
                      principal_evidence=r.principal_evidence)


#: the longest value a message's ``{name}`` carries whole. A rule names a resource with it (a
#: key's ``{label}``: its alias and id), which plain_value's 60 characters cut: "its KMS key
#: alias/demo-misconfig-disabled (37e5d60a-8a0c-43e8-9a73-5b78… is Disabled" in
#: findings.json, the key id and the closing parenthesis lost (new-user trial round 35).
#: Bounded all the same: an attribute may be a whole policy document.
PLACEHOLDER_MAX = 2048


class _Placeholders(dict):  # type: ignore[type-arg]
    """``{name}`` in a message: the resource's attribute, else the rule's parameter (whole up
    to PLACEHOLDER_MAX characters)."""

    def __init__(self, attrs: Mapping[str, Any], params: Mapping[str, Any]) -> None:
        super().__init__()
        self.attrs = attrs
        self.params = params

    def __missing__(self, key: str) -> str:
        if key in self.attrs:
            return plain_value(self.attrs[key], PLACEHOLDER_MAX)
        return plain_value(self.params.get(key), PLACEHOLDER_MAX)


def _merge(outcome: int, results: list[Result]) -> Result:
    if outcome == FALSE and len(results) > 1:
        # a passing any/all: its first reason is enough (keeps PASS cheap)
        results = results[:1]
    if len(results) == 1:
        r = results[0]
        return r if r.outcome == outcome else Result(
            outcome=outcome, facts=r.facts, missing=r.missing, evidence=r.evidence,
            principals=r.principals, principal_messages=r.principal_messages,
            principal_evidence=r.principal_evidence)
    facts: list[tuple[Any, ...]] = []
    missing: list[str] = []
    evidence: dict[str, Any] = {}
    principals: list[str] = []
    messages: dict[str, str] = {}
    per_principal: dict[str, Mapping[str, Any]] = {}
    for r in results:  # most results carry facts only: skip the empty parts
        facts.extend(r.facts)
        if r.missing:
            missing.extend(m for m in r.missing if m not in missing)
        if r.evidence:
            # the steps of each condition that holds, all of them (a key of its own)
            fixes = [*(evidence.get("fixes") or ()), *(r.evidence.get("fixes") or ())]
            evidence.update(r.evidence)
            if fixes:
                evidence["fixes"] = list(dict.fromkeys(fixes))
        if r.principals:
            principals.extend(p for p in r.principals if p not in principals)
        if r.principal_messages:
            messages.update(r.principal_messages)
        if r.principal_evidence:
            per_principal.update(r.principal_evidence)
    return Result(outcome=outcome, facts=tuple(facts), missing=tuple(missing),
                  evidence=evidence, principals=tuple(principals), principal_messages=messages,
                  principal_evidence=per_principal)


def lookup(attrs: Mapping[str, Any], path: Sequence[str]) -> Any:
    """A dotted attribute path into nested mappings; _ABSENT when a key is not there."""
    value: Any = attrs
    for part in path:
        if type(value) is dict or isinstance(value, Mapping):  # dict first: typing is slow
            value = value.get(part, _ABSENT)
            if value is _ABSENT:
                return _ABSENT
        else:
            return _ABSENT
    return value


#: Attributes a placeholder node (collected=False) still knows: aws_managed is derived from how
#: the secret names the key (an ARN or alias that is not aws/secretsmanager); key_id is set
#: only when the secret names the key by id or key ARN (absent for an alias: not collected).
_ALWAYS_KNOWN = frozenset({"kind", "account_id", "region", "collected", "unread", "aws_managed",
                           "key_id"})


class Compare(Condition):
    """``attribute`` ``op`` ``value``: a comparison on the resource's own attribute."""

    def __init__(self, path: str, op: Operator, expected: Any, optional_keys: bool,
                 if_null: int | None = None, derived_from: str | None = None) -> None:
        self.path = path
        self.if_null = if_null
        self.derived_from = derived_from
        self.parts = tuple(path.split("."))
        self.top = self.parts[0]
        self.op = op
        self.fn = op.fn
        self.expected = expected
        # For dotted paths into free-form maps (tags.<key>), a missing key is null, not unread.
        self.optional_keys = optional_keys
        self.shown = None if op.value == "none" else (
            expected.pattern if isinstance(expected, re.Pattern) else expected)
        self.is_length = op.name.startswith("length")
        self.simple = len(self.parts) == 1
        self.always_known = self.top in _ALWAYS_KNOWN

    def evaluate(self, ctx: "RuleContext", node_id: str, attrs: Mapping[str, Any]) -> Result:
        unread = attrs.get("unread")
        if attrs.get("collected") is False and self.top not in _ALWAYS_KNOWN:
            return Result(outcome=UNKNOWN, missing=(ctx.index.not_collected(node_id, attrs),),
                          facts=(("text", f"{node_id} was not collected"),))
        if unread and (self.top in unread or self.derived_from in unread):
            return Result(outcome=UNKNOWN, missing=(f"{self.top} (not read: see coverage)",),
                          facts=(("text", f"{self.top} was not read"),))
        if len(self.parts) == 1:
            actual = attrs.get(self.top, _ABSENT)
        else:
            actual = lookup(attrs, self.parts)
            if actual is _ABSENT and self.optional_keys and self.top in attrs:
                actual = None
        if actual is _ABSENT:
            return Result(outcome=UNKNOWN, missing=(f"{self.path} (not collected)",),
                          facts=(("text", f"{self.path} was not collected"),))
        if actual is None and self.if_null is not None:
            outcome = self.if_null
        else:
            outcome = self.fn(actual, self.expected, ctx.now)
        if self.is_length and isinstance(actual, (str, list, tuple, dict)):
            actual = f"<{len(actual)} characters>" if isinstance(actual, str) else (
                f"<{len(actual)} items>")
        fact = ("attr", self.path, self.op.name, self.shown, actual, False)
        if outcome == UNKNOWN:
            return Result(outcome=UNKNOWN, facts=(fact,),
                          missing=(f"{self.path} (null: {self.op.name} cannot be judged)",))
        return Result(outcome=outcome, facts=(fact,))

    def outcome(self, ctx: "RuleContext", node_id: str, attrs: Mapping[str, Any]) -> int:
        # the same decisions as evaluate, in the same order, without facts
        if not self.always_known and attrs.get("collected") is False:
            return UNKNOWN
        unread = attrs.get("unread")
        if unread and (self.top in unread or self.derived_from in unread):
            return UNKNOWN
        if self.simple:
            actual = attrs.get(self.top, _ABSENT)
        else:
            actual = lookup(attrs, self.parts)
            if actual is _ABSENT and self.optional_keys and self.top in attrs:
                actual = None
        if actual is _ABSENT:
            return UNKNOWN
        if actual is None and self.if_null is not None:
            return self.if_null
        outcome: int = self.fn(actual, self.expected, ctx.now)
        return outcome

    def attributes(self) -> list[str]:
        return [self.top]


IF_NONE = {"false": FALSE, "true": TRUE, "unknown": UNKNOWN}


class EdgeCondition(Condition):
    """Follow edges of one kind (out or in) and test the neighbours: any / all / none of them
    satisfy ``condition``. ``if_none`` says what no neighbour at all means."""

    def __init__(self, edge_kind: str, direction: str, quantifier: str, target_kind: str | None,
                 condition: Condition | None, if_none: int) -> None:
        self.edge_kind = edge_kind
        self.direction = direction
        self.quantifier = quantifier
        self.target_kind = target_kind
        self.condition = condition
        self.if_none = if_none

    def evaluate(self, ctx: "RuleContext", node_id: str, attrs: Mapping[str, Any]) -> Result:
        neighbours = ctx.index.neighbours(node_id, self.edge_kind, self.direction)
        nodes = ctx.graph.nodes
        targets = [n for n in neighbours
                   if self.target_kind is None or nodes[n].get("kind") == self.target_kind]
        if not targets:
            if self.if_none == UNKNOWN:
                return unknown(f"{self.edge_kind} neighbour of {node_id} (not in the graph)")
            return Result(outcome=self.if_none,
                          facts=(("text", f"no {self.edge_kind} {self.direction}-neighbour"),))
        if self.condition is None:
            results = [R_TRUE for _ in targets]
        else:
            results = []
            for t in targets:
                r = self.condition.evaluate(ctx, t, nodes[t])
                if r.facts and r.outcome != FALSE:
                    r = Result(outcome=r.outcome,
                               facts=tuple(_via(self.edge_kind, t, f) for f in r.facts),
                               missing=r.missing, evidence=r.evidence, principals=r.principals,
                               principal_messages=r.principal_messages,
                               principal_evidence=r.principal_evidence)
                results.append(r)
        trues = [r for r in results if r.outcome == TRUE]
        falses = [r for r in results if r.outcome == FALSE]
        unknowns = [r for r in results if r.outcome == UNKNOWN]
        if self.quantifier == "any":
            if trues:
                return _merge(TRUE, trues)
            return _merge(UNKNOWN, unknowns) if unknowns else _merge(FALSE, falses)
        if self.quantifier == "all":
            if falses:
                return _merge(FALSE, falses)
            return _merge(UNKNOWN, unknowns) if unknowns else _merge(TRUE, trues)
        # none
        if trues:
            return _merge(FALSE, trues)
        return _merge(UNKNOWN, unknowns) if unknowns else _merge(TRUE, falses)

    def outcome(self, ctx: "RuleContext", node_id: str, attrs: Mapping[str, Any]) -> int:
        neighbours = ctx.index.neighbours(node_id, self.edge_kind, self.direction)
        nodes = ctx.graph.nodes
        targets = [n for n in neighbours
                   if self.target_kind is None or nodes[n].get("kind") == self.target_kind]
        if not targets:
            return self.if_none
        if self.condition is None:
            outcomes = {TRUE}
        else:
            outcomes = {self.condition.outcome(ctx, t, nodes[t]) for t in targets}
        if self.quantifier == "any":
            return TRUE if TRUE in outcomes else (UNKNOWN if UNKNOWN in outcomes else FALSE)
        if self.quantifier == "all":
            return FALSE if FALSE in outcomes else (UNKNOWN if UNKNOWN in outcomes else TRUE)
        return FALSE if TRUE in outcomes else (UNKNOWN if UNKNOWN in outcomes else TRUE)


class PredicateCondition(Condition):
    """A named graph predicate from the explicit table in scanner.engine.predicates."""

    def __init__(self, name: str, fn: Callable[..., Result], args: Mapping[str, Any]) -> None:
        self.name = name
        self.fn = fn
        self.args = dict(args)
        self._last: tuple[Any, str, Result] | None = None

    def evaluate(self, ctx: "RuleContext", node_id: str, attrs: Mapping[str, Any]) -> Result:
        last = self._last
        if last is not None and last[0] is ctx and last[1] == node_id:
            return last[2]
        result: Result = self.fn(ctx, node_id, attrs, self.args)
        return result

    def outcome(self, ctx: "RuleContext", node_id: str, attrs: Mapping[str, Any]) -> int:
        # predicates build their reasons as they decide: keep the last result, so the engine's
        # evaluate right after (for a FAIL/UNKNOWN) does not run the predicate twice
        result: Result = self.fn(ctx, node_id, attrs, self.args)
        self._last = (ctx, node_id, result)
        return result.outcome
