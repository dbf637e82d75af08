"""scanner/policy/matching.py: the literal shortcuts and the walk of Resource matching answer as
the regex reading does, and the pattern index finds exactly the patterns that match."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.policy import matching
from scanner.policy.matching import PatternIndex, arn_matches

PIECES = ["arn", "aws", ":", "secretsmanager", "us-east-1", "111111111111", "secret",
          "app/", "db", "-", "*", "?", "x:"]
patterns = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)


def _glob_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """The reference reading of a glob: ``*`` is ``.*``, ``?`` is ``.`` (the matcher walks
    the runs between stars instead: this regex backtracks exponentially on ``*?*?...``)."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _arn_regex(pattern: str) -> re.Pattern[str]:
    """The reference reading of a Resource pattern (IAM User Guide, "IAM JSON policy elements:
    Resource"): segments at every colon; a ``*`` that is the last character of its segment
    spans anything, any other wildcard stays within its segment (IAM conformance trial round
    11: the first five segments kept every wildcard within them, and a pattern of fewer than
    six was one glob)."""
    out = []
    for i, c in enumerate(pattern):
        if c == "*":
            out.append(".*" if i + 1 == len(pattern) or pattern[i + 1] == ":" else "[^:]*")
        else:
            out.append("[^:]" if c == "?" else re.escape(c))
    return re.compile("".join(out), re.DOTALL)


def _by_regex(pattern: str, arn: str) -> bool:
    """arn_matches as one regex, without its literal shortcuts and walk."""
    if pattern == "*":
        return True
    return _arn_regex(pattern).fullmatch(arn) is not None


def _instance(pattern: str, fill: str, tail: str) -> str:
    return pattern.replace("*", fill).replace("?", "a") + tail


@settings(max_examples=600, deadline=None)
@given(patterns, st.sampled_from(["", "b", "a:b", ":"]), st.sampled_from(["", "x", ":y"]),
       patterns.map(lambda p: p.replace("*", "").replace("?", "")))
def test_literal_shortcuts_answer_as_the_regex(pattern: str, fill: str, tail: str,
                                               other: str) -> None:
    for arn in (_instance(pattern, fill, tail), other):
        assert arn_matches(pattern, arn) == _by_regex(pattern, arn), (pattern, arn)


def test_a_final_star_in_the_resource_part_is_a_prefix_and_elsewhere_is_not() -> None:
    p = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/*"
    assert arn_matches(p, "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db:x")
    assert not arn_matches(p, "arn:aws:secretsmanager:us-east-1:111111111111:secret:ap")
    # a star that is its whole Region segment ends the segment: it may span the colon (IAM
    # conformance trial round 11); one inside the segment does not
    assert arn_matches("arn:aws:secretsmanager:*:1:secret:x",
                       "arn:aws:secretsmanager:eu:1:secret:x")
    assert arn_matches("arn:aws:secretsmanager:*:1:secret:x",
                       "arn:aws:secretsmanager:eu:2:1:secret:x")
    assert not arn_matches("arn:aws:secretsmanager:e*u:1:secret:x",
                           "arn:aws:secretsmanager:e:u:1:secret:x")


@settings(max_examples=300, deadline=None)
@given(st.lists(patterns, max_size=12), st.sampled_from(["", "b", "a:b"]),
       st.sampled_from(["", "x", ":y"]), st.integers(min_value=0, max_value=11))
def test_the_pattern_index_finds_exactly_the_matching_patterns(
        pats: list[str], fill: str, tail: str, pick: int) -> None:
    pats = list(dict.fromkeys(pats + ["*"]))
    index = PatternIndex(tuple(pats))
    arn = _instance(pats[pick % len(pats)], fill, tail)
    assert index.matching(arn) == {i for i, p in enumerate(pats) if arn_matches(p, arn)}


GLOB_PIECES = ["*", "?", "a", "b", "A", "ab", ":", "\n", ".", "**", "*?"]
globs = st.lists(st.sampled_from(GLOB_PIECES), max_size=10).map("".join)
values = st.lists(st.sampled_from(["a", "b", "A", "B", ":", "\n", ".", "ab", "ba"]),
                  max_size=12).map("".join)


@settings(max_examples=1500, deadline=None)
@given(globs, values, st.booleans())
def test_glob_match_answers_as_the_regex_reading(pattern: str, value: str,
                                                 ignore_case: bool) -> None:
    expected = _glob_regex(pattern, ignore_case).fullmatch(value) is not None
    assert matching.glob_match(pattern, value, ignore_case=ignore_case) == expected


@settings(max_examples=600, deadline=None)
@given(patterns, patterns)
def test_arn_matches_answers_as_the_regex_reading(pattern: str, arn: str) -> None:
    assert arn_matches(pattern, arn) == _by_regex(pattern, arn), (pattern, arn)


def test_a_pattern_of_alternating_wildcards_is_answered_at_once() -> None:
    # the regex reading needs ~4 s at 8 pairs and doubles per pair; a policy condition
    # StringLike aws:PrincipalArn "*?*?...*?!" stalled the whole scan
    pattern = "*?" * 40 + "!"
    value = "arn:aws:iam::222222222222:role/" + "x" * 200
    assert not matching.glob_match(pattern, value)
    assert matching.glob_match(pattern, value + "!")
    assert not arn_matches("arn:aws:iam::*:role/" + "*?" * 40 + "!", value)
    assert arn_matches("arn:aws:iam::*:role/" + "*?" * 40 + "!", value + "!")
    # and stars apart: "*x*x*x...*!" (thirty runs) is walked run by run, not backtracked
    spread = "*x" * 30 + "*!"
    assert not matching.glob_match(spread, value)
    assert matching.glob_match(spread, value + "!")
    assert not arn_matches("arn:aws:iam::*:role/" + spread, value)
    assert arn_matches("arn:aws:iam::*:role/" + spread, value + "!")
