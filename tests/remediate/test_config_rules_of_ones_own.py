"""One secretgraph.yaml for `scan` and `remediate`, when it sets a rule of one's own (a rule
file loaded with --rules-dir): remediate takes the same --rules-dir, and a rule id unknown only
because its folder was not given says so (bad-input trial round 1: `scan --config C
--rules-dir D` worked, `remediate --config C` said "unknown rule id 'my-ok'" and had no
--rules-dir; docs/configuration.md: "scan and remediate read the same file")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.access_estate import estate

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

PUBLIC = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Everyone", "Effect": "Allow", "Principal": "*",
     "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})

MY_RULE = """\
id: my-ok
title: Custom rule my-ok
severity: LOW
resource: Secret
description: a custom rule for testing
rationale: testing custom rules
fail_when: {attribute: name, op: matches, value: "^app/"}
remediation:
  id: manual-my-ok
  description: fix it by hand
compliance: {}
"""


@pytest.fixture()
def scanned(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(scan folder, config, rules folder): a scan with the config and the rules folder."""
    rules = tmp_path / "my-rules"
    rules.mkdir()
    (rules / "my-ok.yaml").write_text(MY_RULE, encoding="utf-8")
    config = tmp_path / "secretgraph.yaml"
    config.write_text("rules:\n  my-ok:\n    severity: HIGH\n", encoding="utf-8")
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=PUBLIC))
    scan_dir = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(scan_dir), "-q",
                 "--config", str(config), "--rules-dir", str(rules)]) == 1
    return scan_dir, config, rules


def test_remediate_reads_the_config_the_scan_read_given_the_same_rules_dir(
        scanned: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    scan_dir, config, rules = scanned
    capsys.readouterr()
    code = main(["remediate", "--in", str(scan_dir), "--config", str(config),
                 "--rules-dir", str(rules), "-q"])
    assert (code, capsys.readouterr().err) == (0, "")
    plan = json.loads((scan_dir / "remediation-plan.json").read_text(encoding="utf-8"))
    assert any(s["rule_id"] == "my-ok" for s in plan["skipped"])  # a manual step


def test_without_the_rules_dir_remediate_says_to_give_it(
        scanned: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    scan_dir, config, _ = scanned
    capsys.readouterr()
    code = main(["remediate", "--in", str(scan_dir), "--config", str(config), "-q"])
    [line] = capsys.readouterr().err.splitlines()
    assert code == 2
    assert line == (f"secretgraph remediate: error: {config}: rule my-ok: field rules.my-ok: "
                    "unknown rule id 'my-ok': not a built-in rule: give --rules-dir DIR, the "
                    "folder of its rule file, as to scan (every command that reads this "
                    "config and checks its rule ids takes it)")
    assert not (scan_dir / "remediation-plan.json").exists()


def test_scan_without_the_rules_dir_says_the_same(
        scanned: tuple[Path, Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    _, config, _ = scanned
    capsys.readouterr()
    code = main(["scan", "--snapshot", str(tmp_path / "snapshot.json.gz"), "--out",
                 str(tmp_path / "again"), "-q", "--config", str(config)])
    [line] = capsys.readouterr().err.splitlines()
    assert code == 2
    assert "unknown rule id 'my-ok': not a built-in rule: give --rules-dir DIR" in line


def test_a_rule_in_no_folder_given_is_named_as_such(
        scanned: tuple[Path, Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """With --rules-dir given, an id that is in none of its folders (nor built in) is not
    told to give --rules-dir again."""
    scan_dir, _, rules = scanned
    other = tmp_path / "other.yaml"
    other.write_text("rules:\n  not-mine:\n    enabled: false\n", encoding="utf-8")
    capsys.readouterr()
    code = main(["remediate", "--in", str(scan_dir), "--config", str(other),
                 "--rules-dir", str(rules), "-q"])
    [line] = capsys.readouterr().err.splitlines()
    assert code == 2
    assert line.endswith("unknown rule id 'not-mine': neither a built-in rule nor one of the "
                         "--rules-dir folders (`secretgraph rules list --rules-dir DIR` names "
                         "them)")


def test_a_saved_plan_takes_no_rules_dir(
        scanned: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """--rules-dir shapes a new plan's predictions: beside --plan it would be ignored."""
    scan_dir, config, rules = scanned
    assert main(["remediate", "--in", str(scan_dir), "--config", str(config),
                 "--rules-dir", str(rules), "-q"]) == 0
    capsys.readouterr()
    code = main(["remediate", "--plan", str(scan_dir / "remediation-plan.json"),
                 "--rules-dir", str(rules)])
    [line] = capsys.readouterr().err.splitlines()
    assert code == 2
    assert "--rules-dir" in line and "a saved --plan is applied as it is" in line
