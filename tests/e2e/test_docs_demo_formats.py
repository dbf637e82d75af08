"""docs/demo.md and README: the formats the demo writes are scanner.demo.run.FORMATS."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_pages_name_the_formats_the_demo_writes() -> None:
    """docs/demo.md said the demo writes "every format" and listed all but JSONL, which it
    does not write (scanner.demo.run.FORMATS); README's list of out/demo files is the same
    set (docs truth round 16)."""
    from reports import FORMATS, WRITERS
    from scanner.demo.run import FORMATS as DEMO

    demo_md = (ROOT / "docs" / "demo.md").read_text(encoding="utf-8")
    left_out = [f for f in FORMATS if f not in DEMO]
    assert left_out == ["jsonl"]
    assert "every format but JSONL" in demo_md
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme[readme.index("`make demo` writes its reports"):readme.index("Open\n")]
    assert [f for f in DEMO if f != "table" and f"`{WRITERS[f].filename}`" not in quick] == []
    assert WRITERS["jsonl"].filename not in quick
