"""Number and date values in conditions are read as AWS reads them, or not at all (conformance
trial round 9): Python's float() takes "inf", "-Infinity", "nan", "1_000" and "1e3", none of
which is "an integer or decimal value" (IAM User Guide, numeric condition operators) nor "one
of the W3C implementations of the ISO 8601 date formats or in epoch (UNIX) time" (date condition
operators). Such a value made a time-window grant a confident ALLOWED; docs/access.md: "an
unparseable number / date / IP -- the affected statement ... is UNKNOWN and the path is
CONDITIONAL with the reason"."""

from __future__ import annotations

import pytest

from helpers.access_estate import SECRET_ARN, estate, key_policy_for, text
from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph


def _everyone(condition: dict) -> str | None:
    snap = estate(secret_policy=text({
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*", "Condition": condition}), key_policy=key_policy_for("*"))
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    return {p.principal: p.decision for p in report.for_secret(SECRET_ARN).paths}.get("*")


@pytest.mark.parametrize("condition", [
    {"DateGreaterThan": {"aws:CurrentTime": "1_577_836_800"}},
    {"DateGreaterThan": {"aws:CurrentTime": "-inf"}},
    {"DateGreaterThan": {"aws:CurrentTime": "nan"}},
    {"NumericGreaterThanEquals": {"aws:EpochTime": "-Infinity"}},
    {"NumericGreaterThanEquals": {"aws:EpochTime": "1_000"}},
    {"NumericGreaterThanEquals": {"aws:EpochTime": "1e3"}},
    {"DateGreaterThan": {"aws:CurrentTime": "not-a-date"}},
    {"NumericGreaterThanEquals": {"aws:EpochTime": "abc"}},
])
def test_a_value_that_is_no_number_or_date_gets_no_confident_answer(condition: dict) -> None:
    assert _everyone(condition) == "CONDITIONAL"


@pytest.mark.parametrize("condition", [
    {"DateGreaterThan": {"aws:CurrentTime": "1577836800"}},
    {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
    {"NumericGreaterThanEquals": {"aws:EpochTime": "1000"}},
    {"NumericGreaterThanEquals": {"aws:EpochTime": " 1000.5 "}},
])
def test_integers_decimals_iso_dates_and_epoch_seconds_are_read(condition: dict) -> None:
    assert _everyone(condition) == "ALLOWED"
