"""A file a command reads that is a named pipe no program writes to (a path mistyped onto a
FIFO, a pipeline's end not started) is one line naming it, exit 2, at once: open() of a named
pipe waits for a writer, and `scan --config FIFO` (--suppressions, --baseline), `remediate
--plan` and `--undo`, `access --snapshot`, `report --in` of a folder whose findings.json is one
and `export securityhub --asff` / `--findings` hung until killed -- a nightly scan never ended
and never said why (fault-injection trial round 23). scanner.input_file."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from helpers.access_estate import estate

from scanner import input_file
from scanner.cli import main
from scanner.snapshot_io import write_snapshot

#: how long a command may take before the test lets it go by writing to the pipe
PATIENCE = 30.0


def _release_after(fifo: Path, seconds: float) -> threading.Timer:
    """Opens the pipe for writing after ``seconds``, so a command waiting on it ends (and the
    test fails on the time taken instead of hanging)."""

    def release() -> None:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # nobody is waiting on it
            return
        os.close(fd)

    timer = threading.Timer(seconds, release)
    timer.daemon = True
    timer.start()
    return timer


@pytest.mark.parametrize("argv, said", [
    (["scan", "--snapshot", "{snapshot}", "--out", "{tmp}/out", "-q", "--config", "{fifo}"],
     "{fifo}: cannot read config: "),
    (["scan", "--snapshot", "{snapshot}", "--out", "{tmp}/out", "-q", "--suppressions",
      "{fifo}"], "{fifo}: cannot read suppression file: "),
    (["scan", "--snapshot", "{snapshot}", "--out", "{tmp}/out", "-q", "--baseline", "{fifo}"],
     "{fifo}: cannot read the baseline: "),
    (["access", "--snapshot", "{fifo}"], "{fifo}: cannot read ("),
    (["remediate", "--plan", "{fifo}"], "{fifo}: cannot read plan: "),
    (["remediate", "--undo", "{fifo}"], "{fifo}: cannot read journal: "),
    (["export", "securityhub", "--asff", "{fifo}", "--dry-run"], "{fifo}: not a readable"),
    (["export", "securityhub", "--findings", "{fifo}", "--dry-run"], "{fifo}: not a readable"),
    # a rule file named to `rules validate` (which said "no such file or directory" of it)
    (["rules", "validate", "{fifo}"], "{fifo}: cannot read rule file: "),
])
def test_a_named_pipe_nobody_writes_to_is_one_line_naming_it_at_once(
        argv: list[str], said: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    fifo = tmp_path / "input"
    os.mkfifo(fifo)
    timer = _release_after(fifo, PATIENCE)
    started = time.monotonic()

    code = main([a.format(snapshot=snapshot, tmp=tmp_path, fifo=fifo) for a in argv])

    timer.cancel()
    assert time.monotonic() - started < PATIENCE
    (line,) = capsys.readouterr().err.splitlines()
    assert code == 2
    assert said.format(fifo=fifo) in line and input_file.NO_WRITER in line, line


def test_report_in_a_folder_whose_findings_json_is_a_named_pipe_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    scanned = tmp_path / "scanned"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(scanned), "-q",
                 "--fail-on", "NONE"]) == 0
    (scanned / "findings.json").unlink()
    os.mkfifo(scanned / "findings.json")
    capsys.readouterr()
    timer = _release_after(scanned / "findings.json", PATIENCE)

    code = main(["report", "--in", str(scanned), "--out", str(tmp_path / "again")])

    timer.cancel()
    assert code == 2
    assert input_file.NO_WRITER in capsys.readouterr().err


def test_a_pipe_a_program_writes_to_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "config"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "w", encoding="utf-8") as out:  # waits for the reader
            out.write("trusted_accounts: []\r\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    deadline = time.monotonic() + PATIENCE
    text = ""
    while not text and time.monotonic() < deadline:  # the writer opens the pipe when it can
        try:
            text = input_file.read_text(fifo)
        except OSError:
            time.sleep(0.05)
    writer.join(PATIENCE)
    assert text == "trusted_accounts: []\n"


def test_a_folder_is_refused_as_open_refuses_it(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError) as raised:
        input_file.read_bytes(tmp_path)
    assert raised.value.filename == str(tmp_path)
