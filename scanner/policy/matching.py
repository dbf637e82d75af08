"""Wildcard matching for actions, ARNs and condition values, as IAM does it.

* Action names match case-insensitively; ``*`` matches any run of characters, ``?`` one.
* Resource / NotResource patterns (``arn_matches``) are read segment by segment at every colon:
  a ``*`` that is the last character of its segment expands beyond the colon, any other
  wildcard stays within its segment (IAM User Guide, "IAM JSON policy elements: Resource").
* The ARN condition operators (``arn_condition_matches``) compare the six components of the
  ARN one by one; a policy value with fewer components matches nothing (IAM User Guide,
  "Amazon Resource Name (ARN) condition operators").
  Two documented rules, two functions: neither reads the other's patterns.
ARN matching is case-sensitive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from scanner.policy.arn import is_account_id, parse_arn


_WILD_RUN = re.compile(r"[*?]+")


def _regex_body(pattern: str, star: str, one: str) -> tuple[str, int]:
    """(a regex of a glob, how many runs of wildcards with a ``*`` it has). A run of wildcards
    is one quantifier: ``*?*?`` is "two or more characters", ``.{2,}``, not ``.*..*.``."""
    out: list[str] = []
    pos = unbounded = 0
    for m in _WILD_RUN.finditer(pattern):
        out.append(re.escape(pattern[pos:m.start()]))
        run = m.group()
        n = run.count("?")
        if "*" in run:
            unbounded += 1
            out.append(f"{star}{{{n},}}" if n else f"{star}*")
        else:
            out.append(one if n == 1 else f"{one}{{{n}}}")
        pos = m.end()
    out.append(re.escape(pattern[pos:]))
    return "".join(out), unbounded


def _fixed(part: str, ignore_case: bool) -> re.Pattern[str]:
    """A star-free run of a pattern (``?`` = any one character): a regex of fixed length,
    with nothing to backtrack over."""
    return re.compile("".join("." if ch == "?" else re.escape(ch) for ch in part),
                      re.DOTALL | (re.IGNORECASE if ignore_case else 0))


@lru_cache(maxsize=65536)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str] | tuple[re.Pattern[str], ...]:
    """One regex when the pattern has at most one run of wildcards with a ``*`` (nothing to
    backtrack over but that run), else the runs between its stars as fixed-length regexes
    (first, middles..., last) for ``_walk``."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    body, unbounded = _regex_body(pattern, ".", ".")
    if unbounded <= 1:
        return re.compile(body, flags)
    return tuple(_fixed(part, ignore_case) for part in pattern.split("*"))


def _walk(pattern: str, runs: tuple[re.Pattern[str], ...], value: str) -> bool:
    """``value`` matches ``pattern`` whole: the first run at the start, the last at the end,
    each run between them at the leftmost place after the one before (a match can always be
    moved so: a ``*`` takes any characters). Time linear in the value for each run, whatever
    the pattern: a regex of ``.*`` per ``*`` backtracks exponentially on ``*a*a*a...b``, and
    IAM accepts such values (IAM User Guide, "Condition operators": StringLike takes
    "multi-character match wildcards (*) and single-character match wildcards (?) anywhere
    in the string")."""
    head = len(pattern.split("*", 1)[0])
    end = len(value) - len(pattern.rsplit("*", 1)[1])
    if end < head or runs[0].match(value) is None or runs[-1].fullmatch(value, end) is None:
        return False
    pos = head
    for run in runs[1:-1]:
        found = run.search(value, pos, end)
        if found is None:
            return False
        pos = found.end()
    return True


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    compiled = _glob(pattern, ignore_case)
    if isinstance(compiled, tuple):
        return _walk(pattern, compiled, value)
    return compiled.fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """``secretsmanager:Get*`` matches ``secretsmanager:GetSecretValue`` (any case)."""
    return glob_match(pattern, action, ignore_case=True)


def arn_pattern_segments(pattern: str) -> list[str] | None:
    """The six components of an ARN *pattern* (wildcards allowed in each; the sixth keeps its
    colons), or None when it has fewer: what the ARN condition operators compare component by
    component (``arn_condition_matches``). The one place that splits ARN patterns
    (scanner/policy/arn.py splits ARNs)."""
    parts = pattern.split(":", 5)
    return parts if len(parts) == 6 else None


# ------------------------------------------------------------------ the Resource element
# IAM User Guide, "IAM JSON policy elements: Resource", "Using wildcards in resource ARNs": "You
# can use wildcard characters (* and ?) within the individual segments of an ARN (the parts
# separated by colons) ... You can use multiple * or ? characters in each segment. If the *
# wildcard is the last character of a resource ARN segment, it can expand to match beyond the
# colon boundaries." So a pattern is read segment by segment at *every* colon, whether or not
# it has six segments: a ``*`` that is the last character of its segment matches any run of
# characters, colons included; any other ``*`` matches a run within its segment (no colon),
# ``?`` one character of its segment (not a colon). A pattern whose segments are not the ARN's
# fields (``arn:aws:secretsmanager:*:secret:app/*``, the account left out) matches all the same.

_SPAN, _WITHIN, _ONE = "S", "W", "O"  # token kinds besides a literal character


@lru_cache(maxsize=65536)
def _resource_tokens(pattern: str) -> tuple[tuple[str, str], ...]:
    """The pattern as tokens: ("L", c) a literal character, (_ONE, "") a ``?``, (_WITHIN, "")
    a ``*`` within its segment, (_SPAN, "") a ``*`` that ends its segment. Consecutive stars
    are one token (spanning when the last of them ends the segment: a run within the segment
    followed by any run is any run)."""
    out: list[tuple[str, str]] = []
    n = len(pattern)
    for i, ch in enumerate(pattern):
        if ch == "*":
            span = i + 1 == n or pattern[i + 1] == ":"
            if out and out[-1][0] in (_SPAN, _WITHIN):
                out[-1] = (_SPAN if span or out[-1][0] == _SPAN else _WITHIN, "")
            else:
                out.append((_SPAN if span else _WITHIN, ""))
        elif ch == "?":
            out.append((_ONE, ""))
        else:
            out.append(("L", ch))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Nfa:
    """The tokens as bit masks (bit i: token i), for a run over the value that holds the set
    of tokens reached as one integer: time linear in the value, whatever the pattern."""

    size: int
    literal: dict[str, int]
    one: int
    within: int
    span: int


@lru_cache(maxsize=16384)
def _resource_nfa(pattern: str) -> _Nfa:
    tokens = _resource_tokens(pattern)
    literal: dict[str, int] = {}
    one = within = span = 0
    for i, (kind, ch) in enumerate(tokens):
        bit = 1 << i
        if kind == "L":
            literal[ch] = literal.get(ch, 0) | bit
        elif kind == _ONE:
            one |= bit
        elif kind == _WITHIN:
            within |= bit
        else:
            span |= bit
    return _Nfa(len(tokens), literal, one, within, span)


def _nfa_matches(nfa: _Nfa, value: str) -> bool:
    stars = nfa.within | nfa.span
    state = 1
    state |= (state & stars) << 1  # a star matches the empty run (stars are never adjacent)
    for ch in value:
        step = nfa.literal.get(ch, 0)
        if ch != ":":
            step |= nfa.one
            stay = state & stars
        else:
            stay = state & nfa.span
        state = ((state & step) << 1) | stay
        state |= (state & stars) << 1
        if not state:
            return False
    return bool(state >> nfa.size & 1)


@lru_cache(maxsize=65536)
def _resource_regex(pattern: str) -> tuple[re.Pattern[str], int] | None:
    """The pattern as one regex, and how many of its stars span colons, when backtracking
    over it stays small: no segment holds two runs of wildcards with a ``*`` within it (``*a*b``
    backtracks polynomially in the segment's length, ``*x*x*x...`` exponentially in the runs),
    and at most four stars span colons -- each is followed by a colon or ends the pattern, so
    it can end only where the value has a colon (a secret's ARN has six: ``arn_matches``
    walks values with many). None: walk it with ``_nfa_matches``."""
    tokens = _resource_tokens(pattern)
    spans = within = 0
    for kind, ch in tokens:
        if kind == _SPAN:
            spans += 1
            within = 0  # the star ends its segment
        elif kind == _WITHIN:
            within += 1
            if within > 1:
                return None
        elif ch == ":" and kind == "L":
            within = 0
    if spans > 4:
        return None
    body = "".join(".*" if kind == _SPAN else "[^:]*" if kind == _WITHIN else
                   "[^:]" if kind == _ONE else re.escape(ch) for kind, ch in tokens)
    return re.compile(body, re.DOTALL), spans


@lru_cache(maxsize=65536)
def _arn_literal(pattern: str) -> tuple[int, str]:
    """Patterns that need no regex: (1, P) when the pattern has no wildcard (it matches P
    only), (2, P) when its only wildcard is a final ``*`` (the last character of its segment:
    it matches the ARNs that start with P), (0, "") otherwise."""
    literal = literal_prefix(pattern)
    if literal == pattern:
        return 1, pattern
    if pattern == literal + "*":
        return 2, literal
    return 0, ""


def arn_matches(pattern: str, arn: str) -> bool:
    """Does a Resource / NotResource pattern match the ARN? ``*`` alone matches anything;
    otherwise by the segment rule above (case-sensitive)."""
    if pattern == "*":
        return True
    kind, literal = _arn_literal(pattern)
    if kind == 1:
        return arn == literal
    if kind == 2:
        return arn.startswith(literal)
    rx = _resource_regex(pattern)
    if rx is not None and (rx[1] <= 1 or arn.count(":") <= 12):
        return rx[0].fullmatch(arn) is not None
    return _nfa_matches(_resource_nfa(pattern), arn)


def resource_field(pattern: str, index: int) -> str | None:
    """The glob (``*`` within the field) that field ``index`` of every ARN the Resource pattern
    matches satisfies (0 ``arn``, 1 partition, 2 service, 3 Region, 4 account), or None when it
    cannot be told: an earlier segment ends in a ``*`` that may span colons, or the pattern
    has too few segments. Every reading of a pattern's field goes through here."""
    parts = pattern.split(":", index + 1)
    if len(parts) <= index or any(p.endswith("*") for p in parts[:index]):
        return None
    return parts[index]


def matches_every(pattern: str, shape: str) -> bool:
    """Does the Resource pattern match every ARN of ``shape``, where each ``{}`` stands for any
    non-empty text without a colon (a Region, an account, a resource id)? Asked of probes whose
    free fields are a character the pattern does not hold, once one character long and once
    longer than the pattern: such a character is matched by no literal, so a star-only
    pattern that matches the probe matches it through wildcards alone -- with the colons and
    the fixed text where every ARN of the shape has them -- and so matches every ARN of the
    shape; the two lengths catch a ``?`` that counts the characters of a field."""
    if pattern == "*":
        return True
    fresh = next(c for c in ("\x00", "\x01", "\ue000", "\ue001") if c not in pattern)
    return all(arn_matches(pattern, shape.replace("{}", fresh * n))
               for n in (1, len(pattern) + 2))


# ------------------------------------------------------------------ ARN condition operators
def arn_condition_matches(pattern: str, arn: str) -> bool:
    """ArnEquals / ArnLike (and, negated, ArnNotEquals / ArnNotLike): does the policy value
    match the ARN? IAM User Guide, "Amazon Resource Name (ARN) condition operators":
    "Case-sensitive matching of the ARN. Each of the six colon-delimited components of the ARN
    is checked separately and each can include multi-character match wildcards (*) or
    single-character match wildcards (?)." So the value and the ARN are each cut into six
    components (the sixth is the rest, colons included: "arn:partition:service:region:
    account-id:resource"), a wildcard matches within its component, and a value with fewer
    than six components -- ``arn:aws:iam:*:role/x``, ``arn:aws:iam::*x``, ``*`` -- matches no
    ARN (IAM conformance trial round 11: compared as one glob across the colons, they matched;
    cloud-copilot/iam-simulate's suite measures the same: "should return false if not a valid
    policy arn"). Not the Resource element's rule (``arn_matches``)."""
    parts = arn_pattern_segments(pattern)
    value = parse_arn(arn)  # the one split of an ARN; a value that is no ARN matches none
    if parts is None or value is None:
        return False
    fields = ("arn", value.partition, value.service, value.region, value.account,
              value.resource)
    return all(glob_match(p, f) for p, f in zip(parts, fields))


def literal_prefix(pattern: str) -> str:
    """The characters of a pattern before its first wildcard: every value it matches (as an
    ARN or as a glob, both anchored and case-sensitive) starts with them."""
    cut = len(pattern)
    for w in ("*", "?"):
        i = pattern.find(w)
        if i != -1 and i < cut:
            cut = i
    return pattern[:cut]


def compared_value(base: str, value: str) -> str:
    """A condition value as its operator ``base`` compares it: case-folded for the IgnoreCase
    operators -- IAM User Guide, "String condition operators": StringEqualsIgnoreCase "Exact
    matching, ignoring case" -- so ``ARN:AWS:IAM::999999999999:ROOT`` is read as the ARN
    ``arn:aws:iam::999999999999:root`` wherever an account is read from it (``parse_arn``,
    ``head_account`` need the lowercase ``arn`` head). Every other operator compares
    case-sensitively: the value as written. The one reading of the evaluator, the solver's
    named accounts and the exposure concepts (concept review round 4: an IgnoreCase value in
    capitals named no account, and its grant to 999999999999 was reported by no rule)."""
    return value.lower() if base.endswith("ignorecase") else value


def head_account(pattern: str) -> str | None:
    """The account component a pattern's literal head (``literal_prefix``) holds whole, or
    None: the head splits as an ARN (``arn:<partition>:<service>:<region>:<account>``) and
    its account component is followed by a ``:`` in the head, or -- a principal's account is
    12 digits (IAM User Guide, "AWS account identifiers": "The AWS account ID is a 12-digit
    number") -- the head ends right after 12 digits there. Every value the pattern matches
    (as a string, ``StringLike``) then begins with that head, so its account component is
    that account: ``arn:aws:iam::111111111111*`` and ``arn:aws:iam::111111111111:role/*``
    name 111111111111; ``arn:aws:iam::11111111111*`` (11 digits) and ``arn:aws:iam::*`` name
    none; an empty account component names none. The one reading of the evaluator
    (conditions._arn_of_unnamed) and the exposure concepts (narrowing._names_who; IAM
    conformance trial round 14)."""
    parts = literal_prefix(pattern).split(":", 5)
    if len(parts) < 5 or parts[0] != "arn":
        return None
    account = parts[4]
    if len(parts) == 6:
        return account or None
    return account if is_account_id(account) else None


def matches_no_principal_arn(pattern: str) -> bool:
    """Whether a pattern (``StringLike`` or ``ArnLike``, both case-sensitive) matches no IAM
    principal's ARN, read from its literal head (``literal_prefix``: every value it matches
    begins with it). A principal's ARN begins ``arn:`` (IAM User Guide, "IAM identifiers":
    "arn:partition:service:region:account-id:resource"; "String condition operators":
    StringLike is "Case-sensitive matching", so ``ARN:AWS:IAM::111111111111*`` matches none),
    and its account component is a 12-digit account id ("AWS account identifiers": "The AWS
    account ID is a 12-digit number"), so a head whose account component is already more than
    12 characters or holds a non-digit (``arn:aws:iam::1111111111111*``, 13 digits), or is
    closed by ``:`` and is not 12 digits (``arn:aws:iam:::*``: empty), matches none; a pattern
    without a wildcard of fewer than six components is no ARN. IAM conformance trial round 15:
    such patterns left the ``*`` path UNKNOWN and the verdict depended on --prove."""
    head = literal_prefix(pattern)
    if not (head.startswith("arn:") or "arn:".startswith(head)):
        return True
    parts = head.split(":", 5)
    if len(parts) < 5:
        return head == pattern
    account = parts[4]
    if len(parts) == 6:
        return not is_account_id(account)
    if head == pattern:
        return True  # five components, no wildcard: no ARN
    return len(account) > 12 or any(not ch.isdigit() for ch in account)


class PatternIndex:
    """Which of many ARN patterns match an ARN, without trying every pattern: patterns are
    bucketed by their literal prefix, and only the buckets of the ARN's own prefixes are tried
    (with ``arn_matches``). Answers are the indices of the matching patterns.

    Within a bucket a pattern is tried only when the ARN holds the longest run of literal
    characters the pattern has after its prefix (a wildcard matches characters, a literal only
    itself: every ARN the pattern matches holds each of its literal runs), so patterns that
    share a prefix up to a wildcard account (``arn:aws:secretsmanager:us-east-1:*:secret:
    app-1-*``, ``...:app-2-*``) are not each matched against every ARN."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        self._buckets: dict[str, list[tuple[int, str, str]]] = {}
        for i, p in enumerate(patterns):
            prefix = literal_prefix(p)
            rest = p[len(prefix):].replace("?", "*")
            run = max(rest.split("*"), key=len) if rest else ""
            self._buckets.setdefault(prefix, []).append((i, p, run))
        self._lengths = tuple(sorted({len(k) for k in self._buckets}))

    def matching(self, arn: str) -> frozenset[int]:
        out: list[int] = []
        buckets = self._buckets
        for n in self._lengths:
            if n > len(arn):
                break
            hit = buckets.get(arn[:n])
            if hit is not None:
                out.extend(i for i, p, run in hit if run in arn and arn_matches(p, arn))
        return frozenset(out)


#: pattern lists longer than this are matched through a PatternIndex (an identity policy that
#: lists thousands of secret ARNs: trying each pattern for each secret was quadratic)
INDEXED_PATTERNS = 8
_INDEXES: dict[int, tuple[tuple[str, ...], PatternIndex | None]] = {}


def index_of(patterns: tuple[str, ...], *, variables: bool = False) -> PatternIndex | None:
    """The PatternIndex of a tuple of patterns, built once per tuple (policies are parsed once
    and live for the run: looked up by the tuple's identity, kept alive with it). None when
    ``variables`` and a pattern holds a policy variable (it must be substituted first)."""
    hit = _INDEXES.get(id(patterns))
    if hit is None or hit[0] is not patterns:
        if len(_INDEXES) >= 65536:
            _INDEXES.clear()
        index = None if variables and any("${" in p for p in patterns) else \
            PatternIndex(patterns)
        hit = _INDEXES[id(patterns)] = (patterns, index)
    return hit[1]

