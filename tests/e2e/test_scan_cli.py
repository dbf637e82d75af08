"""`secretgraph scan` end to end: the real CLI against a moto server on 127.0.0.1.

A small organization (management + one member) with a central-style secret is scanned through
the console entry point; the tests pin the DESIGN.md contracts: exit codes, findings.json and its
schema, stable finding ids, offline re-evaluation, and one-line errors for bad input.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest

from scanner.cli import main

pytestmark = pytest.mark.e2e

REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"
SCHEMA = Path(__file__).resolve().parents[2] / "scanner" / "schemas" / "findings.schema.json"


def client(endpoint: str, service: str, creds: dict[str, str] | None = None) -> Any:
    keys = creds or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint, **keys)


def seed(endpoint: str) -> dict[str, str]:
    """Management account 123456789012 with an Organization and one member holding secrets."""
    org = client(endpoint, "organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="member", Email="m@example.com")[
        "CreateAccountStatus"]["AccountId"]
    sts = client(endpoint, "sts")
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/{ROLE}",
                        RoleSessionName="seed")["Credentials"]
    creds = {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
             "aws_session_token": c["SessionToken"]}
    kms = client(endpoint, "kms", creds)
    key = kms.create_key(Description="secrets")["KeyMetadata"]["Arn"]
    sm = client(endpoint, "secretsmanager", creds)
    cmk_secret = sm.create_secret(Name="app/db", SecretString="s3cr3t", KmsKeyId=key)["ARN"]
    default_key_secret = sm.create_secret(Name="app/plain", SecretString="x")["ARN"]
    sm.put_resource_policy(SecretId=cmk_secret, ResourcePolicy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*",
                       "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    return {"member": member, "key": key, "cmk_secret": cmk_secret,
            "default_key_secret": default_key_secret}


def scan(endpoint: str, out: Path, *extra: str) -> int:
    return main(["scan", "--org", "--role-name", ROLE, "--regions", REGION,
                 "--endpoint-url", endpoint, "--out", str(out), "--format", "json", *extra])


def fails(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["rule_id"], f["resource"]["arn"]) for f in doc["findings"] if f["status"] == "FAIL"}


def test_scan_writes_schema_valid_findings_and_exits_by_severity(
        moto_endpoint: str, tmp_path: Path) -> None:
    estate = seed(moto_endpoint)
    code = scan(moto_endpoint, tmp_path / "a", "--fail-on", "CRITICAL")
    doc = json.loads((tmp_path / "a" / "findings.json").read_text())
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    assert doc["scan"]["complete"] is True
    # no --central-account: the account holding the shared secrets is inferred, and says so
    assert (doc["scan"]["central_account"], doc["scan"]["central_account_source"]) == \
        (estate["member"], "inferred")
    assert {("secret-policy-public", estate["cmk_secret"]),
            ("secret-uses-aws-managed-key", estate["default_key_secret"]),
            ("secret-rotation-disabled", estate["cmk_secret"])} <= fails(doc)
    # a public secret policy is CRITICAL: --fail-on CRITICAL exits 1
    assert code == 1
    # nothing in this estate is INFORMATIONAL-only: below everything still fails
    assert scan(moto_endpoint, tmp_path / "b", "--fail-on", "LOW") == 1


def test_finding_ids_are_stable_across_scans_and_offline_reevaluation(
        moto_endpoint: str, tmp_path: Path) -> None:
    seed(moto_endpoint)
    scan(moto_endpoint, tmp_path / "one")
    scan(moto_endpoint, tmp_path / "two")
    one = json.loads((tmp_path / "one" / "findings.json").read_text())
    two = json.loads((tmp_path / "two" / "findings.json").read_text())
    assert {f["id"] for f in one["findings"]} == {f["id"] for f in two["findings"]}
    assert one["scan"]["id"] != two["scan"]["id"]
    # the stored snapshot re-evaluates offline (no endpoint, no AWS) to the same findings
    offline = tmp_path / "offline"
    assert main(["scan", "--snapshot", str(tmp_path / "one" / "snapshot.json.gz"),
                 "--out", str(offline), "--format", "json"]) == 1
    again = json.loads((offline / "findings.json").read_text())
    assert {(f["id"], f["status"]) for f in again["findings"]} == \
        {(f["id"], f["status"]) for f in one["findings"]}


def test_the_snapshot_holds_no_secret_value(moto_endpoint: str, tmp_path: Path) -> None:
    seed(moto_endpoint)
    scan(moto_endpoint, tmp_path / "s")
    with gzip.open(tmp_path / "s" / "snapshot.json.gz", "rt") as fh:
        text = fh.read()
    assert "app/db" in text  # the secret was collected ...
    assert "s3cr3t" not in text  # ... but never its value


def test_history_records_scans_and_the_second_scan_shows_drift(
        moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    estate = seed(moto_endpoint)
    history = str(tmp_path / "history.db")
    scan(moto_endpoint, tmp_path / "n1", "--history", history, "--format", "table,json")
    sm = client(moto_endpoint, "secretsmanager")  # management account: a new secret there
    sm.create_secret(Name="mgmt/new", SecretString="x")
    capsys.readouterr()
    scan(moto_endpoint, tmp_path / "n2", "--history", history, "--format", "table,json")
    printed = capsys.readouterr().out
    assert "mgmt/new" in printed
    summary = " ".join(printed.split())  # the summary line is wrapped to the terminal
    assert re.search(rf"central account (\S+ \()?{estate['member']}\)? \(inferred\)", summary)
    assert main(["history", "list", "--history", history, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 2
    assert estate["member"]
    # the history records each scan after its reports were written, with their status
    from scanner.history import open_store

    store = open_store(history)
    outputs = [store.load(r.scan_id).document["scan"]["outputs"] for r in store.list()]
    assert [o["folder"] for o in outputs] == [str(tmp_path / "n1"), str(tmp_path / "n2")]
    assert all(o["status"] == "written" and "findings.json" in o["files"] for o in outputs)


@pytest.mark.parametrize("args, needle", [
    (["--regions", "xx-fake-1"], "unknown region"),
    (["--accounts", "12345", "--regions", REGION], "malformed account id"),
    (["--org", "--accounts", "123456789012", "--regions", REGION], "not both"),
    (["--profile", "no-such-profile", "--regions", REGION], "no-such-profile"),
    (["--fail-on", "SEVERE", "--regions", REGION], "--fail-on"),
    (["--format", "pdf", "--regions", REGION], "unknown report format 'pdf'"),
    (["--format", "", "--regions", REGION], "no report format given"),
])
def test_bad_usage_is_one_line_and_exit_2(args: list[str], needle: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "--endpoint-url", "http://127.0.0.1:9", "--out", str(tmp_path), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "snapshot.json.gz").exists()


def test_bad_config_stops_before_scanning(moto_endpoint: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "secretgraph.yaml"
    bad.write_text("rules:\n  secret-unused:\n    parameters: {days: -3, colour: blue}\n")
    code = scan(moto_endpoint, tmp_path / "out", "--config", str(bad))
    err = capsys.readouterr().err
    assert code == 2
    assert str(bad) in err and "Traceback" not in err
    assert not (tmp_path / "out" / "snapshot.json.gz").exists()


def test_console_script_runs_as_a_module() -> None:
    done = subprocess.run([sys.executable, "-m", "scanner", "--help"], capture_output=True,
                          text=True, check=True)
    for command in ("scan", "demo", "access", "diff", "remediate", "export", "rules"):
        assert command in done.stdout


def test_first_seen_and_asff_created_at_survive_nightly_output_directories(
        moto_endpoint: str, tmp_path: Path) -> None:
    seed(moto_endpoint)
    history = str(tmp_path / "history.db")
    scan(moto_endpoint, tmp_path / "night1", "--history", history, "--format", "json,asff")
    scan(moto_endpoint, tmp_path / "night2", "--history", history, "--format", "json,asff")
    one = json.loads((tmp_path / "night1" / "findings.json").read_text())
    two = json.loads((tmp_path / "night2" / "findings.json").read_text())
    first = {f["id"]: f["first_seen"] for f in one["findings"]}
    assert all(f["first_seen"] == first[f["id"]] for f in two["findings"])
    assert set(first.values()) == {one["scan"]["started_at"]}
    asff = json.loads((tmp_path / "night2" / "findings.asff.json").read_text())
    asff = asff["Findings"] if isinstance(asff, dict) else asff
    assert asff and all(a["CreatedAt"].startswith(one["scan"]["started_at"][:16]) for a in asff)


def test_asff_created_at_survives_rescans_into_the_same_out_with_and_without_history(
        moto_endpoint: str, tmp_path: Path) -> None:
    """Review of today's merges, round 3 (createdat.sh): rescans into the same --out without
    --history moved every finding's CreatedAt to the new scan's start ("32 of 32 findings
    changed CreatedAt"): the scan's first_seen won over the previous export's CreatedAt. The
    previous export's CreatedAt for the same Id wins over a later first_seen, and a
    first_seen the history carries from before that export wins over it: the earlier one."""
    import time

    seed(moto_endpoint)
    history = str(tmp_path / "history.db")
    out = tmp_path / "out"

    def created() -> dict[str, str]:
        return {a["Id"]: a["CreatedAt"] for a in json.loads(
            (out / "findings.asff.json").read_text())}

    def started() -> str:
        return str(json.loads((out / "findings.json").read_text())["scan"]["started_at"])

    scan(moto_endpoint, tmp_path / "night1", "--history", history, "--format", "json,asff")
    night1 = json.loads((tmp_path / "night1" / "findings.json").read_text())["scan"]
    time.sleep(1.1)  # each scan starts in a second of its own
    scan(moto_endpoint, out, "--format", "json,asff")  # no history: CreatedAt = its start
    first, first_start = created(), started()[:19]
    assert first and all(v.startswith(first_start) for v in first.values())
    time.sleep(1.1)
    scan(moto_endpoint, out, "--format", "json,asff")  # no history again: kept
    assert started()[:19] != first_start
    assert created() == first
    time.sleep(1.1)
    scan(moto_endpoint, out, "--history", history, "--format", "json,asff")
    # the history saw them first (night1, before the export in --out): the earlier wins
    assert created() and all(v.startswith(night1["started_at"][:19]) for v in created().values())
    time.sleep(1.1)
    again = created()
    scan(moto_endpoint, out, "--format", "json,asff")  # and the next rescan keeps that
    assert created() == again


def test_remediate_plans_from_the_latest_scan_in_history(
        moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    estate = seed(moto_endpoint)
    history = str(tmp_path / "history.db")
    scan(moto_endpoint, tmp_path / "night", "--history", history)
    capsys.readouterr()
    plan = tmp_path / "plan.json"
    assert main(["remediate", "--history", history, "--plan-out", str(plan)]) == 0
    printed = capsys.readouterr().out
    assert "nothing was changed" in printed
    saved = json.loads(plan.read_text())
    planned = {c["remediation_id"] for c in saved["changes"]}
    assert "restrict-public-secret-policy" in planned  # the public policy on app/db
    assert estate["cmk_secret"] in plan.read_text()
    # one source only, and an empty history is a clear error
    assert main(["remediate", "--history", history, "--in", str(tmp_path)]) == 2
    assert main(["remediate", "--history", str(tmp_path / "empty.db")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_scan_s_help_names_the_one_account_scan() -> None:
    """README "Scanning one account": without --org or --accounts a scan reads the account
    the credentials belong to; the command list said "scan the organization (or --accounts)"
    (docs truth round 16)."""
    from scanner.commands import scan

    assert "without either" in scan.HELP and "account of the credentials" in scan.HELP
