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


def _access_paths(out: Path, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    capsys.readouterr()
    assert main(["access", "--in", str(out), "--secret", SECRET_ARN, "--format", "json"]) == 0
    [secret] = json.loads(capsys.readouterr().out)["secrets"]
    return [p for p in secret["paths"] if p["principal_account"] == OUTSIDER]


def test_the_scans_allowed_external_accounts_are_recorded_and_read_back(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """New-user trial 7: a partner allowed by the scan's config (allowed_external_accounts) was
    "unintended" in ``access --in``, which read only the flag. The scan records them in
    ``scan.trust_zone`` and every re-read takes them back (outside the zone, allow-listed)."""
    out = _scan(tmp_path, f'allowed_external_accounts: ["{OUTSIDER}"]\n')
    document = json.loads((out / "findings.json").read_text())
    assert document["scan"]["trust_zone"]["allowed_external_accounts"] == [OUTSIDER]
    paths = _access_paths(out, capsys)
    assert paths and {(p["in_zone"], p["allow_listed"]) for p in paths} == {(False, True)}
    access = load_rendered(out).access  # report --in
    assert access is not None
    assert {p.allow_listed for p in access.for_secret(SECRET_ARN).paths
            if p.principal_account == OUTSIDER} == {True}


def test_a_scan_without_allowed_accounts_records_none(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = _scan(tmp_path, "{}\n")
    document = json.loads((out / "findings.json").read_text())
    assert "allowed_external_accounts" not in document["scan"]["trust_zone"]
    assert {p["allow_listed"] for p in _access_paths(out, capsys)} == {False}


def test_access_in_with_a_damaged_findings_json_still_answers_from_the_snapshot(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Review of the day's merges: reading the recorded zone made ``access --in`` exit 2 on a
    findings.json cut short, though the analysis needs the snapshot only. It answers, and a
    note says the zone is the flags'."""
    out = _scan(tmp_path, f'trusted_accounts: ["{OUTSIDER}"]\n')
    text = (out / "findings.json").read_text()
    (out / "findings.json").write_text(text[: len(text) // 2])
    capsys.readouterr()
    assert main(["access", "--in", str(out), "--secret", SECRET_ARN, "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["secrets"]
    assert "could not be read" in captured.err and "findings.json" in captured.err
