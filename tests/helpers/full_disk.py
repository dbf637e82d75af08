"""A full disk, the real way: /dev/full accepts an open and fails every write with ENOSPC."""

from __future__ import annotations

import os
import sys
from typing import Sequence

import pytest

from scanner.cli import main

FULL = "/dev/full"
needs_dev_full = pytest.mark.skipif(not os.path.exists(FULL), reason="no /dev/full here")


def main_with_stdout_on_full_disk(argv: Sequence[str], monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """(exit code, stderr lines) of ``secretgraph argv > /dev/full``."""
    capsys.readouterr()
    with monkeypatch.context() as patch, open(FULL, "w", encoding="utf-8") as full:
        patch.setattr(sys, "stdout", full)
        code = main(list(argv))
    return code, capsys.readouterr().err.strip().splitlines()


class NearlyFullDisk:
    """A folder on a nearly full disk, simulated (no tmpfs needed): files opened for writing
    under ``folder`` share ``free`` bytes; the write that needs more writes what fits, then
    fails with ENOSPC, as a real full disk does (the fault-injection trials used a 2 MB tmpfs).
    Install with ``NearlyFullDisk(folder, free).install(monkeypatch)``; ``free`` may be changed
    (``disk.free = 0``) while installed."""

    def __init__(self, folder: "os.PathLike[str] | str", free: int) -> None:
        self.folder = os.path.realpath(folder)
        self.free = free
        self.failures: list[str] = []  # the files a write failed on

    def install(self, monkeypatch: pytest.MonkeyPatch) -> "NearlyFullDisk":
        import builtins
        import io

        real_open = io.open
        disk = self

        class Filling:
            def __init__(self, raw: object, name: str) -> None:
                self._raw = raw
                self._name = name

            def write(self, data: bytes | str) -> int:
                size = len(data.encode("utf-8") if isinstance(data, str) else data)
                if size > disk.free:
                    fits = disk.free
                    disk.free = 0
                    if fits:
                        part = (data.encode("utf-8")[:fits].decode("utf-8", "ignore")
                                if isinstance(data, str) else data[:fits])
                        self._raw.write(part)  # type: ignore[attr-defined]
                        self._raw.flush()  # type: ignore[attr-defined]
                    disk.failures.append(self._name)
                    # as a real write: no file name in the error (the trial saw "internal
                    # error: OSError: [Errno 28] No space left on device", naming no file)
                    raise OSError(28, "No space left on device")
                disk.free -= size
                return self._raw.write(data)  # type: ignore[attr-defined,no-any-return]

            def __enter__(self) -> "Filling":
                return self

            def __exit__(self, *exc: object) -> None:
                self._raw.close()  # type: ignore[attr-defined]

            def __iter__(self) -> object:
                return iter(self._raw)  # type: ignore[call-overload]

            def __getattr__(self, name: str) -> object:
                return getattr(self._raw, name)

        def filling_open(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
            handle = real_open(file, mode, *args, **kwargs)  # type: ignore[call-overload]
            if isinstance(file, (str, os.PathLike)) and any(c in mode for c in "wax+") and \
                    os.path.realpath(os.fspath(file)).startswith(disk.folder + os.sep):
                return Filling(handle, os.fspath(file))
            return handle

        monkeypatch.setattr(io, "open", filling_open)
        monkeypatch.setattr(builtins, "open", filling_open)
        return self
