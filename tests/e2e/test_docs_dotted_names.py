"""Every dotted name of ours that the docs, or the code's docstrings and comments, give --
`scanner.engine.context.account_region_gap`, `reports.asff.validate_asff` -- is there: a
module, and in it the function, class or constant named (a dataclass's field counts). After
splits and renames a pointer left behind sends a reader nowhere: scanner/collect.py named
scanner.engine.context.service_readable, a method of GraphIndex there."""

from __future__ import annotations

import dataclasses
import importlib
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOTTED = re.compile(r"(?<![\w/])((?:scanner|reports|remediations)(?:\.[A-Za-z_]\w*)+)")
FILE_SUFFIXES = (".py", ".md", ".json", ".yaml", ".yml", ".gz")


@cache
def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            obj: object = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and not exc.name.startswith(parts[0]):
                return True  # an optional extra (z3) not installed: not ours to judge
            continue
        for name in parts[cut:]:
            fields = ({f.name for f in dataclasses.fields(obj)}  # type: ignore[arg-type]
                      if dataclasses.is_dataclass(obj) else set())
            if hasattr(obj, name):
                obj = getattr(obj, name)
            elif name in fields:
                return True
            else:
                return False
        return True
    return False


def _sources() -> list[Path]:
    return [*ROOT.glob("scanner/**/*.py"), *ROOT.glob("reports/**/*.py"),
            *ROOT.glob("remediations/*.py"), ROOT / "README.md", *ROOT.glob("docs/*.md")]


def test_every_dotted_name_the_docs_and_the_code_give_exists() -> None:
    missing = []
    for source in _sources():
        text = source.read_text(encoding="utf-8")
        for match in DOTTED.finditer(text):
            name = match.group(1)
            if name.endswith(FILE_SUFFIXES) or _resolves(name):
                continue
            line = text.count("\n", 0, match.start()) + 1
            missing.append(f"{source.relative_to(ROOT)}:{line}: {name}")
    assert missing == []


def test_the_check_tells_a_moved_name_from_a_field() -> None:
    assert _resolves("scanner.engine.context.GraphIndex.service_readable")
    assert not _resolves("scanner.engine.context.service_readable")
    assert _resolves("scanner.access.settings.AccessSettings.time_floor")  # a field
    assert not _resolves("scanner.no_such_module.name")
