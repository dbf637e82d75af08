"""remediate --in DIR without --config plans with the trust zone the scan used: the config's
trusted_accounts, recorded in findings.json, as report --in and baseline read them back. It
re-analysed with no trusted accounts, so a fix for a trusted partner's broken read was refused
as "outside the organization" (concept review round 1: one trust zone for rules, access,
remediation, reports and diff)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.access_estate import (CENTRAL, OUTSIDER, estate, key_policy_for, role,
                                   secret_policy_for, allow_read_identity)
from scanner.cli import main
from scanner.snapshot_io import write_snapshot

PARTNER_ROLE = f"arn:aws:iam::{OUTSIDER}:role/PartnerApp"


@pytest.fixture()
def scan_dir(tmp_path: Path) -> Path:
    snap = estate(secret_policy=secret_policy_for(PARTNER_ROLE),
                  key_policy=key_policy_for(f"arn:aws:iam::{CENTRAL}:role/Nobody"),
                  principals=(role(PARTNER_ROLE, allow_read_identity()),),
                  iam_accounts=None)
    path = tmp_path / "snapshot.json.gz"
    write_snapshot(path, snap)
    config = tmp_path / "config.yaml"
    config.write_text(f"trusted_accounts: ['{OUTSIDER}']\n", encoding="utf-8")
    out = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(path), "--config", str(config), "--out", str(out),
                 "-q"]) in (0, 1)
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert doc["scan"]["trust_zone"]["trusted_accounts"] == [OUTSIDER]
    assert any(f["rule_id"] == "secret-cross-account-access-broken" and f["status"] == "FAIL"
               for f in doc["findings"])
    return out


def test_a_fix_for_a_trusted_partner_is_planned_without_config(scan_dir: Path,
                                                                capsys: pytest.CaptureFixture[str]
                                                                ) -> None:
    assert main(["remediate", "--in", str(scan_dir), "--rule",
                 "secret-cross-account-access-broken"]) == 0
    plan = json.loads((scan_dir / "remediation-plan.json").read_text(encoding="utf-8"))
    assert [c["remediation_id"] for c in plan["changes"]] == ["grant-key-decrypt"], \
        capsys.readouterr().out
