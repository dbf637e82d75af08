"""The single files a command writes (export's --ledger and --report, diff's and baseline's
--output-file) on a full disk: one line naming the file, exit 2, and the file as it was -- a
ledger cut in half failed every night after (fault-injection trial round 4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.full_disk import NearlyFullDisk
from helpers.report_sample import sample_document

from reports.json_out import write_findings_json
from scanner.cli import main

REGION = "us-east-1"
LEDGER_FORMAT = "secretgraph-securityhub-ledger"


def _ledger(path: Path, suppressed: list[str]) -> bytes:
    path.write_text(json.dumps({"format": LEDGER_FORMAT, "version": 1, "delivered_through": None,
                                "suppressed": suppressed}), encoding="utf-8")
    return path.read_bytes()


@pytest.fixture()
def aws(monkeypatch: pytest.MonkeyPatch) -> Any:
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        import boto3

        boto3.client("securityhub", region_name=REGION).enable_security_hub()
        own = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]
        yield ["--mode", "central", "--central-account", own, "--region", REGION]


def test_a_ledger_that_cannot_be_rewritten_is_left_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        aws: list[str]) -> None:
    """Fault-injection trial round 4: `export securityhub --ledger` on a full disk truncated
    the ledger (Path.write_text empties the file before writing), said "the ledger was not
    updated", and every later export failed on the damaged ledger. The ledger is replaced
    whole or not at all; the next export, disk space back, reads it."""
    findings, ledger, report = (tmp_path / "findings.json", tmp_path / "disk" / "ledger.json",
                                tmp_path / "disk" / "delivery.json")
    write_findings_json(sample_document(), findings)
    ledger.parent.mkdir()
    kept = _ledger(ledger, [f"sgf-{i:032x}" for i in range(2000)])
    report.write_text("last night's report\n", encoding="utf-8")
    disk = NearlyFullDisk(ledger.parent, free=4096).install(monkeypatch)
    capsys.readouterr()
    assert main(["export", "securityhub", "--findings", str(findings), *aws,
                 "--ledger", str(ledger), "--report", str(report)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (
        f"secretgraph export: error: --ledger {ledger}: cannot write it: No space left on "
        "device; the findings were delivered as the line above says; the ledger was not "
        "updated (the next export with it sends the workflow updates again)")
    assert disk.failures, "the ledger's write met the full disk"
    assert ledger.read_bytes() == kept
    assert sorted(p.name for p in ledger.parent.iterdir()) == ["delivery.json", "ledger.json"]
    monkeypatch.undo()  # disk space back: the next night reads the ledger
    assert main(["export", "securityhub", "--findings", str(findings), *aws,
                 "--ledger", str(ledger)]) == 0
    assert json.loads(ledger.read_text(encoding="utf-8"))["format"] == LEDGER_FORMAT


def test_a_report_that_cannot_be_written_leaves_the_previous_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        aws: list[str]) -> None:
    """Fault-injection trial round 4: --report on a full disk left a 0-byte file in place of
    the previous report."""
    findings, report = tmp_path / "findings.json", tmp_path / "disk" / "delivery.json"
    write_findings_json(sample_document(), findings)
    report.parent.mkdir()
    report.write_text("last night's report\n", encoding="utf-8")
    NearlyFullDisk(report.parent, free=0).install(monkeypatch)
    capsys.readouterr()
    assert main(["export", "securityhub", "--findings", str(findings), *aws,
                 "--report", str(report)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"secretgraph export: error: --report {report}: cannot write "
                              "it: No space left on device; the findings were delivered")
    assert report.read_text(encoding="utf-8") == "last night's report\n"
    assert [p.name for p in report.parent.iterdir()] == ["delivery.json"]


def test_an_output_file_on_a_full_disk_keeps_the_file_it_would_replace(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Fault-injection trial round 4: `baseline init --force --output-file` (and `diff
    --output-file`, through the same write_output) on a full disk emptied the file it was to
    replace."""
    from helpers.access_estate import estate

    from scanner.snapshot_io import write_snapshot

    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    baseline = tmp_path / "disk" / "baseline.yaml"
    baseline.parent.mkdir()
    baseline.write_text("# the reviewed baseline\n", encoding="utf-8")
    NearlyFullDisk(baseline.parent, free=10).install(monkeypatch)
    assert main(["baseline", "init", "--snapshot", str(snapshot), "--output-file",
                 str(baseline), "--force"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"secretgraph baseline init: error: --output-file {baseline}: cannot write it: No space "
        "left on device"]
    assert baseline.read_text(encoding="utf-8") == "# the reviewed baseline\n"
    assert [p.name for p in baseline.parent.iterdir()] == ["baseline.yaml"]


def test_an_output_file_replaced_keeps_its_mode_and_writes_through_a_link(
        tmp_path: Path) -> None:
    """Replacing a file whole (a temporary file renamed over it) must not turn a private
    ledger readable by all, nor replace a link to the ledger with a copy of it."""
    import os
    import stat

    from scanner.commands._outputs import write_output

    real = tmp_path / "private" / "ledger.json"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    real.chmod(0o600)
    link = tmp_path / "ledger.json"
    link.symlink_to(real)
    write_output(link, "new\n", "--ledger")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o600
    assert sorted(p.name for p in real.parent.iterdir()) == ["ledger.json"]


def test_the_cli_export_ledger_records_the_scan_it_delivered(
        tmp_path: Path, aws: list[str]) -> None:
    """Fault-injection trial round 4: the CLI export wrote ``"delivered_through": ""``: it read
    scan.scan_id, but findings.json keeps the scan's id in scan.id (DESIGN.md); the next
    export could not find where the deliveries stopped."""
    document = sample_document()
    document["scan"]["complete"] = True
    findings, ledger = tmp_path / "findings.json", tmp_path / "ledger.json"
    write_findings_json(document, findings)
    assert main(["export", "securityhub", "--findings", str(findings), *aws,
                 "--ledger", str(ledger)]) == 0
    assert json.loads(ledger.read_text(encoding="utf-8"))["delivered_through"] == \
        document["scan"]["id"]
