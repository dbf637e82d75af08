"""Benchmark: the exposure rules with ``prove: true`` (``scan --prove``) against without.

The estate of bench/prove.py (N secrets, each with its own policy shape, one key), each secret
repeated ``--copies`` times under another name (the same shape: a memo hit). Runs the rules
secret-policy-public, secret-policy-external-account and kms-key-policy-public over it with
prove off, then on, interleaved ``--rounds`` times, and reports CPU seconds per run (and per
1,000 distinct shapes with prove on), the answers (who decided: evaluator / solver / none),
the solver's questions solved and reused, and peak RSS.

Usage: .venv/bin/python bench/prove_rules.py [--shapes N] [--copies K] [--rounds R]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from prove import estate  # noqa: E402

from scanner.engine import load_ruleset, parse_config  # noqa: E402
from scanner.engine.loader import Ruleset  # noqa: E402
from scanner.engine.runner import evaluate_rules  # noqa: E402
from scanner.graph.builder import build_graph  # noqa: E402
from scanner.model import Snapshot  # noqa: E402
from scanner.policy.smt import use  # noqa: E402

#: the provers the runs made (the run's own lives only as long as its rule index)
MADE: list[Any] = []
_init = use.RuleProver.__init__


def _recording_init(self: Any, *args: Any, **kwargs: Any) -> None:
    _init(self, *args, **kwargs)
    MADE.append(self)


use.RuleProver.__init__ = _recording_init  # type: ignore[method-assign]

RULES = ("secret-policy-public", "secret-policy-external-account", "kms-key-policy-public")


def copies(snap: Snapshot, k: int) -> Snapshot:
    """Each secret ``k`` times (same policy, another name)."""
    acct = snap.accounts[0]
    region = acct.regions[0]
    more = tuple(replace(s, arn=s.arn.replace(":secret:", f":secret:c{j}-"), name=f"c{j}-{s.name}")
                 for j in range(1, k) for s in region.secrets)
    return replace(snap, accounts=(replace(acct, regions=(replace(
        region, secrets=region.secrets + more),)),) + snap.accounts[1:])


def run(snap: Snapshot, graph: Any, ruleset: Ruleset, prove: bool,
        timeout: float) -> tuple[float, Any, dict[str, Any]]:
    config = parse_config({"prove": prove, "prove_timeout": timeout}, path="bench")
    cpu0 = time.process_time()
    result = evaluate_rules(graph, snap, None, ruleset, config)
    cpu = time.process_time() - cpu0
    stats: dict[str, Any] = {}
    if prove:
        prover = MADE[-1]
        stats = {"solved": prover.solved, "reused": prover.reused}
    return cpu, result, stats


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", type=int, default=200)
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()
    snap = copies(estate(args.shapes), args.copies)
    graph = build_graph(snap)
    full = load_ruleset()
    ruleset = Ruleset(rules=tuple(r for r in full.rules if r.id in RULES))
    off: list[float] = []
    on: list[float] = []
    last: Any = None
    stats: dict[str, Any] = {}
    for _ in range(args.rounds):  # interleaved: off, on, off, on, ...
        cpu, off_result, _ = run(snap, graph, ruleset, False, args.timeout)
        off.append(cpu)
        cpu, last, stats = run(snap, graph, ruleset, True, args.timeout)
        on.append(cpu)
    decided: dict[str, int] = {}
    for f in last.findings:
        proofs = [f.evidence["proof"]] if "proof" in f.evidence else []
        for p in proofs:
            key = f"{f.rule_id}: {p['decided_by']} {p['status']}"
            decided[key] = decided.get(key, 0) + 1
    statuses_off = {s: sum(1 for f in off_result.findings if f.status.value == s)
                    for s in ("FAIL", "UNKNOWN")}
    statuses_on = {s: sum(1 for f in last.findings if f.status.value == s)
                   for s in ("FAIL", "UNKNOWN")}
    out = {
        "shapes": args.shapes, "secrets": args.shapes * args.copies,
        "cpu_seconds_off": [round(x, 2) for x in off],
        "cpu_seconds_on": [round(x, 2) for x in on],
        "cpu_seconds_on_per_1000_shapes": round(min(on) / args.shapes * 1000, 1),
        "findings_off": statuses_off, "findings_on": statuses_on,
        "passed_on": sum(p.count for p in last.passed),
        "fail_findings_by_decider": dict(sorted(decided.items())), **stats,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "timeout_s": args.timeout,
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
