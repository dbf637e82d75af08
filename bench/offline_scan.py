"""Benchmark: the whole offline evaluation, `secretgraph scan --snapshot FILE`, as a user runs it.

    python bench/offline_scan.py [--accounts 1000] [--secrets 100]       # bench/synth.py's org
    python bench/offline_scan.py --snapshot big.json.gz                   # any snapshot file
    python bench/offline_scan.py ... [--emit-pass] [--format table,json] [--stages]
    python bench/offline_scan.py ... --findings-layout compact            # scan's flag

The scan runs in a child process (`python -m scanner scan --snapshot FILE --out DIR`, default
outputs unless --format is given); its CPU time (user + system) and peak resident memory come
from ``getrusage(RUSAGE_CHILDREN)`` once it has exited. The sizes of the files it wrote are
printed too.

``--stages`` then runs the same steps in this process, one after the other, and prints the CPU
seconds of each: reading the snapshot, the graph, access analysis (reported on its own: it is
owned by scanner/access), the rules, and the findings document with the reports. Issue 12's
targets at 1,000 accounts / 100,000 secrets: <= 60 s CPU and <= 2 GB peak for the whole scan;
rules <= 15 s; document and reports <= 15 s; access analysis <= 10 s.

A synthetic snapshot is written once a day to out/bench-offline/ and reused that day.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from typing import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _rss() -> str:
    """This process' resident memory now and at its peak (MB)."""
    now = 0
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) // 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return f"RSS {now} MB, peak {peak} MB"


def synth_snapshot(accounts: int, secrets: int, roles: int, out: Path) -> Path:
    """bench/synth.py's organization as a snapshot file (written once, then reused)."""
    from bench.synth import make_snapshot
    from scanner.snapshot_io import write_snapshot

    # per day: the synthetic dates are relative to the day it was made (bench/synth.py)
    day = time.strftime("%Y%m%d", time.gmtime())
    path = out / f"synth-{accounts}x{secrets}x{roles}-{day}.json.gz"
    if not path.exists():
        started = time.perf_counter()
        write_snapshot(path, make_snapshot(accounts=accounts, secrets_per_account=secrets,
                                           roles_per_account=roles))
        print(f"wrote {path} in {time.perf_counter() - started:.1f}s", flush=True)
    return path


def run_child(snapshot: Path, out_dir: Path, formats: str, emit_pass: bool,
              layout: str = "complete") -> int:
    cmd = [sys.executable, "-m", "scanner", "scan", "--snapshot", str(snapshot),
           "--out", str(out_dir), "--format", formats, "--findings-layout", layout]
    if emit_pass:
        cmd.append("--emit-pass")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1, 3):
        print(done.stderr, file=sys.stderr)
        print(f"scan failed with exit code {done.returncode}")
        return 1
    print(f"scan --snapshot {snapshot.name} --format {formats}"
          f"{' --emit-pass' if emit_pass else ''} --findings-layout {layout}: exit {done.returncode}, {wall:.1f}s wall, "
          f"{usage.ru_utime + usage.ru_stime:.1f}s CPU, peak RSS "
          f"{usage.ru_maxrss / 1024:.0f} MB")
    for f in sorted(out_dir.iterdir()):
        if f.is_file():
            print(f"  {f.name}: {f.stat().st_size / 2**20:.1f} MB")
    return 0


def stages(snapshot_path: Path, out_dir: Path, formats: str, emit_pass: bool,
           layout: str = "complete") -> None:
    """The same steps as scanner.pipeline.run_scan, each timed (CPU seconds)."""
    from reports import write_reports
    from reports.table import render_table
    from scanner.engine import parse_config
    from scanner.pipeline import TERMINAL_ROWS, Inputs, ScanOptions, analyze, load_inputs
    from scanner.snapshot_io import read_snapshot

    inputs = load_inputs(ScanOptions(snapshot_in=snapshot_path))
    config = parse_config({"emit_pass": emit_pass}, path="(bench)")
    inputs = Inputs(ruleset=inputs.ruleset, config=config)
    c0 = _cpu()
    snapshot = read_snapshot(snapshot_path)
    c1 = _cpu()
    print(f"  read snapshot: {c1 - c0:.1f}s CPU; {_rss()}", flush=True)
    timings: dict[str, float] = {}

    class PhaseMemory:  # analyze() tells its progress each phase: note the memory then
        def phase(self, name: str) -> None:
            print(f"  before {name}: {_rss()}", flush=True)

        def counts(self, unit: str) -> Callable[[int, int], None]:
            return lambda done, total: None  # the work counted within a phase: not shown

    analysis = analyze(snapshot, inputs, timings=timings, progress=PhaseMemory())
    for name, seconds in timings.items():
        print(f"  {name}: {seconds:.1f}s CPU", flush=True)
    print(f"  after the document: {_rss()}", flush=True)
    c2 = _cpu()
    # as run_scan: findings.json always, the other formats but the table as files, and the
    # table on the terminal (capped)
    names = [f for f in formats.split(",") if f != "table"]
    written = write_reports(analysis, out_dir, names if "json" in names else ["json", *names],
                            findings_layout=layout)
    text = render_table(analysis.document, max_rows=TERMINAL_ROWS) if "table" in formats else ""
    c3 = _cpu()
    print(f"  reports ({', '.join(p.name for p in written)}"
          f"{', terminal table' if text else ''}): {c3 - c2:.1f}s CPU; {_rss()}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--snapshot", type=Path, help="a snapshot file (default: synthesise one)")
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--secrets", type=int, default=100, help="secrets per account (synthetic)")
    ap.add_argument("--roles", type=int, default=20, help="roles per account (synthetic)")
    ap.add_argument("--format", default="table,json", help="scan --format (default table,json)")
    ap.add_argument("--emit-pass", action="store_true", help="scan --emit-pass")
    ap.add_argument("--findings-layout", choices=("complete", "compact"), default="complete",
                    help="scan --findings-layout (default complete)")
    ap.add_argument("--stages", action="store_true",
                    help="also time each step in this process (after the child scan)")
    ap.add_argument("--no-child", action="store_true", help="only --stages")
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "bench-offline")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    snapshot = args.snapshot or synth_snapshot(args.accounts, args.secrets, args.roles, args.out)
    print(f"snapshot: {snapshot} ({snapshot.stat().st_size / 2**20:.1f} MB)", flush=True)
    if not args.no_child:
        out_dir = args.out / "scan"
        if out_dir.exists():
            for f in out_dir.iterdir():
                if f.is_file():
                    f.unlink()
        if run_child(snapshot, out_dir, args.format, args.emit_pass, args.findings_layout):
            return 1
    if args.stages or args.no_child:
        print("stages (in this process):", flush=True)
        stages(snapshot, args.out / "stages", args.format, args.emit_pass,
               args.findings_layout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
