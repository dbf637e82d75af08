"""New-user trial round 28: an error that did not say what to do next."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main


@pytest.fixture
def no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine where nothing was configured: no environment keys, no ~/.aws files, no
    instance role."""
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


def test_a_scan_without_any_credentials_says_how_to_give_them(
        no_credentials: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The first `secretgraph scan` on a fresh machine said 'no AWS credentials found in the
    standard credential chain (environment, ~/.aws files, SSO, instance role)' and nothing
    more: which flag or variable gives them, and that the demo needs none, were in the README
    only."""
    code = main(["scan", "--regions", "us-east-1", "--out", str(no_credentials / "out")])
    err = capsys.readouterr().err
    assert code == 2
    (line,) = err.splitlines()
    assert "no AWS credentials found in the standard credential chain" in line
    assert "--profile NAME" in line and "aws sso login --profile NAME" in line
    assert "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in line
    assert "`secretgraph demo` needs none" in line


def test_a_profile_without_credentials_is_told_how_to_set_them(
        no_credentials: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (no_credentials / "no-config").write_text("[profile audit]\nregion = us-east-1\n",
                                              encoding="utf-8")
    code = main(["scan", "--profile", "audit", "--out", str(no_credentials / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "no AWS credentials found in profile 'audit'" in err
    assert "aws configure --profile audit" in err and "aws sso login --profile audit" in err


def _night(tmp_path: Path, scan_id: str, started: str, policy: str | None) -> Path:
    from dataclasses import replace

    from helpers.access_estate import estate
    from scanner.snapshot_io import write_snapshot

    snap = estate(secret_policy=policy)
    snap = replace(snap, meta=replace(snap.meta, scan_id=scan_id, started_at=started))
    return write_snapshot(tmp_path / f"{scan_id}.json.gz", snap)


@pytest.fixture
def second_night(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Two nightly scans recorded in one history: the second's report.html has a drift
    section (a grant to a partner account appeared)."""
    from helpers.access_estate import secret_policy_for

    history = str(tmp_path / "h.db")
    first = _night(tmp_path, "scan-1", "2026-12-01T00:00:00Z", None)
    second = _night(tmp_path, "scan-2", "2026-12-02T00:00:00Z",
                    secret_policy_for("arn:aws:iam::999999999999:root"))
    main(["scan", "--snapshot", str(first), "--history", history, "--out",
          str(tmp_path / "n1"), "--format", "json", "--fail-on", "NONE", "-q"])
    out = tmp_path / "n2"
    assert main(["scan", "--snapshot", str(second), "--history", history, "--out", str(out),
                 "--format", "json,html", "--fail-on", "NONE", "-q"]) == 0
    assert '<section id="drift"' in (out / "report.html").read_text(encoding="utf-8")
    capsys.readouterr()
    return out


def test_re_rendering_a_report_with_a_drift_in_place_does_not_drop_it(
        second_night: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`report --in DIR` writes into DIR: the scan's report.html, whose drift section came
    from --history, was replaced by one without it, silently (report --in has no history).
    It is refused, nothing is written, and the message says how to keep the drift."""
    before = (second_night / "report.html").read_bytes()

    assert main(["report", "--in", str(second_night)]) == 2
    err = capsys.readouterr().err
    assert (second_night / "report.html").read_bytes() == before
    assert f"{second_night / 'report.html'} has the drift since the previous scan" in err
    assert "--drift FILE" in err and "--format json --output-file" in err
    assert "--out DIR" in err


def test_with_its_drift_given_or_elsewhere_the_report_is_re_rendered(
        second_night: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    drift = tmp_path / "drift.json"
    assert main(["diff", "--history", str(tmp_path / "h.db"), "--format", "json",
                 "--output-file", str(drift), "-q"]) == 0
    assert main(["report", "--in", str(second_night), "--drift", str(drift), "-q"]) == 0
    assert '<section id="drift"' in (second_night / "report.html").read_text(encoding="utf-8")
    assert main(["report", "--in", str(second_night), "--out", str(tmp_path / "copy"),
                 "-q"]) == 0
    assert main(["report", "--in", str(second_night), "--format", "csv", "-q"]) == 0


def test_baseline_check_says_why_a_reader_is_unknown(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`baseline check` printed 'UNKNOWN  <secret>  arn:aws:iam::999999999999:root' and no
    more: that the partner account's IAM was not read (so whether it reads is undecided) was
    in --format json only. The line under it says so."""
    from helpers.access_estate import estate, secret_policy_for
    from scanner.snapshot_io import write_snapshot

    snap = write_snapshot(tmp_path / "s.json.gz", estate(
        secret_policy=secret_policy_for("arn:aws:iam::999999999999:root")))
    baseline = tmp_path / "b.yaml"
    baseline.write_text("version: 1\nsecrets: []\n", encoding="utf-8")

    assert main(["baseline", "check", "--baseline", str(baseline), "--snapshot",
                 str(snap)]) == 1
    lines = capsys.readouterr().out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("UNKNOWN")
                 and line.endswith("arn:aws:iam::999999999999:root"))
    assert lines[first + 1].startswith(" " * 9)
    assert "may be able to read this secret (" in lines[first + 1]
