"""Benchmark: every rule over a synthetic organization (default 1,000 accounts x 100 secrets).

    python bench/rules.py [--accounts 1000] [--secrets 100] [--roles 20] [--no-access]

Prints the time of the rule evaluation (and of building the findings document), the number of
findings, and the process's peak resident memory (ru_maxrss: snapshot + graph + access + rules
together). Targets (issue 4): <= 20 s and <= 2 GB for 1,000 accounts / 100,000 secrets.
"""

from __future__ import annotations

import argparse
import collections
import resource
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synth import make_snapshot  # noqa: E402
from scanner.engine import (  # noqa: E402
    evaluate,
    exit_code,
    findings_document,
    load_ruleset,
    parse_config,
)
from scanner.graph.builder import build_graph  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--secrets", type=int, default=100)
    ap.add_argument("--roles", type=int, default=20)
    ap.add_argument("--no-access", action="store_true", help="skip access analysis")
    ap.add_argument("--no-pass", action="store_true",
                    help="config emit_pass: false (report FAIL and UNKNOWN only)")
    ap.add_argument("--trace-memory", action="store_true",
                    help="evaluate a second time under tracemalloc: the engine's own peak")
    args = ap.parse_args()

    t0 = time.perf_counter()
    snap = make_snapshot(accounts=args.accounts, secrets_per_account=args.secrets,
                         roles_per_account=args.roles)
    t1 = time.perf_counter()
    print(f"synthetic snapshot: {t1 - t0:.1f}s", flush=True)
    graph = build_graph(snap)
    t2 = time.perf_counter()
    print(f"graph: {t2 - t1:.1f}s", flush=True)
    access = None
    if not args.no_access:
        from scanner.access import AccessSettings, analyze_access

        access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    t3 = time.perf_counter()
    print(f"access analysis: {t3 - t2:.1f}s", flush=True)
    before = peak_mb()
    ruleset = load_ruleset()
    now = datetime.fromisoformat(snap.meta.started_at.replace("Z", "+00:00"))
    t4, c4 = time.perf_counter(), time.process_time()
    config = parse_config({"emit_pass": not args.no_pass}, path="(bench)")
    findings = evaluate(graph, snap, access, ruleset, config, now)
    t5, c5 = time.perf_counter(), time.process_time()
    document = findings_document(snap, findings)
    t6, c6 = time.perf_counter(), time.process_time()
    secrets = sum(len(r.secrets) for a in snap.accounts for r in a.regions)
    by_status = collections.Counter(f.status.value for f in findings)
    print(f"estate: {len(snap.accounts)} accounts, {secrets} secrets, "
          f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges")
    print(f"peak RSS before rules: {before:.0f} MB")
    print(f"rules: {len(ruleset.rules)} rules evaluated in {t5 - t4:.2f}s wall, "
          f"{c5 - c4:.2f}s CPU -> {len(findings)} findings {dict(by_status)}")
    print(f"findings document: {t6 - t5:.2f}s wall, {c6 - c5:.2f}s CPU; exit code (fail-on "
          f"HIGH) {exit_code(document, 'HIGH')}")
    print(f"peak RSS (whole process): {peak_mb():.0f} MB (rules added "
          f"{max(0.0, peak_mb() - before):.0f} MB over the peak before them)")
    if args.trace_memory:
        import tracemalloc

        del findings, document
        tracemalloc.start()
        again = evaluate(graph, snap, access, ruleset, config, now)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"engine's own peak allocation (tracemalloc, {len(again)} findings): "
              f"{peak / 2**20:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
