"""`--fail-on NONE`: a CI job that wants the reports without failing the build on findings
(new-user trial round 19: `none`, `off` and `never` were all refused, exit 2, so the job had to
filter exit 1 itself). Findings then never give exit 1; an incomplete scan is still exit 3 and
bad input exit 2 (DESIGN.md exit codes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main
from scanner.engine import exit_code
from scanner.snapshot_io import write_snapshot

from helpers.scanfactory import secret, snapshot


def _estate(tmp_path: Path) -> Path:
    # a secret on the AWS-managed key (HIGH) and one without rotation (MEDIUM)
    snap = snapshot("night-1", "2026-11-28T01:00:00Z", [
        secret("api", kms_key_id=None), secret("db", rotation=False)])
    return write_snapshot(tmp_path / "s.json.gz", snap)


def test_findings_do_not_fail_the_run_with_fail_on_none(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = _estate(tmp_path)
    assert main(["scan", "--snapshot", str(snap), "--out", str(tmp_path / "a"), "-q",
                 "--format", "json"]) == 1
    for spelling in ("NONE", "none"):
        assert main(["scan", "--snapshot", str(snap), "--out", str(tmp_path / spelling),
                     "-q", "--format", "json", "--fail-on", spelling]) == 0
        assert (tmp_path / spelling / "findings.json").exists()


def test_an_incomplete_scan_is_still_exit_3() -> None:
    doc = {"scan": {"complete": False}, "findings": [
        {"status": "FAIL", "severity": "CRITICAL"}]}
    assert exit_code(doc, None) == 3
    assert exit_code({"scan": {"complete": True}, "findings": doc["findings"]}, None) == 0


def test_a_misspelt_value_names_none_among_the_choices(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--snapshot", str(_estate(tmp_path)), "--fail-on", "never"]) == 2
    err = capsys.readouterr().err
    assert "--fail-on" in err and "NONE" in err and "Traceback" not in err
