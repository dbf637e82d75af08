"""Ground-truth trial round 27 (tests/helpers/gt27_estate.py): rotation functions whose
execution roles read their secrets or cannot -- no GetSecretValue, a key policy without them, a
member account's role named by the secret's policy or not, a trust policy for EC2, a deleted
role, an SCP, a permissions boundary, aws/secretsmanager, a second Region, one function for two
secrets, an account whose IAM the audit role may not read -- beside multi-Region keys, an alias
ARN as KmsKeyId, KMS grants, a management account that is not the security account and holds
secrets (under an SCP and an RCP that do not apply to it). Scanned on two nights into one
history; every rule that does not pass, and every cross-account reader, compared with what an
auditor wrote down from the AWS documentation before the scans ran; then access --secret's
rotation line, the HTML report's rotation path, findings.json and the ASFF export compared with
one another.

Nothing else may fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest
from botocore.exceptions import ClientError

import scanner.collectors.iam as iam_collector
from helpers import groundtruth
from helpers import gt27_estate as gt
from helpers.groundtruth import Estate, Truth
from scanner.cli import main

pytestmark = pytest.mark.e2e

ROLE_RULE = "secret-rotation-role-cannot-read"


@pytest.fixture(scope="module")
def nights(moto_server: str, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("gt27")
    history = base / "history.db"
    blind: dict[str, str] = {}
    real = iam_collector.fetch_authorization

    def fetch(client: Any, rec: Any) -> dict[str, Any]:
        """The audit role may not read blind's IAM (AccessDenied, as AWS answers it)."""
        if rec.account_id != blind.get("id"):
            return real(client, rec)

        def denied() -> None:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized "
                                         "to perform: iam:GetAccountAuthorizationDetails"}},
                              "GetAccountAuthorizationDetails")
        rec.attempt("GetAccountAuthorizationDetails", denied)
        return {"details": None}

    def night1() -> Estate:
        estate = gt.seed(moto_server)
        blind["id"] = estate.accounts[gt.BLIND]
        return estate

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(iam_collector, "fetch_authorization", fetch)
        n1 = groundtruth.scan(gt, moto_server, base / "n1", build=night1, history=history)
        n2 = groundtruth.scan(gt, moto_server, base / "n2", build=lambda: gt.night2(n1),
                              history=history)
    (base / "estate.json").write_text(groundtruth.dump(n1))
    yield {"n1": n1, "out1": base / "n1", "n2": n2, "out2": base / "n2", "history": history}


def _not_passing(e: Estate, out: Path) -> dict[str, dict[str, str]]:
    """groundtruth.not_passing, for a scan whose one gap is blind's IAM (every night)."""
    doc = json.loads((out / "findings.json").read_text())
    assert doc["scan"]["complete"] is False
    assert [(c["account_id"], c["service"], c["operation"]) for c in doc["coverage"]] == [
        (e.accounts[gt.BLIND], "iam", "GetAccountAuthorizationDetails")]
    rows: dict[str, dict[str, str]] = {}
    for f in doc["findings"]:
        if f["status"] != "PASS":
            rows.setdefault(f["resource"]["arn"], {})[f["rule_id"]] = f["status"]
    return rows


def _assert_rules(e: Estate, out: Path, truth: Mapping[str, Truth]) -> None:
    names = {v: k for k, v in e.res.items()}
    expected = {arn: dict(t.fails) for arn, t in truth.items() if t.fails}
    assert {names.get(a, a): r for a, r in _not_passing(e, out).items()} == \
        {names.get(a, a): r for a, r in expected.items()}


def test_night_1_rules_are_the_auditors(nights: Any) -> None:
    _assert_rules(nights["n1"], nights["out1"], gt.ground_truth(nights["n1"]))


def test_night_1_readers_are_the_auditors(nights: Any) -> None:
    groundtruth.assert_readers_are_the_auditors(gt, nights["n1"], nights["out1"])


def test_night_2_rules_and_readers_are_the_auditors(nights: Any) -> None:
    n2, out2 = nights["n2"], nights["out2"]
    _assert_rules(n2, out2, gt.night2_truth(n2))
    groundtruth.assert_readers_are_the_auditors(gt, n2, out2, truth=gt.night2_truth(n2))


def _findings(out: Path, rule: str) -> dict[str, dict[str, Any]]:
    doc = json.loads((out / "findings.json").read_text())
    return {f["resource"]["arn"]: f for f in doc["findings"] if f["rule_id"] == rule}


def test_the_messages_name_what_stops_each_rotation_role(nights: Any) -> None:
    n1, out = nights["n1"], nights["out1"]
    r = n1.res
    said = {k: _findings(out, ROLE_RULE)[r[f"secret:{k}"]]["message"] for k in (
        "rot/no-get", "rot/key-closed", "rot/ops-ungranted", "rot/bad-trust", "rot/role-gone",
        "rot/scp-locked", "rot/bounded", "rot/shared-b", "rot/blind", "app/locked-down",
        "rot/boundary-kms")}
    assert "denied by identity_policy" in said["rot/no-get"]
    assert "denied by key_policy" in said["rot/key-closed"]
    ops = n1.accounts["ops"]
    # the role's account is the function's: said once
    assert f"rotation function rotate-ops (account {ops}) runs as role OpsRotator, which " \
        "cannot read the secret: denied by resource_policy (resource_policy: DENIED (no " \
        "resource policy attached))" in said["rot/ops-ungranted"]
    assert "which Lambda cannot assume: its trust policy does not let lambda.amazonaws.com" in \
        said["rot/bad-trust"]
    assert "does not exist in its account's IAM" in said["rot/role-gone"]
    assert "SCP deny-secret-reads" in said["rot/scp-locked"]
    assert "permissions boundary" in said["rot/bounded"]
    # the boundary that keeps kms:Decrypt out is said once
    assert said["rot/boundary-kms"].count("does not allow kms:Decrypt") == 1
    assert "rotate-shared runs as role SharedRotator" in said["rot/shared-b"]
    assert "BlindRotator's read of the secret: gate identity_policy (UNKNOWN" in \
        said["rot/blind"]
    assert "statement 1 (OnlyAppRole) Deny applies" in said["app/locked-down"]


def test_access_html_findings_and_asff_tell_the_same_rotation_story(
        nights: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    n1, out = nights["n1"], nights["out1"]
    found = {arn: f["status"] for arn, f in _findings(out, ROLE_RULE).items()}
    # access --secret: the rotation line's verdict is the rule's
    said = {"FAIL": "-> DENIED", "PASS": "-> ALLOWED", "UNKNOWN": "-> CONDITIONAL (if: "
            "identity policies not collected)"}
    for name in ("rot/ok", "rot/no-get", "rot/role-gone", "rot/bad-trust", "rot/scp-locked",
                 "rot/eu", "rot/blind", "mgmt/billing"):
        arn = n1.res[f"secret:{name}"]
        capsys.readouterr()
        assert main(["access", "--in", str(out), "--secret", arn]) == 0
        line = next(x for x in capsys.readouterr().out.splitlines()
                    if x.strip().startswith("rotation:"))
        assert said[found.get(arn, "PASS")] in line, (name, line)
    # the HTML report's rotation path: the Lambda hop is broken where the rule fails
    from reports.html.network import rotation_paths
    from scanner.graph.builder import build_graph
    from scanner.snapshot_io import read_snapshot
    doc = json.loads((out / "findings.json").read_text())
    paths = {p.secret_arn: p for p in rotation_paths(
        build_graph(read_snapshot(out / "snapshot.json.gz")), doc, {})}
    state = {"FAIL": "broken", "UNKNOWN": "unknown"}
    for arn, status in found.items():
        if status != "PASS":
            assert paths[arn].hops[1].state == state[status], arn
    assert paths[n1.res["secret:rot/ok"]].hops[1].state == "ok"
    # the ASFF export: the same findings, the same verdicts
    assert main(["report", "--in", str(out), "--format", "asff", "--out", str(tmp_path),
                 "--quiet"]) == 0
    asff = json.loads((tmp_path / "findings.asff.json").read_text())
    compliance = {"FAIL": "FAILED", "UNKNOWN": "WARNING"}
    exported = {x["Resources"][0]["Id"]: x["Compliance"]["Status"] for x in asff
                if x["GeneratorId"] == f"secretgraph/{ROLE_RULE}"}
    assert exported == {arn: compliance[s] for arn, s in found.items() if s != "PASS"}


def test_the_diff_of_two_incomplete_nights_says_what_rotation_gained_and_lost(
        nights: Any, capsys: pytest.CaptureFixture[str]) -> None:
    n1, out1, out2 = nights["n1"], nights["out1"], nights["out2"]
    r = n1.res
    capsys.readouterr()
    assert main(["diff", "--history", str(nights["history"]), str(out1), str(out2),
                 "--format", "json"]) == 0
    drift = json.loads(capsys.readouterr().out)
    moved = {(k, f["rule_id"], f["resource"]["arn"] if isinstance(f.get("resource"), dict)
              else f.get("resource_arn")) for k in ("new", "resolved")
             for f in drift["findings"][k]}
    names = {v: k for k, v in r.items()}
    assert {(k, rule, names.get(a, a)) for k, rule, a in moved} == {
        ("new", ROLE_RULE, "secret:rot/ok"), ("new", ROLE_RULE, "secret:rot/qualified"),
        ("new", "secret-rotation-function-missing", "secret:rot/eu"),
        ("new", "secret-rotation-function-missing", "secret:rot/eu-mrk"),
        # its role is no longer judged: rotate-eu is gone
        ("resolved", ROLE_RULE, "secret:rot/eu-mrk"),
        ("resolved", ROLE_RULE, "secret:rot/bounded"),
        ("resolved", ROLE_RULE, "secret:rot/role-gone"),
        ("resolved", ROLE_RULE, "secret:rot/ops-ungranted")}
    gained = {x["principal"] for c in drift["access"] if c["secret_arn"] == r[
        "secret:rot/ops-ungranted"] for x in c["new_readers"]}
    assert f"arn:aws:iam::{n1.accounts['ops']}:role/OpsRotator" in gained
