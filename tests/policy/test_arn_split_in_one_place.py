"""docs/architecture.md: scanner/policy/arn.py splits ARNs, and no other module does. The ARN
condition operators cut the request's ARN themselves (matching.arn_condition_matches) and the
condition evaluator said what an ARN is on its own (conditions.is_arn_value): two more
readings of one concept. They read arn.parse_arn now, so a value that is no ARN is one for
neither -- IAM User Guide, "Amazon Resource Name (ARN) condition operators", measured by
public simulators: a request value that is not an ARN matches no ARN operator."""

from __future__ import annotations

import pytest

from scanner.policy.arn import parse_arn
from scanner.policy.conditions import is_arn_value
from scanner.policy.matching import arn_condition_matches

VALUES = ["arn:aws:iam::111122223333:role/app", "arn:aws:s3:::bucket/key:with:colons",
          "arn:aws:iam::111122223333", "arn:aws:iam:::", "urn:aws:iam::111122223333:role/app",
          "ARN:aws:iam::111122223333:role/app", "arn:aws:iam:111122223333", "", "*"]


@pytest.mark.parametrize("value", VALUES)
def test_what_an_arn_operator_compares_is_what_parse_arn_reads_as_an_arn(value: str) -> None:
    assert is_arn_value(value) is (parse_arn(value) is not None)


def test_a_value_that_is_no_arn_matches_no_arn_pattern_even_all_wildcards() -> None:
    assert not arn_condition_matches("*:*:*:*:*:*", "urn:aws:iam::111122223333:role/app")
    assert arn_condition_matches("*:*:*:*:*:*", "arn:aws:iam::111122223333:role/app")
    assert arn_condition_matches("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/key:with:colons")
