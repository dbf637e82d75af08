"""Run every benchmark in bench/ one after the other and print their figures.

    make bench            # or: python bench/run_all.py [--quick]

Each benchmark is its own process (peak memory is per process). --quick runs them at reduced
sizes for a smoke check; the targets in the issues are for the full sizes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: name -> (full-size arguments, quick arguments)
BENCHES: dict[str, tuple[list[str], list[str]]] = {
    "api_calls.py": ([], []),
    "demo.py": ([], []),
    "access.py": ([], ["--accounts", "100"]),
    "rules.py": ([], ["--accounts", "100"]),
    "offline_scan.py": ([], ["--accounts", "100"]),
    "history.py": ([], ["--accounts", "100", "--nights", "30"]),
    "reports.py": ([], ["--html-findings", "1000", "--asff-findings", "10000"]),
    "remediate.py": ([], ["--accounts", "100"]),
    "carry.py": ([], ["--accounts", "100"]),
    "demo_rss.py": ([], ["--runs", "1"]),
    "client_cpu.py": ([], ["--runs", "1"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="reduced sizes (smoke check)")
    parser.add_argument("only", nargs="*", help="run only these benchmarks (file names)")
    args = parser.parse_args()
    failed = []
    for name, (full, quick) in BENCHES.items():
        if args.only and name not in args.only:
            continue
        cmd = [sys.executable, str(HERE / name), *(quick if args.quick else full)]
        print(f"\n=== {name} {' '.join(cmd[2:])}", flush=True)
        started = time.perf_counter()
        done = subprocess.run(cmd)
        print(f"=== {name}: exit {done.returncode} in {time.perf_counter() - started:.1f}s",
              flush=True)
        if done.returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
