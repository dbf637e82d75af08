"""Refusing, at load, regular expressions that can backtrack catastrophically (``matches`` /
``not_matches`` of a rule of one's own). Python's re has no timeout: ``^(.+)+!$`` on a
90-character name never returned and the scan hung (bad-input trial round 1).

Two shapes make a backtracking engine take exponential (or high-polynomial) time, and both are
cheap to see in the parsed pattern:

* a quantified group that itself holds an unbounded quantifier (star height 2:
  ``(.+)+``, ``(a*b?)*``, ``(.*,){12}``) -- the text can be split among the iterations in
  exponentially many ways, each tried before the match fails;
* alternatives under a quantifier that can start the same text (``(ab|a[a-z])+``,
  ``(a|a)+``): each iteration can take either, again exponentially many ways.

A bounded inner quantifier is the same trouble when it is of variable length, ends the
group (only what can match nothing after it) and can take the character the group starts
with: ``(.{0,40}){0,40}`` ran for minutes on a 30-character text (fault-injection trial round
14); ``(\\d{1,3}\\.){3}``, whose iterations the dot tells apart, is accepted.

Possessive quantifiers (``a++``, ``a*+``) and atomic groups (``(?>...)``) give nothing back,
so an unbounded one inside a quantified group is allowed: that is how to write the nested
form (``([a-z0-9-]++\\.)+``). The check is structural and conservative: a pattern it accepts
can still be slow (``.*.*.*x`` is polynomial), and one it refuses may in fact be safe.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

_p: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_ANY = -1  # a first-character set that holds every character
_NON_ASCII_WORD = -2  # the letters and digits \w matches beyond ASCII
_DIGITS = frozenset(range(48, 58))
_WORD = _DIGITS | frozenset(range(65, 91)) | frozenset(range(97, 123)) | {95, _NON_ASCII_WORD}
_SPACE = frozenset({9, 10, 11, 12, 13, 32})
_CATEGORIES = {_c.CATEGORY_DIGIT: _DIGITS, _c.CATEGORY_WORD: _WORD, _c.CATEGORY_SPACE: _SPACE}
_BACKTRACKING = (_c.MAX_REPEAT, _c.MIN_REPEAT)  # POSSESSIVE_REPEAT gives nothing back

NESTED = ("a quantified group holds an unbounded quantifier (star height 2: {part}), which can "
          "backtrack exponentially; make the inner quantifier possessive (++, *+) or the group "
          "atomic (?>...), or rewrite without the nesting")
BOUNDED = ("a quantified group ends in a variable-length quantifier that can take its first "
           "character ({part}), so the text can be split among the iterations in "
           "exponentially many ways; make the inner quantifier possessive ({{1,9}}+, ?+) or "
           "the group atomic (?>...), or end the group with a character the inner quantifier "
           "cannot match")
AMBIGUOUS = ("alternatives under a quantifier can match the same text ({part}), which can "
             "backtrack exponentially; make the alternatives start differently, or the group "
             "atomic (?>...)")


def catastrophic(pattern: str) -> str | None:
    """None when ``pattern`` (already known to compile) shows neither shape, else why it is
    refused."""
    parsed = _p.parse(pattern)
    ignore_case = bool(parsed.state.flags & re.IGNORECASE)
    return _walk(list(parsed), None, ignore_case)


def _walk(seq: list[Any], loop_first: frozenset[int] | None, icase: bool) -> str | None:
    """Look for either shape in ``seq``; ``loop_first`` is the first-character set of the
    innermost backtracking quantifier's body (None outside one)."""
    for i, (op, av) in enumerate(seq):
        if op in _BACKTRACKING:
            low, high, body = av
            if high > 1:
                if _unbounded_inside(list(body)):
                    return NESTED.format(part=_show(seq[i:i + 1]))
                first, _ = _first(list(body), icase)
                if _ends_ambiguous(list(body), first, icase)[0]:
                    return BOUNDED.format(part=_show(seq[i:i + 1]))
                found = _walk(list(body), first, icase)
            else:
                found = _walk(list(body), loop_first, icase)
        elif op == _c.POSSESSIVE_REPEAT:
            found = _walk(list(av[2]), None, icase)
        elif op == _c.SUBPATTERN:
            found = _walk(list(av[3]), loop_first, icase)
        elif op == _c.ATOMIC_GROUP:
            found = _walk(list(av), None, icase)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            found = _walk(list(av[1]), loop_first, icase)
        elif op == _c.GROUPREF_EXISTS:
            found = _walk(list(av[1]), loop_first, icase) or \
                (_walk(list(av[2]), loop_first, icase) if av[2] is not None else None)
        elif op == _c.BRANCH:
            alternatives = [list(a) for a in av[1]]
            if loop_first is not None:
                follow, nullable = _first(seq[i + 1:], icase)
                if nullable:
                    follow = follow | loop_first
                firsts = []
                for alt in alternatives:
                    first, empty = _first(alt, icase)
                    firsts.append(first | follow if empty else first)
                for a in range(len(firsts)):
                    for b in range(a + 1, len(firsts)):
                        if _overlap(firsts[a], firsts[b]):
                            return AMBIGUOUS.format(part=_show(seq[i:i + 1]))
            found = next((f for f in (_walk(a, loop_first, icase) for a in alternatives) if f),
                         None)
        else:
            found = None
        if found:
            return found
    return None


def _ends_ambiguous(seq: list[Any], first: frozenset[int],
                    icase: bool) -> tuple[bool, bool]:
    """(whether a variable-length backtracking quantifier can end ``seq`` -- only items that
    can match nothing after it -- and take a character of ``first``, the set the next
    iteration of the group starts with; whether all of ``seq`` can match nothing). Then where
    one iteration ends and the next begins can be chosen in many ways at each iteration:
    ``(a{1,9}){1,9}``, ``(x?){30}``, ``(\\w{1,20}\\s?){1,20}``. A fixed item after it
    (``(\\d{1,3}\\.){3}``) tells the iterations apart."""
    for op, av in reversed(seq):
        if op in _BACKTRACKING:
            low, high, body = av
            if low != high and _overlap(_first(list(body), icase)[0], first):
                return True, False
            inner, empty = _ends_ambiguous(list(body), first, icase)
            if inner:
                return True, False
            if low != 0 and not empty:
                return False, False
        elif op == _c.SUBPATTERN:
            inner, empty = _ends_ambiguous(list(av[3]), first, icase)
            if inner or not empty:
                return inner, False
        elif op not in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            return False, False  # a character, a set, an atomic group, alternatives: fixed
    return False, True


def _unbounded_inside(seq: list[Any]) -> bool:
    """A backtracking quantifier without an upper bound anywhere in ``seq`` (not inside an
    atomic group or a possessive quantifier, which give nothing back)."""
    for op, av in seq:
        if op in _BACKTRACKING:
            if av[1] == _c.MAXREPEAT or _unbounded_inside(list(av[2])):
                return True
        elif op == _c.SUBPATTERN:
            if _unbounded_inside(list(av[3])):
                return True
        elif op == _c.BRANCH:
            if any(_unbounded_inside(list(a)) for a in av[1]):
                return True
        elif op == _c.GROUPREF_EXISTS:
            if _unbounded_inside(list(av[1])) or \
                    (av[2] is not None and _unbounded_inside(list(av[2]))):
                return True
    return False


def _first(seq: list[Any], icase: bool) -> tuple[frozenset[int], bool]:
    """(the characters a match of ``seq`` can start with, whether it can match nothing)."""
    out: set[int] = set()
    for op, av in seq:
        first, nullable = _first_item(op, av, icase)
        out |= first
        if not nullable:
            return frozenset(out), False
    return frozenset(out), True


def _first_item(op: Any, av: Any, icase: bool) -> tuple[frozenset[int], bool]:
    if op == _c.LITERAL:
        chars = {av}
        if icase:
            chars |= {ord(ch) for ch in (chr(av).lower(), chr(av).upper()) if len(ch) == 1}
        return frozenset(chars), False
    if op in (_c.NOT_LITERAL, _c.ANY):
        return frozenset({_ANY}), False
    if op == _c.IN:
        return _charset(av, icase), False
    if op == _c.SUBPATTERN:
        return _first(list(av[3]), icase)
    if op == _c.ATOMIC_GROUP:
        return _first(list(av), icase)
    if op == _c.BRANCH:
        out: set[int] = set()
        nullable = False
        for alt in av[1]:
            first, empty = _first(list(alt), icase)
            out |= first
            nullable = nullable or empty
        return frozenset(out), nullable
    if op in (*_BACKTRACKING, _c.POSSESSIVE_REPEAT):
        first, empty = _first(list(av[2]), icase)
        return first, empty or av[0] == 0
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return frozenset(), True
    return frozenset({_ANY}), True  # a back-reference, a conditional group: anything


def _charset(items: Any, icase: bool) -> frozenset[int]:
    out: set[int] = set()
    for op, av in items:
        if op == _c.NEGATE:
            return frozenset({_ANY})
        if op == _c.LITERAL:
            out |= _first_item(op, av, icase)[0]
        elif op == _c.RANGE:
            low, high = av
            if high - low > 512:
                return frozenset({_ANY})
            for code in range(low, high + 1):
                out |= _first_item(_c.LITERAL, code, icase)[0]
        elif op == _c.CATEGORY and av in _CATEGORIES:
            out |= _CATEGORIES[av]
        else:  # a negated category (\W, \D, \S), a big range
            return frozenset({_ANY})
    return frozenset(out)


def _overlap(a: frozenset[int], b: frozenset[int]) -> bool:
    if not a or not b:
        return False
    return _ANY in a or _ANY in b or bool(a & b)


def _show(seq: list[Any]) -> str:
    """A short rendering of a parsed piece for the message."""
    return _render(seq)


def _render(seq: list[Any]) -> str:
    out: list[str] = []
    for op, av in seq:
        if op == _c.LITERAL:
            out.append(re.escape(chr(av)))
        elif op == _c.ANY:
            out.append(".")
        elif op == _c.IN:
            out.append("[...]")
        elif op == _c.SUBPATTERN:
            out.append("(" + _render(list(av[3])) + ")")
        elif op == _c.ATOMIC_GROUP:
            out.append("(?>" + _render(list(av)) + ")")
        elif op == _c.BRANCH:
            alternatives = "|".join(_render(list(a)) for a in av[1])
            out.append(alternatives if len(seq) == 1 else f"(?:{alternatives})")
        elif op in (*_BACKTRACKING, _c.POSSESSIVE_REPEAT):
            low, high, body = av
            inner = _render(list(body))
            if len(body) > 1 or (body and body[0][0] not in (_c.SUBPATTERN, _c.LITERAL,
                                                               _c.ANY, _c.IN)):
                inner = f"(?:{inner})"
            q = {(0, _c.MAXREPEAT): "*", (1, _c.MAXREPEAT): "+", (0, 1): "?"}.get(
                (low, high), f"{{{low},{'' if high == _c.MAXREPEAT else high}}}")
            suffix = "?" if op == _c.MIN_REPEAT else "+" if op == _c.POSSESSIVE_REPEAT else ""
            out.append(inner + q + suffix)
        else:
            out.append("...")
    return "".join(out)
