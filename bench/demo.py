"""Benchmark: `secretgraph demo` end to end (target: < 60 s on a 2-core machine).

    python bench/demo.py [--runs 1] [--out out/bench-demo]

Runs the demo in this process (moto server, seed, the real scan pipeline, every report format)
and prints wall-clock and CPU seconds for seeding and for the scan, the 1-minute load average
(the figures are only comparable on an otherwise idle machine), the scan's API calls per
operation, and the call-budget figures of issue 2: calls per secret, per customer-managed key,
and EC2 calls per account-region. Determinism: every run must give the same resource ARNs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.demo.run import render_calls, run_demo  # noqa: E402
from scanner.demo.server import SKIP_AMIS_ENV  # noqa: E402


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("out/bench-demo"))
    args = ap.parse_args()
    os.environ.setdefault(SKIP_AMIS_ENV, "false")
    digests = set()
    for i in range(args.runs):
        wall0, cpu0 = time.perf_counter(), cpu()
        result = run_demo(args.out, quiet=True)
        wall, used = time.perf_counter() - wall0, cpu() - cpu0
        a = result.analysis
        digests.add(hashlib.sha256(json.dumps(dict(result.estate.resources)).encode())
                    .hexdigest()[:16])
        calls = a.api_calls
        secrets = sum(len(r.secrets) for acct in a.snapshot.accounts for r in acct.regions)
        primaries = [s for acct in a.snapshot.accounts for r in acct.regions for s in r.secrets
                     if not s.is_replica]
        replicated = [s for s in primaries if s.replicas]
        cmks = [k for acct in a.snapshot.accounts for r in acct.regions for k in r.kms_keys
                if k.key_manager == "CUSTOMER"]
        account_regions = sum(len(acct.regions) for acct in a.snapshot.accounts)
        grp = calls.get("secretsmanager.GetResourcePolicy", 0)
        pages = calls.get("secretsmanager.ListSecrets", 0)
        kms = sum(v for k, v in calls.items() if k.startswith("kms.") and k not in (
            "kms.ListKeys", "kms.ListAliases"))
        ec2 = sum(v for k, v in calls.items() if k.startswith("ec2."))
        print(f"run {i + 1}: total {wall:.1f}s wall / {used:.1f}s CPU; seed "
              f"{result.seed_seconds:.1f}s ({result.estate.api_calls} calls), scan "
              f"{result.scan_seconds:.1f}s ({sum(calls.values())} calls); matched="
              f"{result.matched}; load average {os.getloadavg()[0]:.1f}")
        print(f"  secrets: {len(primaries)} primaries ({secrets} listed incl. replicas): "
              f"{grp / max(len(primaries), 1):.2f} GetResourcePolicy per primary, "
              f"{pages} ListSecrets pages ({account_regions} account-regions), "
              f"{calls.get('secretsmanager.DescribeSecret', 0)} DescribeSecret for "
              f"{len(replicated)} replicated primaries")
        print(f"  customer-managed keys: {len(cmks)}, {kms / max(len(cmks), 1):.2f} per-key KMS "
              f"calls per key; EC2: {ec2 / max(account_regions, 1):.1f} calls per "
              f"account-region ({account_regions})")
        print(render_calls(calls))
    print(f"distinct ARN sets over {args.runs} run(s): {len(digests)} (1 = deterministic)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
