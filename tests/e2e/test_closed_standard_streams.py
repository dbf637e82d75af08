"""A command started with a standard stream closed (`secretgraph scan ... >&-` in a cron line,
`2>&-`, `<&-`) does its work and says what it could not do, with its own exit code: Python
starts such a process with sys.stdout (or sys.stderr, sys.stdin) set to None, and the scan
ended 'internal error: AttributeError: 'NoneType' object has no attribute 'write'' and a
traceback from the exit's flush, exit 1 -- the code that means findings at or above
--fail-on (fault-injection trial round 23)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers.access_estate import estate

from scanner.snapshot_io import write_snapshot

def _run(closed: str, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m scanner ARGV`` started with the descriptors ``closed`` (such as "1")
    closed, as the shell's ``>&-`` starts it."""
    fds = [int(fd) for fd in closed.split(",") if fd]

    def close() -> None:
        for fd in fds:
            os.close(fd)

    return subprocess.run([sys.executable, "-m", "scanner", *argv], capture_output=True,
                          text=True, timeout=300, cwd=cwd, preexec_fn=close,
                          env={**os.environ, "PYTHONPATH": str(Path.cwd())})


def _snapshot(tmp_path: Path) -> Path:
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    return snapshot


def test_a_scan_with_standard_output_closed_writes_its_reports_and_says_the_table_was_lost(
        tmp_path: Path) -> None:
    snapshot = _snapshot(tmp_path)

    done = _run("1", "scan", "--snapshot", str(snapshot), "--out", "out", cwd=tmp_path)

    assert (tmp_path / "out" / "findings.json").is_file()
    assert done.stderr.splitlines() == [
        "secretgraph scan: error: cannot write to standard output: Bad file descriptor; "
        "the reports were written to out"], done.stderr
    assert done.returncode == 2


def test_with_q_nothing_is_written_there_and_the_exit_code_is_the_scans(
        tmp_path: Path) -> None:
    snapshot = _snapshot(tmp_path)

    done = _run("1", "scan", "--snapshot", str(snapshot), "--out", "out", "-q",
                "--fail-on", "NONE", cwd=tmp_path)

    assert (done.returncode, done.stderr) == (0, "")
    assert (tmp_path / "out" / "findings.json").is_file()


def test_a_file_opened_while_standard_output_is_closed_never_takes_its_place(
        tmp_path: Path) -> None:
    """The first file opened gets the lowest free descriptor: with 1 closed, a report (or
    the history) would be descriptor 1, and whatever was written to standard output would
    land in it."""
    snapshot = _snapshot(tmp_path)

    done = _run("1", "scan", "--snapshot", str(snapshot), "--out", "out", "--format",
                "json,table", cwd=tmp_path)

    assert done.returncode == 2
    text = (tmp_path / "out" / "findings.json").read_text(encoding="utf-8")
    assert text.startswith("{") and "FAIL " not in text[:2000]


def test_with_standard_error_closed_the_exit_code_still_says_what_happened(
        tmp_path: Path) -> None:
    done = _run("2", "scan", "--snapshot", str(tmp_path / "missing.json"), "--out", "out",
                cwd=tmp_path)

    assert (done.returncode, done.stdout) == (2, "")


def test_with_standard_input_closed_a_question_is_refused_as_off_a_terminal(
        tmp_path: Path) -> None:
    history = tmp_path / "history.db"
    snapshot = _snapshot(tmp_path)
    assert _run("", "scan", "--snapshot", str(snapshot), "--out", "out", "-q", "--fail-on",
                "NONE", "--history", str(history), cwd=tmp_path).returncode == 0

    done = _run("0", "history", "prune", "--history", str(history), "--keep", "1",
                cwd=tmp_path)

    assert "internal error" not in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
