"""The version is written once, in scanner/__init__.py: the package's metadata (setup.cfg's
``attr: scanner.__version__``), `secretgraph --version` and findings.json's ``tool.version``
read it there -- two copies of it had to be bumped together (a concept coded twice drifts)."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest

from scanner import __version__
from scanner.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_setup_cfg_reads_the_version_from_the_package() -> None:
    text = (ROOT / "setup.cfg").read_text(encoding="utf-8")
    assert "version = attr: scanner.__version__" in text.splitlines()


def test_the_installed_metadata_and_the_cli_say_the_packages_version(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert version("secretgraph") == __version__
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"secretgraph {__version__}"
