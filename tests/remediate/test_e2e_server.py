"""The command against a moto server through --endpoint-url: plan, apply, verify, undo."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from helpers.remediate_records import write_scan_dir
from scanner.cli import main
from scanner.findings import Finding, ResourceRef, Severity, Status, finding_id
from scanner.model import AccountSnapshot, KmsKey, RegionSnapshot, ScanMeta, Snapshot

HOME = "123456789012"  # the account of the static test credentials


@pytest.mark.e2e
def test_apply_and_undo_through_the_endpoint_url(moto_endpoint: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name="us-east-1")
    kms = session.client("kms", endpoint_url=moto_endpoint)
    meta = kms.create_key(Description="central")["KeyMetadata"]
    key_arn = meta["Arn"]
    # the scan's record of that key (the collector has its own tests; this one is about the
    # remediation command reaching the endpoint)
    snap = Snapshot(
        meta=ScanMeta(scan_id="scan-e2e", started_at="2026-11-29T00:00:00Z", accounts=(HOME,),
                      regions=("us-east-1",)),
        accounts=(AccountSnapshot(account_id=HOME, regions=(RegionSnapshot(
            region="us-east-1", kms_keys=(KmsKey(
                arn=key_arn, key_id=meta["KeyId"], account_id=HOME, region="us-east-1",
                key_manager="CUSTOMER", key_state="Enabled", key_spec="SYMMETRIC_DEFAULT",
                rotation_enabled=False),)),)),))
    rule = "kms-key-rotation-disabled"
    finding = Finding(id=finding_id(rule, key_arn), rule_id=rule, title=rule,
                      severity=Severity.MEDIUM, status=Status.FAIL,
                      resource=ResourceRef(type="KmsKey", arn=key_arn, account_id=HOME,
                                           region="us-east-1"),
                      remediation={"id": "enable-key-rotation"})
    scan_dir = write_scan_dir(tmp_path / "scan", snap, [finding])
    journal = tmp_path / "journal.jsonl"

    rc = main(["remediate", "--in", str(scan_dir), "--apply", "--yes",
               "--endpoint-url", moto_endpoint, "--journal", str(journal)])

    out = capsys.readouterr().out
    assert rc == 0, out
    assert "applied" in out and kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"]

    rc = main(["remediate", "--undo", str(journal), "--yes", "--endpoint-url", moto_endpoint])

    assert rc == 0, capsys.readouterr().out
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is False
