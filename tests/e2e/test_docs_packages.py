"""Each package of the scanner says what it is in its __init__ docstring (two had none), and
scanner.remediate's, which sorts its modules into pure and I/O, names every module: it left
effects, journal, permissions, runs and undo out, and undo writes to AWS."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SCANNER = Path(__file__).resolve().parents[2] / "scanner"


def docstring(package: Path) -> str:
    return ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8"))) \
        or ""


def test_every_package_of_the_scanner_has_a_docstring() -> None:
    packages = [p for p in SCANNER.rglob("__init__.py")]
    assert len(packages) > 10
    assert [str(p.parent.relative_to(SCANNER)) for p in packages
            if not docstring(p.parent).strip()] == []


def test_remediate_sorts_every_one_of_its_modules_into_pure_or_io() -> None:
    text = docstring(SCANNER / "remediate")
    sorting = text[text.index("Pure:"):]
    modules = sorted(p.stem for p in (SCANNER / "remediate").glob("*.py")
                     if p.stem != "__init__")
    assert [m for m in modules if not re.search(rf"\b{m}\b", sorting)] == []
