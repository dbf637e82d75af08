"""How long a rotation schedule allows between rotations (secret-rotation-overdue).

Secrets Manager RotationRules hold AutomaticallyAfterDays (1-1000) or a ScheduleExpression:
``rate(N days|hours)`` or a six-field ``cron()`` in UTC, never both ("Rotation schedules",
Secrets Manager User Guide). Cron fields are minutes, hours, day-of-month, month, day-of-week
(1-7 = SUN-SAT) and year; exactly one of day-of-month / day-of-week is ``?``; ``L``, ``W`` and
``#`` follow the EventBridge cron reference.
"""

from __future__ import annotations

from datetime import date

import pytest

from scanner.engine.predicates.rotation_schedule import ScheduleError, rotation_interval

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(("days", "schedule", "longest"), [
    (30, None, 30),
    (365, None, 365),
    (None, "rate(10 days)", 10),
    (None, "rate(1 day)", 1),
    (None, "rate(4 hours)", 4 / 24),
    (None, "cron(0 16 1,15 * ? *)", 17),       # the 15th to the 1st of a 31-day month
    (None, "cron(0 8 ? * MON *)", 7),
    (None, "cron(0 0 1 1 ? *)", 366),          # yearly, across a leap day
    (None, "cron(0 0 L * ? *)", 31),           # last day of each month
    (None, "cron(0 0 ? * 6L *)", 35),          # last Friday of each month
    (None, "cron(0 0 15W * ? *)", 32),         # weekday nearest the 15th
    (None, "cron(0 0 ? * 6#5 *)", 119),        # fifth Friday: not every month has one
    (None, "cron(0 0 1 */3 ? *)", 92),         # every third month from January
    (None, "cron(0 0 1 JAN,JUL ? *)", 184),
    (None, "cron(0 */4 * * ? *)", 1),          # several a day: at most a day apart
])
def test_the_longest_gap_of_a_schedule(days: int | None, schedule: str | None,
                                       longest: float) -> None:
    assert rotation_interval(days, schedule, TODAY).days == pytest.approx(longest)


def test_a_year_field_that_ends_means_rotation_stops() -> None:
    assert rotation_interval(None, "cron(0 0 1 1 ? 2026-2027)", TODAY).days == float("inf")


@pytest.mark.parametrize("schedule", [
    "cron(0 0 * * * *)",      # both day fields set
    "cron(0 0 32 * ? *)",     # no 32nd
    "cron(0 0 1 * ?)",        # five fields
    "rate(0 days)",
    "every day",
])
def test_an_expression_aws_would_refuse_is_not_guessed(schedule: str) -> None:
    with pytest.raises(ScheduleError):
        rotation_interval(None, schedule, TODAY)


@pytest.mark.parametrize("schedule", [
    "cron(0 0 \u00b2 * ? *)",                 # a superscript two: str.isdigit, not int()
    "cron(0 0 1 " + "9" * 5000 + " ? *)",     # more digits than int() converts
    "cron(0 0 1/" + "9" * 5000 + " * ? *)",
    "rate(" + "9" * 5000 + " days)",
    "rate(\u0663 days)",                      # an Arabic-Indic three
    "cron(0 0 \u0661 * ? *)",
])
def test_a_number_aws_would_not_write_is_an_unreadable_schedule_not_a_crash(
        schedule: str) -> None:
    """Only ASCII digits are numbers in a schedule expression: a hand-made snapshot's
    ScheduleExpression holding other digits, or more of them than Python converts, is a
    schedule this reader cannot read (the secret's secret-rotation-overdue UNKNOWN, naming
    it) -- it raised ValueError, and the rule 'crashed on 2 resource(s)', the scan incomplete
    (fault-injection trial round 24, LOW)."""
    with pytest.raises(ScheduleError):
        rotation_interval(None, schedule, TODAY)


@pytest.mark.parametrize("days", [-5, 0])
def test_automatically_after_days_out_of_range_is_named(days: int) -> None:
    """A hand-made snapshot's rotation_days of 0 or below is named as what it is, not as
    'no rotation rules' (Secrets Manager API, RotationRulesType: 1-1000)."""
    with pytest.raises(ScheduleError, match=f"AutomaticallyAfterDays {days} is not"):
        rotation_interval(days, None, TODAY)


def test_no_rules_at_all_is_not_guessed() -> None:
    with pytest.raises(ScheduleError):
        rotation_interval(None, None, TODAY)
    with pytest.raises(ScheduleError):
        rotation_interval(0, None, TODAY)  # moto's stand-in for a ScheduleExpression


def test_a_schedule_that_stops_says_so() -> None:
    """A schedule whose year field ends (or that can never fire) leaves no next rotation: the
    message says the schedule stops, not that it "allows never again between rotations"
    (ground-truth trial round 14, LOW)."""
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from scanner.engine.conditions import TRUE
    from scanner.engine.predicates.rotation_schedule import rotation_schedule_too_long

    ctx = SimpleNamespace(now=datetime(2026, 12, 6, tzinfo=timezone.utc))
    result = rotation_schedule_too_long(
        ctx, "s", {"rotation_enabled": True, "rotation_schedule": "cron(0 0 1 1 ? 2027)"},  # type: ignore[arg-type]
        {"max_days": 90})

    assert result.outcome is TRUE
    assert result.facts == (("text", "the rotation schedule (cron(0 0 1 1 ? 2027)) stops: "
                                     "no rotation follows its last one, so more than 90 days "
                                     "pass between rotations"),)
