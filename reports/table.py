"""Terminal table: failing and unassessed findings grouped by severity, then account."""

from __future__ import annotations

from typing import Any, Mapping

from tabulate import tabulate

from reports._common import (
    SEVERITIES,
    short_resource,
    sorted_findings,
    strip_controls,
    summary_line,
    truncate,
    trust_zone_line,
)

#: Statuses listed row by row; PASS results are only counted in the summary line.
SHOWN_STATUSES = ("FAIL", "UNKNOWN", "MUTED")
_HEADERS = ("Account", "Region", "Status", "Rule", "Resource", "Detail")


def _cell(value: Any, limit: int) -> str:
    return truncate(strip_controls(str(value or "")).replace("\n", " "), limit, "…")


def render_table(document: Mapping[str, Any], *, width: int = 60) -> str:
    """The findings as text tables, one per severity, rows ordered by account; then a summary.

    Every cell is stripped of control characters so a hostile name cannot drive the terminal.
    """
    rows_by_severity: dict[str, list[list[str]]] = {s: [] for s in SEVERITIES}
    for f in sorted_findings(document):
        if f.get("status") not in SHOWN_STATUSES:
            continue
        resource = f.get("resource") or {}
        detail = f.get("message") or f.get("title") or ""
        if f.get("principal"):
            detail = f"{f['principal']}: {detail}"
        row = [
            _cell(resource.get("account_id"), 14),
            _cell(resource.get("region"), 16),
            _cell(f.get("status"), 8),
            _cell(f.get("rule_id"), 40),
            _cell(short_resource(str(resource.get("arn", ""))), 48),
            _cell(detail, width),
        ]
        rows_by_severity.setdefault(str(f.get("severity")), []).append(row)
    blocks: list[str] = []
    for severity, rows in rows_by_severity.items():
        if not rows:
            continue
        rows.sort(key=lambda r: (r[0], r[2] != "FAIL", r[3], r[4]))
        blocks.append(f"{strip_controls(severity)} ({len(rows)})\n"
                      + tabulate(rows, headers=_HEADERS, tablefmt="simple", disable_numparse=True))
    if not blocks:
        blocks.append("No failing, unassessed or muted findings.")
    coverage = document.get("coverage") or []
    if coverage:
        gaps = [[_cell(c.get("account_id"), 14), _cell(c.get("region"), 16),
                 _cell(c.get("service"), 16), _cell(c.get("operation"), 28),
                 _cell(c.get("error_code"), 28)] for c in coverage if isinstance(c, Mapping)]
        blocks.append(f"NOT ASSESSED ({len(gaps)})\n" + tabulate(
            gaps, headers=("Account", "Region", "Service", "Operation", "Error"), tablefmt="simple",
            disable_numparse=True))
    blocks.append(strip_controls(trust_zone_line(document)) + "\n"
                  + strip_controls(summary_line(document)))
    return "\n\n".join(blocks) + "\n"
