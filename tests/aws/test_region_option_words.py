"""`--regions` mistakes name what to write (fault-injection trial round 11): a Region in
capitals was refused with no hint, and a Region given twice was not named."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.collect_options import CollectOptions, validate_options
from scanner.errors import UsageError


def _refused(tmp_path: Path, regions: tuple[str, ...]) -> str:
    with pytest.raises(UsageError) as info:
        validate_options(CollectOptions(out=tmp_path / "s.json.gz", regions=regions))
    return str(info.value)


def test_a_region_in_capitals_names_it_in_lower_case(tmp_path: Path) -> None:
    said = _refused(tmp_path, ("us-east-1", "US-WEST-2"))
    assert "unknown region 'US-WEST-2'" in said
    assert "did you mean us-west-2? (Region names are lower-case)" in said


def test_a_region_given_twice_is_named(tmp_path: Path) -> None:
    said = _refused(tmp_path, ("us-east-1", "eu-west-1", "us-east-1"))
    assert "us-east-1 is listed twice in --regions" in said


@pytest.mark.parametrize("variable, value, said", [
    ("AWS_DEFAULT_REGION", "abc",
     "unknown region 'abc' from $AWS_DEFAULT_REGION (not an AWS region botocore knows)"),
    ("AWS_DEFAULT_REGION", "US-EAST-1",
     "unknown region 'US-EAST-1' from $AWS_DEFAULT_REGION (not an AWS region botocore knows); "
     "did you mean us-east-1? (Region names are lower-case)"),
    ("AWS_REGION", "eu-wst-1",
     "unknown region 'eu-wst-1' from $AWS_REGION (not an AWS region botocore knows); closest: "
     "eu-west-1"),
])
def test_a_default_region_of_the_environment_that_is_no_region_names_its_variable(
        variable: str, value: str, said: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --regions the scan takes the environment's Region: AWS_DEFAULT_REGION=abc in a
    nightly job's environment was refused as "unknown region 'abc'", the words --regions abc
    gets, naming no variable to look at (fault-injection trial round 20)."""
    from scanner.cli import main

    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv(variable, value)
    assert main(["scan", "--endpoint-url", "http://127.0.0.1:9", "--accounts", "123456789012",
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"secretgraph scan: error: {said}"), err
    assert len(err.splitlines()) == 1


def test_the_profiles_region_that_is_no_region_names_the_profile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from scanner.cli import main

    config = tmp_path / "config"
    config.write_text("[profile audit]\nregion = nowhere-1\n", encoding="utf-8")
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    assert main(["collect", "--profile", "audit", "--endpoint-url", "http://127.0.0.1:9",
                 "--accounts", "123456789012", "--shard", "1/1", "--run-id", "r1", "--parts",
                 str(tmp_path / "parts")]) == 2
    assert capsys.readouterr().err.startswith(
        "secretgraph collect: error: unknown region 'nowhere-1' from the region of profile "
        "'audit' (not an AWS region botocore knows)")
