"""Benchmark: collection at organization scale (issue 11 figures; docs/scale.md, Collection).

    python bench/collection.py [--latency-ms 60] [--runs 1] [--out out/bench-collection]

1. The demo estate (5 accounts x 2 Regions) on a moto server, collected three ways through the
   collection code, each with and without simulated latency (a botocore ``before-send`` hook
   that sleeps; in child processes through bench/latency/sitecustomize.py): ``collect`` (with
   and without the parallel reads inside a unit), ``collect_processes(2)``, and 3 x
   ``collect_shard`` + ``merge_parts`` (shards run one after another here; the longest is the
   wall time of a parallel run). And the whole ``scan`` of the demo (collect, analyse, reports)
   in a fresh process, for the wall-time ratio.
2. The cost per account-Region, and its extrapolation to 1,000 and 5,000 accounts x 4 Regions
   for the single Lambda (one process, 8 threads, 900 s limit), one machine (--processes N) and
   Step Functions (MaxConcurrency collector invocations), next to the floor that the 50-per-
   second GetResourcePolicy bucket sets for a central account of 10,000 secrets.
3. Nightly GetResourcePolicy calls of incremental collection for one account with 10,000
   secrets of which 1 % change a night, counted by the real decision code
   (scanner.incremental.PolicyCarry) over 21 nights.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scanner.demo.run import CONFIG, demo_stack  # noqa: E402
from scanner.demo.estate import seed  # noqa: E402
from scanner.demo.server import SKIP_AMIS_ENV  # noqa: E402


def latency_factory(latency_ms: float) -> Any:
    """A session factory whose sessions sleep ``latency_ms`` before every request."""
    import boto3

    def factory(_: Any) -> Any:
        session = boto3.Session()
        if latency_ms > 0:
            session.events.register("before-send",
                                    lambda **_: time.sleep(latency_ms / 1000.0),
                                    unique_id="bench-simulated-latency")
        return session

    return factory


def timed(fn: Any, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def paths(endpoint: str, estate: Any, out: Path, latency: float, runs: int) -> dict[str, Any]:
    """Collection only (the analysis after it does no I/O): best of ``runs``."""
    import dataclasses

    from scanner.collect import CollectOptions, ShardRequest, collect, collect_processes, \
        collect_shard
    from scanner.shards import LocalParts, Shard, merge_parts

    options = CollectOptions(out=out / "snapshot.json.gz", regions=estate.regions, org=True,
                             role_name=estate.role_name, endpoint_url=endpoint,
                             central_account=estate.central_account, max_attempts=2)
    factory = latency_factory(latency)
    result: dict[str, Any] = {}
    result["scan"] = timed(lambda: collect(options, session_factory=factory), runs)
    result["scan_serial_inside_units"] = timed(lambda: collect(
        dataclasses.replace(options, inner_workers=1), session_factory=factory), runs)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "bench" / "latency"), str(ROOT)])
    os.environ["BENCH_LATENCY_MS"] = str(latency)
    result["processes_2"] = timed(lambda: collect_processes(options, 2), runs)
    os.environ.pop("BENCH_LATENCY_MS")
    shards: list[float] = []
    for i in (1, 2, 3):
        request = ShardRequest(run_id=f"bench-{int(latency)}", parts=LocalParts(out / "parts"),
                               shard=Shard(index=i, count=3))
        shards.append(timed(lambda: collect_shard(options, request, session_factory=factory),
                            runs))
    result["shards"] = shards
    result["merge"] = timed(lambda: merge_parts(LocalParts(out / "parts"),
                                                f"bench-{int(latency)}",
                                                out / "merged.json.gz"), runs)
    result["sharded_parallel_wall"] = max(shards) + result["merge"]
    result["sharded_machine_seconds"] = sum(shards) + result["merge"]
    return {k: (round(v, 2) if isinstance(v, float) else [round(x, 2) for x in v])
            for k, v in result.items()}


def full_scan(endpoint: str, estate: Any, out: Path, latency: float, runs: int) -> float:
    """The whole `scan` (collect, analyse, every report) through the pipeline, best of runs."""
    import dataclasses

    from scanner.demo.run import scan_options
    from scanner.pipeline import run_scan

    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "bench" / "latency"), str(ROOT)])
    options = dataclasses.replace(scan_options(estate, out, quiet=True), formats=("json",))

    def once() -> None:
        # the latency hook goes in through the environment of a child process
        env = dict(os.environ, BENCH_LATENCY_MS=str(latency))
        done = subprocess.run([sys.executable, "-c", (
            "import sys, pickle; from scanner.pipeline import run_scan; "
            "run_scan(pickle.loads(sys.stdin.buffer.read()))")],
            input=__import__("pickle").dumps(options), env=env, capture_output=True)
        if done.returncode != 0:
            raise SystemExit(done.stderr.decode()[-800:])

    return round(timed(once, runs), 2)


def nightly_policy_reads(secrets: int = 10_000, changed: float = 0.01,
                         nights: int = 21, days: int = 7) -> list[int]:
    """GetResourcePolicy calls per night for one account-Region, by the real decision code."""
    from scanner.incremental import CarriedPolicy, PolicyCarry

    arns = [f"arn:aws:secretsmanager:us-east-1:111122223333:secret:app/{i}-AbCdEf"
            for i in range(secrets)]
    start = datetime.datetime(2026, 1, 1, 2, 0, tzinfo=datetime.timezone.utc)
    read_at = {a: start - datetime.timedelta(days=1) for a in arns}  # a full scan before
    changed_at = {a: start - datetime.timedelta(days=30) for a in arns}
    step = max(1, int(1 / changed))
    reads = []
    for night in range(nights):
        now = start + datetime.timedelta(days=night)
        for i in range(night % step, secrets, step):  # 1 % change during the day
            changed_at[arns[i]] = now - datetime.timedelta(hours=6)
        carry = PolicyCarry(policies={a: CarriedPolicy(policy="{}", read_at=t.strftime(
            "%Y-%m-%dT%H:%M:%SZ")) for a, t in read_at.items()}, full_refresh_days=days)
        count = 0
        for a in arns:
            if carry.reuse({"ARN": a, "LastChangedDate": changed_at[a]}, now) is None:
                count += 1
                read_at[a] = now
        reads.append(count)
    return reads


def extrapolate(cost: dict[str, float], regions: int = 4, central_secrets: int = 10_000,
                concurrency: int = 40, processes: int = 2) -> list[dict[str, Any]]:
    rows = []
    floor_50 = central_secrets / 50  # seconds per Region (Regions in parallel)
    floor_25 = central_secrets / 25
    for accounts in (1_000, 5_000):
        units = accounts * regions
        single = units * cost["scan"]
        machine = units * cost["processes_2"]
        # collector invocations run in parallel; each costs a shard's per-account-Region time
        sfn = units * cost["shard"] / concurrency + units * cost["merge"]
        rows.append({
            "accounts": accounts, "regions": regions,
            "single_lambda_s": round(single), "single_lambda_fits_900s": single <= 900,
            f"one_machine_{processes}_processes_s": round(machine),
            f"step_functions_{concurrency}_concurrent_s": round(max(sfn, floor_25)),
            "floor_50tps_s": round(floor_50), "floor_at_25tps_pace_s": round(floor_25)})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency-ms", type=float, default=60.0)
    ap.add_argument("--out", type=Path, default=Path("out/bench-collection"))
    ap.add_argument("--runs", type=int, default=2, help="best of this many runs")
    ap.add_argument("--skip-scans", action="store_true", help="only the nightly-calls figure")
    args = ap.parse_args()
    os.environ.setdefault(SKIP_AMIS_ENV, "false")
    report: dict[str, Any] = {"load_average_1m": os.getloadavg()[0]}
    if not args.skip_scans:
        with demo_stack() as endpoint:
            estate = seed(endpoint)
            account_regions = len(estate.accounts) * len(estate.regions)
            report["account_regions"] = account_regions
            for latency in (0.0, args.latency_ms):
                report[f"{int(latency)}ms"] = paths(endpoint, estate, args.out, latency,
                                                    args.runs)
                report[f"{int(latency)}ms"]["full_scan_process"] = full_scan(
                    endpoint, estate, args.out / "scan", latency, args.runs)
        slow = report[f"{int(args.latency_ms)}ms"]
        fast = report["0ms"]
        cost = {"scan": slow["scan"] / account_regions,
                "processes_2": slow["processes_2"] / account_regions,
                "shard": sum(slow["shards"]) / account_regions,
                "merge": slow["merge"] / account_regions}
        report["cost_per_account_region_s"] = {k: round(v, 3) for k, v in cost.items()}
        report["latency_ratio_collect"] = round(slow["scan"] / fast["scan"], 2)
        report["latency_ratio_collect_serial_units"] = round(
            slow["scan_serial_inside_units"] / fast["scan_serial_inside_units"], 2)
        report["latency_ratio_full_scan"] = round(
            slow["full_scan_process"] / fast["full_scan_process"], 2)
        report["extrapolation"] = extrapolate(cost)
    reads = nightly_policy_reads()
    report["nightly_get_resource_policy_10000_secrets_1pct"] = {
        "first_night_after_full_scan": reads[0], "steady_min": min(reads[7:]),
        "steady_max": max(reads[7:]), "steady_mean": round(sum(reads[7:]) / len(reads[7:])),
        "without_incremental": 10_000}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
