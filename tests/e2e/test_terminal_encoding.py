"""A terminal (or a cron job's log) whose encoding cannot hold a name the estate uses -- an
account, secret or key named in Zurich's or Tokyo's script, read under LANG=C with
PYTHONUTF8=0, a Latin-1 locale, PYTHONIOENCODING=ascii -- shows that character escaped
(``Z\\xfcrich``), and the command ends with its own exit code: the table or summary line
raised UnicodeEncodeError, 'internal error', exit 2 -- the code for bad input -- after the
reports were written (fault-injection trial round 24, MEDIUM). JSON a command prints is ASCII
already (json.dumps escapes the rest)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.access_estate import estate

from scanner.snapshot_io import write_snapshot

NAME = "Z\u00fcrich-\u6771\u4eac"


def _snapshot(tmp_path: Path) -> Path:
    snap = estate(secret_policy=None)
    accounts = tuple(dataclasses.replace(a, name=f"{NAME}-{i}")
                     for i, a in enumerate(snap.accounts))
    path = tmp_path / "snapshot.json.gz"
    write_snapshot(path, dataclasses.replace(snap, accounts=accounts))
    return path


def _scan(tmp_path: Path, encoding: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scanner", "scan", "--snapshot", str(_snapshot(tmp_path)),
         "--out", "out", "--format", "json", *argv], capture_output=True, timeout=300,
        cwd=tmp_path, encoding=encoding, errors="strict",
        env={**os.environ, "PYTHONPATH": str(Path.cwd()), "PYTHONIOENCODING": encoding})


@pytest.mark.parametrize(("encoding", "shown"), [
    ("ascii", "Z\\xfcrich-\\u6771\\u4eac-0"),
    ("latin-1", "Z\u00fcrich-\\u6771\\u4eac-0"),  # what Latin-1 holds is shown as it is
])
def test_a_name_the_terminal_cannot_show_is_escaped_and_the_exit_code_is_the_scans(
        tmp_path: Path, encoding: str, shown: str) -> None:
    done = _scan(tmp_path, encoding, "--fail-on", "NONE")

    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert shown in done.stdout  # the table's account column
    assert (tmp_path / "out" / "findings.json").is_file()


def test_in_utf_8_the_name_is_shown_as_it_is(tmp_path: Path) -> None:
    done = _scan(tmp_path, "utf-8", "--fail-on", "NONE")

    assert done.returncode == 0, done.stderr
    assert "\u6771\u4eac" in done.stdout
