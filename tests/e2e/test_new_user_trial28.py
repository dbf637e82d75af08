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
