"""New-user trial round 18: what a newcomer saw at 80 columns that was repeated, misaligned or
unclear."""

from __future__ import annotations

from pathlib import Path

from helpers.access_estate import estate
from helpers.tty import run_in_tty

from scanner.snapshot_io import write_snapshot


def test_the_table_of_a_scan_ends_with_one_summary_not_two(tmp_path: Path) -> None:
    """Round 17 left open: under the terminal table, `scan` printed the table's counts line
    ("N results (... FAIL, ... PASS); failing by severity: ...; central account ...") and then
    its own closing line, which said the FAIL counts by severity a second time. One summary
    now: the closing line, which also carries what only the counts line said (the PASS count
    and the central account)."""
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    run = run_in_tty(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "out"),
                      "--format", "table,json", "--central-account", "111111111111"],
                     cols=80, timeout=120)
    assert run.exit_code in (0, 1, 3), run.text
    lines = run.text.splitlines()
    said = " ".join(" ".join(lines).split())
    assert " results (" not in said and "failing by severity" not in said, run.text
    at = next(i for i, line in enumerate(lines) if line.startswith("scan "))
    summary = " ".join(x.strip() for x in lines[at:])
    assert summary.count(" FAIL") == 1, summary
    assert "; central account 111111111111;" in summary
    import json

    doc = json.loads((tmp_path / "out" / "findings.json").read_text())
    passed = doc["summary"]["by_status"]["PASS"]
    assert passed > 0 and f"; {passed} PASS;" in summary
    assert all(len(x) <= 80 for x in lines[at:])


def test_the_table_alone_keeps_its_counts_line() -> None:
    """`report --format table` prints the table with nothing after it: there, the counts line
    is the summary and stays."""
    from helpers.report_sample import sample_document
    from reports.table import render_table

    assert "9 results (" in render_table(sample_document(), width=120)
    assert "9 results (" not in render_table(sample_document(), width=120, summary=False)
