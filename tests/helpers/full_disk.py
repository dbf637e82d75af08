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
