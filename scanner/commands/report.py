"""`secretgraph report`: re-render reports from a scan output directory, offline (no AWS).

Reads ``findings.json`` (schema-checked) and, when present, ``snapshot.json.gz`` (for the access
matrix, the network picture and ASFF resource details) from ``--in``; writes the requested
formats into ``--out`` (default: the same directory).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import networkx as nx

from scanner.output_set import SNAPSHOT_NAMES
from scanner.errors import InputError, OutputError, UsageError

if TYPE_CHECKING:
    from scanner.model import Snapshot

HELP = ("re-render reports (html, json, jsonl, csv, junit, ocsf, asff, table) from a scan "
        "output directory")
#: what -q/--quiet does here (scanner.cli: the help of -q)
QUIET_HELP = 'print no table or file names, only errors (the reports are still written)'
#: with -q, standard output is discarded: errors (stderr) only
QUIET_DISCARDS_STDOUT = True



@dataclass(frozen=True, kw_only=True)
class Rendered:
    """What the writers need: the findings document and, when a snapshot exists, the graph
    and the access analysis' typed verdicts (``scanner.access.AccessReport``)."""

    document: Mapping[str, Any]
    graph: nx.MultiDiGraph | None
    access: Any = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--in", dest="in_dir", required=True, metavar="DIR",
                        help="scan output directory holding findings.json (and snapshot.json.gz)")
    from reports import FORMATS

    parser.add_argument("--format", default="html", metavar="LIST",
                        help=f"comma-separated: {','.join(FORMATS)} (default html); table "
                             "alone without --out prints it, otherwise it is findings.txt")
    parser.add_argument("--out", metavar="DIR", help="where to write (default: the --in directory)")
    parser.add_argument("--drift", metavar="FILE",
                        help="drift JSON (secretgraph diff --format json) to include in the HTML")
    parser.add_argument("--no-snapshot", action="store_true",
                        help="ignore the snapshot: no access matrix or network picture")


def load_graph(snapshot_path: Path, *, access: bool = True, read: Snapshot | None = None,
               scan_id: str | None = None,
               trusted_accounts: tuple[str, ...] = (),
               allowed_accounts: tuple[str, ...] = ()) -> tuple[nx.MultiDiGraph, Any]:
    """The graph of a stored snapshot and its access report (the typed verdicts); without
    ``access`` the report is None and the analysis is not run (ASFF reads the resources' nodes
    only: at 100,000 secrets the analysis is 35 s and a gigabyte). ``scan_id``: the scan the
    findings beside it come from; a snapshot of another scan is an InputError (its readers
    and resources would be shown beside findings they do not belong to). ``read``: the
    snapshot at ``snapshot_path``, already read.
    ``trusted_accounts``: the scan's (``trust_zone.recorded_trusted_accounts`` of its findings
    document): the analysis then uses the trust zone the scan's verdicts used;
    ``allowed_accounts`` likewise its ``allowed_external_accounts``."""
    from dataclasses import replace

    from scanner.access import analyze_access
    from scanner.engine import load_config
    from scanner.graph.builder import build_graph
    from scanner.pipeline import access_settings
    from scanner.snapshot_io import read_snapshot

    snapshot = read if read is not None else read_snapshot(snapshot_path)
    if scan_id is not None and snapshot.meta.scan_id != scan_id:
        raise InputError(f"is the snapshot of scan {snapshot.meta.scan_id!r}, but findings.json "
                         f"beside it is of scan {scan_id!r}: not the same scan (give the "
                         "folder of one scan, or --no-snapshot)", path=str(snapshot_path))
    graph = build_graph(snapshot)
    if not access:
        return graph, None
    config = replace(load_config(None), trusted_accounts=tuple(trusted_accounts),
                     allowed_external_accounts=tuple(allowed_accounts))
    report = analyze_access(graph, snapshot, access_settings(snapshot, config))
    return graph, report


def load_rendered(in_dir: Path, *, use_snapshot: bool = True, access: bool = True,
                  views: bool = False) -> Rendered:
    """The scan folder's findings document, and its snapshot's graph and access analysis;
    ``access`` False: the analysis is not run (only the HTML report shows readers: at 1,000
    accounts it is about 30 s CPU and 1.3 GB). ``views``: ``access`` is the HTML report's
    views of the analysis (reports.html.AccessViews), built before the findings' rows are
    read, so that the analysis and the rows are not held together (at 1,000 accounts x
    100,000 secrets: the analysis about 1.3 GB, the rows 0.9 GB)."""
    from reports.json_out import stream_findings_json
    from scanner.gcpause import gc_paused
    from scanner.policy.trust_zone import recorded_allowed_accounts, recorded_trusted_accounts

    from scanner.output_set import check_in_folder, reading

    # said as access --in says it, naming --in and what it takes (new-user trial round 21:
    # 'out/demo/findings.json: not a directory')
    check_in_folder(in_dir)
    from scanner.snapshot_io import read_snapshot

    # one set read whole: under the commit lock of the folder, not half of a scan's set that
    # is moving in (fault trial round 7 #1: "not the same scan", exit 2, or last night's
    # report committed beside the new set). The findings' file is opened under it and its
    # rows read after the analysis: a commit replaces each file (os.replace), so the open
    # file is still this set's findings.json
    snapshot: tuple[Path, Snapshot] | None = None
    with reading(in_dir):
        # 'empty/findings.json: file not found' named neither --in nor what it takes
        check_in_folder(in_dir, needs=("findings.json",))
        header, rows = stream_findings_json(in_dir / "findings.json")
        try:
            if use_snapshot:
                for name in SNAPSHOT_NAMES:
                    if (in_dir / name).exists():
                        snapshot = (in_dir / name, read_snapshot(in_dir / name))
                        break
        except BaseException:
            _close(rows)
            raise
    graph, analysis = None, None
    try:
        if snapshot is not None:
            graph, analysis = load_graph(
                snapshot[0], read=snapshot[1], scan_id=scan_id_of(header), access=access,
                trusted_accounts=recorded_trusted_accounts(header),
                allowed_accounts=recorded_allowed_accounts(header))
            snapshot = None
            if views and analysis is not None:
                from reports.html import access_views

                analysis = access_views(graph, analysis)
        with gc_paused():  # the rows are long-lived and make no cycles (scanner.gcpause)
            findings = list(rows)
    finally:
        _close(rows)
    return Rendered(document={**header, "findings": findings}, graph=graph, access=analysis)


def _close(rows: object) -> None:
    """Close a row generator that was not read to its end (its file with it)."""
    close = getattr(rows, "close", None)
    if close is not None:
        close()


def scan_id_of(document: Mapping[str, Any]) -> str | None:
    """The id of the scan a findings document (or its header) is of."""
    scan = document.get("scan")
    value = scan.get("id") if isinstance(scan, Mapping) else None
    return str(value) if value else None


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def _same_scan(folder: Path, scan_id: str | None) -> "Callable[[], None]":
    """For the commit of a report into the folder it was read from: OutputError when the set
    there is no longer of the scan it was made from (a scan committed while the report was
    made: its report of the older scan was put beside the newer scan's files, fault trial
    round 7 #1). Checked under the commit lock, before anything moves."""
    def check() -> None:
        now = _scan_id_in(folder / "findings.json")
        if now != scan_id:
            there = f"scan {now!r}" if now else "another scan"
            raise OutputError(f"--out {folder}: {there} wrote its set there while this report "
                              f"was made from scan {scan_id!r} (read before it): nothing was "
                              f"written, the set of {there} is as it was; run report again")
    return check


def _scan_id_in(path: Path) -> str | None:
    """The scan id of the findings.json at ``path`` (None: none there, or not readable). A file
    as scan writes it is read up to its rows only: its 570 MB at 1,000 accounts were parsed
    whole, beside the rows and the analysis the report still held, to read one string."""
    import json

    from reports.json_out import streamed_header

    try:
        header = streamed_header(path)
        if header is not None:
            return scan_id_of(header)
        with path.open(encoding="utf-8") as fh:
            return scan_id_of(json.load(fh))
    except (InputError, OSError, ValueError, AttributeError):
        return None


def _check_out(out: Path | None, in_dir: Path) -> None:
    """Where the reports go, checked before the scan folder is loaded (its snapshot and
    access analysis: about 30 s at 1,000 accounts): a folder it cannot write was found after
    that, and without --out the error named --out, which the user had not given (user trial
    round 25: `report --in` on a read-only copy of last night's scan)."""
    from scanner.output_set import check_out_dir

    if out is not None:
        check_out_dir(out)
        return
    try:
        check_out_dir(in_dir, flag="--in")
    except UsageError as exc:
        raise UsageError(f"{exc}; without --out the reports are written there: give "
                         "--out DIR") from None


def _keep_drift(out_dir: Path) -> None:
    """A report.html with a drift section is not replaced by one without: the drift came from
    the scan's --history, which `report` does not read, and `report --in DIR` (written into
    DIR) dropped the section of the scan's own report silently (new-user trial round 28)."""
    from reports.html import has_drift_section

    target = out_dir / "report.html"
    if has_drift_section(target):
        raise UsageError(f"{target} has the drift since the previous scan (from the scan's "
                         "--history), which re-rendering without it would drop: give --drift "
                         "FILE (`secretgraph diff --history H --format json --output-file "
                         "FILE` writes it), or --out DIR to render the report elsewhere")


def read_drift(path: Path) -> Mapping[str, Any]:
    from reports.json_out import read_json_object

    return read_json_object(path, "drift")


def run(args: argparse.Namespace) -> int:
    from reports import parse_formats, write_reports
    from reports.table import write_table

    formats = parse_formats(args.format)
    in_dir = Path(args.in_dir)
    from scanner.input_file import check_named_file

    check_named_file(args.drift, "--drift", "`secretgraph diff --history H --format json "
                     "--output-file FILE` writes one")
    drift = read_drift(Path(args.drift)) if args.drift else None
    if drift is not None and "html" not in formats:
        raise UsageError("--drift is shown in the html report only; add html to --format")
    if args.out or (formats != ["table"] and in_dir.is_dir()):
        _check_out(Path(args.out) if args.out else None, in_dir)
    if drift is None and "html" in formats:
        _keep_drift(Path(args.out) if args.out else in_dir)
    # the snapshot only for what shows it: the HTML report (readers, network) and ASFF
    # (resources from the graph); the table, CSV, JUnit, OCSF and JSON Lines read the findings
    rendered = load_rendered(in_dir, use_snapshot=not args.no_snapshot and bool(
        {"html", "asff"} & set(formats)), access="html" in formats, views=True)
    if drift is not None:
        new = drift.get("new")
        drift_scan = new.get("scan_id") if isinstance(new, Mapping) else None
        scan_id = scan_id_of(rendered.document)
        if drift_scan and scan_id and drift_scan != scan_id:
            raise InputError(f"is the drift up to scan {drift_scan!r}, but the report is of "
                             f"scan {scan_id!r} (secretgraph diff ... {scan_id} gives its "
                             "drift)", path=str(args.drift))
    out_dir = Path(args.out) if args.out else in_dir
    if formats == ["table"] and not args.out:
        write_table(rendered.document, sys.stdout)
        return 0
    from scanner.errors import Interrupted
    from scanner.output_set import OutputSet, refused_write

    with OutputSet(out_dir) as outputs:
        try:
            if "asff" in formats:
                outputs.carry_over("findings.asff.json")
            try:
                write_reports(rendered, outputs.staging, formats, drift=drift)
            except OSError as exc:  # a full disk: the set in --out stays as it was
                raise OutputError(refused_write(exc, outputs.staging, out_dir)) from None
            written = outputs.commit(remove_stale=False, still_current=(
                _same_scan(out_dir, scan_id_of(rendered.document)) if _same_folder(
                    in_dir, out_dir) else None))
        except KeyboardInterrupt:
            if outputs.written:  # the set is in place (a stop just after the moves)
                raise Interrupted(f"interrupted; the reports were written to {out_dir}") \
                    from None
            raise Interrupted(f"interrupted; nothing was written ({out_dir} is as it "
                              "was)") from None
    from scanner.errors import StdoutError

    try:
        for path in written:
            print(path, file=sys.stdout)
        sys.stdout.flush()
    except StdoutError as exc:  # the files are in place: say so
        raise exc.after(f"the reports were written to {out_dir}") from None
    return 0
