"""Ground-truth trial round 24: an organization that changes between two nights
(tests/helpers/gt24_estate.py) -- a KMS grant revoked, a key disabled, a peering deleted, an
account leaving the organization, a secret deleted and created again under its name, a grant
taken out of a resource policy -- with secrets of many versions (AWSPENDING on the current one;
stuck on another), rotation Lambdas outside any VPC, two peerings to one database VPC (one
active, one deleted) with overlapping routes, names with '/', '+', '=', '@', unicode and HTML
where AWS allows them, and an OU under SCPs that let its role read one secret and not another.
Built in moto through sts.assume_role, scanned twice by the real CLI into one history; each
night's findings and readers, and `secretgraph diff` between them, compared with what an
auditor wrote down from the AWS documentation before the scans ran.

Nothing else may fail, and the diff says nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers import groundtruth
from helpers import gt24_estate as gt
from helpers.groundtruth import Estate
from scanner.cli import main

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def nights(moto_server: str, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Estate, Path, Estate, Path, dict[str, Any]]]:
    base = tmp_path_factory.mktemp("gt24")
    history = base / "history.db"
    n1 = groundtruth.scan(gt, moto_server, base / "n1", history=history)
    n2 = groundtruth.scan(gt, moto_server, base / "n2", history=history,
                          build=lambda: gt.night2(n1))
    assert main(["diff", "--history", str(history), "--format", "json", "--output-file",
                 str(base / "drift.json"), "--quiet"]) == 0
    yield n1, base / "n1", n2, base / "n2", json.loads((base / "drift.json").read_text())


def test_night_1_rules_and_readers_are_the_auditors(nights: Any) -> None:
    n1, out1, _, _, _ = nights
    groundtruth.assert_rules_are_the_auditors(gt, n1, out1, truth=gt.night1_truth(n1))
    groundtruth.assert_readers_are_the_auditors(gt, n1, out1, truth=gt.night1_truth(n1))


def test_night_2_rules_and_readers_are_the_auditors(nights: Any) -> None:
    _, _, n2, out2, _ = nights
    groundtruth.assert_rules_are_the_auditors(gt, n2, out2, truth=gt.night2_truth(n2))
    groundtruth.assert_readers_are_the_auditors(gt, n2, out2, truth=gt.night2_truth(n2))


def test_the_diff_says_exactly_what_changed(nights: Any) -> None:
    n1, _, n2, _, drift = nights
    want = gt.changes(n1, n2)
    f, res = drift["findings"], drift["resources"]
    got = {
        "new": {(x["rule_id"], x["resource_arn"]) for x in f["new"]},
        "resolved": {(x["rule_id"], x["resource_arn"]) for x in f["resolved"]},
        "changed": {(x["rule_id"], x["resource_arn"]) for x in f["changed"]},
        "gained": {(c["secret_arn"], r["principal"]) for c in drift["access"]
                   for r in c["new_readers"]},
        "lost": {(c["secret_arn"], r["principal"]) for c in drift["access"]
                 for r in c["lost_readers"]},
        "added": {(r["kind"], r["id"]) for r in res["added"]},
        "removed": {(r["kind"], r["id"]) for r in res["removed"]},
        "changed_resources": {(r["kind"], r["id"]) for r in res["changed"]},
        "not_assessed": {(n["scope"], s if n["scope"] == "account" else f"{s}: {n['reason']}")
                         for n in drift["not_assessed"] for s in n["subjects"]},
    }
    names = {v: k for e in (n1, n2) for k, v in e.res.items()}

    def named(rows: set[tuple[str, str]]) -> set[tuple[str, str]]:
        return {(names.get(a, a), names.get(b, b)) for a, b in rows}

    assert {k: named(v) for k, v in got.items()} == {k: named(v) for k, v in want.items()}


def test_the_leavers_role_lost_the_organization_s_secret_for_certain(nights: Any) -> None:
    """Outside the organization, aws:PrincipalOrgID lets it in no more: lost, though its
    account's IAM is no longer read (not 'not assessed')."""
    n1, _, _, _, drift = nights
    leaver = f"arn:aws:iam::{n1.accounts['leaver']}:role/{gt.LEAVER}"
    assert not [n for n in drift["not_assessed"] if n["subject"].startswith(leaver)]


def test_the_html_report_escapes_the_account_and_ou_names_and_says_what_changed(
        nights: Any) -> None:
    _, _, _, out2, _ = nights
    page = (out2 / "report.html").read_text()
    assert "<img src=x" not in page and "<b>bold</b>" not in page
    assert "&lt;img src=x onerror=" in page
    assert "2 new readers, 5 lost; 7 new findings, 1 resolved, 1 changed; " in page


def test_access_answers_for_the_secret_named_with_punctuation(
        nights: Any, capsys: pytest.CaptureFixture[str]) -> None:
    n1, out1, _, _, _ = nights
    capsys.readouterr()
    assert main(["access", "--in", str(out1), "--secret", gt.ODD_NAME, "--format",
                 "json"]) == 0
    text = capsys.readouterr().out
    assert n1.res[f"secret:{gt.ODD_NAME}"] in text


def test_the_accounts_no_longer_scanned_say_why(nights: Any) -> None:
    n1, _, _, _, drift = nights
    a = n1.accounts
    assert {(n["subject"], n["reason"]) for n in drift["not_assessed"]
            if n["scope"] == "account"} == {
        (a["leaver"], "not in the new scan: it left the organization"),
        (a["retiring"], "not in the new scan: its organization status is SUSPENDED")}


def test_the_secret_created_again_and_its_predecessor_name_each_other(nights: Any) -> None:
    n1, _, n2, _, drift = nights
    old, new = n1.res["secret:recreated/db"], n2.res["secret:recreated/db"]
    [resolved] = drift["findings"]["resolved"]
    assert resolved["changes"] == [
        "no longer reported",
        f"its secret was deleted, and one of the same name created again: {new}"]
    [reborn] = [f for f in drift["findings"]["new"] if f["resource_arn"] == new]
    assert reborn["changes"] == [
        f"its secret was created again under the name of a deleted one: {old}"]
