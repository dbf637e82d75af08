"""docs/architecture.md: its Layout table names every module and package of `scanner/`, so a
reader looking for the command line (scanner/cli.py, scanner/commands/) or the findings
records finds them there."""

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
