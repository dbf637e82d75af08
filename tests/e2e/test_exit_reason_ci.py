"""A CI job reads why a scan exits as it does (new-user trial round 36): the summary line ended
"...; 32 FAIL (4 CRITICAL, 8 HIGH, 18 MEDIUM, 2 LOW); ...; exit 1" and left the reader to work
out which findings failed the run against --fail-on, and `scan -q` -- the quiet output a CI
step wants -- printed nothing at all on exit 1: a red job without a word."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

from helpers.scanfactory import secret, snapshot


@pytest.fixture()
def snap(tmp_path: Path) -> str:
    """One CRITICAL (secret-key-unusable: the factory's key is not in the snapshot) and one
    MEDIUM (secret-rotation-disabled) failure."""
    path = tmp_path / "snapshot.json.gz"
    write_snapshot(path, snapshot("scan-ci", "2026-12-08T02:00:00Z",
                                  [secret("db", rotation=False)]))
    return str(path)


@pytest.mark.parametrize("fail_on,code,ending", [
    ("HIGH", 1, "; 1 FAIL at or above --fail-on HIGH: exit 1"),
    ("MEDIUM", 1, "; 2 FAIL at or above --fail-on MEDIUM: exit 1"),
    ("NONE", 0, "; --fail-on NONE (findings never fail the run): exit 0"),
])
def test_the_summary_says_which_findings_fail_the_run(
        snap: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], fail_on: str, code: int,
        ending: str) -> None:
    assert main(["scan", "--snapshot", snap, "--out", str(tmp_path / "out"), "--format",
                 "json", "--fail-on", fail_on]) == code
    [summary] = [line for line in capsys.readouterr().out.splitlines()
                 if line.startswith("scan complete")]
    assert summary.endswith(ending), summary
    assert "2 FAIL (1 CRITICAL, 1 MEDIUM)" in summary


def test_findings_below_the_threshold_say_nothing_reached_it(
        snap: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--snapshot", snap, "--out", str(tmp_path / "out"), "--format", "json",
                 "--fail-on", "CRITICAL", "--rules", "secret-rotation-disabled"]) == 0
    [summary] = [line for line in capsys.readouterr().out.splitlines()
                 if line.startswith("scan complete")]
    assert summary.endswith("; nothing at or above --fail-on CRITICAL: exit 0"), summary


def test_quiet_says_in_one_stderr_line_why_it_exits_1_and_nothing_when_it_passes(
        snap: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "out")
    assert main(["scan", "--snapshot", snap, "--out", out, "-q"]) == 1
    stdout, stderr = capsys.readouterr()
    assert stdout == ""
    assert stderr.splitlines() == [
        "secretgraph scan: 1 FAIL at or above --fail-on HIGH: exit 1 (findings.json lists "
        "them; --fail-on NONE: the reports only)"]
    assert main(["scan", "--snapshot", snap, "--out", out, "-q", "--fail-on", "CRITICAL",
                 "--rules", "secret-rotation-disabled"]) == 0
    assert capsys.readouterr() == ("", "")
    assert main(["scan", "--snapshot", snap, "--out", out, "-q", "--fail-on", "NONE"]) == 0
    assert capsys.readouterr() == ("", "")
