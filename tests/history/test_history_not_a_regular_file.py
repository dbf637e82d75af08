"""A --history that names no regular file -- a named pipe, or a link to /dev/null -- is
refused by every command that takes it, before anything is read or scanned: one line naming
it, exit 2, nothing created beside its target; so is a link that loops or leads into a folder
that does not exist (fault-injection trial round 21).

It was taken for a new history: a named pipe hung every command at the check that reads the
file's first 100 bytes (open() of a pipe waits for a writer: `history list` and a nightly scan
never ended), and a link to /dev/null was scanned in full, then "cannot prepare the history
file: disk I/O error; the scan was not recorded", exit 2, with SQLite's /dev/null-journal left
in /dev by a scan run as root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers.scanfactory import snapshot
from scanner.cli import main
from scanner.snapshot_io import write_snapshot
from scanner.history.sqlite_store import NOT_A_FILE


@pytest.fixture()
def pipe(tmp_path: Path) -> Path:
    path = tmp_path / "history.db"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("argv", [
    ["scan", "--snapshot", "{tmp}/missing.json.gz", "--out", "{tmp}/out", "-q"],
    ["history", "list"],
    ["history", "prune", "--keep", "3"],
    ["diff"],
    ["access"],
    ["remediate"],
])
def test_a_named_pipe_as_history_is_refused_not_waited_on(
        argv: list[str], pipe: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    args = [a.format(tmp=tmp_path) for a in argv] + ["--history", str(pipe)]
    assert main(args) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith(f"{pipe}: {NOT_A_FILE}"), line
    assert not (tmp_path / "out").exists()  # scan: refused before anything else
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.db"]


def test_a_link_to_dev_null_is_refused_before_the_scan(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "history.db"
    link.symlink_to(os.devnull)
    before = set(os.listdir(os.path.dirname(os.devnull)))
    code = main(["scan", "--snapshot", str(tmp_path / "missing.json.gz"),
                 "--out", str(tmp_path / "out"), "-q", "--history", str(link)])
    assert code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith(f"{link}: {NOT_A_FILE}"), line
    assert not (tmp_path / "out").exists()
    assert set(os.listdir(os.path.dirname(os.devnull))) == before  # no -journal, -wal in /dev


def _snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "s.json"
    write_snapshot(path, snapshot("s1", "2026-11-27T01:00:00Z"))
    return path


@pytest.mark.parametrize("target", ["loop", "missing-folder"])
def test_a_link_that_leads_nowhere_is_refused_before_the_scan(
        target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A link to itself, or to a file in a folder that does not exist (a disk not mounted):
    the scan ran in full, then 'cannot open the history file: unable to open database file;
    ... the scan was not recorded', and `history list` said 'no such file yet: a scan with
    --history ... creates it', which no scan could."""
    link = tmp_path / "history.db"
    link.symlink_to(link if target == "loop" else tmp_path / "not-mounted" / "history.db")
    code = main(["scan", "--snapshot", str(_snapshot(tmp_path)),
                 "--out", str(tmp_path / "out"), "-q", "--history", str(link)])
    assert code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"secretgraph scan: error: {link}: is a link "), line
    assert not (tmp_path / "out").exists()
    assert main(["history", "list", "--history", str(link)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert f"{link}: is a link " in line, line


def test_a_link_to_a_history_not_made_yet_is_where_the_scan_makes_it(tmp_path: Path) -> None:
    (tmp_path / "disk").mkdir()
    link = tmp_path / "history.db"
    link.symlink_to(tmp_path / "disk" / "history.db")
    assert main(["scan", "--snapshot", str(_snapshot(tmp_path)), "--out",
                 str(tmp_path / "out"), "-q", "--history", str(link)]) in (0, 1, 3)
    assert (tmp_path / "disk" / "history.db").is_file()
