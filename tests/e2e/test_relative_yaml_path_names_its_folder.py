"""A YAML input named by a relative path that is not there says which folder it was looked up
in: under cron or a CI step the current folder is not the one the user had in mind (new-user
trial round 36: `cd /; secretgraph scan --snapshot S --config nosuch.yaml` said
"nosuch.yaml: cannot read config: No such file or directory" and no folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main


def test_a_missing_relative_config_names_the_folder_it_was_looked_up_in(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["scan", "--snapshot", str(tmp_path / "s.json.gz"), "--config", "nosuch.yaml",
                 "--out", str(tmp_path / "out")])
    [line] = capsys.readouterr().err.splitlines()
    assert code == 2
    assert line == ("secretgraph scan: error: nosuch.yaml: cannot read config: No such file or "
                    f"directory (a relative path, looked up in {tmp_path})")


def test_a_missing_absolute_config_says_no_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nosuch.yaml"
    code = main(["scan", "--snapshot", str(tmp_path / "s.json.gz"), "--config", str(missing),
                 "--out", str(tmp_path / "out")])
    assert code == 2
    assert capsys.readouterr().err.strip().endswith(
        "cannot read config: No such file or directory")
