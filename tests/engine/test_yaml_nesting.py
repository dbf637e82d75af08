"""A YAML file nested deeper than anything secretgraph reads is refused at its line, before
the schema check and the rule compiler recurse into it (fault-injection trial round 22: a rule
whose conditions nested 120 levels ended `rules validate` and the scan with "internal error:
RecursionError"; PyYAML itself refused only about 300)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.engine_helpers import make_secret, make_snapshot, write_rule
from scanner.cli import main
from scanner.snapshot_io import write_snapshot
from scanner.yamlio import MAX_NESTING, read_yaml


def _nested_condition(levels: int) -> str:
    """A rule condition ``levels`` conditions deep: not, all, not, all, ..."""
    condition = "{attribute: rotation_enabled, op: is_false}"
    for level in range(levels):
        condition = f"{{all: [{condition}]}}" if level % 2 else f"{{not: {condition}}}"
    return condition


def test_a_rule_nested_120_conditions_deep_is_one_line_naming_file_and_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_rule(tmp_path / "rules", "deep-rule", _nested_condition(120))
    snapshot = write_snapshot(tmp_path / "snapshot.json", make_snapshot(make_secret("db")))
    for argv in (["rules", "validate", str(path)],
                 ["scan", "--snapshot", str(snapshot), "--rules-dir", str(tmp_path / "rules"),
                  "--out", str(tmp_path / "out"), "-q"]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.endswith(f"error: {path}: not valid YAML (line 8): mappings and lists "
                            f"nested more than {MAX_NESTING} levels deep"), err
        assert "internal error" not in err and "\n" not in err


def test_a_rule_nested_as_deep_as_allowed_is_read_and_judged(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_rule(tmp_path / "rules", "deep-rule", _nested_condition(40))
    assert main(["rules", "validate", str(path)]) == 0


def test_aliases_count_the_depth_they_bring(tmp_path: Path) -> None:
    # each list 30 deep, an alias of one inside the next: no line is deeply indented
    path = tmp_path / "secretgraph.yaml"
    path.write_text("a: &a " + "[" * 30 + "1" + "]" * 30 + "\n"
                    "b: &b " + "[" * 30 + "*a" + "]" * 30 + "\n"
                    "c: [[[[[*b]]]]]\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"not valid YAML \(line 3\): mappings and lists nested "
                                        f"more than {MAX_NESTING} levels deep"):
        read_yaml(path, "config")


def test_every_shipped_rule_is_far_from_the_limit() -> None:
    rules = sorted((Path(__file__).parents[2] / "rules").glob("*.yaml"))
    assert rules

    def depth(value: object) -> int:
        if isinstance(value, dict):
            return 1 + max((max(depth(k), depth(v)) for k, v in value.items()), default=0)
        if isinstance(value, list):
            return 1 + max((depth(v) for v in value), default=0)
        return 0

    assert max(depth(read_yaml(rule, "rule")) for rule in rules) <= MAX_NESTING // 4
