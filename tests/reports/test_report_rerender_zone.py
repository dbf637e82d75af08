"""Re-analysing a scan folder (``report --in``) uses the trust zone the scan used: the
config's ``trusted_accounts`` recorded in findings.json (``scan.trust_zone``), not an empty
one -- a trusted account read as "(outside the trust zone)" on re-render (concept review
round 1, defect 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.access_estate import OUTSIDER, SECRET_ARN, estate, key_policy_for, secret_policy_for

from scanner.cli import main
from scanner.commands.report import load_rendered
from scanner.snapshot_io import write_snapshot

OUTSIDER_ROOT = f"arn:aws:iam::{OUTSIDER}:root"


def _scan(tmp_path: Path, config: str) -> Path:
    snap = estate(secret_policy=secret_policy_for(OUTSIDER_ROOT),
                  key_policy=key_policy_for(OUTSIDER_ROOT))
    write_snapshot(tmp_path / "in.json.gz", snap)
    (tmp_path / "config.yaml").write_text(config, encoding="utf-8")
    out = tmp_path / "scan"
    main(["scan", "--snapshot", str(tmp_path / "in.json.gz"), "--config",
          str(tmp_path / "config.yaml"), "--out", str(out), "-q", "--format", "json"])
    return out


def _outsider_in_zone(out: Path) -> set[bool]:
    access = load_rendered(out).access
    assert access is not None
    sa = access.for_secret(SECRET_ARN)
    assert sa is not None
    zone = {p.in_zone for p in sa.paths if p.principal_account == OUTSIDER}
    assert zone, "the outsider's account is granted: it has a path"
    return zone


def test_report_in_keeps_the_scans_trusted_accounts(tmp_path: Path) -> None:
    out = _scan(tmp_path, f'trusted_accounts: ["{OUTSIDER}"]\n')
    assert _outsider_in_zone(out) == {True}


def test_report_in_without_trusted_accounts_keeps_them_outside(tmp_path: Path) -> None:
    out = _scan(tmp_path, "{}\n")
    assert _outsider_in_zone(out) == {False}


def _access_in_zone(out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> set[bool]:
    capsys.readouterr()
    assert main(["access", "--in", str(out), "--secret", SECRET_ARN, "--format", "json",
                 *extra]) == 0
    [secret] = json.loads(capsys.readouterr().out)["secrets"]
    return {p["in_zone"] for p in secret["paths"] if p["principal_account"] == OUTSIDER}


def test_access_in_keeps_the_scans_trusted_accounts(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Concept review round 2: ``access --in`` was the one reader of a scan folder that left
    the recorded zone out, calling the trusted account "outside the trust zone"."""
    out = _scan(tmp_path, f'trusted_accounts: ["{OUTSIDER}"]\n')
    assert _access_in_zone(out, capsys) == {True}


def test_access_in_without_trusted_accounts_keeps_them_outside_unless_told(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _scan(tmp_path, "{}\n")
    assert _access_in_zone(out, capsys) == {False}
    assert _access_in_zone(out, capsys, "--trusted-accounts", OUTSIDER) == {True}
