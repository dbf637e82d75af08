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
    except ValueError:
        import difflib

        # NONE among the choices and the closest (NONE too) named last: new-user trial 20
        # ("...CRITICAL); did you mean CRITICAL?; or NONE (...)", and 'NON' named none)
        names = [s.value for s in Severity]
        close = difflib.get_close_matches(text.strip().upper(), [*names, NEVER], n=1,
                                          cutoff=0.6)
        raise ValueError(f"unknown severity {text!r} (expected one of {', '.join(names)}, or "
                         f"{NEVER}: findings never give exit 1)"
                         + (f"; did you mean {close[0]}?" if close else "")) from None
