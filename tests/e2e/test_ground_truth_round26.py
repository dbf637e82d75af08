"""Ground-truth trial round 26 (tests/helpers/gt26_estate.py): grants to an OU path
(aws:PrincipalOrgPaths) with accounts moved between OUs between two nights, peerings pending
acceptance, rejected, deleted and failed (overlapping CIDRs), two database VPCs with one CIDR,
a VPC at 0.8 of its peering quota, resource policies either side of 0.8 x 20,480 characters,
a rotation whose due date passed and one turned off, keys disabled and pending deletion, a
permissions boundary that blocks, an IAM user with only an inline policy, ABAC by secret tags,
grants to a whole account and to one role; scanned twice into one history, and night 1 once
more with --accounts naming half of the organization. Every rule that does not pass, and every
cross-account reader, compared with what an auditor wrote down from the AWS documentation
before the scans ran.

Nothing else may fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers import groundtruth
from helpers import gt26_estate as gt
from helpers.groundtruth import Estate
from scanner.cli import main
from scanner.demo.fidelity import replica_keys_kept
from scanner.demo.run import demo_environment

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def nights(moto_server: str, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("gt26")
    history = base / "history.db"
    n1 = groundtruth.scan(gt, moto_server, base / "n1", history=history)
    (base / "estate.json").write_text(groundtruth.dump(n1))
    # night 1 again, with --accounts naming half the organization (not in the history)
    with pytest.MonkeyPatch.context(), replica_keys_kept(), demo_environment():
        code = main(["scan", "--accounts", f"{n1.accounts['sec']},{n1.accounts['pay']}",
                     "--role-name", gt.ROLE, "--regions", ",".join(gt.REGIONS),
                     "--endpoint-url", moto_server, "--out", str(base / "half"),
                     "--format", "json,html", "--quiet"])
    n2 = groundtruth.scan(gt, moto_server, base / "n2", history=history,
                          build=lambda: gt.night2(n1))
    assert main(["diff", "--history", str(history), "--format", "json", "--output-file",
                 str(base / "drift.json"), "--quiet"]) == 0
    yield {"n1": n1, "out1": base / "n1", "n2": n2, "out2": base / "n2",
           "half": base / "half", "half_code": code,
           "drift": json.loads((base / "drift.json").read_text())}


def test_night_1_rules_are_the_auditors(nights: Any) -> None:
    groundtruth.assert_rules_are_the_auditors(gt, nights["n1"], nights["out1"])


def test_night_1_readers_are_the_auditors(nights: Any) -> None:
    groundtruth.assert_readers_are_the_auditors(gt, nights["n1"], nights["out1"])


def test_night_2_rules_and_readers_are_the_auditors(nights: Any) -> None:
    n2, out2 = nights["n2"], nights["out2"]
    groundtruth.assert_rules_are_the_auditors(gt, n2, out2, truth=gt.night2_truth(n2))
    groundtruth.assert_readers_are_the_auditors(gt, n2, out2, truth=gt.night2_truth(n2))


def test_the_diff_says_the_ou_grant_followed_the_accounts(nights: Any) -> None:
    n1, drift = nights["n1"], nights["drift"]
    a, r = n1.accounts, n1.res
    gained = {(c["secret_arn"], x["principal"]) for c in drift["access"]
              for x in c["new_readers"]}
    lost = {(c["secret_arn"], x["principal"]) for c in drift["access"]
            for x in c["lost_readers"]}
    orgpath = r["secret:prod/orgpath"]
    # (and the two accounts' root users: gt26_estate's note on prod/orgpath)
    assert gained == {(orgpath, f"arn:aws:iam::{a['dev']}:role/{gt.DEV}")}
    assert lost == {(orgpath, f"arn:aws:iam::{a['pay']}:role/{gt.APP}"),
                    (orgpath, r[f"user:pay/{gt.BATCH_USER}"])}


def test_half_the_organization(nights: Any) -> None:
    n1, out = nights["n1"], nights["half"]
    doc = json.loads((out / "findings.json").read_text())
    rows: dict[str, dict[str, str]] = {}
    for f in doc["findings"]:
        if f["status"] != "PASS":
            rows.setdefault(f["resource"]["arn"], {})[f["rule_id"]] = f["status"]
    names = {v: k for k, v in n1.res.items()}
    expected = {arn: dict(t.fails) for arn, t in gt.half_truth(n1).items() if t.fails}
    assert {names.get(a, a): v for a, v in rows.items()} == \
        {names.get(a, a): v for a, v in expected.items()}


def test_the_diff_says_only_the_two_accounts_moved(nights: Any) -> None:
    """No finding changed, no resource came or went: the two accounts' places changed."""
    n1, drift = nights["n1"], nights["drift"]
    assert drift["findings"] == {"new": [], "resolved": [], "changed": []}
    assert {(x["kind"], x["id"]) for x in drift["resources"]["changed"]} == {
        ("org_account", n1.accounts["pay"]), ("org_account", n1.accounts["dev"])}
    assert drift["resources"]["added"] == drift["resources"]["removed"] == []


def _messages(out: Path, rule: str) -> dict[str, str]:
    doc = json.loads((out / "findings.json").read_text())
    return {f["resource"]["arn"]: f["message"] for f in doc["findings"]
            if f["rule_id"] == rule and f["status"] == "FAIL"}


def test_over_broad_says_whom_an_account_grant_reaches(nights: Any) -> None:
    n1, out = nights["n1"], nights["out1"]
    pay, r = n1.accounts["pay"], n1.res
    said = _messages(out, "secret-policy-overbroad-actions")
    assert f"grants arn:aws:iam::{pay}:root (account {pay}: every principal of it whose " \
        "identity policies allow): secretsmanager:" in said[r["secret:prod/account-admin"]]
    assert f"grants arn:aws:iam::{pay}:role/{gt.APP}: secretsmanager:" in \
        said[r["secret:prod/role-admin"]]


def test_the_peerings_that_are_not_live_say_their_state(nights: Any) -> None:
    n1, out = nights["n1"], nights["out1"]
    r = n1.res
    hub = _messages(out, "vpc-peering-route-blackhole")[r["rtb:hub"]]
    for state in ("pending-acceptance", "rejected", "deleted"):
        assert f"the peering is {state}" in hub
    path = _messages(out, "secret-rotation-no-network-path")
    assert "overlaps the Lambda VPC's 10.0.0.0/16" in path[r["secret:rot/overlap"]]
    assert f"goes to {r['pcx-id:twin-a']} instead" in path[r["secret:rot/twin-b"]]
    # the hub cannot route the twins' CIDR to twin-b while twin-a holds it: both rules say so
    missing = _messages(out, "vpc-peering-route-missing")[r["pcx:twin-b"]]
    assert f"has no route to {gt.TWIN_CIDR} via {r['pcx-id:twin-b']} ({gt.TWIN_CIDR} goes " \
        f"to {r['pcx-id:twin-a']} instead)" in missing


def test_a_rotation_turned_off_is_only_disabled(nights: Any) -> None:
    n1, out = nights["n1"], nights["out1"]
    arn = n1.res["secret:rot/cancelled"]
    doc = json.loads((out / "findings.json").read_text())
    assert {f["rule_id"] for f in doc["findings"]
            if f["resource"]["arn"] == arn and f["status"] != "PASS"} == {
        "secret-rotation-disabled"}


def test_access_answers_for_the_ou_path_secret(
        nights: Any, capsys: pytest.CaptureFixture[str]) -> None:
    n1, out = nights["n1"], nights["out1"]
    capsys.readouterr()
    assert main(["access", "--in", str(out), "--secret", n1.res["secret:prod/orgpath"],
                 "--format", "json"]) == 0
    text = capsys.readouterr().out
    assert f"arn:aws:iam::{n1.accounts['pay']}:role/{gt.APP}" in text
    assert gt.DEV not in text
    assert "report.html" in {p.name for p in out.iterdir()}
