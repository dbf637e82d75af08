"""`secretgraph history list`: the scans recorded in a history file or S3 prefix."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from tabulate import tabulate

from scanner.commands._outputs import terminal_width
from scanner.textfit import fit_line
from scanner.history import DEFAULT_HISTORY, open_store

HELP = "list the scans recorded in the history (SQLite file or s3://bucket/prefix)"
#: what -q/--quiet does here (scanner.cli: the help of -q)
QUIET_HELP = 'print no list, only errors'
#: with -q, standard output is discarded: errors (stderr) only
QUIET_DISCARDS_STDOUT = True


def default_history() -> str:
    return os.environ.get("SECRETGRAPH_HISTORY", DEFAULT_HISTORY)


def add_history_argument(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """--history, shared by history, diff and baseline (``suppress``: no default in the
    namespace when it is not given; the caller takes ``default_history()``)."""
    parser.add_argument(
        "--history", metavar="PATH|s3://BUCKET/PREFIX",
        default=argparse.SUPPRESS if suppress else default_history(),
        help=f"the history store (default: $SECRETGRAPH_HISTORY or {default_history()})")


def _options(parser: argparse.ArgumentParser) -> None:
    # defaults left out (SUPPRESS): given before or after ACTION, an option is kept (argparse
    # lets a sub-parser's default overwrite what the parent parsed); run() fills them in
    add_history_argument(parser, suppress=True)
    parser.add_argument("--format", choices=("table", "json"), default=argparse.SUPPRESS,
                        help="table (default) or json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _options(parser)  # `history --history FILE` lists, as `history list --history FILE` does
    sub = parser.add_subparsers(dest="history_command", metavar="ACTION")
    lst = sub.add_parser("list", help="list recorded scans, oldest first (the default ACTION)")
    _options(lst)


def run(args: argparse.Namespace) -> int:
    args.history = getattr(args, "history", None) or default_history()
    args.format = getattr(args, "format", "table")
    records = open_store(args.history).list()
    if args.format == "json":
        json.dump({"history": args.history, "scans": [r.to_json() for r in records]},
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not records:
        missing = "://" not in args.history and not Path(args.history).exists()
        print(fit_line(f"no scans recorded in {args.history}" + (
            f" (no such file yet: a scan with --history {args.history} creates it)"
            if missing else ""), terminal_width()))
        return 0
    rows = [[r.scan_id, r.started_at, r.finished_at or "-", "yes" if r.complete else "NO",
             len(r.accounts), r.counts.get("critical", 0), r.counts.get("high", 0),
             r.counts.get("fail", 0), r.counts.get("unknown", 0), r.counts.get("coverage_gaps", 0)]
            for r in records]
    table = tabulate(rows, headers=["scan", "started", "finished", "complete", "accounts",
                                    "critical", "high", "fail", "unknown", "gaps"])
    width = terminal_width()
    if width is not None and max(len(line) for line in table.splitlines()) > width:
        # the scan id holds its start time: the times give way, the counts stay
        head = ["complete", "accts", "crit", "high", "fail", "unkn", "gaps"]
        first = max(len(str(r[0])) for r in rows)
        table = "\n".join(
            [f"{'scan':<{first}}  " + " ".join(f"{h:>5}" if h != "complete" else h
                                              for h in head)]
            + [f"{r[0]:<{first}}  {r[3]:<8} " + " ".join(f"{v:>5}" for v in r[4:])
               for r in rows])
    print(table)
    return 0
