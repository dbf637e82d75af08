"""The scan pipeline, and the only orchestrator of it:
collect (or load) -> snapshot -> graph -> access -> rules -> history (first_seen) -> outputs
-> export.

Every way of running a scan goes through ``run_scan``: the CLI ``scan`` and ``demo``, the nightly
Lambda (scanner/deploy/handler.py); the organization-scale merge of collected parts plugs in as
``snapshot_source`` (it replaces collection, everything after it is shared). ``export
securityhub`` builds its payload with ``securityhub_payload``, the export stage of ``run_scan``. So history
always carries ``first_seen`` forward, and Security Hub's CreatedAt / FirstObservedAt stay put
from one night to the next.

Only ``collect`` and the export stage talk to AWS. ``analyze`` is pure: the same snapshot and
inputs give the same findings, so a stored snapshot can be re-evaluated offline with new rules.

Every user input (rule directories, config, suppressions, baseline, history store) is loaded and
validated *before* anything is scanned: a bad file ends the command with exit 2 and nothing is
scanned or stored.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, TextIO

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

if TYPE_CHECKING:
    from scanner.history.drift import Drift
    from scanner.history.records import ScanRecord


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
    history: "HistoryOutcome | None" = None  # set when a history store was given
    securityhub: Mapping[str, Any] | None = None  # the export stage's delivery report


@dataclass(frozen=True, kw_only=True)
class HistoryOutcome:
    """What the history stage did: the record stored, and what it was compared with."""

    record: "ScanRecord"
    previous: "ScanRecord | None"
    drift: "Drift | None"


@dataclass(frozen=True, kw_only=True)
class SecurityHubTarget:
    """The export stage: where findings go (the caller builds the clients: it owns the
    credentials). ``mode`` central imports everything into ``central_account``; per-account
    imports each finding from its own account."""

    client_for: Callable[[str, str], Any]  # (account id, region) -> securityhub client
    mode: str = "central"
    central_account: str | None = None
    include_passed: bool = False
    home_region: str | None = None


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
             required_replica_regions: tuple[str, ...] = ()) -> Path:
    from scanner.collect import CollectOptions, collect

    return collect(
        CollectOptions(
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
        ),
        counter=counter,
    )


def run_scan(options: ScanOptions, *, out: TextIO | None = None,
             securityhub: SecurityHubTarget | None = None,
             snapshot_source: Callable[[Path], Path] | None = None) -> Analysis:
    """Collect (or load ``snapshot_in``), analyse, record history with first_seen, write the
    reports, export. Every input is validated, and the history store opened, before anything
    is scanned.

    ``snapshot_source(out_dir) -> snapshot file`` replaces collection (e.g. merging the parts of
    a sharded collection, or a test's snapshot); it runs where collection would."""
    from reports import write_reports
    from scanner.aws.calls import CallCounter
    from scanner.snapshot_io import read_snapshot

    stream = out or sys.stdout
    inputs = load_inputs(options)
    store = None
    previous_record = None
    if options.history:
        from scanner.history.store import open_store

        store = open_store(options.history)
        previous_record = store.latest_complete(before=None)  # an unreadable store fails here
    out_dir = options.out_dir or Path("secretgraph-out")
    out_dir.mkdir(parents=True, exist_ok=True)
    counter = CallCounter()
    started = time.perf_counter()
    if options.snapshot_in is not None:
        snapshot_path = options.snapshot_in
    elif snapshot_source is not None:
        snapshot_path = snapshot_source(out_dir)
    else:
        snapshot_path = _collect(options, out_dir, counter,
                                 required_replica_regions=inputs.config.required_replica_regions)
    snapshot = read_snapshot(snapshot_path)
    analysis = analyze(snapshot, inputs, fail_on=options.fail_on)
    previous = store.load(previous_record.scan_id) if store and previous_record else None
    document = with_first_seen(analysis.document, previous.document if previous else None)
    drift: Mapping[str, Any] | None = None
    history: HistoryOutcome | None = None
    if store is not None:
        history = record_history(store, snapshot, document, analysis.access, previous)
        drift = history.drift.to_json() if history.drift is not None else None
    analysis = Analysis(
        snapshot=snapshot, graph=analysis.graph, access=analysis.access,
        findings=analysis.findings, document=document, exit_code=analysis.exit_code,
        drift=drift, api_calls=dict(counter.counts()), snapshot_path=snapshot_path,
        history=history,
    )
    first_seen = {f["id"]: f["first_seen"] for f in document["findings"] if f.get("first_seen")}
    formats = tuple(f for f in options.formats if f != "table")
    write_reports(analysis, out_dir, ("json",) + formats if "json" not in formats else formats,
                  drift=drift, previous_created_at=first_seen)
    if securityhub is not None:
        analysis = replace(analysis, securityhub=export_securityhub(
            analysis, previous.document if previous else None, securityhub))
    if not options.quiet and "table" in options.formats:
        from reports.table import render_table

        print(render_table(analysis.document), file=stream)
        if drift is not None:
            from scanner.history.drift import render_drift_text

            print(render_drift_text(drift), file=stream)
        print(f"scan finished in {time.perf_counter() - started:.1f}s; outputs in {out_dir}",
              file=stream)
    return analysis


def record_history(store: Any, snapshot: Snapshot, document: Mapping[str, Any], access: Any,
                   previous: Any) -> HistoryOutcome:
    """Store this scan (its document already carries first_seen) and diff it against the
    previous complete scan."""
    from scanner.history.access_readers import access_json_of
    from scanner.history.diff import diff_scans
    from scanner.history.records import StoredScan

    access_json = access_json_of(access)
    record = store.record(snapshot.meta, snapshot, document, access_json)
    drift = None
    if previous is not None:
        current = StoredScan(record=record, snapshot=snapshot, document=document,
                             access=access_json)
        drift = diff_scans(previous, current)
    return HistoryOutcome(record=record, previous=previous.record if previous else None,
                          drift=drift)


def securityhub_payload(document: Mapping[str, Any], *, graph: Any = None,
                        current_asff: list[dict[str, Any]] | None = None,
                        previous_asff: Sequence[Mapping[str, Any]] = (),
                        mode: str = "per-account", central_account: str | None = None,
                        include_passed: bool = False, home_region: str | None = None,
                        ) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The ASFF findings to send and counts (current, archived, to_send).

    CreatedAt / FirstObservedAt: the previous export's CreatedAt for the same id, else the
    finding's ``first_seen`` (carried by the history stage). Findings failing in the previous
    export and resolved now are sent as PASSED + ARCHIVED (only where this scan assessed them).
    """
    from reports.asff import archive_resolved, build_asff, created_at_index, retarget_central

    created = created_at_index(previous_asff)
    if current_asff is None:
        current = build_asff(document, graph=graph, created_at=created, home_region=home_region)
    else:
        current = current_asff
        for f in current:
            if f.get("Id") in created:
                f["CreatedAt"] = f["FirstObservedAt"] = created[str(f["Id"])]
    archived = archive_resolved(previous_asff, current, document) if previous_asff else []
    archived_ids = {f["Id"] for f in archived}
    send = [f for f in current if f["Id"] not in archived_ids and (
        include_passed or (f.get("Compliance") or {}).get("Status") != "PASSED")]
    send += archived
    if mode == "central":
        central = central_account or ((document.get("scan") or {}).get("central_account"))
        if not central:
            from scanner.errors import UsageError

            raise UsageError("--mode central needs --central-account (the scan names none)")
        if not (len(str(central)) == 12 and str(central).isdigit()):
            from scanner.errors import UsageError

            raise UsageError(f"--central-account must be a 12-digit account id, got {central!r}")
        send = [retarget_central(f, str(central)) for f in send]
    return send, {"current": len(current), "archived": len(archived), "to_send": len(send)}


def export_securityhub(analysis: Analysis, previous_document: Mapping[str, Any] | None,
                       target: SecurityHubTarget) -> dict[str, Any]:
    """The export stage: this scan's findings (CreatedAt from first_seen) and the previous
    complete scan's findings resolved since (archived), sent in batches."""
    from reports.asff import build_asff
    from reports.securityhub import send_findings

    previous_asff = build_asff(previous_document, home_region=target.home_region) \
        if previous_document is not None else []
    findings, facts = securityhub_payload(
        analysis.document, graph=analysis.graph, previous_asff=previous_asff, mode=target.mode,
        central_account=target.central_account or analysis.snapshot.meta.central_account,
        include_passed=target.include_passed, home_region=target.home_region)
    report = send_findings(findings, client_for=target.client_for).to_json()
    return {**report, **facts}


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
