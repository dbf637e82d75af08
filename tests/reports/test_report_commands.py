"""`secretgraph report` (offline re-render) and `secretgraph export securityhub` (moto)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from helpers.full_disk import FULL, needs_dev_full
from moto import mock_aws

from helpers.report_sample import CENTRAL, MEMBER_C, drop_findings, sample_document
from reports.json_out import write_findings_json
from scanner.cli import main
from scanner.model import (
    AccountSnapshot,
    IamPrincipal,
    IamSnapshot,
    PeeringSide,
    RegionSnapshot,
    Route,
    RouteTable,
    ScanMeta,
    Secret,
    Snapshot,
    Vpc,
    VpcPeering,
)
from scanner.snapshot_io import write_snapshot

REGION = "us-east-1"
MEMBER = "222222222222"
SECRET = f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:app/db-AbCdEf"
ROLE = f"arn:aws:iam::{MEMBER}:role/ApplicationRole"


def _snapshot() -> Snapshot:
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "secretsmanager:GetSecretValue",
        "Resource": "*"}]})
    peering = VpcPeering(
        peering_id="pcx-1", account_id=CENTRAL, region=REGION, status="active",
        requester=PeeringSide(owner_id=CENTRAL, vpc_id="vpc-c", region=REGION,
                              cidrs=("10.0.0.0/16",)),
        accepter=PeeringSide(owner_id=MEMBER, vpc_id="vpc-m", region=REGION,
                             cidrs=("10.1.0.0/16",)))
    central = AccountSnapshot(account_id=CENTRAL, iam=IamSnapshot(), regions=(RegionSnapshot(
        region=REGION,
        secrets=(Secret(arn=SECRET, name="app/db", account_id=CENTRAL, region=REGION,
                        resource_policy=policy),),
        vpcs=(Vpc(vpc_id="vpc-c", account_id=CENTRAL, region=REGION, cidrs=("10.0.0.0/16",),
                  tags={"Name": "<b>central</b>"}),),
        route_tables=(RouteTable(route_table_id="rtb-c", vpc_id="vpc-c", account_id=CENTRAL,
                                 region=REGION, is_main=True, routes=(Route(
                                     destination_cidr="10.1.0.0/16", target_type="vpc-peering",
                                     target_id="pcx-1"),)),),
        peerings=(peering,)),))
    member = AccountSnapshot(account_id=MEMBER, iam=IamSnapshot(principals=(IamPrincipal(
        arn=ROLE, name="ApplicationRole", account_id=MEMBER, principal_type="role",
        inline_policies={"read": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"],
            "Resource": "*"}]}}),)), regions=(RegionSnapshot(
        region=REGION,
        vpcs=(Vpc(vpc_id="vpc-m", account_id=MEMBER, region=REGION, cidrs=("10.1.0.0/16",)),),
        route_tables=(RouteTable(route_table_id="rtb-m", vpc_id="vpc-m", account_id=MEMBER,
                                 region=REGION, is_main=True),),
        peerings=(peering,)),))
    meta = ScanMeta(scan_id=sample_document()["scan"]["id"], started_at="2026-11-29T01:00:00Z",
                    finished_at="2026-11-29T01:01:00Z", accounts=(CENTRAL, MEMBER),
                    regions=(REGION,), central_account=CENTRAL)
    return Snapshot(meta=meta, accounts=(central, member))


#: findings.json as scan writes it (header, then one row per line: read as a stream), or as
#: one line of JSON (another tool's copy: read whole), or compact (shared evidence at the end)
LAYOUTS = ("scan", "one-line", "compact")


def _write_findings(path: Path, document: dict[str, Any], layout: str = "one-line") -> None:
    if layout == "one-line":
        path.write_text(json.dumps(document), encoding="utf-8")
    else:
        write_findings_json(document, path, compact=layout == "compact")


def _scan_dir(tmp_path: Path, *, snapshot: bool, layout: str = "one-line") -> Path:
    out = tmp_path / "scan"
    out.mkdir()
    _write_findings(out / "findings.json", sample_document(), layout)
    if snapshot:
        write_snapshot(out / "snapshot.json.gz", _snapshot())
    return out


# --------------------------------------------------------------------------- report


def test_report_rerenders_from_findings_and_snapshot_without_aws(tmp_path: Path,
                                                                  capsys: Any) -> None:
    scan = _scan_dir(tmp_path, snapshot=True)
    assert main(["report", "--in", str(scan), "--format", "html,csv,junit,ocsf",
                 "--out", str(tmp_path / "out")]) == 0
    written = capsys.readouterr().out.split()
    assert {Path(p).name for p in written} == {"report.html", "findings.csv", "junit.xml",
                                               "findings.ocsf.jsonl"}
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert '<span class="mono">pcx-1</span> <span class="muted">active</span>' in html  # the
    # network view came from the snapshot
    assert "&lt;b&gt;central&lt;/b&gt;" in html and "<b>central</b>" not in html
    assert 'class="ag kind-' in html  # the access analysis ran on the snapshot's graph


def test_report_without_a_snapshot_says_what_is_missing(tmp_path: Path) -> None:
    scan = _scan_dir(tmp_path, snapshot=False)
    assert main(["report", "--in", str(scan), "--format", "html"]) == 0
    html = (scan / "report.html").read_text(encoding="utf-8")
    assert "No access analysis was available" in html


def test_report_table_prints_to_the_terminal(tmp_path: Path, capsys: Any) -> None:
    scan = _scan_dir(tmp_path, snapshot=False)
    assert main(["report", "--in", str(scan), "--format", "table"]) == 0
    assert "CRITICAL: 1 failing" in capsys.readouterr().out


def test_report_with_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: Any) -> None:
    assert main(["report", "--in", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err.strip().endswith("nope: no such folder")
    (tmp_path / "afile").write_text("x")
    assert main(["report", "--in", str(tmp_path / "afile")]) == 2
    # named as access --in names it (new-user trial round 21)
    assert capsys.readouterr().err.strip().endswith("afile: not a folder (pass a scan's --out)")
    scan = _scan_dir(tmp_path, snapshot=False)
    doc = sample_document()
    doc["findings"][0]["status"] = "BROKEN"
    (scan / "findings.json").write_text(json.dumps(doc), encoding="utf-8")
    assert main(["report", "--in", str(scan)]) == 2
    err = capsys.readouterr().err
    assert "findings.json: field findings/0/status" in err and len(err.strip().splitlines()) == 1
    assert main(["report", "--in", str(scan), "--format", "pdf"]) == 2


# --------------------------------------------------------------------------- export


@pytest.mark.parametrize("layout", LAYOUTS)
def test_export_dry_run_counts_batches_without_aws(tmp_path: Path, capsys: Any,
                                                   layout: str) -> None:
    scan = _scan_dir(tmp_path, snapshot=False, layout=layout)
    assert main(["export", "securityhub", "--findings", str(scan / "findings.json"),
                 "--dry-run"]) == 0
    out = capsys.readouterr().out
    # PASS results are left out by default: 8 of 9, to 2 account/region targets
    assert ("dry run: 8 findings (0 archived as resolved: without --previous DIR, the previous "
            "scan's output folder, a finding fixed since stays ACTIVE) in 2 batch(es) to 2 "
            "account/region") in out
    # the batches, per target, on the screen and in --report (it wrote nothing)
    assert f"  {CENTRAL} {REGION}: 6 finding(s) in 1 batch(es)" in out
    report = tmp_path / "dry.json"
    assert main(["export", "securityhub", "--findings", str(scan / "findings.json"),
                 "--dry-run", "--report", str(report)]) == 0
    planned = json.loads(report.read_text())
    assert planned["dry_run"] is True and planned["findings"] == 8
    assert sum(t["findings"] for t in planned["targets"]) == 8
    # docs/reports.md: "Every report has interrupted and pending (false and 0 for a run that
    # ended)" -- a dry run's too, so a pipeline reads report["interrupted"] whatever the flags
    assert planned["interrupted"] is False and planned["pending"] == 0


def test_export_reads_a_scan_folder_with_in_as_every_other_reader(
        tmp_path: Path, capsys: Any) -> None:
    """New-user trial round 17: `export securityhub --in out` (as report, access and
    remediate read a scan's folder; DESIGN.md: "A scan's output folder is named with --in
    wherever a command reads one") said "one of the arguments --findings --asff is required",
    not naming --in; --findings out (the folder) said "not a readable JSON file: [Errno 21]
    Is a directory". --in DIR reads DIR/findings.json (and the snapshot beside it);
    --findings DIR names --in."""
    scan = _scan_dir(tmp_path, snapshot=False, layout="scan")
    assert main(["export", "securityhub", "--findings", str(scan / "findings.json"),
                 "--dry-run"]) == 0
    by_file = capsys.readouterr().out
    assert main(["export", "securityhub", "--in", str(scan), "--dry-run"]) == 0
    assert capsys.readouterr().out == by_file
    assert "dry run: 8 findings" in by_file
    assert main(["export", "securityhub", "--findings", str(scan), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(f"--findings {scan}: is a folder; give --in {scan} (a scan's output "
                        f"folder) or its findings.json")
    assert len(err.splitlines()) == 1
    assert main(["export", "securityhub", "--in", str(tmp_path / "nope"), "--dry-run"]) == 2
    assert capsys.readouterr().err.strip().endswith("nope: no such folder")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["export", "securityhub", "--in", str(empty), "--dry-run"]) == 2
    assert "findings.json" in capsys.readouterr().err
    # --previous takes the previous night's folder as --in takes tonight's
    assert main(["export", "securityhub", "--in", str(scan), "--previous", str(scan),
                 "--dry-run"]) == 0
    assert "dry run: " in capsys.readouterr().out
    assert main(["export", "securityhub", "--in", str(scan), "--previous", str(empty),
                 "--dry-run"]) == 2
    assert capsys.readouterr().err.strip().endswith(
        f"--previous {empty}: no findings.json in this folder (give the previous scan's --out "
        "or its findings.json or ASFF file)")
    with pytest.raises(SystemExit) as info:  # one source: --in, --findings or --asff
        main(["export", "securityhub", "--in", str(scan), "--findings",
              str(scan / "findings.json")])
    assert info.value.code == 2


def test_report_refuses_a_snapshot_or_a_drift_of_another_scan(
        tmp_path: Path, capsys: Any) -> None:
    """A new user's trial: the HTML showed another scan's readers beside this scan's
    findings, and a drift up to another scan as 'since the previous scan'."""
    scan = _scan_dir(tmp_path, snapshot=True)
    other = tmp_path / "other.json.gz"
    snap = _snapshot()
    write_snapshot(other, Snapshot(meta=ScanMeta(scan_id="scan-other", started_at="2026-11-30"
                                                 "T01:00:00Z"), accounts=snap.accounts))
    (scan / "snapshot.json.gz").write_bytes(other.read_bytes())
    assert main(["report", "--in", str(scan), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "snapshot of scan 'scan-other'" in err and "not the same scan" in err
    assert main(["report", "--in", str(scan), "--no-snapshot", "--out",
                 str(tmp_path / "o")]) == 0
    capsys.readouterr()
    drift = tmp_path / "drift.json"
    drift.write_text(json.dumps({"old": {"scan_id": "a"}, "new": {"scan_id": "b"}}))
    assert main(["report", "--in", str(scan), "--no-snapshot", "--drift", str(drift),
                 "--out", str(tmp_path / "o")]) == 2
    assert "drift up to scan 'b'" in capsys.readouterr().err
    assert main(["report", "--in", str(scan), "--no-snapshot", "--drift", str(drift),
                 "--format", "csv", "--out", str(tmp_path / "o")]) == 2
    assert "--drift is shown in the html report only" in capsys.readouterr().err


def test_an_export_without_previous_says_a_fixed_finding_stays_active(
        tmp_path: Path, capsys: Any) -> None:
    """New-user trial round 27: a nightly `export securityhub --in DIR` without --previous
    said "(0 archived as resolved)" every night, and the findings fixed since stayed ACTIVE in
    Security Hub; only the README said why. The count now says it, and what to give; with
    --previous it is the count alone."""
    scan = _scan_dir(tmp_path, snapshot=False)
    assert main(["export", "securityhub", "--in", str(scan), "--dry-run"]) == 0
    assert ("(0 archived as resolved: without --previous DIR, the previous scan's output "
            "folder, a finding fixed since stays ACTIVE)") in capsys.readouterr().out
    assert main(["export", "securityhub", "--in", str(scan), "--dry-run", "--previous",
                 str(scan)]) == 0
    out = capsys.readouterr().out
    assert "(0 archived as resolved) in " in out and "--previous" not in out, out


def test_export_dry_run_fits_an_80_column_terminal(tmp_path: Path) -> None:
    from helpers.tty import run_in_tty

    scan = _scan_dir(tmp_path, snapshot=False, layout="scan")
    run = run_in_tty(["export", "securityhub", "--findings", str(scan / "findings.json"),
                      "--dry-run", "--previous", str(scan / "findings.json")], cols=80,
                     timeout=120)
    assert run.exit_code == 0, run.text
    lines = [x for x in run.text.splitlines() if x.strip()]
    assert lines[0].startswith("dry run: 8 findings") and all(len(x) <= 80 for x in lines), \
        lines


def _session(account: str) -> boto3.Session:
    creds = boto3.client("sts", region_name=REGION, aws_access_key_id="testing",
                         aws_secret_access_key="testing").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/x", RoleSessionName="tests")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=REGION)


def _stored(account: str) -> dict[str, dict[str, Any]]:
    page = _session(account).client("securityhub").get_findings(MaxResults=100)
    return {f["Id"]: f for f in page["Findings"]}


@pytest.fixture()
def hub() -> Any:
    with mock_aws():
        for account in (CENTRAL, MEMBER_C):
            _session(account).client("securityhub").enable_security_hub()
        yield


@pytest.mark.parametrize("layout", LAYOUTS)
def test_export_imports_per_account_then_archives_what_was_resolved(
        hub: None, tmp_path: Path, layout: str, capsys: pytest.CaptureFixture[str]) -> None:
    scan = _scan_dir(tmp_path, snapshot=False, layout=layout)
    report = tmp_path / "delivery.json"
    assert main(["export", "securityhub", "--findings", str(scan / "findings.json"),
                 "--role-name", "SecretgraphExport", "--region", REGION,
                 "--report", str(report)]) == 0
    assert json.loads(report.read_text())["undelivered"] == []
    central, member = _stored(CENTRAL), _stored(MEMBER_C)
    assert len(central) == 6 and len(member) == 2  # PASS left out
    assert {f["AwsAccountId"] for f in member.values()} == {MEMBER_C}

    later = sample_document()
    later["scan"]["finished_at"] = "2026-11-30T01:04:10Z"
    drop_findings(later, lambda f: f["rule_id"] == "secret-rotation-disabled")
    later_dir = tmp_path / "later"
    later_dir.mkdir()
    _write_findings(later_dir / "findings.json", later, layout)
    assert main(["export", "securityhub", "--findings", str(later_dir / "findings.json"),
                 "--previous", str(scan / "findings.json"), "--role-name", "SecretgraphExport",
                 "--region", REGION]) == 0
    after = _stored(CENTRAL)
    archived = [f for f in after.values() if f["RecordState"] == "ARCHIVED"]
    assert [f["ProductFields"]["secretgraph/rule_id"] for f in archived] == [
        "secret-rotation-disabled"]
    assert archived[0]["Compliance"]["Status"] == "PASSED"
    # CreatedAt kept from the first export, UpdatedAt moved on
    still = next(f for f in after.values() if f["RecordState"] == "ACTIVE")
    assert still["CreatedAt"] == "2026-11-29T01:04:10.000Z"
    assert still["UpdatedAt"] == "2026-11-30T01:04:10.000Z"

    # the two files the other way round (a new-user trial): the newer scan as --previous
    # archived findings still failing in it; refused, nothing sent
    later["scan"]["started_at"] = "2026-11-30T01:00:00Z"
    _write_findings(later_dir / "findings.json", later, layout)
    assert main(["export", "securityhub", "--findings", str(scan / "findings.json"),
                 "--previous", str(later_dir / "findings.json"), "--role-name",
                 "SecretgraphExport", "--region", REGION]) == 2
    assert _stored(CENTRAL) == after

    # the current export given as ASFF with a previous findings.json archived nothing (no
    # account of the ASFF file counted as scanned)
    later["scan"]["started_at"] = "2026-11-29T01:00:00Z"
    _write_findings(later_dir / "findings.json", later, layout)
    assert main(["report", "--in", str(later_dir), "--no-snapshot", "--format", "asff"]) == 0
    capsys.readouterr()
    assert main(["export", "securityhub", "--asff", str(later_dir / "findings.asff.json"),
                 "--previous", str(scan / "findings.json"), "--dry-run",
                 "--region", REGION]) == 0
    out = capsys.readouterr().out
    assert "(1 archived as resolved)" in out
    # and which one: the archive is what to check before sending (nightly-operations trial)
    listed = out.split("archived as resolved (1):\n", 1)[1].splitlines()[0].split()
    assert len(listed) == 2 and listed[0].count("-") >= 2  # rule id, then the resource


def test_export_without_a_role_to_other_accounts_is_one_usage_error_before_sending(
        hub: None, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new user's trial: without --role-name, 29 findings failed one by one
    ('CredentialsError: no --role-name given') and the export exited 3, which nightly
    alerting reads as a partial delivery."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    scan = _scan_dir(tmp_path, snapshot=False)
    assert main(["export", "securityhub", "--findings", str(scan / "findings.json"),
                 "--region", REGION]) == 2
    err = capsys.readouterr().err
    assert "other than the caller's" in err and "give --role-name ROLE" in err
    assert len(err.strip().splitlines()) == 1
    assert _stored(CENTRAL) == {} and _stored(MEMBER_C) == {}


def test_export_central_mode_without_a_role_names_the_central_account_not_the_mode(
        hub: None, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new user's trial: `--mode central` from another account than the central one said
    "give --role-name ROLE (assumed in each), or --mode central" -- the flag already given.
    The line names the central account, the caller's, and the two ways out."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    scan = _scan_dir(tmp_path, snapshot=False)
    assert main(["export", "securityhub", "--findings", str(scan / "findings.json"),
                 "--mode", "central", "--region", REGION]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "or --mode central" not in err
    assert f"--mode central imports into account {CENTRAL}" in err
    assert "give --role-name ROLE (assumed there), or --central-account 123456789012" in err
    assert _stored(CENTRAL) == {} and _stored(MEMBER_C) == {}


def test_export_central_mode_puts_everything_in_one_account(hub: None, tmp_path: Path) -> None:
    scan = _scan_dir(tmp_path, snapshot=False)
    assert main(["export", "securityhub", "--findings", str(scan / "findings.json"),
                 "--mode", "central", "--role-name", "SecretgraphExport",
                 "--region", REGION]) == 0
    stored = _stored(CENTRAL)
    assert len(stored) == 8 and _stored(MEMBER_C) == {}
    assert {f["ProductFields"]["secretgraph/resource_account"] for f in stored.values()} == {
        CENTRAL, MEMBER_C}


def test_export_reports_undelivered_findings_with_exit_3(
        hub: None, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.aws.session import AwsSessions
    from scanner.errors import CredentialsError

    scan = _scan_dir(tmp_path, snapshot=False)
    report = tmp_path / "delivery.json"
    client = AwsSessions.client

    def refused(self: Any, service: str, *, account_id: str, region: str) -> Any:
        if account_id == MEMBER_C:  # the role cannot be assumed there
            raise CredentialsError(f"cannot assume the role in {account_id}")
        return client(self, service, account_id=account_id, region=region)

    monkeypatch.setattr(AwsSessions, "client", refused)
    assert main(["export", "securityhub", "--findings", str(scan / "findings.json"),
                 "--role-name", "SecretgraphExport", "--region", REGION,
                 "--report", str(report)]) == 3
    err = capsys.readouterr().err
    assert err.count("not delivered sgf-") == 2 and "cannot assume the role" in err
    delivery = json.loads(report.read_text())
    assert delivery["delivered"] == 6 and len(delivery["undelivered"]) == 2
    assert {u["error_code"] for u in delivery["undelivered"]} == {"CredentialsError"}
    assert {u["account_id"] for u in delivery["undelivered"]} == {MEMBER_C}
    assert _stored(MEMBER_C) == {}


def test_export_builds_the_same_asff_without_running_the_access_analysis(
        tmp_path: Path) -> None:
    """export read the snapshot's graph through the whole access analysis (35 s and a
    gigabyte at 100,000 secrets) and used only the resources' nodes."""
    from helpers.access_estate import estate

    from reports.asff import build_asff
    from reports.json_out import read_findings_json
    from scanner.commands.report import load_graph
    from scanner.snapshot_io import write_snapshot

    public = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Everyone", "Effect": "Allow", "Principal": "*",
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    write_snapshot(tmp_path / "snap.json.gz", estate(secret_policy=public))
    out = tmp_path / "scan"
    main(["scan", "--snapshot", str(tmp_path / "snap.json.gz"), "--out", str(out), "-q"])
    doc = read_findings_json(out / "findings.json")
    with_access, report = load_graph(out / "snapshot.json.gz")
    without, none = load_graph(out / "snapshot.json.gz", access=False)
    assert report is not None and none is None
    when = datetime(2026, 12, 3, tzinfo=timezone.utc)
    first = build_asff(doc, graph=with_access, now=when)
    assert first and first == build_asff(doc, graph=without, now=when)


def test_export_refuses_a_region_aws_does_not_have_before_anything(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A new user's trial: --region xx-fake-1 was routed to in a dry run (exit 0) and failed
    when sending, as an internal error."""
    scan = _scan_dir(tmp_path, snapshot=False, layout="scan")
    assert main(["export", "securityhub", "--findings", str(scan / "findings.json"),
                 "--dry-run", "--region", "xx-fake-1"]) == 2
    assert "--region 'xx-fake-1': not an AWS Region botocore knows" in capsys.readouterr().err


def test_include_passed_on_summarised_passes_says_there_are_none(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A new user's trial: --include-passed on a scan run without --emit-pass imported
    nothing more, without a word."""
    doc = sample_document()
    passes = [f for f in doc["findings"] if f["status"] == "PASS"]
    doc["findings"] = [f for f in doc["findings"] if f["status"] != "PASS"]
    doc["passed"] = {"itemised": False, "resources_max": 100, "by_rule": [
        {"rule_id": f["rule_id"], "title": f["title"], "severity": f["severity"], "count": 1}
        for f in passes]}
    path = tmp_path / "findings.json"
    _write_findings(path, doc, "scan")
    assert main(["export", "securityhub", "--findings", str(path), "--dry-run",
                 "--include-passed"]) == 0
    assert "--include-passed: this findings.json summarises its PASS results" in \
        capsys.readouterr().err


@needs_dev_full
def test_export_report_on_a_full_disk_is_one_line_naming_it(tmp_path: Path, capsys: Any) -> None:
    """Hostile-input trial: `export securityhub --report <full device>` was an internal
    error naming no file."""
    scan = _scan_dir(tmp_path, snapshot=False)
    assert main(["export", "securityhub", "--findings", str(scan / "findings.json"),
                 "--dry-run", "--report", FULL]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"secretgraph export: error: --report {FULL}: cannot write it: No space left on "
        "device; nothing was sent (dry run)"]


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_an_interrupted_export_rewrites_the_report_with_what_was_delivered(
        hub: None, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch,
        stop: str) -> None:
    """Fault-injection trial round 2: `export securityhub` stopped by SIGTERM after 2 of 4
    batches were delivered printed only 'secretgraph export: terminated' (rc 143) and left
    the previous night's --report ("delivered": 29) in place, which a monitor read as
    tonight's. The report now says the export was interrupted and what was delivered, and so
    does the one line."""
    import os
    import signal

    from scanner.aws.session import AwsSessions

    scan = _scan_dir(tmp_path, snapshot=False)
    report = tmp_path / "delivery.json"
    report.write_text(json.dumps({"attempted": 8, "delivered": 8, "undelivered": []}))
    client = AwsSessions.client
    calls: list[str] = []

    class StopsOnTheSecondBatch:
        def __init__(self, real: Any) -> None:
            self._real = real

        def batch_import_findings(self, **kwargs: Any) -> Any:
            calls.append(kwargs["Findings"][0]["AwsAccountId"])
            if len(calls) == 2:
                if stop == "sigterm":
                    os.kill(os.getpid(), signal.SIGTERM)
                raise KeyboardInterrupt
            return self._real.batch_import_findings(**kwargs)

    def stopping(self: Any, service: str, *, account_id: str, region: str) -> Any:
        return StopsOnTheSecondBatch(client(self, service, account_id=account_id,
                                            region=region))

    monkeypatch.setattr(AwsSessions, "client", stopping)
    code = main(["export", "securityhub", "--findings", str(scan / "findings.json"),
                 "--role-name", "SecretgraphExport", "--region", REGION,
                 "--report", str(report)])
    first = calls[0]
    delivered = len(_stored(first))
    assert delivered in (2, 6) and len(_stored(CENTRAL)) + len(_stored(MEMBER_C)) == delivered
    word = "interrupted" if stop == "ctrl-c" else "terminated"
    assert code == (130 if stop == "ctrl-c" else 143)
    assert capsys.readouterr().err.splitlines() == [
        f"secretgraph export: {word} after {delivered} of 8 findings were delivered to "
        f"Security Hub ({8 - delivered} not confirmed; an export run again updates the "
        f"findings already imported); --report {report} says so"]
    written = json.loads(report.read_text())
    assert written["interrupted"] is True
    assert (written["attempted"], written["delivered"], written["pending"]) == (
        8, delivered, 8 - delivered)


def test_export_to_an_endpoint_that_never_answers_warns_and_ends_with_exit_3(
        tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault-injection trial round 2: `export securityhub` against an endpoint that accepted
    the connection and never answered ran for about an hour in silence (60 s read timeout x
    3 botocore attempts x 5 batch retries x 4 batches). The call that has not answered is
    named in a warning after 30 s (here 1 s), as scan's watchdog does; a call that got no
    answer is not retried, and the export ends with the findings undelivered, exit 3."""
    import socket

    from scanner.aws.session import AwsSessions
    from scanner.commands import export

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # accepts (the kernel's backlog) and never answers
    try:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setattr(AwsSessions, "home_account", lambda self: CENTRAL)
        monkeypatch.setattr(export, "HANG_WARNING_AFTER", 1.0)
        monkeypatch.setattr(export, "READ_TIMEOUT", 1.5)
        scan = _scan_dir(tmp_path, snapshot=False)
        report = tmp_path / "delivery.json"
        started = datetime.now(timezone.utc)
        code = main(["export", "securityhub", "--findings", str(scan / "findings.json"),
                     "--mode", "central", "--region", REGION, "--endpoint-url",
                     f"http://127.0.0.1:{listener.getsockname()[1]}", "--report", str(report)])
        took = (datetime.now(timezone.utc) - started).total_seconds()
    finally:
        listener.close()
    err = capsys.readouterr().err
    assert code == 3
    assert (f"no answer from securityhub.BatchImportFindings in account {CENTRAL} Region "
            f"{REGION} after 1s (endpoint hanging or unreachable?); attempt 1 of 3") in err
    delivery = json.loads(report.read_text())
    assert delivery["delivered"] == 0 and delivery["requests"] == 1
    assert {u["error_code"] for u in delivery["undelivered"]} == {"ReadTimeoutError"}
    assert took < 3 * 1.5 + 10  # botocore's 3 attempts, not 5 more rounds of them


def test_report_table_alone_prints_and_with_out_writes_findings_txt_as_documented(
        tmp_path: Path, capsys: Any) -> None:
    """New-user trial round 9: docs/reports.md said `report --in DIR --format table` writes
    findings.txt while it prints the table (the narrow form docs/configuration.md describes);
    the docs say both cases now, and these are the cases."""
    scan = _scan_dir(tmp_path, snapshot=False)
    assert main(["report", "--in", str(scan), "--format", "table"]) == 0
    assert "CRITICAL: 1 failing" in capsys.readouterr().out
    assert not (scan / "findings.txt").exists()
    out = tmp_path / "again"
    assert main(["report", "--in", str(scan), "--format", "table", "--out", str(out)]) == 0
    assert (out / "findings.txt").is_file()
    assert main(["report", "--in", str(scan), "--format", "table,csv"]) == 0
    assert (scan / "findings.txt").is_file()
    docs = Path(__file__).resolve().parents[2] / "docs"
    row = next(line for line in (docs / "reports.md").read_text().splitlines()
               if line.startswith("| `table` |"))
    assert "`report --in DIR --format table` prints" in row and "`--out DIR`" in row, row
    narrow = " ".join((docs / "configuration.md").read_text().split())
    assert "`report --in DIR --format table` (printed when it is the only format" in narrow
    from scanner.cli import _subparsers, build_parser

    parser, _ = build_parser()
    [report] = [p for p in _subparsers(parser) if p.prog == "secretgraph report"]
    assert "table alone without --out prints it" in " ".join(report.format_help().split())


@pytest.mark.parametrize("layout", LAYOUTS)
def test_report_in_html_is_the_same_with_the_access_views_built_before_the_rows(
        tmp_path: Path, layout: str) -> None:
    """report --in builds the HTML report's access views before it reads the findings' rows
    back (the analysis and the rows were held together: 2.8 GB at 1,000 accounts x 100,000
    secrets); the page is the one the whole analysis gives, in every layout findings.json
    comes in."""
    from helpers.access_estate import OUTSIDER, estate, key_policy_for, secret_policy_for

    from reports.html import AccessViews, render_html
    from reports.json_out import read_findings_json
    from scanner.commands.report import load_rendered
    from scanner.snapshot_io import write_snapshot

    outsider = f"arn:aws:iam::{OUTSIDER}:root"
    write_snapshot(tmp_path / "snap.json.gz", estate(secret_policy=secret_policy_for(outsider),
                                                     key_policy=key_policy_for(outsider)))
    out = tmp_path / "scan"
    main(["scan", "--snapshot", str(tmp_path / "snap.json.gz"), "--out", str(out), "-q",
          "--format", "json"])
    if layout != "scan":
        _write_findings(out / "findings.json", read_findings_json(out / "findings.json"),
                        layout)
    whole = load_rendered(out)
    prepared = load_rendered(out, views=True)
    assert isinstance(prepared.access, AccessViews)
    assert prepared.access.access.groups, "the outsider's account reads: the matrix has it"
    assert prepared.document == whole.document
    when = datetime(2026, 12, 6, tzinfo=timezone.utc)
    assert render_html(prepared.document, graph=prepared.graph, access=prepared.access,
                       generated_at=when) == render_html(
        whole.document, graph=whole.graph, access=whole.access, generated_at=when)


def test_report_help_names_every_format_it_writes() -> None:
    """docs audit (session 20): the command list's line for report left jsonl out."""
    from reports import FORMATS
    from scanner.commands.report import HELP

    assert all(name in HELP for name in FORMATS)


def test_findings_txt_names_the_report_html_written_beside_it_and_no_terminal(
        tmp_path: Path) -> None:
    """New-user trial round 27: `report --in DIR --format table,html --out X` wrote X/report.html
    and, in X/findings.txt, "… marks text cut to fit the terminal: findings.json holds it whole
    (and report.html, written with --format html)" -- a file is no terminal, and the report.html
    it sent the reader off to make was written in the same run. The note now says the width
    the file is cut to and names report.html when it is beside it, as scan's terminal does."""
    document = sample_document()
    document["findings"][0]["message"] = "a long message " * 40  # cut at 120 columns
    scan = tmp_path / "scan"
    scan.mkdir()
    _write_findings(scan / "findings.json", document)
    both = tmp_path / "both"
    assert main(["report", "--in", str(scan), "--format", "table,html", "--out",
                 str(both)]) == 0
    text = " ".join((both / "findings.txt").read_text(encoding="utf-8").split())
    assert "… marks text cut to fit 120 columns: findings.json and report.html hold it whole." \
        in text, text
    assert "terminal" not in text and "written with --format html" not in text, text
    alone = tmp_path / "alone"
    assert main(["report", "--in", str(scan), "--format", "table", "--out", str(alone)]) == 0
    text = " ".join((alone / "findings.txt").read_text(encoding="utf-8").split())
    assert "cut to fit 120 columns: findings.json holds it whole (and report.html, written " \
        "with --format html)." in text, text
