"""The suite refuses to start, with one message, on a moto outside the supported range."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers.moto_check import declared_moto, installed_moto, moto_problem


def test_the_declared_range_comes_from_the_test_extra() -> None:
    wanted = declared_moto()
    assert wanted.startswith("moto"), wanted
    assert ">=" in wanted and "<" in wanted, f"the test extra should bound moto: {wanted}"


def test_the_installed_moto_is_supported() -> None:
    assert moto_problem(installed_moto(), declared_moto()) is None


def test_out_of_range_and_missing_moto_are_named() -> None:
    problem = moto_problem("4.2.14", "moto[server]<6,>=5.1")
    assert problem is not None
    assert "moto 4.2.14 is installed" in problem and "moto[server]<6,>=5.1" in problem
    assert "6.0.0" in (moto_problem("6.0.0", "moto[server]<6,>=5.1") or "")
    assert "not installed" in (moto_problem(None, "moto[server]<6,>=5.1") or "")


def test_pytest_stops_with_one_line_on_an_unsupported_moto(tmp_path: Path) -> None:
    """A real pytest run where moto reports an unsupported version: one usage error, no tests
    collected, no per-test setup errors."""
    tests = Path(__file__).resolve().parent
    shim = tmp_path / "sitecustomize.py"
    shim.write_text(
        "import importlib.metadata as m\n"
        "_real = m.version\n"
        "m.version = lambda name: '4.2.14' if name == 'moto' else _real(name)\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist",
         str(tests / "test_moto_check.py")],
        capture_output=True, text=True, timeout=120, cwd=tests.parent,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    output = proc.stdout + proc.stderr
    assert proc.returncode == 4, output  # pytest's usage-error exit code
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("ERROR: moto 4.2.14 is installed but the tests support moto"), output
