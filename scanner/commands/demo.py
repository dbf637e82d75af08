"""`secretgraph demo`: start the embedded AWS (moto on 127.0.0.1), build the reference estate
with its deliberate misconfigurations, scan it through the same pipeline as a real scan, and
write the reports. Exit 0 when the scan found exactly what the estate was built to show."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "scan a built-in demo organization (moto on 127.0.0.1) and write its reports"

_EXIT_MEANING = {0: "complete, nothing at or above --fail-on",
                 1: "findings at or above --fail-on (HIGH)",
                 2: "bad usage or input", 3: "scan incomplete"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", type=Path, default=Path("out/demo"),
                        help="output directory for the snapshot and reports (default out/demo)")
    parser.add_argument("--keep-running", action="store_true",
                        help="after the scan, keep moto running so you can scan it yourself")


def run(args: argparse.Namespace) -> int:
    from scanner.demo.run import render_calls, run_demo

    out = sys.stdout
    result = run_demo(args.out, out=out, keep_running=args.keep_running)
    a = result.analysis
    print("\nAPI calls made by the scan (per operation):", file=out)
    print(render_calls(a.api_calls), file=out)
    print(f"\ndemo: seeded in {result.seed_seconds:.1f}s, scanned in {result.scan_seconds:.1f}s; "
          f"reports in {args.out}", file=out)
    expected = len(result.estate.expected)
    print(f"demo: a real scan of this estate would exit {a.exit_code} "
          f"({_EXIT_MEANING.get(a.exit_code, '?')}): the estate is misconfigured on purpose.",
          file=out)
    if result.matched:
        print(f"demo: OK - the scan reported exactly the {expected} seeded misconfigurations "
              "and nothing on the correct parts of the estate.", file=out)
        return 0
    if not a.snapshot.complete:
        print(f"demo: the scan was incomplete ({len(a.snapshot.coverage)} coverage entries)",
              file=out)
    for rule_id, arn in sorted(result.missing):
        print(f"demo: MISSING expected finding {rule_id} on {arn}", file=out)
    for rule_id, arn in sorted(result.unexpected):
        print(f"demo: UNEXPECTED finding {rule_id} on {arn}", file=out)
    print("demo: the scan did not match the estate's expected findings (see above)", file=out)
    return 1
