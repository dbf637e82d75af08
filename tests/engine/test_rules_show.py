"""`rules show RULE`: one rule as the morning reader of its finding needs it -- what it checks,
why it matters, its parameters, what to do and whether `remediate --apply` can, its controls --
in the terminal, at 80 columns (new-user trial round 25: no `explain RULE`; the description and
what to do were in docs/rules.md and findings.json only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.engine_helpers import write_rule

from scanner.cli import main
from scanner.engine import load_ruleset


def test_a_rule_with_parameters_and_a_manual_remediation(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    rule = load_ruleset().get("secret-rotation-overdue")
    assert rule is not None
    assert main(["rules", "show", "secret-rotation-overdue"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "secret-rotation-overdue  MEDIUM  (Secret)"
    assert lines[1] == rule.title
    flat = " ".join(out.split())
    for heading in ("In short:", "Why it matters:", "What to do:", "Compliance:",
                    "Parameters (config rules.<id>.parameters):"):
        assert heading in lines, heading
    assert " ".join(rule.summary.split()) in flat
    assert " ".join(rule.rationale.split()) in flat
    assert "max_days = 90 (integer, 1 to 1000):" in flat
    assert "remediation rotate-secret-now: a manual step" in flat
    # every line fits but a reference URL, which stays whole to be copied
    assert all(len(line) <= 80 for line in lines if not line.strip().startswith("https://"))
    # control ids are not broken at their hyphens
    assert "secretsmanager-secret-periodic-rotation" in out


def test_an_automated_remediation_says_remediate_can_apply_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "show", "secret-rotation-disabled"]) == 0
    assert "remediation enable-secret-rotation: automated" in " ".join(
        capsys.readouterr().out.split())


def test_json_holds_the_rules_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "show", "secret-rotation-overdue", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == "secret-rotation-overdue" and data["severity"] == "MEDIUM"
    assert data["parameters"]["max_days"]["default"] == 90
    assert data["remediation"] == {**data["remediation"], "id": "rotate-secret-now",
                                   "automated": False}


def test_a_misspelt_rule_is_one_line_with_the_closest(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "show", "secret-rotaton-disabled"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "no rule 'secret-rotaton-disabled'" in line
    assert "closest: secret-rotation-disabled" in line


def test_a_rule_of_ones_own_with_rules_dir_and_its_text_made_safe(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_rule(tmp_path, "my-owner-tag", "{attribute: name, op: exists}",
               extra="references: [\"https://example.com/\\u001b[31mred\"]\n")
    assert main(["rules", "show", "my-owner-tag", "--rules-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("my-owner-tag  HIGH")
    assert "\x1b" not in out


def test_format_table_is_the_plain_text_as_in_every_command(
        capsys: pytest.CaptureFixture[str]) -> None:
    """docs/configuration.md: "`--format table` is the plain-text format in every command";
    `rules show --format table` was refused (its choices were text and json). `text` stays
    accepted for scripts written against it."""
    assert main(["rules", "show", "secret-rotation-overdue"]) == 0
    plain = capsys.readouterr().out
    for fmt in ("table", "text"):
        assert main(["rules", "show", "secret-rotation-overdue", "--format", fmt]) == 0
        assert capsys.readouterr().out == plain


def test_a_parameters_range_is_shown_beside_its_default(
        capsys: pytest.CaptureFixture[str]) -> None:
    """`warn_ratio: 7` in --config was refused ('parameter warn_ratio must be <= 1') while
    `rules show` said only 'warn_ratio = 0.8: Fraction of the quota at which to warn.', and
    docs/rules.md 'number' (new-user trial round 28): the range is said where the default is."""
    assert main(["rules", "show", "vpc-peering-quota-near-limit"]) == 0
    assert "warn_ratio = 0.8 (number, 0 to 1): Fraction of the quota" in " ".join(
        capsys.readouterr().out.split())
    docs = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")
    assert "| `warn_ratio` | number, 0 to 1 | `0.8` |" in docs
    assert "| `max_days` | integer, 1 to 1000 | `90` |" in docs
