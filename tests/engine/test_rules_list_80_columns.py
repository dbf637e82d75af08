"""`rules list` at 80 columns keeps each resource kind (and each control id) whole: the third
column wraps between them only (new-user trial round 9: "CoverageGro" / "up")."""

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


@pytest.mark.parametrize("columns", [80, 100])
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
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["rules", "list", "--compliance", "pci-dss-4.0"]) == 0
    out = capsys.readouterr().out
    controls = {c for rule in load_ruleset().rules
                for c in rule.compliance.get("pci-dss-4.0", ())}
    assert controls
    for cell in _third_column(out, "pci-dss-4.0"):
        words = [w for w in re.split(r",\s*|\s+", " ".join(cell)) if w]
        assert set(words) <= controls, cell
