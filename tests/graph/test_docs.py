from pathlib import Path

from scanner.graph.schema import render_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_architecture_doc_carries_the_current_graph_vocabulary() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    assert render_markdown().strip() in doc, (
        "docs/architecture.md is stale: regenerate its vocabulary with "
        "`python -m scanner.graph.schema`")
