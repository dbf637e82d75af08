"""Condition values read as what they stand for: a number, a date (epoch seconds), an IP
network. One reading for the condition operators (scanner.policy.conditions) and the solver's
encoding (scanner.policy.smt): a value that is none of what its operator compares is
``Unparseable``, and the statement holding it gets no confident answer."""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timezone


class Unparseable(Exception):
    pass


#: IAM User Guide, numeric condition operators: they compare the key "to an integer or decimal
#: value"; date condition operators: "You must specify date/time values with one of the W3C
#: implementations of the ISO 8601 date formats or in epoch (UNIX) time". Python's float()
#: also takes "inf", "nan", "1_000" and "1e3", none of which is such a value: a policy holding
#: one is not given a confident answer (the statement is UNKNOWN, docs/access.md)
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


_EPOCH = re.compile(r"-?\d+(?:\.\d+)?")


#: W3C, "Date and Time Formats" -- the profile of ISO 8601 the date operators name: "Year:
#: YYYY", "Year and month: YYYY-MM", "Complete date: YYYY-MM-DD", "Complete date plus hours and
#: minutes: YYYY-MM-DDThh:mmTZD", "... plus hours, minutes and seconds", "... and a decimal
#: fraction of a second"; TZD "Z or +hh:mm or -hh:mm" (a value without one is read as UTC).
#: Groups: year, month, day, the time (hh:mm, seconds, fraction) and the TZD
_W3C = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})"
                  r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)?)?")


def read_number(text: str) -> float:
    t = text.strip()
    if not _DECIMAL.fullmatch(t):
        raise Unparseable(f"not a number: {text!r}")
    return float(t)


def read_date(text: str) -> float:
    """A date condition value as epoch seconds: IAM User Guide, "Condition operators", date
    condition operators: "You must specify date/time values with one of the W3C
    implementations of the ISO 8601 date formats or in epoch (UNIX) time" (``_W3C``). Four
    digits alone are both (the W3C year, epoch seconds): which AWS reads is not documented,
    so neither is. Another ISO 8601 form (a week or ordinal date, the basic format, a space
    for the ``T``) is no such value. IAM conformance trial round 27: "2020-07" was not a date,
    "2020-W01-1" was read, "2030" read as 1970."""
    t = text.strip()
    w3c = _W3C.fullmatch(t)
    if w3c is not None and w3c.group(2) is None:
        raise Unparseable(f"{text!r} is a year (W3C) and epoch seconds alike")
    if _EPOCH.fullmatch(t):
        return float(t)  # epoch seconds
    if w3c is None:
        raise Unparseable(f"not a date: {text!r}")
    if w3c.group(3) is None:
        t = f"{t}-01"  # YYYY-MM: the month's first day
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise Unparseable(f"not a date: {text!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def year_or_epoch(text: str) -> tuple[float, float] | None:
    """Four digits alone, the two times they may stand for (``read_date``): the first instant of
    that year (W3C "Year: YYYY", UTC) and that many epoch seconds; None for any other value.
    AWS does not document which it reads; where the two answer alike the choice does not
    matter (``_after_floor``: "2020" before the scan either way; the solver picks either,
    scanner.policy.smt.encode)."""
    t = text.strip()
    w3c = _W3C.fullmatch(t)
    if w3c is None or w3c.group(2) is not None:
        return None
    year = int(w3c.group(1))
    start = datetime(year, 1, 1, tzinfo=timezone.utc).timestamp() if year >= 1 else \
        datetime(1, 1, 1, tzinfo=timezone.utc).timestamp() - 366 * 86400.0
    return start, float(t)


def date_readings(text: str) -> tuple[float, ...]:
    """The times a date condition value may stand for: both of ``year_or_epoch``, else
    ``read_date``'s one."""
    both = year_or_epoch(text)
    return both if both is not None else (read_date(text),)


def not_of_type(kind: str, text: str) -> bool:
    """A request value that is no value of the type ``kind`` ("num", "date", "ip") compares:
    text that is not a decimal number, not a W3C date nor epoch seconds (four digits alone
    are both: not this), not an IP address. Such a value -- only a free-text key holds one: a
    tag, an encryption-context pair -- matches neither a positive nor a negated operator of
    that type (scanner.policy.conditions._known), as a value that is not an ARN matches no
    ARN operator. A value of the right shape that still does not read (a month 13) is not
    this: it stays unparseable (no confident answer)."""
    t = text.strip()
    if kind == "num":
        return not _DECIMAL.fullmatch(t)
    if kind == "date":
        return not (_EPOCH.fullmatch(t) or _W3C.fullmatch(t))
    if kind == "ip":
        try:
            ipaddress.ip_address(t.split("/")[0])
        except ValueError:
            return True
        return False
    return False


def ip_value(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A policy's IP address or CIDR value as a network (``Unparseable`` when it is none)."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise Unparseable(f"not an IP address or CIDR: {text!r}") from None
