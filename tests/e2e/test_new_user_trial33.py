"""New-user trial round 33: a rule of one's own, the report read as a whole, a 40-column
terminal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scanner.cli import main


def _demo_like_document() -> dict[str, object]:
    """The sample report document with one secret encrypted with aws/secretsmanager in
    us-east-1 and its replica in us-west-2 (the same name, the same account): two findings."""
    from helpers.report_sample import CENTRAL, SECRET_A, sample_document

    doc = sample_document()
    row = next(f for f in doc["findings"] if f["resource"]["arn"] == SECRET_A)  # type: ignore[index]
    primary = dict(row, id="sgf-primary", rule_id="secret-uses-aws-managed-key",
                   status="FAIL", muted_by=None, compliance={"pci-dss-4.0": ["3.6.1"]},
                   message="encrypted with the AWS-managed key aws/secretsmanager")
    replica_arn = SECRET_A.replace(":us-east-1:", ":us-west-2:")
    replica = dict(primary, id="sgf-replica",
                   resource=dict(row["resource"], arn=replica_arn, region="us-west-2",
                                 type="SecretReplica"))
    assert CENTRAL in SECRET_A and ":us-east-1:" in SECRET_A
    doc["findings"] = [primary, replica]  # type: ignore[index]
    return doc


def test_the_findings_behind_a_control_tell_a_secret_from_its_replica() -> None:
    """report.html's Compliance section listed the demo's aws-managed-key secret and its
    us-west-2 replica as two identical lines under PCI DSS 3.6.1 ('FAIL
    secret-uses-aws-managed-key demo/misconfig/aws-managed-key-PASuAq · security ...: encrypted
    with ...'): the findings table beside it has a Region column, the list had none."""
    from reports.html import render_html

    html = render_html(_demo_like_document())
    section = html[html.index('id="compliance-h"'):]
    items = re.findall(r"<li><span class=\"pill st-fail\">FAIL</span>(.*?)</li>", section)
    text = [re.sub(r"<[^>]+>", "", i) for i in items]
    assert len(text) == 2 and text[0] != text[1], text
    assert any("(us-east-1)" in t for t in text) and any("(us-west-2)" in t for t in text)


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    from helpers.access_estate import estate
    from scanner.snapshot_io import write_snapshot

    return write_snapshot(tmp_path / "snapshot-in.json.gz", estate(secret_policy=None))


def test_the_findings_of_a_40_column_terminal_fit_it(snapshot: Path) -> None:
    """At 40 columns `scan` printed each finding as a block 60 columns wide (the tables'
    floor), so every detail line wrapped again in the terminal, where `access` and `diff`
    break their lines at 40."""
    from helpers.tty import run_in_tty

    out = run_in_tty(["scan", "--snapshot", str(snapshot), "--out", "o", "--fail-on", "NONE"], cols=40, cwd=str(snapshot.parent))
    lines = [line for line in out.text.splitlines() if line.strip()]
    assert any(line.startswith("FAIL ") for line in lines), out.text
    start = next(i for i, line in enumerate(lines) if line.startswith(("CRITICAL", "HIGH",
                                                                        "MEDIUM", "LOW")))
    wide = [line for line in lines[start:] if len(line) > 40]
    assert wide == [], wide


def test_a_long_rule_id_stays_whole_at_40_columns() -> None:
    """The rule id is what --rules and the config take: never cut, also where the status and
    it no longer fit on one line of 40 columns."""
    from reports.table import render_table

    doc = _demo_like_document()
    for row, status in zip(doc["findings"], ("FAIL", "UNKNOWN")):  # type: ignore[call-overload]
        row.update(rule_id="secret-cross-account-access-broken", status=status)
    text = render_table(doc, width=40)
    assert "FAIL secret-cross-account-access-broken" in text.splitlines()
    assert "UNKNOWN\nsecret-cross-account-access-broken\n" in text
    blocks = text.split("NOT ASSESSED")[0]  # a table keeps its 60 columns
    assert max(len(line) for line in blocks.splitlines()) <= 40


def _own_rule(folder: Path) -> Path:
    folder.mkdir()
    (folder / "secret-missing-owner-tag.yaml").write_text(
        "id: secret-missing-owner-tag\ntitle: Secret has no owner tag\nseverity: LOW\n"
        "resource: Secret\ndescription: The secret has no owner tag.\n"
        "rationale: Somebody must answer for every secret.\n"
        "fail_when: {attribute: tags.owner, op: is_null, message: \"{name} has no owner tag\"}\n"
        "remediation: {id: tag-secret-owner, description: Tag the secret with owner.}\n"
        "compliance: {}\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("args", [
    ["rules", "show", "secret-missing-owner-tag"],
    ["scan", "--snapshot", "SNAP", "--out", "o", "--rules", "secret-missing-owner-tag"],
    ["scan", "--snapshot", "SNAP", "--out", "o", "--exclude-rules", "secret-missing-owner-tag"],
])
def test_a_rule_of_ones_own_named_without_its_folder_says_to_give_rules_dir(
        args: list[str], snapshot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A first rule of one's own, run without --rules-dir: `rules show` and `scan --rules`
    answered "no rule 'secret-missing-owner-tag' ...; closest: secret-policy-size-near-limit"
    -- a built-in rule that has nothing to do with it -- where the same id in --config says
    to give --rules-dir DIR."""
    _own_rule(tmp_path / "my-rules")
    monkeypatch.chdir(tmp_path)
    assert main([str(snapshot) if a == "SNAP" else a for a in args]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "not a built-in rule: give --rules-dir DIR, the folder of its rule file" in err
    assert "secret-policy-size-near-limit" not in err


def test_a_typo_of_a_built_in_rule_is_still_named_with_the_closest(
        snapshot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "o"),
                 "--rules", "secret-rotation-disabeld"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "closest: secret-rotation-disabled" in err
    assert "--rules-dir" not in err


def test_a_rule_of_ones_own_with_its_folder_runs_in_the_scan(
        snapshot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = _own_rule(tmp_path / "my-rules")
    assert main(["rules", "validate", str(rules)]) == 0
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "o"),
                 "--rules-dir", str(rules), "--rules", "secret-missing-owner-tag",
                 "--fail-on", "NONE", "-q"]) == 0
    import json

    doc = json.loads((tmp_path / "o" / "findings.json").read_text(encoding="utf-8"))
    assert doc["scan"]["rules"][0] == "secret-missing-owner-tag"


@pytest.mark.browser
def test_a_report_with_nothing_failing_says_so_not_that_a_filter_hides_it(
        tmp_path: Path) -> None:
    """`scan --rules secret-unused` on the demo: 22 PASS, nothing else. The findings table
    said "Showing 0 of 0 matching (0 total)" and "No finding matches these filters", as if a
    filter hid something; the terminal said "No failing, unassessed or muted findings"."""
    from helpers.report_cdp import Chromium
    from helpers.report_sample import sample_document
    from reports.html import write_html

    doc = sample_document()
    doc["findings"] = []
    doc["passed"] = {"itemised": False, "resources_max": 100, "by_rule": [
        {"rule_id": "secret-unused", "title": "t", "severity": "MEDIUM", "count": 22}]}
    path = write_html(doc, tmp_path / "report.html")
    browser = Chromium()
    try:
        page = browser.page()
        page.navigate(path.as_uri())
        empty = page.evaluate("document.getElementById('sg-empty').textContent")
        assert page.evaluate("document.getElementById('sg-empty').hidden") is False
        assert empty == "No failing, unknown or muted findings: the Pass filter shows what passed."
        page.click(".st-chip[data-status=PASS]")
        assert "22 PASS counted per rule" in page.evaluate("document.getElementById('sg-count').textContent")
        assert page.problems() == []
    finally:
        browser.close()


def test_the_central_account_is_named_also_when_no_finding_is_in_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`scan --rules secret-unused` on the demo: nothing failed, so no finding carried the
    central account's name, and the closing line and report.html's counts line said
    "central account 007659653593" under the report's "Central account security
    (007659653593)"."""
    from helpers.access_estate import CENTRAL, estate
    from scanner.snapshot_io import write_snapshot

    from dataclasses import replace

    base = estate(secret_policy=None)
    assert base.organization is not None
    org = replace(base.organization, accounts=tuple(
        replace(a, name="security" if a.account_id == CENTRAL else None)
        for a in base.organization.accounts))
    snap = write_snapshot(tmp_path / "in.json.gz", replace(base, organization=org))
    out = tmp_path / "o"
    assert main(["scan", "--snapshot", str(snap), "--out", str(out), "--format", "json,html",
                 "--rules", "secret-unused", "--fail-on", "NONE",
                 "--central-account", CENTRAL]) == 0
    closing = " ".join(capsys.readouterr().out.split())
    import json

    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert not [f for f in doc["findings"] if f["status"] != "PASS"]
    html = (out / "report.html").read_text(encoding="utf-8")
    named = re.search(r"central account (\S+ \(\d{12}\))", closing)
    assert named and named.group(1) == f"security ({CENTRAL})", closing
    assert f"central account {named.group(1)}" in html


NAME_RULE = """id: secret-name-convention
title: Secret name does not follow the naming convention
severity: LOW
resource: Secret
description: The secret's name does not match the pattern.
rationale: Names tell owners.
parameters:
  pattern: {type: string, default: "^(prod|dev)/", description: what every name matches}
fail_when: {attribute: name, op: not_matches, VALUE, message: "{name} does not match {pattern}"}
remediation: {id: rename-secret, description: Recreate the secret under a conforming name.}
compliance: {}
"""


def test_a_parameter_written_as_a_placeholder_in_a_value_is_refused_naming_param(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A first parametrised rule written from docs/rules.md, which says `{name}` in a message
    is the rule's parameter: `value: "{pattern}"` was compared as the text '{pattern}', so
    every secret of the demo failed "prod/member-b/db does not match ^(prod|dev)/"."""
    rules = tmp_path / "r"
    rules.mkdir()
    (rules / "secret-name-convention.yaml").write_text(
        NAME_RULE.replace("VALUE", 'value: "{pattern}"'), encoding="utf-8")
    assert main(["rules", "validate", str(rules)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "field fail_when.value" in err
    assert "write param: pattern" in err


def test_a_parameter_given_with_param_is_compared(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from helpers.access_estate import estate
    from scanner.snapshot_io import write_snapshot

    rules = tmp_path / "r"
    rules.mkdir()
    (rules / "secret-name-convention.yaml").write_text(
        NAME_RULE.replace("VALUE", "param: pattern").replace("^(prod|dev)/", "^app/"),
        encoding="utf-8")
    snap = write_snapshot(tmp_path / "in.json.gz", estate(secret_policy=None))  # app/db
    assert main(["scan", "--snapshot", str(snap), "--out", str(tmp_path / "o"), "-q",
                 "--rules-dir", str(rules), "--rules", "secret-name-convention"]) == 0
