"""Wildcard matching for actions, ARNs and condition values, as IAM does it.

* Action names match case-insensitively; ``*`` matches any run of characters, ``?`` one.
* Resource ARNs match segment by segment (partition, service, region, account); the resource
  part after the fifth colon is matched as one glob, so ``secret:app/*`` spans ``/`` and ``:``.
  ARN matching is case-sensitive.
"""

from __future__ import annotations

import re
from functools import lru_cache


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
    """The six segments of an ARN *pattern* (wildcards allowed in each; the resource segment
    keeps its colons), or None when it has fewer. The one place that splits ARN patterns
    (scanner/policy/arn.py splits ARNs)."""
    parts = pattern.split(":", 5)
    return parts if len(parts) == 6 else None


@lru_cache(maxsize=65536)
def _arn_regex(pattern: str) -> re.Pattern[str] | list[str] | None:
    """A six-part ARN pattern as one regex: in the first five segments a wildcard stays within
    the segment (``[^:]``), in the resource part it spans anything -- when no segment has two
    runs of wildcards with a ``*`` (the colons between segments leave nothing ambiguous
    across them); else its six segments, each matched as a glob (``arn_matches``). None: not
    six parts."""
    parts = arn_pattern_segments(pattern)
    if parts is None:
        return None
    out: list[str] = []
    for i, seg in enumerate(parts):
        last = i == 5
        body, unbounded = _regex_body(seg, "." if last else "[^:]", "." if last else "[^:]")
        if unbounded > 1:
            return parts
        out.append(body)
    return re.compile(":".join(out), re.DOTALL)


@lru_cache(maxsize=65536)
def _arn_literal(pattern: str) -> tuple[int, str]:
    """Patterns that need no regex: (1, P) when the pattern has no wildcard (it matches P
    only), (2, P) when its only wildcard is a final ``*`` inside the resource part (it matches
    the ARNs that start with P), (0, "") otherwise."""
    literal = literal_prefix(pattern)
    if literal == pattern:
        return 1, pattern
    if pattern == literal + "*" and literal.count(":") >= 5:
        return 2, literal
    return 0, ""


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM ARN matching: ``*`` alone matches anything; otherwise per ARN segment."""
    if pattern == "*":
        return True
    kind, literal = _arn_literal(pattern)
    if kind == 1:
        return arn == literal  # what both the regex and the glob below answer
    if kind == 2:
        # the regex is the literal then ".*" in the resource part; an ARN that starts with
        # five colons' worth of literal is a six-part ARN, so the glob branch cannot apply
        return arn.startswith(literal)
    rx = _arn_regex(pattern)
    if rx is None or arn.count(":") < 5:
        # not a six-part ARN: compare as one glob (e.g. "arn:aws:secretsmanager:*")
        return glob_match(pattern, arn)
    if isinstance(rx, list):
        # segment by segment: the first five hold no colon, so a wildcard stays within
        # its segment; in the resource part it spans anything
        return all(glob_match(p, v) for p, v in zip(rx, arn.split(":", 5)))
    return rx.fullmatch(arn) is not None



def literal_prefix(pattern: str) -> str:
    """The characters of a pattern before its first wildcard: every value it matches (as an
    ARN or as a glob, both anchored and case-sensitive) starts with them."""
    cut = len(pattern)
    for w in ("*", "?"):
        i = pattern.find(w)
        if i != -1 and i < cut:
            cut = i
    return pattern[:cut]


class PatternIndex:
    """Which of many ARN patterns match an ARN, without trying every pattern: patterns are
    bucketed by their literal prefix, and only the buckets of the ARN's own prefixes are tried
    (with ``arn_matches``). Answers are the indices of the matching patterns."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        self._buckets: dict[str, list[int]] = {}
        for i, p in enumerate(patterns):
            self._buckets.setdefault(literal_prefix(p), []).append(i)
        self._lengths = tuple(sorted({len(k) for k in self._buckets}))

    def matching(self, arn: str) -> frozenset[int]:
        out: list[int] = []
        buckets = self._buckets
        for n in self._lengths:
            if n > len(arn):
                break
            hit = buckets.get(arn[:n])
            if hit is not None:
                out.extend(i for i in hit if arn_matches(self.patterns[i], arn))
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

