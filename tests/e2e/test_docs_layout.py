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


#: a path in tests/ named across a line break: "tests/history/" then "test_x.py" on the next
#: line (a comment's "# " or a docstring's indent between them)
_TEST_PATH = re.compile(r"(?<![\w/.-])(tests/(?:[\w.-]+/)*(?:\s*\n\s*(?:#\s*)?)?[\w.-]+"
                        r"(?:/[\w.-]+)*)")
#: written by the browser tests when they run (git-ignored)
_MADE_BY_TESTS = {"tests/artifacts"}


def _named_test_paths(text: str) -> list[str]:
    found = (re.sub(r"\s*\n\s*(?:#\s*)?", "", m.group(1)).rstrip(".,;:)/")
             for m in _TEST_PATH.finditer(text))
    return [path for path in found if path not in _MADE_BY_TESTS]


def test_every_test_file_the_code_and_docs_name_exists() -> None:
    """A docstring or a page that points at the test pinning a claim points at one that is
    there (scanner/history/records.encode_blob named tests/history/test_nightly_memory.py,
    which never existed: the test is test_history_payload_streaming.py)."""
    sources = [*ROOT.glob("scanner/**/*.py"), *ROOT.glob("reports/**/*.py"),
               *ROOT.glob("remediations/*.py"), *ROOT.glob("bench/*.py"),
               ROOT / "README.md", *ROOT.glob("docs/*.md")]
    missing = [f"{source.relative_to(ROOT)}: {path}" for source in sources
               for path in _named_test_paths(source.read_text(encoding="utf-8"))
               if not (ROOT / path).exists() and not (ROOT / f"{path}.py").exists()]
    assert missing == []


def test_a_test_path_split_over_two_lines_is_read_whole() -> None:
    assert _named_test_paths("(tests/history/\n    # test_x.py) and tests/artifacts/") == \
        ["tests/history/test_x.py"]


def _heading_anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation but `-` and `_`
    dropped, spaces as `-`, a repeated one suffixed `-1`, `-2`, ..."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for line in page.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"#{1,6}\s+(.*)", line)
        if heading is None:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def test_every_link_of_the_docs_reaches_its_file_and_heading() -> None:
    """A link of README.md or docs/*.md to one of our files lands there, and its `#anchor` on
    a heading of that page: a section renamed or a page moved leaves the reader nowhere."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            path, _, anchor = target.partition("#")
            where = (page.parent / path).resolve() if path else page
            if not where.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and where.suffix == ".md" and anchor not in _heading_anchors(where):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []


#: a path of ours: scanner/history/blobs.py, reports/html/, scanner/access/graph_io._Contexts
_SOURCE_PATH = re.compile(
    r"(?<![\w/.-])((?:scanner|reports|remediations|bench|rules|docs)/[\w./-]*[\w/])")


def _names_a_file(path: str) -> bool:
    """The path is there, as written, as a module (`.py` left out), or as a module and a name
    in it (`scanner/access/gates.combine`)."""
    if "..." in path:
        return True  # scanner/access/...py: any module
    head, _, _name = path.partition(".")
    return any((ROOT / candidate).exists()
               for candidate in (path, f"{path}.py", f"{head}.py", head))


def test_every_source_path_the_code_and_docs_name_exists() -> None:
    """docs/architecture.md's module map and the other pages name modules by path
    (`scanner/history/sqlite_schema.py`, `scanner/remediate/runs.py`): after a split or a
    rename each still leads to a file. tests/e2e/test_docs_dotted_names.py checks the dotted
    names; this the paths."""
    sources = [*ROOT.glob("scanner/**/*.py"), *ROOT.glob("reports/**/*.py"),
               *ROOT.glob("remediations/*.py"), *ROOT.glob("bench/*.py"),
               ROOT / "README.md", *ROOT.glob("docs/*.md")]
    missing = [f"{source.relative_to(ROOT)}: {path}" for source in sources
               for path in (m.group(1).rstrip(".")
                            for m in _SOURCE_PATH.finditer(source.read_text(encoding="utf-8")))
               if not _names_a_file(path)]
    assert missing == []


def test_the_path_check_tells_a_moved_module() -> None:
    assert _names_a_file("scanner/history/blobs.py")
    assert _names_a_file("scanner/access/gates.combine")
    assert _names_a_file("reports/html/")
    assert not _names_a_file("scanner/history/records_blobs.py")
    assert not _names_a_file("scanner/remediate/apply.py")


def test_the_layout_names_every_module_of_the_command_line() -> None:
    """scanner/commands/: the commands are the CLI's COMMANDS table; the `_` modules beside
    them (what `access --secret` names, its table and JSON: split out of commands/access.py)
    are named in the Layout's row, so a reader finds where a command's part went."""
    from scanner.cli import COMMANDS

    row = next(line for line in _layout_table().splitlines()
               if line.startswith("| `scanner/cli.py`, `scanner/commands/`"))
    commands = {name.rsplit(".", 1)[1] for name in COMMANDS.values()}
    modules = {p.stem for p in (ROOT / "scanner" / "commands").glob("*.py")
               if p.stem != "__init__"}
    assert sorted(m for m in modules - commands if f"`{m}.py`" not in row) == []
