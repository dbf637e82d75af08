"""docs/reports.md: a streamed report is written into a hidden temporary file of its own beside
it, `.NAME.<random>.tmp`, then renamed over NAME. The page said `NAME.tmp`, the fixed name
reports/_common.unique_beside gave up (it overwrote a user's file of that name)."""

from __future__ import annotations

import re
from pathlib import Path

from reports._common import replacing

ROOT = Path(__file__).resolve().parents[2]


def test_a_report_is_written_into_a_hidden_temporary_file_then_renamed(tmp_path: Path) -> None:
    target = tmp_path / "findings.jsonl"
    (tmp_path / "findings.jsonl.tmp").write_text("a user's file", encoding="utf-8")
    with replacing(target) as out:
        out.write("{}\n")
        out.flush()
        (temporary,) = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert re.fullmatch(r"\.findings\.jsonl\.[0-9a-f]{8}\.tmp", temporary)
    assert target.read_text(encoding="utf-8") == "{}\n"
    assert (tmp_path / "findings.jsonl.tmp").read_text(encoding="utf-8") == "a user's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["findings.jsonl", "findings.jsonl.tmp"]


def test_the_page_names_that_temporary_file() -> None:
    text = (ROOT / "docs" / "reports.md").read_text(encoding="utf-8")
    assert "`.NAME.<random>.tmp`" in text
    assert "(`NAME.tmp`)" not in text
