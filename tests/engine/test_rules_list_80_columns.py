"""`rules list` keeps each resource kind (and each control id) whole: the third column wraps
between them only (new-user trial round 9: "CoverageGro" / "up"). At 80 columns, where the
table left the title 18 columns (4-5 lines a rule: new-user trial 17), each rule is a block: its
id and severity, then what it judges and its title."""

from __future__ import annotations

import re

import pytest

from scanner.cli import main
from scanner.engine import load_ruleset


def _third_column(text: str, header: str) -> list[list[str]]:
    """The third column's cell of each rule, as its lines."""
    lines = text.splitlines()
    head = lines[0]
    start = head.index(header)
    end = head.index("title")
    cells: list[list[str]] = []
    rule = next(i for i, line in enumerate(lines) if line.startswith("---"))
    for line in lines[rule + 1:]:
        if not line.strip():
            break
        cell = line[start:end].strip()
        if line[:start].strip():  # a rule's first line
            cells.append([cell])
        elif cell:
            cells[-1].append(cell)
    return cells


@pytest.mark.parametrize("columns", [100, 120])
def test_resource_kinds_are_never_split(columns: int, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["rules", "list"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= columns
    assert "…" not in out  # no title cut for the room the kinds take
    kinds = {kind for rule in load_ruleset().rules for kind in rule.resources}
    cells = _third_column(out, "resource")
    assert len(cells) == len(load_ruleset().rules)
    for cell in cells:
        words = [w for w in re.split(r",\s*|\s+", " ".join(cell)) if w]
        assert set(words) <= kinds, cell


def test_control_ids_are_never_split(monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["rules", "list", "--compliance", "pci-dss-4.0"]) == 0
    out = capsys.readouterr().out
    controls = {c for rule in load_ruleset().rules
                for c in rule.compliance.get("pci-dss-4.0", ())}
    assert controls
    for cell in _third_column(out, "pci-dss-4.0"):
        words = [w for w in re.split(r",\s*|\s+", " ".join(cell)) if w]
        assert set(words) <= controls, cell


def test_at_80_columns_each_rule_is_a_block(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["rules", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80
    rules = load_ruleset().rules
    # the blocks end at the count ("25 rules"; the rules the scan itself produces after it)
    count = lines.index(f"{len(rules)} rules")
    heads = [line for line in lines[:count] if line and not line.startswith(" ")]
    assert heads == [f"{r.id}  {r.severity.value}" for r in rules]
    # the title follows its kinds, whole words, most on one or two lines
    first = lines.index(heads[0])
    assert lines[first + 1].startswith("    Principal: Identity policy allows reading")
