"""The terminal table at scale: a row cap per severity for the terminal of a large scan
(findings.json and the reports keep every row)."""

from __future__ import annotations

from helpers.report_sample import sample_document
from reports.table import render_table


def test_capped_table_keeps_the_first_rows_and_says_how_many_more() -> None:
    doc = sample_document()
    full = render_table(doc, width=120)
    capped = render_table(doc, width=120, max_rows=1)
    shown = [f for f in doc["findings"] if f["status"] in ("FAIL", "UNKNOWN", "MUTED")]
    per_severity = {s: sum(1 for f in shown if f["severity"] == s)
                    for s in {f["severity"] for f in shown}}
    assert any(n > 1 for n in per_severity.values())
    for severity, n in per_severity.items():
        if n > 1:
            assert f"... {n - 1} more {severity} row(s)" in capped
            assert f"more {severity} row(s)" not in full
    assert render_table(doc, width=120, max_rows=10_000) == full
    assert capped.splitlines()[-1] == full.splitlines()[-1]  # the summary line
