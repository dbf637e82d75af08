"""An empty --history (``--history "$HISTORY_DB"`` with the variable unset), and an empty
$SECRETGRAPH_HISTORY, are one mistake with one answer in every command: exit 2, one line
"--history: empty location", before anything is read or written (bad-input trial round 1:
`scan` recorded nothing and said nothing, `history list` / `prune` read
./secretgraph-history.db instead, `diff` and `baseline` exited 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.access_estate import estate

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

EMPTY = "--history: empty location"


def _commands(tmp_path: Path) -> dict[str, list[str]]:
    snapshot = tmp_path / "snapshot.json.gz"
    return {
        "scan": ["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "out"), "-q"],
        "collect": ["collect", "--run-id", "r1", "--parts", str(tmp_path / "parts"),
                    "--accounts", "111122223333", "--regions", "us-east-1"],
        "history": ["history", "list"],
        "history prune": ["history", "prune", "--keep", "1", "--yes"],
        "diff": ["diff"],
        "baseline": ["baseline", "init", "--output-file", str(tmp_path / "baseline.yaml")],
        "access": ["access"],
        "remediate": ["remediate"],
    }


def _name(argv: list[str]) -> str:
    """The command as an error names it: its words up to the first flag (``history prune``)."""
    words = []
    for arg in argv:
        if arg.startswith("-"):
            break
        words.append(arg)
    return " ".join(words)


@pytest.fixture()
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding a default history file: an empty location must not mean it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    write_snapshot(tmp_path / "snapshot.json.gz", estate(secret_policy=None))
    assert main(["scan", "--snapshot", str(tmp_path / "snapshot.json.gz"), "--out",
                 str(tmp_path / "first"), "-q", "--history",
                 str(tmp_path / "secretgraph-history.db")]) == 0
    return tmp_path


@pytest.mark.parametrize("command", list(_commands(Path("."))))
def test_an_empty_history_flag_is_one_line_exit_2_in_every_command(
        command: str, in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*_commands(in_tmp)[command], "--history", ""]
    before = (in_tmp / "secretgraph-history.db").read_bytes()
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    name = _name(argv)
    assert (code, captured.err.splitlines()) == (2, [f"secretgraph {name}: error: {EMPTY}"])
    assert captured.out == ""
    assert not (in_tmp / "out").exists() and not (in_tmp / "baseline.yaml").exists()
    assert (in_tmp / "secretgraph-history.db").read_bytes() == before


@pytest.mark.parametrize("command", ["scan", "collect", "history", "history prune", "diff",
                                     "baseline"])
def test_an_empty_secretgraph_history_is_refused_where_it_is_read(
        command: str, in_tmp: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Those commands default to $SECRETGRAPH_HISTORY: set but empty, it is the same
    mistake (not "no history" for scan, not ./secretgraph-history.db for history list)."""
    monkeypatch.setenv("SECRETGRAPH_HISTORY", "")
    capsys.readouterr()
    code = main(_commands(in_tmp)[command])
    captured = capsys.readouterr()
    name = _name(_commands(in_tmp)[command])
    assert (code, captured.err.splitlines()) == (
        2, [f"secretgraph {name}: error: {EMPTY} ($SECRETGRAPH_HISTORY is set but empty)"])
    assert not (in_tmp / "out").exists()


def test_remediate_apply_refuses_an_empty_secretgraph_history_before_planning(
        in_tmp: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """remediate --apply marks what it changed in $SECRETGRAPH_HISTORY: set but empty, it is
    refused before the plan is read, not taken as "no history store"."""
    monkeypatch.setenv("SECRETGRAPH_HISTORY", "")
    capsys.readouterr()
    code = main(["remediate", "--plan", str(in_tmp / "no-plan.json"), "--apply", "--yes"])
    assert (code, capsys.readouterr().err.splitlines()) == (
        2, [f"secretgraph remediate: error: {EMPTY} ($SECRETGRAPH_HISTORY is set but empty)"])


@pytest.mark.parametrize("source", ["--in", "--snapshot"])
def test_baseline_reading_a_scan_folder_or_a_snapshot_does_not_read_the_variable(
        source: str, in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/history.md and docs/configuration.md: `baseline` refuses an empty
    $SECRETGRAPH_HISTORY only where it reads the history; with `--in DIR` or `--snapshot FILE`
    it reads no history (the docs listed `baseline` as refusing it whatever its input)."""
    monkeypatch.setenv("SECRETGRAPH_HISTORY", "")
    given = in_tmp / ("first" if source == "--in" else "snapshot.json.gz")
    assert main(["baseline", "init", source, str(given), "--output-file",
                 str(in_tmp / "baseline.yaml"), "-q"]) == 0
    assert main(["baseline", "check", "--baseline", str(in_tmp / "baseline.yaml"), source,
                 str(given), "-q"]) == 0
