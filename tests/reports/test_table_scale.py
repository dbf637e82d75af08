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


def test_capped_table_shows_the_first_rows_of_the_full_order() -> None:
    """The cap picks the rows the full table would show first (by account, failing first,
    rule, resource; then status and ARN; then document order), without sorting the rest."""
    import copy
    import random

    doc = sample_document()
    base = next(f for f in doc["findings"] if f["status"] == "FAIL")
    rows = []
    for i in range(60):
        f = copy.deepcopy(base)
        f["id"] = f"sgf-{i:032x}"
        f["resource"]["account_id"] = f"{100000000000 + i % 4:012d}"
        f["resource"]["arn"] = f"arn:aws:secretsmanager:us-east-1:{f['resource']['account_id']}" \
                               f":secret:app-{i % 3}-AbCdEf"
        f["status"] = ("FAIL", "UNKNOWN", "MUTED")[i % 5 % 3]
        f["message"] = f"principal number {i}"  # ties on everything else: document order
        rows.append(f)
    random.Random(7).shuffle(rows)
    doc = dict(doc, findings=rows)

    def lines(text: str) -> list[str]:
        first_block = text.split("\n\n")[0]
        return [" ".join(x.split()) for x in first_block.splitlines()[3:]
                if "principal number" in x]

    full = lines(render_table(doc, width=400))
    assert len(full) == 60
    for cap in (1, 7, 59):
        assert lines(render_table(doc, width=400, max_rows=cap)) == full[:cap]


def test_the_rows_left_out_point_at_the_report_the_scan_wrote() -> None:
    """1,000-account trial: the hint said 'or report.html, written with --format html' also
    when the scan had written it."""
    from pathlib import Path

    doc = sample_document()
    without = render_table(doc, width=120, max_rows=1)
    assert "see findings.json (or report.html, written with --format html)" in without
    written = render_table(doc, width=120, max_rows=1, html=Path("nightly/report.html"))
    assert "see findings.json or nightly/report.html" in written
    assert "written with --format html" not in written


def test_the_whole_table_is_written_as_it_is_made_with_the_same_text() -> None:
    """`report --in DIR --format table` and findings.txt write the table in pieces as it is
    made (at 1,000 accounts its 1.85 million lines were held as one text beside the rows):
    the text is the one render_table gives, wide and narrow."""
    import io

    from reports.table import write_table

    doc = sample_document()
    for width in (80, 120):
        out = io.StringIO()
        write_table(doc, out, width=width)
        assert out.getvalue() == render_table(doc, width=width)
        assert out.getvalue().endswith("\n") and "\n\n\n" not in out.getvalue()


def test_a_capped_table_says_how_many_rows_each_rule_has() -> None:
    """New-user trial round 25: at 1,000 accounts the terminal showed the first 200 rows of
    each severity and "... 245747 more MEDIUM row(s)", not which rules they were. When rows
    are left out, a block counts each rule's failing, unknown and muted rows; a table that
    shows every row has no such block."""
    import copy

    doc = sample_document()
    base = next(f for f in doc["findings"] if f["status"] == "FAIL")
    rows = []
    for i in range(30):
        f = copy.deepcopy(base)
        f["id"] = f"sgf-{i:032x}"
        f["rule_id"] = "secret-rotation-disabled" if i < 20 else "secret-unused"
        f["severity"] = "MEDIUM"
        f["status"] = "UNKNOWN" if i in (3, 25) else "FAIL"
        rows.append(f)
    doc = dict(doc, findings=rows)

    capped = render_table(doc, width=100, max_rows=5)
    block = capped.split("Rows by rule")[1].split("\n\n")[0]
    lines = [" ".join(x.split()) for x in block.splitlines()]
    assert "MEDIUM secret-rotation-disabled 19 1" in lines
    assert "MEDIUM secret-unused 9 1" in lines
    # most rows first
    assert lines.index("MEDIUM secret-rotation-disabled 19 1") < \
        lines.index("MEDIUM secret-unused 9 1")
    assert "Rows by rule" not in render_table(doc, width=100)
    assert "Rows by rule" not in render_table(doc, width=100, max_rows=30)
    # fits an 80-column terminal
    assert all(len(x) <= 80 for x in render_table(doc, width=80, max_rows=5).splitlines())
