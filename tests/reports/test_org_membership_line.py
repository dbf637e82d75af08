"""A scan without --org says whether the account of its credentials is in an organization
(new-user trial round 9: a standalone account and an organization member got the same words,
"not an Organization scan (no --org): every other account is outside", in the terminal,
report.html and findings.json; only the snapshot's ``org_membership`` told them apart). For a
member, whose SCPs and RCPs the scan did not read, the line says so once and how to read them;
for an account in no organization, that SCPs do not apply."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from helpers.engine_helpers import NOW, make_secret, make_snapshot
from helpers.report_sample import sample_document
from reports._common import trust_zone_line
from reports.html import render_html
from reports.table import render_table
from scanner.engine import evaluate, findings_document, load_ruleset
from scanner.graph.builder import build_graph
from scanner.model import (
    IN_ORGANIZATION,
    MEMBERSHIP_UNKNOWN,
    NOT_IN_ORGANIZATION,
    OrgMembership,
)

HOME = "123456789012"


def _schema() -> dict[str, Any]:
    text = resources.files("scanner").joinpath("schemas/findings.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _document(membership: OrgMembership | None) -> dict[str, Any]:
    snap = make_snapshot(make_secret("a"))
    snap = dataclasses.replace(snap, org_membership=membership)
    findings = evaluate(build_graph(snap), snap, None, load_ruleset(), None, NOW)
    doc = findings_document(snap, findings)
    jsonschema.Draft202012Validator(_schema()).validate(json.loads(json.dumps(doc)))
    return doc


def _zone(membership: dict[str, Any] | None) -> dict[str, Any]:
    doc = sample_document()
    doc["scan"]["trust_zone"] = {"accounts_count": 1, "sources": ["scanned_accounts"],
                                 "organization_read": False, "organization_accounts": None,
                                 "scanned_accounts": 1, "trusted_accounts": []}
    doc["scan"]["accounts"] = [HOME]  # the one scanned account: the one asked
    if membership is not None:
        doc["scan"]["trust_zone"]["org_membership"] = membership
    return doc


def test_findings_json_records_the_membership_of_a_scan_without_org() -> None:
    member = _document(OrgMembership(account_id=HOME, status=IN_ORGANIZATION,
                                     org_id="o-abc123def4", management_account_id="111111111111"))
    assert member["scan"]["trust_zone"]["org_membership"] == {
        "account_id": HOME, "status": "member", "org_id": "o-abc123def4",
        "management_account_id": "111111111111"}
    alone = _document(OrgMembership(account_id=HOME, status=NOT_IN_ORGANIZATION))
    assert alone["scan"]["trust_zone"]["org_membership"]["status"] == "none"
    # an --org scan (or a snapshot written before membership was asked) carries none: the
    # file is what it was, and older files still validate
    assert "org_membership" not in _document(None)["scan"]["trust_zone"]


def test_a_member_is_told_its_organization_policies_were_not_read() -> None:
    doc = _zone({"account_id": HOME, "status": "member", "org_id": "o-abc123def4",
                 "management_account_id": "111111111111"})
    line = trust_zone_line(doc)
    assert ("account 123456789012 is a member of organization o-abc123def4: its SCPs and RCPs "
            "were not read -- scan with --org from the management account (111111111111)"
            ) in line
    assert line.count("SCPs") == 1
    assert line in " ".join(render_table(doc).split())
    assert line in render_html(doc)


def test_an_account_in_no_organization_is_told_scps_do_not_apply() -> None:
    line = trust_zone_line(_zone({"account_id": HOME, "status": "none"}))
    assert "account 123456789012 is in no organization: SCPs and RCPs do not apply" in line
    assert "member" not in line


def test_unknown_membership_says_so() -> None:
    line = trust_zone_line(_zone({"account_id": HOME, "status": "unknown"}))
    assert ("whether account 123456789012 is in an organization is unknown "
            "(DescribeOrganization failed: see the coverage gaps)") in line


def test_a_findings_file_without_membership_reads_as_before() -> None:
    line = trust_zone_line(_zone(None))
    assert line == ("trust zone: 1 account(s) in scanned accounts (1); not an Organization "
                    "scan (no --org): every other account is outside")


def test_the_scans_last_line_names_a_member_whose_policies_were_not_read() -> None:
    """New-user trial round 9: `scan --format json` prints only its last line; a member
    scanned without --org is told there too (an account in no organization is not: nothing is
    missing then)."""
    from types import SimpleNamespace

    from scanner.scan_summary import summary_line

    def last_line(membership: dict[str, Any] | None) -> str:
        analysis = SimpleNamespace(document=_zone(membership), api_calls={}, snapshot=None,
                                   exit_code=1)
        return summary_line(analysis, Path("out"), [], 1.0)  # type: ignore[arg-type]

    member = last_line({"account_id": HOME, "status": "member", "org_id": "o-abc123def4",
                        "management_account_id": None})
    assert ("account 123456789012 is a member of organization o-abc123def4: its SCPs and RCPs "
            "were not read (no --org)") in member
    assert "organization" not in last_line({"account_id": HOME, "status": "none"})
    assert "organization" not in last_line(None)


def test_the_last_line_shows_a_hostile_organization_id_inert() -> None:
    """Hostile-input trial round 10: the org id of a crafted snapshot went raw into the scan's
    last line, and a terminal carried out its escape sequences (recolour, OSC 8 link) and
    right-to-left override. docs/reports.md, "Hostile input": control characters (ESC too)
    are replaced with U+FFFD in the terminal. Every part of the line is made one line."""
    from types import SimpleNamespace

    from scanner.scan_summary import summary_line

    hostile = "o-abc\x1b[31mRED\x1b]8;;https://e.x/\x07L\x1b]8;;\x07\r\u202e\nforged"
    analysis = SimpleNamespace(
        document=_zone({"account_id": HOME, "status": "member", "org_id": hostile,
                        "management_account_id": None}),
        api_calls={}, snapshot=None, exit_code=1)
    for width in (None, 80):
        line = summary_line(analysis, Path("out\x1b[2J"), [], 1.0,  # type: ignore[arg-type]
                            width=width)
        assert "\x1b" not in line and "\x07" not in line and "\r" not in line
        assert "\u202e" not in line and "forged" in line
        assert "\nforged" not in line
        assert "o-abc\ufffd[31mRED" in line


def test_the_management_account_is_told_scps_do_not_apply_to_it() -> None:
    """Review of the fourteenth session's merges: a scan of the management account without
    --org said its SCPs and RCPs "were not read -- scan with --org from the management account
    (<itself>)", while `access --why` said the scp gate is NOT_APPLICABLE there (AWS
    Organizations User Guide: SCPs don't affect users or roles in the management account;
    RCPs don't affect resources in the management account)."""
    from types import SimpleNamespace

    from reports._common import membership_words
    from scanner.scan_summary import summary_line

    mgmt = {"account_id": HOME, "status": "member", "org_id": "o-abc123def4",
            "management_account_id": HOME}
    assert membership_words(mgmt) == (f"account {HOME} is the management account of "
                                      "organization o-abc123def4: SCPs and RCPs do not apply "
                                      "to it")
    analysis = SimpleNamespace(document=_zone(mgmt), api_calls={}, snapshot=None, exit_code=1)
    last = summary_line(analysis, Path("out"), [], 1.0)  # type: ignore[arg-type]
    assert "organization" not in last


def test_a_management_account_scan_of_other_accounts_says_theirs_were_not_read() -> None:
    """New-user trial 16: `scan --accounts MGMT,A,B` without --org said only that SCPs and RCPs
    do not apply to the management account, while A's and B's scp gates were UNKNOWN (their
    membership was not read): the line now says so, and how to read them."""
    from reports._common import membership_words

    mgmt = {"account_id": HOME, "status": "member", "org_id": "o-abc123def4",
            "management_account_id": HOME}
    said = membership_words(mgmt, scanned=[HOME, "222222222222", "333333333333"])
    assert said == (f"account {HOME} is the management account of organization o-abc123def4: "
                    "SCPs and RCPs do not apply to it; the 2 other scanned account(s)' "
                    "membership, SCPs and RCPs were not read -- scan with --org")
    assert membership_words(mgmt, scanned=[HOME]) == membership_words(mgmt)
    doc = _zone(mgmt)
    doc["scan"]["accounts"] = [HOME, "222222222222"]
    assert "the 1 other scanned account(s)' membership" in trust_zone_line(doc)


def test_an_account_in_no_organization_says_nothing_of_the_other_scanned_accounts() -> None:
    """Ground-truth trial round 15: a scan --accounts of six organization members from an
    auditor account in no organization read "account 777700001111 is in no organization: SCPs
    and RCPs do not apply" -- as if no SCP could deny anywhere, while the access analysis held
    every member's scp gate UNKNOWN (DescribeOrganization answers for the account of the
    credentials only). The line says so of that account, and that the others' membership
    was not read, as the management account's line does (new-user trial 16)."""
    doc = _zone({"account_id": HOME, "status": "none"})
    doc["scan"]["accounts"] = ["210987654321", "310987654321"]
    line = trust_zone_line(doc)
    assert ("account 123456789012 is in no organization: SCPs and RCPs do not apply to it; "
            "the 2 other scanned account(s)' membership, SCPs and RCPs were not read -- scan "
            "with --org from their organization's management account") in line
    assert line in " ".join(render_table(doc).split())
    # the home account scanned alone: nothing else to say
    doc["scan"]["accounts"] = [HOME]
    assert trust_zone_line(doc).endswith(
        "account 123456789012 is in no organization: SCPs and RCPs do not apply to it")


def test_the_advice_to_an_account_in_no_organization_is_not_a_scan_it_refuses(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """New-user trial round 26: `scan --accounts HOME,OTHER` from an account in no
    organization ended "... were not read -- scan with --org"; done from there, `scan --org`
    is refused ("--org: account ... is not in an AWS Organization"). The others' SCPs and
    RCPs are read from their organization's management account, and the line says so."""
    from moto import mock_aws

    from scanner.cli import main

    with mock_aws():
        out = tmp_path / "out"
        assert main(["scan", "--accounts", "123456789012,444455556666", "--role-name",
                     "Audit", "--regions", "us-east-1", "--out", str(out), "-q"]) == 0
        line = trust_zone_line(json.loads((out / "findings.json").read_text()))
        assert line.endswith("the 1 other scanned account(s)' membership, SCPs and RCPs were "
                             "not read -- scan with --org from their organization's management "
                             "account"), line
        assert main(["scan", "--org", "--role-name", "Audit", "--regions", "us-east-1",
                     "--out", str(tmp_path / "org")]) == 2
        assert "is not in an AWS Organization" in capsys.readouterr().err
