"""The rotation schedule itself allows longer than ``max_days`` between rotations:
``AutomaticallyAfterDays`` above it, or a ``ScheduleExpression`` -- ``rate(N days|hours)`` or a
six-field ``cron()`` -- whose longest gap between two rotation days is. This is what AWS Config's
secretsmanager-rotation-enabled-check does with maximumAllowedRotationFrequency: a secret just
rotated on a 365-day schedule is non-compliant today, not in a year. FALSE when rotation is not
enabled (secret-rotation-disabled reports that); UNKNOWN when the rules are missing or the
expression cannot be read."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Callable, Mapping

from scanner.engine.conditions import FALSE, TRUE, Result, unknown
from scanner.engine.context import RuleContext

#: how far around "now" cron days are enumerated: more than the largest max_days (1000), so a
#: gap longer than any allowed period is always seen
_HORIZON_DAYS = 1100

_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
# AWS cron day-of-week: 1-7 = SUN-SAT (EventBridge "Cron expressions" reference)
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


class ScheduleError(ValueError):
    """The expression is not one Secrets Manager accepts, or not one this reader knows."""


def _aws_dow(d: date) -> int:
    return (d.isoweekday() % 7) + 1  # Monday=1..Sunday=7 -> SUN=1..SAT=7


#: a number of a schedule expression: ASCII digits, and no more of them than the largest
#: number one holds needs (a year, 2199; rate()'s days) -- str.isdigit takes a superscript
#: two and an Arabic-Indic three, which int() refuses or reads, and int() refuses more than
#: 4,300 digits: a ValueError that crashed the rule (fault-injection trial round 24)
_DIGITS = re.compile(r"[0-9]{1,9}")


def _digits(token: str) -> int | None:
    """``token`` as a number when it is one (ASCII digits, at most nine), else None."""
    return int(token) if _DIGITS.fullmatch(token) else None


def _number(token: str, names: Mapping[str, int], low: int, high: int) -> int:
    value = _digits(token)
    if value is None:
        value = names.get(token.upper())
    if value is None or not low <= value <= high:
        raise ScheduleError(f"{token[:20]!r} is not in {low}-{high}")
    return value


def _values(field: str, low: int, high: int, names: Mapping[str, int] | None = None) -> set[int]:
    """A plain cron field (``*``, lists, ranges, steps) as the set of values it allows."""
    names = names or {}
    out: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step_value = _digits(step_text)
            if step_value is None or step_value < 1:
                raise ScheduleError(f"bad step {step_text[:20]!r}")
            step = step_value
        if part == "*":
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _number(a, names, low, high), _number(b, names, low, high)
        else:
            start = _number(part, names, low, high)
            end = high if step > 1 else start
        if start > end:
            raise ScheduleError(f"empty range {part!r}")
        out.update(range(start, end + 1, step))
    return out


def _nearest_weekday(d: date, day: int) -> date | None:
    last = calendar.monthrange(d.year, d.month)[1]
    if day > last:
        return None
    target = d.replace(day=day)
    if target.weekday() == 5:  # Saturday -> Friday, unless that leaves the month
        return target - timedelta(days=1) if day > 1 else target + timedelta(days=2)
    if target.weekday() == 6:  # Sunday -> Monday, unless that leaves the month
        return target + timedelta(days=1) if day < last else target - timedelta(days=2)
    return target


def _day_of_month(field: str) -> Callable[[date], bool]:
    if field == "L":
        return lambda d: d.day == calendar.monthrange(d.year, d.month)[1]
    if field == "LW":
        def last_weekday(d: date) -> bool:
            last = d.replace(day=calendar.monthrange(d.year, d.month)[1])
            while last.weekday() > 4:
                last -= timedelta(days=1)
            return d == last
        return last_weekday
    m = re.fullmatch(r"(\d{1,2})W", field)
    if m:
        day = _number(m.group(1), {}, 1, 31)
        return lambda d: _nearest_weekday(d, day) == d
    allowed = _values(field, 1, 31)
    return lambda d: d.day in allowed


def _day_of_week(field: str) -> Callable[[date], bool]:
    m = re.fullmatch(r"(\w+)#([1-5])", field)
    if m:
        dow, nth = _number(m.group(1), _DAYS, 1, 7), int(m.group(2))
        return lambda d: _aws_dow(d) == dow and (d.day - 1) // 7 + 1 == nth
    m = re.fullmatch(r"(\w*)L", field)
    if m:
        dow = _number(m.group(1), _DAYS, 1, 7) if m.group(1) else 7
        return lambda d: (_aws_dow(d) == dow
                          and d.day + 7 > calendar.monthrange(d.year, d.month)[1])
    allowed = _values(field, 1, 7, _DAYS)
    return lambda d: _aws_dow(d) in allowed


def _cron_days(expr: str) -> Callable[[date], bool]:
    fields = expr.split()
    if len(fields) != 6:
        raise ScheduleError("a cron() expression has six fields")
    minutes, hours, dom, month, dow, year = fields
    _values(minutes, 0, 59)
    _values(hours, 0, 23)
    months = _values(month, 1, 12, _MONTHS)
    years = None if year == "*" else _values(year, 1970, 2199)
    if (dom == "?") == (dow == "?"):
        raise ScheduleError("exactly one of day-of-month and day-of-week must be '?'")
    day = _day_of_week(dow) if dom == "?" else _day_of_month(dom)
    return lambda d: d.month in months and (years is None or d.year in years) and day(d)


@lru_cache(maxsize=4096)
def _cron_gap_days(expr: str, today: date) -> float:
    fires = _cron_days(expr)
    start = today - timedelta(days=_HORIZON_DAYS)
    days = [start + timedelta(days=i) for i in range(2 * _HORIZON_DAYS + 1)]
    hits = [d for d in days if fires(d)]
    if len(hits) < 2:
        return float("inf")  # it never fires again (or fires once)
    longest = max((b - a).days for a, b in zip(hits, hits[1:]))
    head, tail = (hits[0] - days[0]).days, (days[-1] - hits[-1]).days
    if max(head, tail) > longest + 31:
        return float("inf")  # the year field starts or stops it: no rotation outside
    return float(longest)


@dataclass(frozen=True, kw_only=True, slots=True)
class Interval:
    days: float  # the longest time the schedule allows between two rotations
    source: str  # what it was read from


def rotation_interval(rotation_days: Any, schedule: Any, today: date) -> Interval:
    """The longest gap the rotation rules allow. Raises ScheduleError when they cannot be read.

    Secrets Manager RotationRules hold AutomaticallyAfterDays (1-1000) or ScheduleExpression
    (``rate()`` / ``cron()``, UTC), never both (Secrets Manager API, RotationRulesType)."""
    if schedule:
        text = str(schedule).strip()
        m = re.fullmatch(r"rate\(\s*([0-9]+)\s+(day|days|hour|hours)\s*\)", text)
        if m:
            n = _digits(m.group(1))
            if n is None:
                raise ScheduleError(f"{text[:40]}: {m.group(1)[:20]}... is not a number of "
                                    f"{m.group(2)}")
            if n < 1:
                raise ScheduleError(f"{text}: a rate must be positive")
            return Interval(days=n if m.group(2).startswith("day") else n / 24, source=text)
        m = re.fullmatch(r"cron\((.*)\)", text)
        if m:
            return Interval(days=_cron_gap_days(m.group(1).strip(), today), source=text)
        raise ScheduleError(f"{text}: neither rate() nor cron()")
    if isinstance(rotation_days, int) and not isinstance(rotation_days, bool):
        if rotation_days > 0:
            return Interval(days=float(rotation_days),
                            source=f"AutomaticallyAfterDays {rotation_days}")
        raise ScheduleError(f"AutomaticallyAfterDays {rotation_days} is not a number of "
                            "days (1-1000)")
    raise ScheduleError("the secret lists no rotation rules")


def rotation_schedule_too_long(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                               args: Mapping[str, Any]) -> Result:
    if not attrs.get("rotation_enabled"):
        return Result(outcome=FALSE, facts=(("text", "rotation is not enabled"),))
    max_days = float(args["max_days"])
    now: datetime = ctx.now
    try:
        interval = rotation_interval(attrs.get("rotation_days"), attrs.get("rotation_schedule"),
                                     now.date())
    except ScheduleError as exc:
        return unknown(f"the rotation schedule ({exc})")
    shown = f"{interval.days:g} days"
    evidence = {"schedule": interval.source, "longest_interval_days": (
        None if interval.days == float("inf") else interval.days), "max_days": max_days}
    if interval.days == float("inf"):
        return Result(outcome=TRUE, facts=(("text", (
            f"the rotation schedule ({interval.source}) stops: no rotation follows its last "
            f"one, so more than {max_days:g} days pass between rotations")),), evidence=evidence)
    if interval.days > max_days:
        return Result(outcome=TRUE, facts=(("text", (
            f"the rotation schedule ({interval.source}) allows {shown} between rotations, "
            f"more than {max_days:g}")),), evidence=evidence)
    return Result(outcome=FALSE, facts=(("text", (
        f"the rotation schedule ({interval.source}) rotates at least every {shown}")),),
        evidence=evidence)
