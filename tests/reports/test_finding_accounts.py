"""Every finding belongs to a real account: the scan never writes an empty resource.account_id,
findings.json written before still reads (as the scan's own account), and the ASFF mapping treats a malformed one as a bug instead of importing into
``product//default``. New-user trial: an expired suppression entry's finding had account_id
"", which passed the schema and broke the ASFF file, both Security Hub export modes, the OCSF
event and the HTML "By account" table."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from helpers.report_sample import sample_document
from helpers.scanfactory import CENTRAL, secret, snapshot
from reports.asff import build_asff, retarget_central, to_asff, validate_asff
from reports.json_out import validate_finding
from scanner.engine.suppressions import EXPIRED_RULE_ID, Suppression, Suppressions
from scanner.errors import InputError
from scanner.pipeline import ScanOptions, analyze, load_inputs

NOW = dt.datetime(2026, 11, 29, tzinfo=dt.timezone.utc)
ACCOUNT = re.compile(r"^[0-9]{12}$")


def _expired_scan() -> dict:  # type: ignore[type-arg]
    expired = Suppressions(entries=(Suppression(index=0, reason="expired entry",
                                                expires=dt.date(2020, 1, 1),
                                                rule="kms-key-rotation-disabled"),),
                           path="supp-expired.yaml")
    inputs = dataclasses.replace(load_inputs(ScanOptions()), suppressions=expired)
    snap = snapshot("s1", "2026-11-29T01:00:00Z", [secret("app")])
    return analyze(snap, inputs, now=NOW).document


def test_an_expired_suppression_yields_a_finding_security_hub_accepts() -> None:
    """New-user trial (expired_suppression_export.sh): the suppression-expired finding is
    imported into a real account, in per-account and in central mode."""
    document = _expired_scan()
    rows = [f for f in document["findings"] if f["rule_id"] == EXPIRED_RULE_ID]
    assert len(rows) == 1
    assert all(ACCOUNT.match(f["resource"]["account_id"]) for f in document["findings"])
    # no central account in this snapshot (no secret is shared): the lowest scanned account
    assert rows[0]["resource"]["account_id"] == CENTRAL
    asff = [f for f in build_asff(document) if f["GeneratorId"].endswith(EXPIRED_RULE_ID)][0]
    assert asff["AwsAccountId"] == CENTRAL
    assert asff["ProductArn"] == f"arn:aws:securityhub:us-east-1:{CENTRAL}:product/{CENTRAL}/default"
    assert validate_asff(asff) == []
    assert validate_asff(retarget_central(asff, CENTRAL)) == []


def test_a_findings_json_written_before_is_read_and_exported_in_the_scans_account() -> None:
    """Review: the schema refused, and the export stage crashed on, last night's findings.json
    whose suppression-expired finding had account_id "" (written before every producer named
    an account): `report --in`, `export --previous` and the first nightly export after the
    upgrade failed. Such a finding is read as the scan's own account (its central account,
    else its lowest one), as the producers place it now."""
    document = sample_document()
    row = dict(document["findings"][0])
    row["resource"] = dict(row["resource"], account_id="")
    validate_finding(row, 0)  # read, not refused
    scan = document["scan"]
    home = scan.get("central_account") or sorted(scan["accounts"])[0]
    asff = to_asff(row, document)
    assert asff["AwsAccountId"] == home
    assert validate_asff(asff) == []


def test_asff_refuses_a_malformed_account_as_a_bug() -> None:
    """New-user trial: to_asff built ``product//default`` for an empty account; an account that
    is not 12 digits is an error (a bug of the finding's producer), and validate_asff names
    AwsAccountId."""
    document = sample_document()
    row = dict(document["findings"][0])
    row["resource"] = dict(row["resource"], account_id="12345")
    with pytest.raises(ValueError, match="no account"):
        to_asff(row, document)
    good = build_asff(document)[0]
    for bad in ("", "12345"):
        problems = " | ".join(validate_asff(dict(good, AwsAccountId=bad)))
        assert "AwsAccountId: not a 12-digit account id" in problems
