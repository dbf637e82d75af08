"""Scan scoping: --rules / --exclude-rules (ids or globs), --severity, --compliance, and
`rules list --compliance`; unknown names exit 2 naming the closest matches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.engine_helpers import make_secret, make_snapshot
from reports.json_out import read_findings_json
from scanner.cli import main
from scanner.engine import load_ruleset
from scanner.engine.loader import RuleScope, frameworks, resolve_framework, resolve_scope, select_rules
from scanner.errors import UsageError
from scanner.findings import Severity
from scanner.model import to_jsonable


def ids(scope: RuleScope) -> set[str]:
    ruleset = load_ruleset()
    return set(select_rules(ruleset, resolve_scope(ruleset, scope)).ids)


def test_include_and_exclude_take_ids_and_globs() -> None:
    everything = set(load_ruleset().ids)
    rotation = {i for i in everything if i.startswith("secret-rotation-")}
    assert len(rotation) >= 4
    assert ids(RuleScope(include=("secret-rotation-*",))) == rotation
    assert ids(RuleScope(include=("secret-rotation-*",),
                         exclude=("secret-rotation-overdue",))) == rotation - {
        "secret-rotation-overdue"}
    assert ids(RuleScope(exclude=("vpc-*", "kms-*"))) == {
        i for i in everything if not i.startswith(("vpc-", "kms-"))}


def test_compliance_keeps_only_the_rules_mapped_to_the_framework() -> None:
    ruleset = load_ruleset()
    assert set(frameworks(ruleset)) >= {"aws-fsbp", "nist-800-53-r5", "pci-dss-4.0", "cis-aws"}
    pci = ids(RuleScope(compliance=("pci",)))
    assert pci == {r.id for r in ruleset.rules if "pci-dss-4.0" in r.compliance}
    assert "secret-rotation-disabled" in pci and "vpc-peering-route-missing" not in pci
    assert resolve_framework("FSBP", ruleset) == "aws-fsbp"
    assert resolve_framework("nist-800-53-r5", ruleset) == "nist-800-53-r5"


@pytest.mark.parametrize(("scope", "named", "closest"), [
    (RuleScope(include=("secret-rotaton-disabled",)), "'secret-rotaton-disabled'",
     "secret-rotation-disabled"),
    (RuleScope(exclude=("kms-nothing-*",)), "pattern 'kms-nothing-*'", None),
    (RuleScope(compliance=("pcx",)), "'pcx'", "pci-dss-4.0"),
])
def test_unknown_names_are_usage_errors_with_closest_matches(scope: RuleScope, named: str,
                                                             closest: str | None) -> None:
    with pytest.raises(UsageError) as err:
        ids(scope)
    assert named in str(err.value)
    if closest:
        assert f"closest: {closest}" in str(err.value)


def test_an_empty_selection_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="selection is empty"):
        ids(RuleScope(include=("scan-coverage-gap",), compliance=("pci-dss-4.0",)))


def _snapshot(tmp_path: Path) -> Path:
    snap = make_snapshot(make_secret("a", kms_key_id=None, rotation_enabled=False))
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(to_jsonable(snap)), encoding="utf-8")
    return path


def _scan(tmp_path: Path, *flags: str) -> tuple[int, dict]:
    out = tmp_path / "out"
    code = main(["scan", "--snapshot", str(_snapshot(tmp_path)), "--out", str(out),
                 "--format", "json", "--fail-on", "CRITICAL", *flags])
    return code, read_findings_json(out / "findings.json")


def test_scan_rules_and_severity_flags_scope_the_document(tmp_path: Path) -> None:
    code, doc = _scan(tmp_path, "--rules", "secret-rotation-*,secret-uses-aws-managed-key",
                      "--severity", "medium")
    assert code == 0
    rules = {f["rule_id"] for f in doc["findings"]}
    assert rules and rules <= {r for r in doc["scan"]["rules"]}
    # suppression-expired is evaluated by every scan (new-user trial round 6)
    assert all(r.startswith("secret-rotation-") or r == "secret-uses-aws-managed-key"
               for r in doc["scan"]["rules"] if r != "suppression-expired")
    assert "suppression-expired" in doc["scan"]["rules"]
    assert {f["severity"] for f in doc["findings"]} == {Severity.MEDIUM.value}
    assert doc["scan"]["scope"]["severities"] == ["MEDIUM"]
    assert "secret-rotation-disabled" in rules


@pytest.mark.parametrize("scope", [("--rules", "secret-rotation-*"),
                                   ("--exclude-rules", "vpc-*")])
def test_a_config_tuning_a_rule_the_scope_leaves_out_is_valid(tmp_path: Path,
                                                              scope: tuple[str, str]) -> None:
    """One config for every night: a scoped scan must not call its rules unknown."""
    config = tmp_path / "secretgraph.yaml"
    config.write_text("rules:\n  vpc-peering-quota-near-limit:\n    severity: MEDIUM\n")
    code, doc = _scan(tmp_path, *scope, "--config", str(config))
    assert code in (0, 1) and "vpc-peering-quota-near-limit" not in doc["scan"]["rules"]


def test_scan_compliance_flag_records_the_framework_key(tmp_path: Path) -> None:
    code, doc = _scan(tmp_path, "--compliance", "fsbp")
    assert code == 0
    assert doc["scan"]["scope"] == {"compliance": ["aws-fsbp"]}
    assert all("aws-fsbp" in f["compliance"] for f in doc["findings"])


def test_scan_with_an_unknown_rule_exits_2_naming_it(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "--snapshot", str(_snapshot(tmp_path)), "--out", str(tmp_path / "o"),
                 "--exclude-rules", "secret-rotation-disabld"])
    assert code == 2
    err = capsys.readouterr().err
    assert "secret-rotation-disabld" in err and "closest: secret-rotation-disabled" in err
    assert "Traceback" not in err
    assert not (tmp_path / "o" / "findings.json").exists()


def test_rules_list_compliance_shows_the_controls(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: the header stays on one line
    assert main(["rules", "list", "--compliance", "pci-dss-4.0"]) == 0
    out = capsys.readouterr().out
    assert "pci-dss-4.0 controls" in out and "8.3.9" in out
    assert "vpc-peering-route-missing" not in out
    assert main(["rules", "list", "--compliance", "nope"]) == 2
    assert "unknown compliance framework 'nope'" in capsys.readouterr().err


def test_an_empty_rules_dir_is_refused_and_one_given_twice_is_read_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A new user's trial: scan ran without a word on a folder holding no rule, and a folder
    given twice was 'duplicate rule id (also defined in <the same file>)'."""
    empty = tmp_path / "rules-empty"
    empty.mkdir()
    code = main(["scan", "--snapshot", str(_snapshot(tmp_path)), "--out", str(tmp_path / "o"),
                 "--rules-dir", str(empty)])
    assert code == 2 and "no rule files" in capsys.readouterr().err
    custom = tmp_path / "rules-custom"
    custom.mkdir()
    builtin = (Path(__file__).parents[2] / "rules" / "secret-rotation-disabled.yaml").read_text()
    (custom / "custom-ok.yaml").write_text(builtin.replace(
        "id: secret-rotation-disabled", "id: custom-ok").replace(
        "title: Secret rotation is not enabled", 'title: "Custom \\e[31mred"').replace(
        "id: enable-secret-rotation", "id: custom-fix"))  # a rule of one's own: its own id
    assert load_ruleset([custom, custom]).ids.count("custom-ok") == 1
    assert main(["rules", "list", "--rules-dir", str(custom)]) == 0
    out = capsys.readouterr().out
    assert "custom-ok" in out and "\x1b" not in out


def test_an_error_naming_a_hostile_rule_id_prints_no_control_character(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suppressions = tmp_path / "suppressions.yaml"
    suppressions.write_text('suppressions:\n  - rule: "secret-rotation-disabled'
                            '\\e[31m\\nFAKE"\n    reason: x\n')
    code = main(["scan", "--snapshot", str(_snapshot(tmp_path)), "--out", str(tmp_path / "o"),
                 "--suppressions", str(suppressions)])
    err = capsys.readouterr().err
    assert code == 2 and "rule secret-rotation-disabled\ufffd[31m\ufffdFAKE" in err, err
    assert "\x1b" not in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("columns", [80, 60])
def test_rules_list_keeps_every_rule_id_whole_within_the_terminal(
        columns: int, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """New-user trial: at 80 columns `identity-policy-` / `secret-wildcard` could not be copied
    into --rules or a config; review: with whole ids the table was 72 columns wide at 60."""
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["rules", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= columns
    starts = {line.split()[0] for line in lines if line and not line.startswith(" ")}
    assert set(load_ruleset().ids) <= starts
