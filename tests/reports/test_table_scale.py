"""The terminal table at scale: the same layout as the tabulate package, and a row cap per
severity for the terminal of a large scan."""

from __future__ import annotations

from tabulate import tabulate

from reports.table import render_table, simple_table
from helpers.report_sample import sample_document


def test_simple_table_is_tabulates_simple_layout() -> None:
    rows = [["a", "bbb…", ""], ["cc", "", "x"], ["", "d", "long cell here"]]
    headers = ("X", "Yy", "Zzz")
    assert simple_table(rows, headers=headers) == tabulate(
        rows, headers=headers, tablefmt="simple", disable_numparse=True)


def test_capped_table_keeps_the_first_rows_and_says_how_many_more() -> None:
    doc = sample_document()
    full = render_table(doc)
    capped = render_table(doc, max_rows=1)
    shown = [f for f in doc["findings"] if f["status"] in ("FAIL", "UNKNOWN", "MUTED")]
    per_severity = {s: sum(1 for f in shown if f["severity"] == s)
                    for s in {f["severity"] for f in shown}}
    for severity, n in per_severity.items():
        assert f"{severity} ({n})" in full and f"{severity} ({n})" in capped
        if n > 1:
            assert f"... and {n - 1} more {severity} rows" in capped
    assert render_table(doc, max_rows=10_000) == full
    assert capped.splitlines()[-1] == full.splitlines()[-1]  # the summary line
