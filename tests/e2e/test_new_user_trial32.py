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


@pytest.fixture
def read_by_app(tmp_path: Path) -> Path:
    """A scan's output folder where a member account's ApplicationRole reads app/db."""
    from helpers.access_estate import (APP_ROLE, allow_read_identity, estate, key_policy_for,
                                       role, secret_policy_for)
    from scanner.snapshot_io import write_snapshot

    snap = write_snapshot(tmp_path / "snapshot-in.json.gz", estate(
        secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy_for(APP_ROLE),
        principals=(role(APP_ROLE, allow_read_identity()),)))
    out = tmp_path / "scan-out"
    assert main(["scan", "--snapshot", str(snap), "--out", str(out), "--format", "json",
                 "--fail-on", "NONE", "-q"]) == 0
    return out


def test_baseline_check_fits_an_80_column_terminal_and_a_pipe_keeps_each_reader_whole(
        read_by_app: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`baseline check` printed each reader outside the baseline as one line, the secret's
    ARN and the principal's side by side: 121 columns at 80 (260 with a 200-character secret
    name), where every other command's answer is broken between words on a terminal."""
    from helpers.access_estate import APP_ROLE, SECRET_ARN
    from helpers.tty import run_in_tty

    baseline = read_by_app.parent / "baseline.yaml"
    baseline.write_text(f"version: 1\nsecrets:\n  - secret: \"{SECRET_ARN}\"\n"
                        "    readers: []\n", encoding="utf-8")
    args = ["baseline", "check", "--baseline", "baseline.yaml", "--in", "scan-out"]
    run = run_in_tty(args, cols=80, cwd=str(read_by_app.parent))
    assert run.exit_code == 1
    lines = run.text.rstrip().splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert lines[0].startswith(f"FAIL     {SECRET_ARN}")
    assert lines[1].strip() == APP_ROLE
    assert lines[2:] == ["1 reader(s) outside the baseline baseline.yaml"]
    # a pipe (grep, a file) keeps a reader on one line, as before
    monkeypatch.chdir(read_by_app.parent)
    assert main(args) == 1
    assert capsys.readouterr().out.splitlines()[0] == f"FAIL     {SECRET_ARN}  {APP_ROLE}"


def test_a_reader_of_a_secret_with_a_200_character_name_starts_beside_its_status() -> None:
    """The ARN too long for the line is broken after a ':' or '/' and starts beside FAIL,
    not on the line after a lone 'FAIL'."""
    from scanner.textfit import fit_line

    arn = ("arn:aws:secretsmanager:us-east-1:111111111111:secret:team/"
           + "very-long-component-" * 9 + "x-AbCdEf")
    lines = fit_line(f"FAIL     {arn}  account:111111111111", 80, hang=9).splitlines()
    assert lines[0] == "FAIL     arn:aws:secretsmanager:us-east-1:111111111111:secret:team/"
    assert all(line.startswith("           ") for line in lines[1:-1])
    assert lines[-1] == "         account:111111111111"
    assert "".join(line.strip() for line in [lines[0][9:], *lines[1:-1]]) == arn


@pytest.mark.parametrize("command", [
    ["access"],
    ["remediate"],
    ["baseline", "init", "--output-file", "{tmp}/baseline.yaml"],
    ["diff"],
])
def test_a_history_file_that_does_not_exist_is_named_so_by_every_command(
        command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt --history (or the first morning, before any scan recorded one): `history
    list` said "no such file yet: a scan with --history FILE creates it", while access said
    '--history FILE: no complete scan recorded', remediate 'no complete scan in the history to
    remediate from', baseline init 'the history holds no complete scan' and diff 'the history
    holds 0 complete of 0' -- four wordings, none saying the file was not there."""
    history = str(tmp_path / "histroy.db")
    args = [a.format(tmp=tmp_path) for a in command] + ["--history", history]
    assert main(args) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"(no such file yet: a scan with --history {history} creates it)" in err
    if command[0] != "diff":
        assert f"error: {history}: the history holds no complete scan (no such" in err
    assert not Path(history).exists()


def test_a_history_holding_no_complete_scan_is_not_said_to_be_missing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An existing history without a complete scan says so, and not 'no such file'."""
    history = tmp_path / "history.db"
    history.touch()
    assert main(["access", "--history", str(history)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err.endswith(f"error: {history}: the history holds no complete scan")
