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


def test_api_calls_counts_every_per_key_kms_call_the_collector_makes() -> None:
    """docs/collection.md quotes bench/api_calls.py's calls per customer-managed key; the bench
    once left ListResourceTags out (4.00 quoted, 5 made). It now counts every KMS operation the
    collector declares per key, and a toy estate meets that budget exactly: one page each."""
    from scanner.collectors import kms

    per_key = [op for op in kms.OPERATIONS if op not in ("ListKeys", "ListAliases")]
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "api_calls.py"), "--accounts", "1",
         "--secrets", "4"], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(x for x in done.stdout.splitlines() if "per customer-managed key" in x)
    assert f"= {len(per_key):.2f}" in line and "OK" in line, line
    for op in per_key:
        assert op in line, (op, line)
    # docs/collection.md's Lambda row (ListFunctions, one GetFunctionConfiguration per alias or
    # version a RotationLambdaARN names): the bench built no Lambda function, so it measured
    # neither (docs truth round 16)
    lam = [x for x in done.stdout.splitlines() if "ListFunctions   (target" in x
           or "GetFunctionConfiguration per rotation alias/version named (1) = 1.00" in x]
    assert len(lam) == 2 and all(x.endswith("OK") for x in lam), done.stdout
