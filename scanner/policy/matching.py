"""Wildcard matching for actions, ARNs and condition values, as IAM does it.

* Action names match case-insensitively; ``*`` matches any run of characters, ``?`` one.
* Resource ARNs match segment by segment (partition, service, region, account); the resource
  part after the fifth colon is matched as one glob, so ``secret:app/*`` spans ``/`` and ``:``.
  ARN matching is case-sensitive.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=65536)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    out = []
    for ch in pattern:
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return _glob(pattern, ignore_case).fullmatch(value) is not None


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
def _arn_regex(pattern: str) -> re.Pattern[str] | None:
    """A six-part ARN pattern as one regex: in the first five segments a wildcard stays within
    the segment (``[^:]``), in the resource part it spans anything. None: not six parts."""
    parts = arn_pattern_segments(pattern)
    if parts is None:
        return None
    out: list[str] = []
    for i, seg in enumerate(parts):
        last = i == 5
        for ch in seg:
            if ch == "*":
                out.append(".*" if last else "[^:]*")
            elif ch == "?":
                out.append("." if last else "[^:]")
            else:
                out.append(re.escape(ch))
        if not last:
            out.append(":")
    return re.compile("".join(out), re.DOTALL)


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
