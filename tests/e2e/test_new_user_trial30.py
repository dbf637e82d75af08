"""New-user trial round 30: what a first morning with the CLI still tripped over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.cli import main

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("rule_id, head, words", [
    ("suppression-expired", "suppression-expired  LOW  (Suppression)",
     "renew the entry with a new expiry"),
    ("access-outside-baseline", "access-outside-baseline  HIGH  (Secret, SecretReplica)",
     "add it to the baseline after review"),
])
def test_a_rule_the_engine_itself_produces_is_shown_as_any_other(
        rule_id: str, head: str, words: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """report.html's By-rule table and findings.json name suppression-expired (every scan)
    and access-outside-baseline (scan --baseline); `rules show` said "no rule
    'suppression-expired' (`secretgraph rules list` lists them)", and `rules list` did not."""
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["rules", "show", rule_id]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == head
    for heading in ("What it checks:", "Why it matters:", "What to do:"):
        assert heading in lines
    flat = " ".join(out.split())
    assert words in flat
    assert "Produced by: the scan itself, not by a rule file" in flat
    assert all(len(line) <= 80 for line in lines)
    assert main(["rules", "show", rule_id, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == rule_id and data["path"] is None


def test_rules_list_names_the_rules_the_engine_itself_produces(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list"]) == 0
    flat = " ".join(capsys.readouterr().out.split())
    assert ("also produced by the scan itself: access-outside-baseline (with --baseline), "
            "suppression-expired (every scan); `secretgraph rules show ID` explains each"
            in flat)


def test_a_misspelt_engine_rule_is_offered(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "show", "supression-expired"]) == 2
    assert "closest: suppression-expired" in capsys.readouterr().err


def test_docs_rules_md_names_both_rules_the_engine_produces() -> None:
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    section = text.split("## Findings the engine itself produces", 1)[1].split("\n## ", 1)[0]
    assert "* `suppression-expired` (LOW" in section
    assert "* `access-outside-baseline` (HIGH" in section


def test_a_remediation_remediate_applies_to_some_findings_is_not_called_a_manual_step(
        capsys: pytest.CaptureFixture[str]) -> None:
    """`rules show secret-cross-account-access-broken` said "remediation
    repair-cross-account-access: a manual step", while `remediate --in out/demo` planned
    grant-key-decrypt for the demo's broken-access finding (its key policy denies), and
    --apply makes it."""
    assert main(["rules", "show", "secret-cross-account-access-broken"]) == 0
    flat = " ".join(capsys.readouterr().out.split())
    assert "a manual step (`secretgraph remediate --in DIR` lists it)" not in flat
    assert ("remediation repair-cross-account-access: automated for a finding on a secret "
            "(not a replica) whose key policy denies (grant-key-decrypt: `secretgraph "
            "remediate --in DIR` plans it, `--apply` makes it); a manual step otherwise"
            in flat)
    assert main(["rules", "show", "secret-cross-account-access-broken", "--format",
                 "json"]) == 0
    remediation = json.loads(capsys.readouterr().out)["remediation"]
    assert remediation["automated"] is False
    assert remediation["automated_for"] == ("a finding on a secret (not a replica) whose key "
                                            "policy denies (grant-key-decrypt)")


def test_org_with_accounts_says_what_each_scans(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A first try at scanning two accounts of the organization with their SCPs, `scan --org
    --accounts A,B`, was told only "give --org or --accounts, not both": which one to keep,
    and what the other leaves out, was for the docs to say."""
    assert main(["scan", "--org", "--accounts", "111122223333,444455556666", "--regions",
                 "us-east-1", "--out", str(tmp_path / "out")]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith(
        "give --org or --accounts, not both: --org scans every account of the organization, "
        "its SCPs and RCPs read; --accounts scans only the accounts it lists, their SCPs and "
        "RCPs not read (reads they would allow are CONDITIONAL)")
    assert not (tmp_path / "out").exists()
