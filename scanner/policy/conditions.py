"""Condition operators, three-valued.

Rules pinned (IAM User Guide, "Condition operators" and "Multivalued context keys"):

* A key absent from the request makes a positive operator false and a negated operator
  (StringNotEquals, ArnNotLike, NotIpAddress, ...) true; ``...IfExists`` makes it true.
* ``Null``: "true" holds when the key is absent, "false" when it is present.
* Values listed for one key are ORed; keys and operators in one block are ANDed.
* ``ForAnyValue``: true when at least one request value matches (false when the key is absent);
  ``ForAllValues``: true when every request value matches (true when the key is absent).
* A key the scanner does not know is UNKNOWN and named, never guessed. So is an operator it does
  not know, a value it cannot parse, or a policy variable it cannot substitute.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from datetime import datetime, timezone
from typing import Callable

from scanner.policy.matching import arn_matches, glob_match
from scanner.policy.parse import ConditionClause
from scanner.policy.request import KeyState, Request
from scanner.policy.tri import Tri, all3

_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class _Unparseable(Exception):
    pass


def _num(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise _Unparseable(f"not a number: {text!r}") from None


def _date(text: str) -> float:
    t = text.strip()
    try:
        return float(t)  # epoch seconds
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise _Unparseable(f"not a date: {text!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _ip(req: str, pol: str) -> bool:
    try:
        net = ipaddress.ip_network(pol.strip(), strict=False)
        addr = ipaddress.ip_address(req.strip().split("/")[0])
    except ValueError:
        raise _Unparseable(f"not an IP address or CIDR: {pol!r} / {req!r}") from None
    return addr in net


def _bool(req: str, pol: str) -> bool:
    return req.strip().lower() == pol.strip().lower()


def _binary(req: str, pol: str) -> bool:
    try:
        return base64.b64decode(req, validate=True) == base64.b64decode(pol, validate=True)
    except ValueError:
        raise _Unparseable("not base64") from None


Matcher = Callable[[str, str], bool]

#: base operator -> (matcher(request value, policy value), negated)
OPERATORS: dict[str, tuple[Matcher, bool]] = {
    "stringequals": (lambda r, p: r == p, False),
    "stringnotequals": (lambda r, p: r == p, True),
    "stringequalsignorecase": (lambda r, p: r.lower() == p.lower(), False),
    "stringnotequalsignorecase": (lambda r, p: r.lower() == p.lower(), True),
    "stringlike": (lambda r, p: glob_match(p, r), False),
    "stringnotlike": (lambda r, p: glob_match(p, r), True),
    "numericequals": (lambda r, p: _num(r) == _num(p), False),
    "numericnotequals": (lambda r, p: _num(r) == _num(p), True),
    "numericlessthan": (lambda r, p: _num(r) < _num(p), False),
    "numericlessthanequals": (lambda r, p: _num(r) <= _num(p), False),
    "numericgreaterthan": (lambda r, p: _num(r) > _num(p), False),
    "numericgreaterthanequals": (lambda r, p: _num(r) >= _num(p), False),
    "dateequals": (lambda r, p: _date(r) == _date(p), False),
    "datenotequals": (lambda r, p: _date(r) == _date(p), True),
    "datelessthan": (lambda r, p: _date(r) < _date(p), False),
    "datelessthanequals": (lambda r, p: _date(r) <= _date(p), False),
    "dategreaterthan": (lambda r, p: _date(r) > _date(p), False),
    "dategreaterthanequals": (lambda r, p: _date(r) >= _date(p), False),
    "bool": (_bool, False),
    "binaryequals": (_binary, False),
    "ipaddress": (_ip, False),
    "notipaddress": (_ip, True),
    "arnequals": (lambda r, p: arn_matches(p, r), False),
    "arnlike": (lambda r, p: arn_matches(p, r), False),
    "arnnotequals": (lambda r, p: arn_matches(p, r), True),
    "arnnotlike": (lambda r, p: arn_matches(p, r), True),
}

#: operators whose policy value can safely take a substituted variable literally
_EXACT_STRING = {"stringequals", "stringnotequals", "stringequalsignorecase",
                 "stringnotequalsignorecase", "arnequals", "arnnotequals"}


def substitute(text: str, request: Request) -> tuple[str | None, tuple[str, ...]]:
    """Replace ``${key}`` policy variables from known context.

    Returns (text, ()) when every variable resolved, (None, unresolved keys) otherwise. The
    escapes ``${*}``, ``${?}``, ``${$}`` and defaults for absent keys are not modelled: they
    come back unresolved so the caller answers UNKNOWN.
    """
    unresolved: list[str] = []

    def repl(m: re.Match[str]) -> str:
        name = m.group(1).split(",")[0].strip()
        values = request.values(name) if request.key_state(name) is KeyState.KNOWN else ()
        if len(values) != 1:
            unresolved.append(f"${{{name}}}")
            return ""
        return values[0]

    out = _VARIABLE.sub(repl, text)
    if unresolved:
        return None, tuple(unresolved)
    return out, ()


def evaluate_clause(clause: ConditionClause, request: Request,
                    variables: bool) -> tuple[Tri, tuple[str, ...]]:
    """(truth, unresolved names) for one operator/key pair."""
    key = clause.key
    if clause.base == "null":
        if clause.qualifier or clause.if_exists:
            return Tri.UNKNOWN, (f"unsupported operator {clause.operator}",)
        wants_absent = [v.strip().lower() for v in clause.values]
        if any(v not in ("true", "false") for v in wants_absent):
            return Tri.UNKNOWN, (f"Null {key}: value must be true or false",)
        state = request.key_state(key)
        if state in (KeyState.UNKNOWN, KeyState.EXCLUDED):
            return Tri.UNKNOWN, (key,)
        absent = state is KeyState.ABSENT
        return Tri.of(any((v == "true") == absent for v in wants_absent)), ()
    op = OPERATORS.get(clause.base)
    if op is None:
        return Tri.UNKNOWN, (f"unsupported operator {clause.operator}",)
    matcher, negated = op
    policy_values: list[str] = []
    for v in clause.values:
        if variables and "${" in v:
            sub, missing = substitute(v, request)
            if sub is None:
                return Tri.UNKNOWN, missing
            if clause.base not in _EXACT_STRING and ("*" in sub or "?" in sub):
                return Tri.UNKNOWN, (f"variable in {clause.operator} {key} expands to a pattern",)
            v = sub
        policy_values.append(v)
    state = request.key_state(key)
    if state is KeyState.UNKNOWN:
        return Tri.UNKNOWN, (key,)
    if state is KeyState.EXCLUDED:
        return _excluded(clause, request, negated, key)
    if state is KeyState.ABSENT:
        if clause.if_exists:
            return Tri.TRUE, ()
        if clause.qualifier == "forallvalues":
            return Tri.TRUE, ()
        if clause.qualifier == "foranyvalue":
            return Tri.FALSE, ()
        return Tri.of(negated), ()
    req_values = request.values(key)
    try:
        def hits(r: str) -> bool:
            return any(matcher(r, p) for p in policy_values)

        if clause.qualifier == "forallvalues":
            if negated:
                return Tri.of(all(not hits(r) for r in req_values)), ()
            return Tri.of(all(hits(r) for r in req_values)), ()
        if clause.qualifier == "foranyvalue":
            if negated:
                return Tri.of(any(not hits(r) for r in req_values)), ()
            return Tri.of(any(hits(r) for r in req_values)), ()
        any_hit = any(hits(r) for r in req_values)
        return Tri.of(not any_hit if negated else any_hit), ()
    except _Unparseable as exc:
        return Tri.UNKNOWN, (f"{clause.operator} {key}: {exc}",)


def _excluded(clause: ConditionClause, request: Request, negated: bool,
              key: str) -> tuple[Tri, tuple[str, ...]]:
    """The key's value is unknown (or absent) but known to be none of ``excluded[key]``.

    Only exact string comparisons against excluded values can be decided: StringEquals on them
    is false, StringNotEquals on them is true (also when the key is absent).
    """
    excluded = request.excluded[key]
    exact = clause.base in ("stringequals", "stringnotequals")
    if exact and not clause.qualifier and all(v in excluded for v in clause.values):
        if negated:
            return Tri.TRUE, ()
        return (Tri.UNKNOWN, (key,)) if clause.if_exists else (Tri.FALSE, ())
    return Tri.UNKNOWN, (key,)


def evaluate_conditions(clauses: tuple[ConditionClause, ...], request: Request,
                        variables: bool) -> tuple[Tri, tuple[str, ...]]:
    """AND of all clauses; unresolved names are reported only while the answer is UNKNOWN."""
    results: list[Tri] = []
    unresolved: list[str] = []
    for clause in clauses:
        truth, names = evaluate_clause(clause, request, variables)
        if truth is Tri.FALSE:
            return Tri.FALSE, ()
        results.append(truth)
        if truth is Tri.UNKNOWN:
            unresolved.extend(names)
    truth = all3(results)
    return truth, tuple(dict.fromkeys(unresolved)) if truth is Tri.UNKNOWN else ()
