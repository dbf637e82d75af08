"""The scan pipeline: collect -> snapshot -> graph -> access -> rules -> history -> outputs.

Only ``collect`` talks to AWS. ``analyze`` is pure: the same snapshot and inputs give the same
findings, so a stored snapshot can be re-evaluated offline with new rules.

Every user input (rule directories, config, suppressions, baseline, history store) is loaded and
validated *before* anything is scanned: a bad file ends the command with exit 2 and nothing is
scanned or stored.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence, TextIO

import networkx as nx

from scanner.access import AccessReport, AccessSettings, analyze_access
from scanner.engine import (
    Config,
    RuleSet,
    Suppressions,
    evaluate,
    exit_code,
    findings_document,
    load_config,
    load_ruleset,
    load_suppressions,
    suppress,
)
from scanner.findings import Finding, Severity
from scanner.graph.builder import build_graph
from scanner.model import Snapshot


@dataclass(frozen=True, kw_only=True)
class ScanOptions:
    """Everything `secretgraph scan` (and `demo`, and the scheduled Lambda) needs."""

    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    org: bool = False
    role_name: str | None = None
    external_id: str | None = None
    profile: str | None = None
    central_account: str | None = None
    endpoint_url: str | None = None
    max_workers: int = 8
    max_attempts: int = 8
    out_dir: Path | None = None
    formats: tuple[str, ...] = ("table",)
    fail_on: Severity = Severity.HIGH
    config_path: Path | None = None
    rules_dirs: tuple[Path, ...] = ()
    suppressions_path: Path | None = None
    baseline_path: Path | None = None
    history: str | None = None  # SQLite path or s3://bucket/prefix
    snapshot_in: Path | None = None  # evaluate this snapshot instead of scanning
    parts_in: str | None = None  # merge the parts of one sharded run (dir or s3://) instead
    run_id: str | None = None  # which run under parts_in (default: the only one)
    processes: int = 1  # > 1: collect in that many processes (the shard partition)
    policy_tps: float = 25.0  # client-side pace of GetResourcePolicy per account and Region
    #: with history: re-read every carried policy at least this often (1: carry nothing)
    full_refresh_days: int = 7
    quiet: bool = False


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The user's rule pack, config, suppressions and baseline, validated."""

    ruleset: RuleSet
    config: Config
    suppressions: Suppressions | None = None
    baseline: Any = None


@dataclass(frozen=True, kw_only=True)
class Analysis:
    snapshot: Snapshot
    graph: nx.MultiDiGraph
    access: AccessReport
    findings: list[Finding]
    document: dict[str, Any]
    exit_code: int
    drift: Mapping[str, Any] | None = None
    api_calls: Mapping[str, int] = field(default_factory=dict)
    snapshot_path: Path | None = None


def load_inputs(options: ScanOptions) -> Inputs:
    """Load and validate every input file; raises InputError (exit 2) on the first bad one."""
    from scanner.history.baseline import load_baseline

    from scanner.engine.runner import compile_ruleset

    config = load_config(options.config_path)
    ruleset = load_ruleset(options.rules_dirs)
    compile_ruleset(ruleset, config)  # parameters and severities checked against the rules
    suppressions = load_suppressions(options.suppressions_path) if options.suppressions_path \
        else None
    baseline = load_baseline(options.baseline_path) if options.baseline_path else None
    return Inputs(ruleset=ruleset, config=config, suppressions=suppressions, baseline=baseline)


def access_settings(snapshot: Snapshot, config: Config) -> AccessSettings:
    return AccessSettings.from_snapshot(
        snapshot, allowed_external_accounts=frozenset(config.allowed_external_accounts))


def analyze(snapshot: Snapshot, inputs: Inputs, *, now: dt.datetime | None = None,
            fail_on: Severity = Severity.HIGH) -> Analysis:
    """Pure: graph, access, rules, suppressions, baseline, findings document, exit code."""
    now = now or dt.datetime.now(dt.timezone.utc)
    graph = build_graph(snapshot)
    access = analyze_access(graph, snapshot, access_settings(snapshot, inputs.config))
    findings = evaluate(graph, snapshot, access, inputs.ruleset, inputs.config, now)
    if inputs.baseline is not None:
        from scanner.history.baseline import baseline_findings

        findings = findings + list(baseline_findings(access, inputs.baseline, snapshot))
    if inputs.suppressions is not None:
        findings = suppress(findings, inputs.suppressions, now)
    document = findings_document(snapshot, findings)
    return Analysis(snapshot=snapshot, graph=graph, access=access, findings=findings,
                    document=document, exit_code=exit_code(document, fail_on))


def _collect(options: ScanOptions, out_dir: Path, counter: Any, *,
             required_replica_regions: tuple[str, ...] = (),
             previous: Snapshot | None = None) -> Path:
    """The snapshot of this scan: collected in this process, in ``processes`` shard
    processes, or merged from the parts of a sharded run (``parts_in``)."""
    from scanner.collect import CollectOptions, collect, collect_processes
    from scanner.incremental import PolicyCarry

    if options.parts_in is not None:
        from scanner.shards import merge_parts, open_parts

        merged = merge_parts(open_parts(options.parts_in), options.run_id,
                             out_dir / "snapshot.json.gz",
                             central_account=options.central_account)
        counter.add(merged.api_calls)
        return merged.path
    collect_options = CollectOptions(
        out=out_dir / "snapshot.json.gz",
        regions=options.regions,
        accounts=options.accounts,
        org=options.org,
        role_name=options.role_name,
        external_id=options.external_id,
        profile=options.profile,
        central_account=options.central_account,
        endpoint_url=options.endpoint_url,
        max_workers=options.max_workers,
        max_attempts=options.max_attempts,
        required_replica_regions=required_replica_regions,
        policy_tps=options.policy_tps,
        carry=(PolicyCarry.from_snapshot(previous, full_refresh_days=options.full_refresh_days)
               if previous is not None else None),
    )
    if options.processes > 1:
        return collect_processes(collect_options, options.processes, counter=counter)
    return collect(collect_options, counter=counter)


def run_scan(options: ScanOptions, *, out: TextIO | None = None) -> Analysis:
    """Scan (or load ``snapshot_in``), analyse, record history, write the reports."""
    from reports import write_reports
    from scanner.aws.calls import CallCounter
    from scanner.snapshot_io import read_snapshot

    stream = out or sys.stdout
    inputs = load_inputs(options)
    store = None
    if options.history:
        from scanner.history.store import open_store

        store = open_store(options.history)
    out_dir = options.out_dir or Path("secretgraph-out")
    out_dir.mkdir(parents=True, exist_ok=True)
    counter = CallCounter()
    started = time.perf_counter()
    previous = None
    if store is not None:
        # read before collecting: its policies may be carried (incremental collection)
        previous_record = store.latest_complete(before=None)
        previous = store.load(previous_record.scan_id) if previous_record else None
    if options.snapshot_in is not None:
        snapshot_path = options.snapshot_in
    else:
        snapshot_path = _collect(options, out_dir, counter,
                                 required_replica_regions=inputs.config.required_replica_regions,
                                 previous=previous.snapshot if previous else None)
    snapshot = read_snapshot(snapshot_path)
    analysis = analyze(snapshot, inputs, fail_on=options.fail_on)
    drift: Mapping[str, Any] | None = None
    if store is not None:
        from scanner.history.diff import diff_scans
        from scanner.history.records import StoredScan
    document = with_first_seen(analysis.document, previous.document if previous else None)
    if store is not None:
        access_json = analysis.access.to_dict()
        record = store.record(snapshot.meta, snapshot, document, access_json)
        if previous is not None:
            current = StoredScan(record=record, snapshot=snapshot, document=document,
                                 access=access_json)
            drift = diff_scans(previous, current).to_json()
    analysis = Analysis(
        snapshot=snapshot, graph=analysis.graph, access=analysis.access,
        findings=analysis.findings, document=document, exit_code=analysis.exit_code,
        drift=drift, api_calls=dict(counter.counts()), snapshot_path=snapshot_path,
    )
    first_seen = {f["id"]: f["first_seen"] for f in document["findings"] if f.get("first_seen")}
    formats = tuple(f for f in options.formats if f != "table")
    write_reports(analysis, out_dir, ("json",) + formats if "json" not in formats else formats,
                  drift=drift, previous_created_at=first_seen)
    if not options.quiet and "table" in options.formats:
        from reports.table import render_table

        print(render_table(analysis.document), file=stream)
        if drift is not None:
            from scanner.history.drift import render_drift_text

            print(render_drift_text(drift), file=stream)
        print(f"scan finished in {time.perf_counter() - started:.1f}s; outputs in {out_dir}",
              file=stream)
    return analysis


def with_first_seen(document: dict[str, Any],
                    previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """Each finding's ``first_seen``: carried from the previous complete scan when the same
    finding id was reported there (its first_seen, else that scan's start), else this scan's
    start. Security Hub's CreatedAt comes from it, so it survives nightly output directories."""
    started = document.get("scan", {}).get("started_at")
    earlier: dict[str, str] = {}
    if previous is not None:
        prev_started = previous.get("scan", {}).get("started_at")
        for f in previous.get("findings", ()):
            seen = f.get("first_seen") or prev_started
            if seen:
                earlier[f["id"]] = seen
    findings = [dict(f, first_seen=earlier.get(f["id"], f.get("first_seen") or started))
                for f in document.get("findings", ())]
    return dict(document, findings=findings)


def parse_formats(text: str) -> tuple[str, ...]:
    from reports import FORMATS

    formats = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    for f in formats:
        if f not in FORMATS:
            from scanner.errors import UsageError

            raise UsageError(f"unknown format {f!r} (expected some of {', '.join(FORMATS)})")
    return formats


def parse_list(text: str | None) -> tuple[str, ...]:
    return tuple(x.strip() for x in (text or "").split(",") if x.strip())


def paths(values: Sequence[str] | None) -> tuple[Path, ...]:
    return tuple(Path(v) for v in values or ())
