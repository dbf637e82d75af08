"""Terminal table: failing and unassessed findings grouped by severity, then account."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from reports._common import (
    SEVERITIES,
    findings_of,
    short_resource,
    sort_key,
    strip_controls,
    summary_line,
    truncate,
    trust_zone_line,
)

#: Statuses listed row by row; PASS results are only counted in the summary line.
SHOWN_STATUSES = ("FAIL", "UNKNOWN", "MUTED")
_HEADERS = ("Account", "Region", "Status", "Rule", "Resource", "Detail")


def _first_rows(f: Mapping[str, Any]) -> tuple[str, bool, str, str]:
    """The order of the rows a capped table keeps (the table's own order, uncut cells)."""
    resource = f.get("resource") or {}
    return (str(resource.get("account_id") or ""), f.get("status") != "FAIL",
            str(f.get("rule_id") or ""), short_resource(str(resource.get("arn", ""))))


def simple_table(rows: Sequence[Sequence[str]], *, headers: Sequence[str]) -> str:
    """The ``simple`` layout of the tabulate package (header, dashes, left-aligned columns two
    spaces apart, no trailing blanks) for text cells, in one pass: tabulate's per-cell type
    detection took seconds per 10,000 rows."""
    widths = [len(h) + 2 for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            if len(cell) > widths[i]:
                widths[i] = len(cell)
    last = len(widths) - 1

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(widths[i]) if i < last else c
                         for i, c in enumerate(cells)).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths)]
                     + [line(r) for r in rows])


def _cell(value: Any, limit: int) -> str:
    return truncate(strip_controls(str(value or "")).replace("\n", " "), limit, "…")


def _row(f: Mapping[str, Any], width: int) -> list[str]:
    resource = f.get("resource") or {}
    detail = f.get("message") or f.get("title") or ""
    if f.get("principal"):
        detail = f"{f['principal']}: {detail}"
    return [
        _cell(resource.get("account_id"), 14),
        _cell(resource.get("region"), 16),
        _cell(f.get("status"), 8),
        _cell(f.get("rule_id"), 40),
        _cell(short_resource(str(resource.get("arn", ""))), 48),
        _cell(detail, width),
    ]


def render_table(document: Mapping[str, Any], *, width: int = 60,
                 max_rows: int | None = None) -> str:
    """The findings as text tables, one per severity, rows ordered by account; then a summary.

    ``max_rows``: at most this many rows per severity (the first by account, FAIL first, rule
    and resource), then a line saying how many more there are; the terminal of a scan of a
    large organization gets the first rows, findings.json and the other formats get them all.

    Every cell is stripped of control characters so a hostile name cannot drive the terminal.
    """
    shown_by_severity: dict[str, list[Mapping[str, Any]]] = {s: [] for s in SEVERITIES}
    for f in findings_of(document):
        if f.get("status") in SHOWN_STATUSES:
            shown_by_severity.setdefault(str(f.get("severity")), []).append(f)
    blocks: list[str] = []
    for severity, found in shown_by_severity.items():
        if not found:
            continue
        left_out = 0
        if max_rows is not None and len(found) > max_rows:
            found = sorted(found, key=_first_rows)[:max_rows]
            left_out = len(shown_by_severity[severity]) - max_rows
        found.sort(key=sort_key)
        rows = [_row(f, width) for f in found]
        rows.sort(key=lambda r: (r[0], r[2] != "FAIL", r[3], r[4]))
        more = (f"\n... and {left_out} more {strip_controls(severity)} rows (all are in "
                "findings.json)") if left_out else ""
        blocks.append(f"{strip_controls(severity)} ({len(rows) + left_out})\n"
                      + simple_table(rows, headers=_HEADERS) + more)
    if not blocks:
        blocks.append("No failing, unassessed or muted findings.")
    coverage = document.get("coverage") or []
    if coverage:
        gaps = [[_cell(c.get("account_id"), 14), _cell(c.get("region"), 16),
                 _cell(c.get("service"), 16), _cell(c.get("operation"), 28),
                 _cell(c.get("error_code"), 28)] for c in coverage if isinstance(c, Mapping)]
        blocks.append(f"NOT ASSESSED ({len(gaps)})\n" + simple_table(
            gaps, headers=("Account", "Region", "Service", "Operation", "Error")))
    blocks.append(strip_controls(trust_zone_line(document)) + "\n"
                  + strip_controls(summary_line(document)))
    return "\n\n".join(blocks) + "\n"
