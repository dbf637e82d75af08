"""The offline benchmarks run (the figures of issue 12 come from them): at a toy size, each
finishes with exit 0 and prints its stages. A change to a seam they use (analyze's progress
reporter) broke `bench/offline_scan.py --stages` once without a test noticing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_offline_scan_with_stages_runs_at_a_toy_size(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "offline_scan.py"), "--accounts", "3",
         "--secrets", "4", "--roles", "3", "--stages", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    for stage in ("read snapshot", "access analysis", "rules", "reports ("):
        assert stage in done.stdout, done.stdout
