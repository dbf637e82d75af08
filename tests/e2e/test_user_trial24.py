"""User trial round 24 (the CLI as users run it), the night after an upgrade whose release reads
more than the deployed audit role allows (kms:ListGrants): the scan's NOT ASSESSED table
listed 'kms ListGrants AccessDeniedException (14 calls)' and nothing said what to do -- the
fix (print the role's policy, update the StackSet: docs/deployment.md, "After an upgrade,
update the StackSet") was only in findings.json's remediation text."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from helpers.access_estate import CENTRAL, estate

from scanner.cli import main
from scanner.model import CoverageEntry
from scanner.snapshot_io import write_snapshot


def _gaps(kind: str, code: str, operation: str = "ListGrants",
          service: str = "kms") -> tuple[CoverageEntry, ...]:
    return tuple(CoverageEntry(account_id=CENTRAL, region="us-east-1", service=service,
                               operation=operation, error_code=code, error_kind=kind,
                               message="not authorized",
                               resource_arn=f"arn:aws:kms:us-east-1:{CENTRAL}:key/k{i}")
                 for i in range(3))


def _table(tmp_path: Path, capsys: pytest.CaptureFixture[str],
           gaps: tuple[CoverageEntry, ...]) -> str:
    path = tmp_path / "partial.json.gz"
    write_snapshot(path, replace(estate(secret_policy=None), coverage=gaps))
    assert main(["scan", "--snapshot", str(path), "--out", str(tmp_path / "out"),
                 "--format", "table", "--fail-on", "NONE"]) == 3
    out = capsys.readouterr().out
    return out[out.index("NOT ASSESSED:"):].split("\n\n")[0]


def test_a_denied_call_says_how_to_give_the_audit_role_what_it_lacks(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    table = _table(tmp_path, capsys, _gaps("denied", "AccessDeniedException"))
    assert all(len(line) <= 80 for line in table.splitlines()), table
    said = " ".join(table.split())
    assert "secretgraph iam-policy" in said and "update the StackSet" in said, table
    assert "docs/deployment.md" in said, table


def test_a_throttled_call_says_nothing_of_the_audit_roles_policy(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = _table(tmp_path, capsys, _gaps("throttled", "ThrottlingException"))
    assert "iam-policy" not in table and "StackSet" not in table, table


def test_a_role_that_could_not_be_assumed_is_not_told_to_update_its_policy(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = _table(tmp_path, capsys, _gaps("denied", "AccessDenied", "AssumeRole", "sts"))
    assert "iam-policy" not in table, table


def _asff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """An ASFF file of a scan (secret-policy-public FAILs on the estate), its first finding's
    Severity.Label edited to a value Security Hub refuses."""
    import json

    snap = tmp_path / "snap.json.gz"
    public = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*"}]})
    write_snapshot(snap, estate(secret_policy=public))
    main(["scan", "--snapshot", str(snap), "--out", str(tmp_path / "s"), "--format", "asff",
          "-q"])
    capsys.readouterr()
    findings = json.loads((tmp_path / "s" / "findings.asff.json").read_text(encoding="utf-8"))
    assert findings
    findings[0]["Severity"]["Label"] = "SEVERE"
    findings[0]["Id"] = "sgf-edited\x1b[2J\x1b[31m-" + "x" * 300
    path = tmp_path / "edited.asff.json"
    path.write_text(json.dumps(findings), encoding="utf-8")
    return path


def test_dry_run_names_an_invalid_finding_on_lines_that_fit_without_its_escapes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`export securityhub --asff FILE --dry-run` printed '  invalid ID: PROBLEMS' whole: 138
    columns at 80 for a finding of the scan with an edited Severity.Label, and an Id of an
    edited file printed with its escape sequences (the screen cleared) and all its 300
    characters. The real export's 'not delivered' line was already cleaned and fitted."""
    import scanner.textfit as textfit

    path = _asff(tmp_path, capsys)
    monkeypatch.setattr(textfit, "stream_columns", lambda stream: 80)
    assert main(["export", "securityhub", "--asff", str(path), "--dry-run"]) == 3
    out = capsys.readouterr().out
    assert "\x1b" not in out
    lines = out[out.index("  invalid "):].splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    said = " ".join(" ".join(lines).split())
    assert "sgf-edited" in said and "Severity.Label: 'SEVERE' is not one of" in said, said
