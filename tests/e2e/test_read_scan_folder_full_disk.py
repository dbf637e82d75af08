"""Reading a scan's folder on a full disk (fault-injection trial round 18, a 300 KB tmpfs).

A command that reads a scan folder (`report --in`, `export --in`, `access --in`, `remediate
--in`) holds the folder's commit lock while it reads, so it reads one set whole; the lock file
gets the holder's pid. On a full disk that line could not be written: the write was said to
fail at its flush (logged, the lock holds without it), but the line stayed in the file's buffer
and failed again when the lock was let go -- "internal error: OSError: [Errno 28] No space left
on device" from a command that writes nothing into the folder, after it had read it. The pid
line is a courtesy: the command goes on and ends as it would on a disk with room."""

from __future__ import annotations

import builtins
import errno
import json
from pathlib import Path
from typing import Any

import pytest
from helpers.report_sample import sample_document

import scanner.output_set as output_set
from reports.json_out import write_findings_json
from scanner.cli import main


class _FullDiskFile:
    """A file on a full disk, as Python's buffered files behave there: a write is taken into
    the buffer, and every flush -- the one asked for, and the one close() makes -- fails with
    ENOSPC while the buffer holds anything (close() still lets the descriptor go)."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        return len(text)

    def flush(self) -> None:
        if self._pending:
            raise OSError(errno.ENOSPC, "No space left on device")

    def close(self) -> None:
        self._real.close()
        self.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture()
def full_disk_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = builtins.open

    def open_lock(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, mode, *args, **kwargs)
        if str(file).endswith(".lock") and "a" in mode:
            return _FullDiskFile(handle)
        return handle

    monkeypatch.setattr(output_set, "open", open_lock, raising=False)


def _scan_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "nightly"
    folder.mkdir()
    write_findings_json(sample_document(), folder / "findings.json")
    (folder / output_set.MANIFEST).write_text(json.dumps(
        {"written_by": "secretgraph", "files": ["findings.json"]}), encoding="utf-8")
    return folder


@pytest.mark.parametrize("argv", [
    ["report", "--in", "{folder}", "--format", "table"],
    ["export", "securityhub", "--in", "{folder}", "--dry-run"],
])
def test_a_command_reading_a_scan_folder_on_a_full_disk_still_reads_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], full_disk_locks: None,
        argv: list[str]) -> None:
    folder = _scan_folder(tmp_path)
    capsys.readouterr()
    assert main([a.format(folder=folder) for a in argv]) == 0
    captured = capsys.readouterr()
    assert "internal error" not in captured.err and "Traceback" not in captured.err
    assert captured.out  # the table, or the batches the dry run would send
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nightly"]  # the lock file went
