"""scanner/policy/matching.py: the literal shortcuts of ARN matching answer as the regex does,
and the pattern index finds exactly the patterns that match."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.policy import matching
from scanner.policy.matching import PatternIndex, arn_matches

PIECES = ["arn", "aws", ":", "secretsmanager", "us-east-1", "111111111111", "secret",
          "app/", "db", "-", "*", "?", "x:"]
patterns = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)


def _by_regex(pattern: str, arn: str) -> bool:
    """arn_matches without its literal shortcuts (the segment regex or the glob)."""
    if pattern == "*":
        return True
    rx = matching._arn_regex(pattern)
    if rx is None or arn.count(":") < 5:
        return matching.glob_match(pattern, arn)
    return rx.fullmatch(arn) is not None


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
    # a star in the region segment stays inside the segment
    assert arn_matches("arn:aws:secretsmanager:*:1:secret:x",
                       "arn:aws:secretsmanager:eu:1:secret:x")
    assert not arn_matches("arn:aws:secretsmanager:*:1:secret:x",
                           "arn:aws:secretsmanager:eu:2:1:secret:x")


@settings(max_examples=300, deadline=None)
@given(st.lists(patterns, max_size=12), st.sampled_from(["", "b", "a:b"]),
       st.sampled_from(["", "x", ":y"]), st.integers(min_value=0, max_value=11))
def test_the_pattern_index_finds_exactly_the_matching_patterns(
        pats: list[str], fill: str, tail: str, pick: int) -> None:
    pats = list(dict.fromkeys(pats + ["*"]))
    index = PatternIndex(tuple(pats))
    arn = _instance(pats[pick % len(pats)], fill, tail)
    assert index.matching(arn) == {i for i, p in enumerate(pats) if arn_matches(p, arn)}
