"""Exit codes (DESIGN.md contract): 0 complete scan and nothing at or above --fail-on; 1 FAIL
findings at or above --fail-on; 3 scan incomplete and nothing worse; 2 (bad input) is raised
elsewhere as InputError / UsageError. MUTED findings never fail a run."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.findings import Severity

OK = 0
FINDINGS = 1
BAD_INPUT = 2
INCOMPLETE = 3


def exit_code(document: Mapping[str, Any], fail_on: Severity | str = Severity.HIGH) -> int:
    threshold = Severity.parse(fail_on) if isinstance(fail_on, str) else fail_on
    for f in document.get("findings") or ():
        if f.get("status") == "FAIL" and Severity(f.get("severity")).rank >= threshold.rank:
            return FINDINGS
    scan = document.get("scan") or {}
    complete = scan.get("complete")
    if complete is None:
        complete = not document.get("coverage")
    return OK if complete else INCOMPLETE
