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
            if isinstance(obj, type):
                fields |= set(getattr(obj, "__annotations__", {}))  # an instance's attribute
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


#: the packages whose modules docs/access.md names by their last part (`request.PRESENT`,
#: `exposure.taken_back`); settings and trust_zone also name JSON members (`settings.zone`,
#: `trust_zone.accounts_count`), report the HTML file
_SHORT_PACKAGES = ("scanner.policy", "scanner.access")
_SHORT_AMBIGUOUS = {"settings", "trust_zone", "report"}


def _short_modules() -> dict[str, list[str]]:
    modules: dict[str, list[str]] = {}
    for package in _SHORT_PACKAGES:
        for path in sorted((ROOT / package.replace(".", "/")).glob("*.py")):
            if not path.stem.startswith("__") and path.stem not in _SHORT_AMBIGUOUS:
                modules.setdefault(path.stem, []).append(f"{package}.{path.stem}")
    return modules


def _unresolved_short_names(text: str) -> list[str]:
    modules = _short_modules()
    names = re.findall(r"`([a-z_]+)((?:\.[A-Za-z_]\w*)+)(?:\(\))?`", text)
    return [f"{head}{rest}" for head, rest in names if head in modules
            and not rest.endswith(FILE_SUFFIXES)
            and not any(_resolves(f"{module}{rest}") for module in modules[head])]


def test_every_module_and_name_the_docs_give_by_the_module_s_last_part_exists() -> None:
    """docs/access.md names the evaluator's parts as `module.name` (`request.token_issue_floor`,
    `conditions._undecided`): after a split each still names what is there. It named
    `conditions._date` and `conditions.year_or_epoch` after both had moved to
    scanner/policy/values.py (read_date, year_or_epoch). docs/scale.md, a log of what was
    measured then, keeps the names of its day."""
    pages = [ROOT / "README.md", *(p for p in sorted((ROOT / "docs").glob("*.md"))
                                   if p.name != "scale.md")]
    missing = [f"{page.name}: {name}" for page in pages
               for name in _unresolved_short_names(page.read_text(encoding="utf-8"))]
    assert missing == []


def test_the_short_name_check_tells_a_moved_name() -> None:
    assert _unresolved_short_names("`values.year_or_epoch`, `request.PRESENT`") == []
    assert _unresolved_short_names("`conditions.year_or_epoch`") == ["conditions.year_or_epoch"]
    assert _unresolved_short_names("`settings.zone`, `scan.rules`, `gates.py`") == []
