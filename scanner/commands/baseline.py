"""`secretgraph baseline init|validate|check`: access baselines (who may read which secret).

* ``init`` writes today's readers (from a snapshot file, or the latest complete scan in the
  history) as a starting baseline for a person to review.
* ``validate`` checks a baseline file against its schema (exit 2 with the field on error).
* ``check`` lists the readers outside a baseline (exit 1 when there are any).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from scanner.commands._outputs import output_file, write_output
from scanner.commands.history import add_history_argument
from scanner.errors import InputError, UsageError
from scanner.findings import Status
from scanner.history.baseline import baseline_findings, init_baseline, load_baseline
from scanner.model import Snapshot
from scanner.textfit import fit_line, stream_columns

HELP = "write, validate or check an access baseline (allowed readers per secret)"
#: what -q/--quiet does here (scanner.cli: the help of -q)
QUIET_HELP = ("print nothing but errors (init's --output-file is still written; the exit code "
              "is the same)")
#: with -q, standard output is discarded: errors (stderr) only
QUIET_DISCARDS_STDOUT = True


def _add_source(p: argparse.ArgumentParser) -> None:
    # --in DIR is a scan's output folder, as in access, report and remediate
    # (docs/configuration.md; new-user trial round 9: it was refused here). One source: not a
    # mutually exclusive group, whose usage line argparse cannot fit in 80 columns; --history
    # without a default in the namespace, so _source can tell it was given
    p.add_argument("--in", dest="in_dir", metavar="DIR",
                   help="take readers from a scan output folder (the --out of a scan, holding "
                        "snapshot.json.gz)")
    p.add_argument("--snapshot", metavar="FILE", help="take readers from this snapshot file")
    add_history_argument(p, suppress=True)
    p.add_argument("--scan", metavar="ID",
                   help="with --history: this scan instead of the latest complete one")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)
    init = sub.add_parser("init", help="write today's readers as a baseline for review")
    _add_source(init)
    init.add_argument("--output-file", metavar="FILE", required=True,
                      help="where to write the YAML")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    val = sub.add_parser("validate", help="check a baseline file")
    val.add_argument("file", metavar="FILE", help="the baseline YAML file to check")
    chk = sub.add_parser("check", help="list readers outside a baseline (exit 1 if any)")
    chk.add_argument("--baseline", metavar="FILE", required=True,
                     help="the baseline YAML file (written by baseline init, then reviewed)")
    _add_source(chk)
    chk.add_argument("--format", choices=("table", "json"), default="table",
                     help="table (default: a line per reader outside the baseline) or json "
                          "(those findings as findings.json writes them)")


def access_from_snapshot(snapshot: Snapshot, trusted_accounts: tuple[str, ...] = (),
                         allowed_accounts: tuple[str, ...] = ()) -> Any:
    """Run the (pure) access analysis on a snapshot. ``trusted_accounts``: those of the scan
    it comes from (``trust_zone.recorded_trusted_accounts`` of its findings document), so the
    zone is the one the scan's verdicts used; a bare snapshot file records none."""
    from scanner.access import AccessSettings, analyze_access
    from scanner.graph.builder import build_graph

    return analyze_access(build_graph(snapshot), snapshot, AccessSettings.from_snapshot(
        snapshot, trusted_accounts=trusted_accounts,
        allowed_external_accounts=frozenset(allowed_accounts)))


def _source(args: argparse.Namespace) -> tuple[Any, Snapshot | None]:
    """(access report or its JSON, snapshot) from --in, --snapshot or --history (default:
    $SECRETGRAPH_HISTORY, else secretgraph-history.db)."""
    from scanner.commands.history import default_history

    given = [flag for flag, value in (("--in", getattr(args, "in_dir", None)),
                                      ("--snapshot", args.snapshot),
                                      ("--history", getattr(args, "history", None)))
             if value is not None]
    if len(given) > 1:
        raise UsageError(f"{' and '.join(given)}: give one of --in DIR, --snapshot FILE or "
                         "--history")
    if given and given[0] != "--history" and args.scan:
        # review of the fourteenth session's merges: --in DIR --scan no-such-scan wrote a
        # baseline from DIR and exited 0 (--scan picks a scan of a history)
        raise UsageError(f"--scan {args.scan!r} picks a scan of a history; {given[0]} reads "
                         "one scan already -- give --history with --scan, or drop --scan")
    if getattr(args, "history", None) is None:
        args.history = default_history()
    if getattr(args, "in_dir", None):
        from scanner.commands.access import folder_snapshot, folder_zone

        base = Path(args.in_dir)
        snapshot = folder_snapshot(base)
        trusted, allowed = folder_zone(base)  # the zone the scan's verdicts used
        return access_from_snapshot(snapshot, tuple(sorted(trusted)),
                                    tuple(sorted(allowed))), snapshot
    if args.snapshot:
        from scanner.snapshot_io import read_snapshot

        snapshot = read_snapshot(args.snapshot)
        return access_from_snapshot(snapshot), snapshot
    from scanner.history import open_store
    from scanner.history.records import resolve_scan_id
    from scanner.history.store import no_complete_scan

    store = open_store(args.history)
    records = store.list()
    if args.scan:
        scan_id = resolve_scan_id(records, args.scan, args.history)
    else:
        latest = store.latest_complete()
        if latest is None:
            raise InputError(f"{no_complete_scan(args.history)}; pass --in DIR (a scan's "
                             "output folder) or --snapshot FILE", path=args.history)
        scan_id = latest.scan_id
    stored = store.load(scan_id)
    if stored.access is None:
        from scanner.policy.trust_zone import (recorded_allowed_accounts,
                                               recorded_trusted_accounts)

        return access_from_snapshot(stored.snapshot,
                                    recorded_trusted_accounts(stored.document),
                                    recorded_allowed_accounts(stored.document)), \
            stored.snapshot
    return stored.access, stored.snapshot


def run(args: argparse.Namespace) -> int:
    if args.baseline_command == "validate":
        baseline = load_baseline(args.file)
        _say(f"{args.file}: valid ({len(baseline.entries)} secret entries, "
             f"{len(baseline.allowed_external_accounts)} allowed external accounts)")
        return 0
    if args.baseline_command == "check":
        baseline = load_baseline(args.baseline)  # validated before anything is read
        access, snapshot = _source(args)
        findings = baseline_findings(access, baseline, snapshot)
        if args.format == "json":
            json.dump([f.to_json() for f in findings], sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            # a terminal breaks a reader's line between its ARNs (and a long ARN after a ':'
            # or '/'), under the ARN: it ran to column 121 at 80, 260 with a 200-character
            # secret name (new-user trial round 32); a pipe keeps each reader on one line
            width = stream_columns()
            for f in findings:
                print(fit_line(f"{f.status.value:<8} {f.resource.arn}  {f.principal}", width,
                               hang=9))
                if f.status is Status.UNKNOWN:
                    # why it is undecided (the IAM of an account not read, a gate that could
                    # not be assessed) was in --format json only (new-user trial round 28)
                    print(fit_line(f"{'':<8} {f.message}", width, hang=9))
            _say(f"{len(findings)} reader(s) outside the baseline {args.baseline}")
        return 1 if findings else 0
    # before reading the scan: a bad path fails at once, and a folder is named as one (it was
    # "exists; pass --force to overwrite it", and with --force "is a folder")
    out = output_file(args.output_file, "--output-file")
    if out.exists() and not args.force:
        raise UsageError(f"--output-file {out} exists; pass --force to overwrite it")
    access, _snapshot = _source(args)
    text = init_baseline(access)
    write_output(out, text, "--output-file")
    n = text.count("\n  - secret:")
    _say(f"wrote {out}: {n} secret(s) with today's readers; review it before use")
    return 0


def _say(line: str) -> None:
    """A line of the answer: broken between words on a terminal, one line in a file or a pipe
    (new-user trial: "wrote FILE: 22 secret(s) with today's readers; review it before use"
    ran to column 138 at 80 with the baseline in a folder of its own)."""
    print(fit_line(line, stream_columns(), more="  "))
