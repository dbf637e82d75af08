"""The console command ends without the interpreter's teardown (seconds after a 100,000-secret
scan): what it printed or wrote is all there, and the exit code is the command's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.access_estate import estate

from scanner.snapshot_io import write_snapshot


def _python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)


def test_buffered_output_to_a_pipe_is_flushed_and_the_code_kept(tmp_path: Path) -> None:
    done = _python("import logging, sys\n"
                   "from scanner.cli import exit_now\n"
                   "logging.basicConfig(stream=sys.stderr)\n"
                   "print('x' * 100000)\n"  # more than one buffer, the rest still buffered
                   "print('last line')\n"
                   "logging.getLogger('t').warning('logged')\n"
                   "exit_now(5)\n", tmp_path)
    assert done.returncode == 5
    assert done.stdout.splitlines() == ["x" * 100000, "last line"]
    assert "logged" in done.stderr


def test_a_thread_still_working_is_waited_for(tmp_path: Path) -> None:
    done = _python("import threading, time\n"
                   "from scanner.cli import exit_now\n"
                   "def work():\n"
                   "    time.sleep(0.5)\n"
                   "    open('written.txt', 'w').write('done')\n"
                   "threading.Thread(target=work).start()\n"
                   "exit_now(3)\n", tmp_path)
    assert done.returncode == 3
    assert (tmp_path / "written.txt").read_text() == "done"


def test_a_scan_run_as_a_command_leaves_complete_outputs(tmp_path: Path) -> None:
    write_snapshot(tmp_path / "snapshot.json.gz", estate(secret_policy=None))
    done = subprocess.run([sys.executable, "-m", "scanner", "scan", "--snapshot",
                           "snapshot.json.gz", "--out", "out", "--format", "json,html"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    [line] = done.stdout.splitlines()
    assert line.startswith("scan ") and line.endswith(f"exit {done.returncode}"), done.stderr
    document = json.loads((tmp_path / "out" / "findings.json").read_text())
    assert document["findings"] and (tmp_path / "out" / "report.html").read_text().rstrip() \
        .endswith("</html>")
    assert not [p for p in (tmp_path).iterdir() if "staging" in p.name]


@pytest.mark.parametrize("after", [0.1, 0.4])
def test_ctrl_c_while_the_command_starts_is_one_line_and_130(after: float,
                                                             tmp_path: Path) -> None:
    """Ctrl-C in the first half second (the commands' modules still importing) printed a
    KeyboardInterrupt traceback."""
    import signal
    import time

    write_snapshot(tmp_path / "snapshot.json.gz", estate(secret_policy=None))
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner", "scan", "--snapshot", "snapshot.json.gz", "--out",
         "out"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    if "/scanner/" not in err and ("Fatal Python error" in err or
                                   proc.returncode == -signal.SIGINT):
        # the signal arrived while the interpreter itself was starting (its streams, the site
        # module, runpy's search for the module), before any code of this project ran:
        # CPython's own start-up (on a loaded machine it can outlast the delay), which nothing
        # here can catch -- not what this test pins
        pytest.skip("the signal arrived while the interpreter was starting")
    if proc.returncode in (0, 1) and "Traceback" not in err:
        pytest.skip("the scan finished before the signal arrived")
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err


def test_a_profiled_run_writes_its_profile(tmp_path: Path) -> None:
    """Org-scale trial: `python -m cProfile -o F -m scanner ...` (the method docs/scale.md
    prescribes) wrote no profile: the fast exit (os._exit) skipped cProfile's dump."""
    profile = tmp_path / "scan.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(profile), "-m",
                           "scanner", "rules", "list", "-q"], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert profile.stat().st_size > 0
