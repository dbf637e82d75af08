"""New-user trial round 32: the first morning's questions, asked of the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main


@pytest.fixture
def scan_out(tmp_path: Path) -> Path:
    """A scan's output folder (findings.json and snapshot.json.gz), written offline."""
    from helpers.access_estate import estate
    from scanner.snapshot_io import write_snapshot

    snap = write_snapshot(tmp_path / "snapshot-in.json.gz", estate(secret_policy=None))
    out = tmp_path / "scan-out"
    assert main(["scan", "--snapshot", str(snap), "--out", str(out), "--format", "json",
                 "--fail-on", "NONE", "-q"]) == 0
    return out


def test_a_dry_run_export_under_an_unknown_aws_profile_needs_no_profile(
        scan_out: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_PROFILE left naming a profile that does not exist: `export securityhub --dry-run`
    (which sends nothing and needs no credentials) said "internal error: ProfileNotFound" --
    checking the findings against Security Hub's model read the profile."""
    monkeypatch.setenv("AWS_PROFILE", "nosuchprofile")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(scan_out / "no-config"))
    assert main(["export", "securityhub", "--in", str(scan_out), "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("dry run: ")
    assert err == ""


def test_an_export_under_an_unknown_aws_profile_names_the_profile(
        scan_out: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The same export for real says what `--profile nosuchprofile` says, not 'internal
    error'."""
    monkeypatch.setenv("AWS_PROFILE", "nosuchprofile")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(scan_out / "no-config"))
    assert main(["export", "securityhub", "--in", str(scan_out)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "internal error" not in err
    assert "unknown AWS profile 'nosuchprofile'" in err
