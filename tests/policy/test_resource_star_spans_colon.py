"""The Resource element's wildcard rule (IAM conformance trial round 11): IAM User Guide, "IAM
JSON policy elements: Resource": "You can use multiple * or ? characters in each segment. If the
* wildcard is the last character of a resource ARN segment, it can expand to match beyond the
colon boundaries." A ``*`` that ends a colon-separated segment of the pattern spans colons; one
inside a segment, and every ``?``, stays within it -- whatever segment it is in, and whether or
not the pattern has six of them."""

from __future__ import annotations

import pytest

from scanner.policy.matching import arn_matches, resource_field

SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf"


@pytest.mark.parametrize("pattern", [
    "arn:aws:secretsmanager:*:secret:app/*",          # the account segment left out
    "arn:aws:secretsmanager:us-east-1:*:app/*",       # "secret:" left out
    "arn:aws:secretsmanager:*:app/*",
    "arn:aws:secretsmanager:us-*:secret:app/*",       # the * ends the Region segment
    "arn:*:app/db-AbCdEf",
    "arn:aws:secretsmanager:*",
])
def test_a_star_that_ends_a_segment_matches_beyond_the_colon(pattern: str) -> None:
    """concept: IAM conformance trial round 11 -- these matched no secret (a five-part pattern
    was one glob, a six-part one kept every wildcard of its first five segments within them),
    so an identity Deny or an SCP Deny on them was missed and an Allow on them too."""
    assert arn_matches(pattern, SECRET)


@pytest.mark.parametrize("pattern,arn", [
    # a * inside a segment stays within it: "us-*-1" is a Region of the form us-...-1
    ("arn:aws:secretsmanager:us-*-1:111111111111:secret:x",
     "arn:aws:secretsmanager:us:east-1:111111111111:secret:x"),
    ("arn:aws:secretsmanager:*-1:111111111111:secret:x",
     "arn:aws:secretsmanager:us:east-1:111111111111:secret:x"),
    # ? is one character of its segment, never the colon
    ("arn:aws:secretsmanager:us-east-1:111111111111:secret?app/db-AbCdEf", SECRET),
    # a * inside the resource part's segment too ("*db" is not the end of "*db-AbCdEf")
    ("arn:aws:secretsmanager:us-east-1:111111111111:*db-AbCdEf", SECRET),
    # the literal text around a spanning * still has to be there
    ("arn:aws:secretsmanager:*:secret:other/*", SECRET),
    ("arn:aws:kms:*", SECRET),
])
def test_a_star_inside_a_segment_and_a_question_mark_stay_within_it(pattern: str,
                                                                    arn: str) -> None:
    """concept: IAM conformance trial round 11 (the other half of the sentence: only the *
    that is the last character of a segment expands beyond the colon)."""
    assert not arn_matches(pattern, arn)


def test_a_mid_segment_star_matches_within_its_segment() -> None:
    """concept: IAM conformance trial round 11."""
    assert arn_matches("arn:aws:secretsmanager:us-*-1:111111111111:secret:*", SECRET)
    assert not arn_matches("arn:aws:secretsmanager:us-*-2:111111111111:secret:*", SECRET)
    assert arn_matches("arn:aws:secretsmanager:us-east-1:111111111111:secret:*db-*", SECRET)


def test_the_account_field_of_a_pattern_is_known_only_before_any_spanning_star() -> None:
    """concept: IAM conformance trial round 11 -- the identity pre-check read the account
    field of ``arn:aws:secretsmanager:*:secret:app/*`` as "secret" and answered that no Allow
    could reach account 111111111111's secrets."""
    assert resource_field("arn:aws:secretsmanager:*:secret:app/*", 4) is None
    assert resource_field("arn:aws:secretsmanager:us-*:1111*:secret:*", 4) is None
    assert resource_field("arn:aws:secretsmanager:us-*-1:1111*:secret:*", 4) == "1111*"
    assert resource_field("arn:aws:secretsmanager:us-east-1:111111111111:secret:*",
                          4) == "111111111111"
    assert resource_field("arn:aws:secretsmanager:us-east-1", 4) is None


def test_the_long_runs_of_wildcards_stay_linear() -> None:
    """A pattern with many spanning stars is walked, not backtracked (the regex reading of
    ``x*:x*:...`` backtracks exponentially on a miss)."""
    pattern = "arn:" + "x*:" * 30 + "!"
    value = "arn:" + "x:" * 200
    assert not arn_matches(pattern, value)
    assert arn_matches(pattern, value + "!")


@pytest.mark.parametrize("pattern,every", [
    ("*", True),
    ("arn:aws:secretsmanager:*:*:secret:*", True),
    ("arn:*:secretsmanager:*:*:*", True),
    # fewer segments: a * that ends its segment spans the rest
    ("arn:aws:secretsmanager:*:secret:*", True),
    ("arn:aws:secretsmanager:*", True),
    ("arn:aws:*", True),
    ("arn:aws:secretsmanager:*:*:sec*", True),
    # not every secret
    ("arn:aws:secretsmanager:*:111111111111:secret:*", False),
    ("arn:aws:secretsmanager:us-*-1:*:secret:*", False),
    ("arn:aws:secretsmanager:*:*:secret:app/*", False),
    ("arn:aws:secretsmanager:*:secret:app/*", False),
    ("arn:aws:secretsmanager:?*:*:secret:?", False),
    ("arn:aws:kms:*", False),
])
def test_which_patterns_grant_every_secret(pattern: str, every: bool) -> None:
    """identity-policy-secret-wildcard reads "every secret" with the same Resource rule
    (concept: IAM conformance trial round 11 -- it split the pattern into six fields, so
    ``arn:aws:secretsmanager:*:secret:*`` was not a wildcard grant, though it matches every
    secret of every account)."""
    from scanner.engine.predicates.identity_wildcard import _every
    assert _every(pattern, "secretsmanager:GetSecretValue", "aws") is every


def test_spanning_stars_over_a_value_of_many_colons_stay_fast() -> None:
    """Each spanning star can end at any colon of the value: four of them over a value of 400
    colons would backtrack 400^3 times as a regex; such values are walked."""
    import time
    pattern = "arn:*:*:*:*:!"
    value = "arn:" + "x:" * 400
    started = time.perf_counter()
    assert not arn_matches(pattern, value)
    assert arn_matches(pattern, value + "!")
    assert time.perf_counter() - started < 2
