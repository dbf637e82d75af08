"""Where a reader finds things: docs/architecture.md's Layout table names every module and
package of `scanner/` (the command line, scanner/cli.py and scanner/commands/, was missing),
and README.md's Documentation list links every page of docs/ (contracts.md and scale.md were
missing)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _layout_table() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    start = text.index("## Layout")
    return text[start:text.index("\n## ", start + 1)]


def test_the_layout_names_every_module_and_package_of_scanner() -> None:
    named = set(re.findall(r"`(scanner/[\w/]+?)(?:\.py)?/?`", _layout_table()))
    parts = sorted(p for p in (ROOT / "scanner").iterdir()
                   if (p.suffix == ".py" and not p.name.startswith("__"))
                   or (p.is_dir() and (p / "__init__.py").exists()))
    missing = [p.name for p in parts
               if f"scanner/{p.stem if p.suffix else p.name}" not in named]
    assert not missing, f"docs/architecture.md's Layout table does not name {missing}"


def test_readme_links_every_document_of_docs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    docs = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    assert [d for d in docs if f"(docs/{d})" not in readme] == []


def test_the_layout_names_every_schema_the_package_ships() -> None:
    """The `scanner/schemas/` row lists each schema by name (remediation.schema.json, the plan
    and journal's, was missing)."""
    row = next(line for line in _layout_table().splitlines()
               if line.startswith("| `scanner/schemas/`"))
    shipped = sorted(p.name.removesuffix(".schema.json")
                     for p in (ROOT / "scanner" / "schemas").glob("*.schema.json"))
    assert [name for name in shipped if not re.search(rf"\b{name}\b", row)] == []
