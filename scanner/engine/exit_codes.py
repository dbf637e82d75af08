"""Exit codes (DESIGN.md contract): 0 complete scan and nothing at or above --fail-on; 1 FAIL
findings at or above --fail-on; 3 scan incomplete and nothing worse; 2 (bad input) is raised
elsewhere as InputError / UsageError. MUTED findings never fail a run. ``--fail-on NONE``
(``fail_on`` None): findings never give exit 1, for a job that wants the reports only; an
incomplete scan is still 3."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.findings import Severity

OK = 0
FINDINGS = 1
BAD_INPUT = 2
INCOMPLETE = 3


def exit_code(document: Mapping[str, Any],
              fail_on: Severity | str | None = Severity.HIGH) -> int:
    threshold = parse_fail_on(fail_on) if isinstance(fail_on, str) else fail_on
    if threshold is not None:
        for f in document.get("findings") or ():
            if f.get("status") == "FAIL" and Severity(f.get("severity")).rank >= threshold.rank:
                return FINDINGS
    scan = document.get("scan") or {}
    complete = scan.get("complete")
    if complete is None:
        complete = not document.get("coverage")
    return OK if complete else INCOMPLETE


#: ``--fail-on NONE``: no severity fails the run
NEVER = "NONE"


def parse_fail_on(text: str) -> Severity | None:
    """A ``--fail-on`` value: a severity, or NONE (None: findings never give exit 1). A
    ValueError naming the choices otherwise."""
    if text.strip().upper() == NEVER:
        return None
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise ValueError(f"{exc}; or {NEVER} (findings never give exit 1: reports only)") \
            from None
