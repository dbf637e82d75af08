"""A folder given as --history is told the same thing by every command that takes it: scan
checks it before scanning anything, the others when they open the store (new-user trial round
28: scan said "is a folder; name a file", history and diff "is a directory, not a history
file"). One line, exit 2, the folder left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main
from scanner.history.sqlite_store import FOLDER_GIVEN


@pytest.mark.parametrize("argv", [
    ["scan", "--snapshot", "{tmp}/missing.json.gz", "--out", "{tmp}/out", "-q"],
    ["history", "list"],
    ["diff"],
    ["access"],
    ["remediate"],
])
def test_a_folder_as_history_gets_one_wording(argv: list[str], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "history"
    folder.mkdir()
    args = [a.format(tmp=tmp_path) for a in argv] + ["--history", str(folder)]
    assert main(args) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith(f"{folder}: {FOLDER_GIVEN}"), line
    assert list(folder.iterdir()) == []  # nothing written into it
    assert not (tmp_path / "out").exists()  # scan: refused before anything else
