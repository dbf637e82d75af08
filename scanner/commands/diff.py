"""`secretgraph diff [SCAN_A] [SCAN_B]`: what changed between two recorded scans.

Without ids: the last complete scan against its previous scan as `scan --history` chose it
(scanner.history.scope: the complete scan before it whose scope covers it -- a narrower scan in
between is passed over, with a note); with only one complete scan and incomplete ones after
it: the latest against it, with a note, as `scan --history` showed. With one id: that scan (the older side) against the
latest complete scan; the latest itself (`latest`) against the complete scan before it. Ids may
be unique prefixes, or `latest`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Sequence

from scanner.commands._outputs import output_file, terminal_width, write_output
from scanner.commands.history import add_history_argument
from scanner.errors import InputError
from scanner.history import open_store
from scanner.history.diff import diff_scans
from scanner.history.drift import render_drift_text
from scanner.history.records import (
    ScanRecord,
    Tonight,
    future_scans,
    ordinary_scans,
    resolve_scan_id,
)
from scanner.history.scope import document_scope, previous_scan
from scanner.history.store import not_created_yet
from scanner.textfit import fit_text, stream_columns, terminal_safe

#: the default pair is the one `scan --history` compared (docs truth round 16: "the last two
#: complete ones", where a narrower complete scan between them is passed over)
HELP = ("show what changed between two recorded scans (default: the latest complete scan "
        "against its previous scan, as scan --history chose it)")
#: what -q/--quiet does here (scanner.cli: the help of -q)
QUIET_HELP = ("print no drift, notes or file name, only errors (--output-file is still written;"
              " the exit code is the same)")
#: with -q, standard output is discarded: errors (stderr) only
QUIET_DISCARDS_STDOUT = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scan_a", nargs="?", metavar="SCAN_A",
                        help="the older scan (id, unique id prefix, 'latest', or the scan's "
                             "output folder: its findings.json names it; alone, 'latest' is "
                             "compared with the complete scan before it)")
    parser.add_argument("scan_b", nargs="?", metavar="SCAN_B",
                        help="the newer scan, named the same ways (default: the latest "
                             "complete scan)")
    add_history_argument(parser)
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="table (default: the drift to read) or json (the whole drift, "
                             "for tools and for `report --drift`)")
    parser.add_argument("--output-file", metavar="FILE",
                        help="write the drift to this file instead of stdout")


#: old side to be chosen once the newer scan is read: the complete scan before it
_BEFORE = "\0before"


def _document(store: object, scan_id: str) -> Any:
    """A recorded scan's findings document (alone, where the store can read it alone)."""
    load = getattr(store, "load_document", None)
    return load(scan_id) if load is not None else store.load(scan_id).document  # type: ignore[attr-defined]


def _note(args: argparse.Namespace, text: str) -> None:
    """A note on stderr about which scans are compared; none with -q (errors only). On a
    terminal, broken between words at its width (a scan passed over: 210 columns at 80,
    new-user trial round 23); one line in a file or a pipe."""
    if not getattr(args, "quiet", False):
        print(fit_text(terminal_safe(text, newlines=False), stream_columns(sys.stderr)),
              file=sys.stderr)


def _scan_named(value: str | None, records: list[ScanRecord], history: str) -> str | None:
    """SCAN_A or SCAN_B as given, where it names a scan's output folder (or its findings.json)
    the id of the scan that wrote it, which the history must hold. A folder given was read as
    a misspelt scan id: "no scan 'out/mon': the history holds no scans" (new-user trial round
    31, diffing last night's folder with tonight's)."""
    if value is None:
        return None
    path = Path(value)
    if path.is_dir():
        path = path / "findings.json"
        if not path.is_file():
            raise InputError("a folder without findings.json: SCAN_A and SCAN_B are scans "
                             "recorded in the history, by id (`secretgraph history list "
                             f"--history {history}` lists them) or by the output folder of the "
                             "scan", path=value)
    elif not (path.suffix == ".json" and path.is_file()):
        return value  # a scan id, a prefix of one, or 'latest'
    from reports.json_out import read_findings_json, streamed_header

    header = streamed_header(path) or read_findings_json(path)
    scan = header.get("scan") if isinstance(header, dict) else None
    scan_id = scan.get("id") if isinstance(scan, dict) else None
    if not isinstance(scan_id, str) or not scan_id:
        raise InputError("names no scan id (scan.id): not a findings.json that `secretgraph "
                         "scan` wrote", path=str(path), field="scan.id")
    if scan_id not in {r.scan_id for r in records}:
        held = (f"it holds {len(records)} scan(s), `secretgraph history list --history "
                f"{history}` lists them" if records else "it holds no scans")
        raise InputError(f"{value} holds scan {scan_id}, which {history} does not hold ({held}):"
                         " diff compares scans recorded in a history, and `secretgraph scan "
                         "--history FILE` records each scan it makes; give the --history that "
                         "scan was recorded in")
    return scan_id


def _name_both(records: Sequence[ScanRecord]) -> str:
    """How to compare the last two of ``records`` when no complete scan answers for one side:
    named, two incomplete scans are compared, what either could not read listed as not
    assessed (ground-truth trial round 27: an account out of reach every night left `diff`
    saying only that it needs complete scans)."""
    if len(records) < 2:
        return ""
    return ("; name both scans to compare incomplete ones: secretgraph diff "
            f"{records[-2].scan_id} {records[-1].scan_id} (what either could not read is "
            "listed as not assessed)")


def run(args: argparse.Namespace) -> int:
    target = output_file(args.output_file, "--output-file") if args.output_file else None
    store = open_store(args.history)
    records = store.list()
    args.scan_a = _scan_named(args.scan_a, records, args.history)
    args.scan_b = _scan_named(args.scan_b, records, args.history)
    # without ids, a scan started in the future (a clock ahead when it was made) is not "the
    # latest" (ordinary_scans); named by its id, it is compared like any other
    ahead = future_scans(records) if args.scan_a is None else ()
    if ahead:
        _note(args, f"note: {len(ahead)} scan(s) started in the future (a clock ahead when they "
                    f"were made: {', '.join(r.scan_id for r in ahead[:5])}); not taken as the "
                    "latest")
        records = ordinary_scans(records)
    complete = [r for r in records if r.complete]
    if args.scan_a is None and len(complete) == 1 and records[-1] is not complete[0]:
        # one complete scan, then incomplete ones: `scan --history` showed the latest one's
        # drift against it, so compare exactly that (as `diff latest` does) -- an error
        # saying there is nothing to compare contradicted the drift just shown
        old_id, new_id = complete[0].scan_id, records[-1].scan_id
        _note(args, f"note: the history holds one complete scan ({old_id}); this compares "
                    f"the latest scan, {new_id} (incomplete: what it could not read is "
                    "listed as not assessed), with it, as `secretgraph diff latest` does")
    elif args.scan_a is None:
        if len(complete) < 2:
            hint = (not_created_yet(args.history) + "; scans are recorded only by "
                    f"`secretgraph scan --history {args.history}` (or with "
                    "$SECRETGRAPH_HISTORY set)") if not records else _name_both(records)
            raise InputError(
                f"needs two complete scans to compare; the history holds {len(complete)} "
                f"complete of {len(records)}{hint}", path=args.history)
        old_id, new_id = _BEFORE, complete[-1].scan_id
        newer = records[[r.scan_id for r in records].index(new_id) + 1:]
        if newer:
            # a few accounts out of reach every night: the last two complete scans may be
            # days old, and their drift was shown as if it were last night's
            _note(args, f"note: {len(newer)} newer scan(s) are incomplete (the latest: "
                        f"{newer[-1].scan_id}, started {newer[-1].started_at}); this compares "
                        "the latest complete scan with its previous scan. `secretgraph diff "
                        "latest` shows what changed in the newest")
    else:
        position = {r.scan_id: i for i, r in enumerate(records)}  # oldest first
        old_id = resolve_scan_id(records, args.scan_a, args.history)
        if args.scan_b is not None:
            new_id = resolve_scan_id(records, args.scan_b, args.history)
            if position[old_id] > position[new_id]:
                # always old -> new: the other way round, what appeared would read "resolved"
                _note(args, f"note: {old_id} is the newer scan; comparing {new_id} -> "
                            f"{old_id}")
                old_id, new_id = new_id, old_id
        elif complete and position[old_id] < position[complete[-1].scan_id]:
            new_id = complete[-1].scan_id
        else:
            # `diff latest` (or the id of the latest complete scan, or of a scan after it --
            # an incomplete one) alone: what changed in that scan, against the complete scan
            # before it
            new_id = old_id
            before = [r for r in complete if position[r.scan_id] < position[new_id]]
            if not before:
                raise InputError(f"scan {new_id!r} has no complete scan before it to compare "
                                 f"with{_name_both(records[:position[new_id] + 1])}",
                                 path=args.history)
            old_id = _BEFORE
    if old_id == new_id:
        raise InputError(f"both sides are scan {old_id!r}; name two different scans",
                         path=args.history)
    # the newer scan whole, then the older one element by element against it: an account,
    # findings row or access entry equal to the newer one's is held once (two alike nights
    # at 1,000 accounts took 8.3 GB decoded side by side; docs/scale.md)
    new_scan = store.load(new_id)
    if old_id == _BEFORE:
        # "the complete scan before it" is the one `scan --history` diffed against: the newest
        # complete scan whose scope covers this one's (scanner.history.scope; a --severity or
        # --regions scan in between is passed over, new-user trial round 8)
        ids = [r.scan_id for r in records]
        chosen = previous_scan(records[:ids.index(new_id)], document_scope(new_scan.document),
                               lambda sid: _document(store, sid))
        assert chosen.record is not None  # a complete scan before it exists (checked above)
        old_id = chosen.record.scan_id
        for sid, why in chosen.passed_over.items():
            _note(args, f"note: passed over scan {sid} ({why}); compared with {old_id}, as "
                        "`scan --history` does")
    # read for the drift alone: an account equal to the newer one's is its object, a row or
    # access entry equal but for first_seen / verdict indices a stand-in (fifteenth session)
    old_scan = store.load(old_id, like=Tonight.of(new_scan.document, new_scan.access,
                                                  stand_ins=True, snapshot=new_scan.snapshot))
    drift = diff_scans(old_scan, new_scan)
    del old_scan, new_scan
    text = (json.dumps(drift.to_json(), indent=2, default=str) + "\n"
            if args.format == "json" else
            render_drift_text(drift, width=None if target is not None else terminal_width()))
    if target is not None:
        write_output(target, text, "--output-file")
        print(target)  # as `report` names what it wrote (a silent exit 0 left users guessing)
    else:
        sys.stdout.write(text)
    return 0
