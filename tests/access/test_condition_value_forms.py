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


#: W3C, "Date and Time Formats" (the profile of ISO 8601 the IAM User Guide's date condition
#: operators name): "Year: YYYY (eg 1997)", "Year and month: YYYY-MM (eg 1997-07)", "Complete
#: date: YYYY-MM-DD", "Complete date plus hours and minutes: YYYY-MM-DDThh:mmTZD (eg
#: 1997-07-16T19:20+01:00)", then seconds and "a decimal fraction of a second". IAM
#: conformance trial round 27: "2020-07" was "not a date" (CONDITIONAL), while ISO 8601 forms
#: outside the profile -- a week date, an ordinal date, a space for the T -- were read
@pytest.mark.parametrize("condition", [
    {"DateGreaterThan": {"aws:CurrentTime": "2020-07"}},
    {"DateGreaterThan": {"aws:CurrentTime": "2020-07-16T19:20+01:00"}},
    {"DateGreaterThan": {"aws:CurrentTime": "2020-07-16T19:20:30.45+01:00"}},
    {"DateGreaterThan": {"aws:CurrentTime": "2020-07-16"}},
])
def test_every_w3c_date_form_is_read(condition: dict) -> None:
    assert _everyone(condition) == "ALLOWED"


@pytest.mark.parametrize("condition", [
    {"DateGreaterThan": {"aws:CurrentTime": "2020-W01-1"}},  # an ISO week date
    {"DateGreaterThan": {"aws:CurrentTime": "2020-001"}},  # an ISO ordinal date
    {"DateGreaterThan": {"aws:CurrentTime": "2020-07-16 19:20:30Z"}},  # no T
    {"DateGreaterThan": {"aws:CurrentTime": "20200716T192030Z"}},  # ISO basic format
])
def test_an_iso_form_outside_the_w3c_profile_gets_no_confident_answer(condition: dict) -> None:
    assert _everyone(condition) == "CONDITIONAL"


def test_four_digits_are_a_year_and_epoch_seconds_alike_so_no_confident_answer() -> None:
    """"2030" is the W3C year 2030 and epoch second 2030 (1970): read as seconds it let the
    grant in since 1970, read as the year not before 2030 -- which AWS reads is not
    documented."""
    assert _everyone({"DateGreaterThan": {"aws:CurrentTime": "2030"}}) == "CONDITIONAL"
    # more digits are no year: epoch seconds, read
    assert _everyone({"DateGreaterThan": {"aws:CurrentTime": "20300"}}) == "ALLOWED"
