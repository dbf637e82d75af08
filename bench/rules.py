"""Benchmark: every rule over a synthetic organization (default 1,000 accounts x 100 secrets).

    python bench/rules.py [--accounts 1000] [--secrets 100] [--roles 20] [--no-access]
    python bench/rules.py --accounts 300 --no-pass --repeat 3 --per-rule   # as scan evaluates

Prints the time of the rule evaluation (and of building the findings document), the number of
findings, and the process's peak resident memory (ru_maxrss: snapshot + graph + access + rules
together). Targets (issue 4): <= 20 s and <= 2 GB for 1,000 accounts / 100,000 secrets.
"""

from __future__ import annotations

import argparse
import collections
import gc
import resource
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

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
    ap.add_argument("--repeat", type=int, default=1,
                    help="evaluate N times and print the least CPU time (and each rule's)")
    ap.add_argument("--per-rule", action="store_true",
                    help="print each rule's CPU time (the least of --repeat runs)")
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
    config = parse_config({"emit_pass": not args.no_pass}, path="(bench)")
    per_rule: dict[str, list[float]] = collections.defaultdict(list)
    if args.per_rule:
        from scanner.engine import runner

        run_rule = runner.run_rule

        def timed(compiled: Any, ctx: Any) -> Any:
            c = time.process_time()
            out = run_rule(compiled, ctx)
            per_rule[compiled.rule.id].append(time.process_time() - c)
            return out

        runner.run_rule = timed  # type: ignore[assignment]
    cpu: list[float] = []
    for _ in range(max(1, args.repeat)):
        gc.collect()
        t4, c4 = time.perf_counter(), time.process_time()
        findings = evaluate(graph, snap, access, ruleset, config, now)
        t5, c5 = time.perf_counter(), time.process_time()
        cpu.append(c5 - c4)
    document = findings_document(snap, findings)
    t6, c6 = time.perf_counter(), time.process_time()
    secrets = sum(len(r.secrets) for a in snap.accounts for r in a.regions)
    by_status = collections.Counter(f.status.value for f in findings)
    print(f"estate: {len(snap.accounts)} accounts, {secrets} secrets, "
          f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges")
    print(f"peak RSS before rules: {before:.0f} MB")
    print(f"rules: {len(ruleset.rules)} rules evaluated in {t5 - t4:.2f}s wall, "
          f"{min(cpu):.2f}s CPU (the least of {len(cpu)}) -> {len(findings)} findings "
          f"{dict(by_status)}")
    if len(cpu) > 1:
        print(f"rules CPU of the {len(cpu)} runs: {', '.join(f'{c:.2f}s' for c in cpu)} "
              f"(least {min(cpu):.2f}s)")
    for rule_id, times in sorted(per_rule.items(), key=lambda kv: -min(kv[1])):
        print(f"  {min(times):7.3f}s CPU  {rule_id}")
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
