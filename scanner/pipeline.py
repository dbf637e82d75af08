"""The scan pipeline, and the only orchestrator of it:
collect (or load) -> snapshot -> graph -> access -> rules -> history (first_seen) -> outputs
-> export.

Every way of running a scan goes through ``run_scan``: the CLI ``scan`` and ``demo``, the nightly
Lambda (scanner/deploy/handler.py); the organization-scale merge of collected parts plugs in as
``snapshot_source`` (it replaces collection, everything after it is shared). ``export
securityhub`` builds its payload with reports.hub_payload.build_payload, as the export stage of
``run_scan`` does (scanner.hub_export). So history always carries ``first_seen`` forward, and Security Hub's CreatedAt / FirstObservedAt stay put
from one night to the next.

Only ``collect`` and the export stage talk to AWS. ``analyze`` is pure: the same snapshot and
inputs give the same findings, so a stored snapshot can be re-evaluated offline with new rules.

Every user input (rule directories, config, suppressions, baseline, history store) is loaded and
validated *before* anything is scanned: a bad file ends the command with exit 2 and nothing is
scanned or stored.
"""

from __future__ import annotations

import dataclasses
import errno
import datetime as dt
import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, TextIO

from scanner.access import AccessSettings, analyze_access
from scanner.engine import (
    Config,
    RuleSet,
    Suppressions,
    check_suppressions,
    exit_code,
    findings_document,
    load_config,
    load_ruleset,
    load_suppressions,
)
from scanner.engine.suppressions import apply_suppressions, suppression_notes
from scanner.engine.loader import RuleScope, resolve_scope, select_rules
from scanner.errors import InputError
from scanner.findings import Severity
from scanner.graph.builder import build_graph
from scanner.hub_export import SecurityHubTarget, export_securityhub, export_with_ledger
from scanner.model import Snapshot
from scanner.policy.trust_zone import trust_zone
from scanner.scan_history import (FirstSeenIndex, PreviousScans, previous_and_newest,
                                  read_previous, record_history, skip_damaged, warn_skipped,
                                  with_first_seen, with_outputs)
from scanner.scan_result import Analysis
from scanner.scan_summary import analysis_failed_warning, incomplete_warning, summary_line
from scanner.textfit import fit_line, stream_columns


#: rows per severity `scan` prints to the terminal (findings.json and the reports have them all)
TERMINAL_ROWS = 200

if TYPE_CHECKING:
    from scanner.history.drift import Drift
    from scanner.history.records import ScanRecord
    from scanner.incremental import PolicyCarry


@dataclass(frozen=True, kw_only=True)
class ScanOptions:
    """Everything `secretgraph scan` (and `demo`, and the scheduled Lambda) needs."""

    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    org: bool = False
    role_name: str | None = None
    role_arn: str | None = None  # template with {account_id}; wins over role_name
    external_id: str | None = None
    profile: str | None = None
    central_account: str | None = None
    endpoint_url: str | None = None
    all_regions: bool = False  # regions = the home account's enabled Regions
    max_workers: int = 8
    max_attempts: int = 8
    out_dir: Path | None = None
    formats: tuple[str, ...] = ("table",)
    fail_on: Severity | None = Severity.HIGH  # None: --fail-on NONE
    config_path: Path | None = None
    rules_dirs: tuple[Path, ...] = ()
    scope: RuleScope = field(default_factory=RuleScope)  # --rules/--exclude-rules/...
    suppressions_path: Path | None = None
    baseline_path: Path | None = None
    #: local path of an input file -> the name it was given as (the scheduled function's copy
    #: of an s3:// object): errors, muted_by and baseline findings name it so
    input_names: Mapping[str, str] = field(default_factory=dict)
    history: str | None = None  # SQLite path or s3://bucket/prefix
    snapshot_in: Path | None = None  # evaluate this snapshot instead of scanning
    emit_pass: bool = False  # itemise every PASS result (as the config's emit_pass: true)
    findings_layout: str | None = None  # findings.json "complete"/"compact" (config's, if None)
    prove: bool = False  # ask the SMT solver (as the config's prove: true)
    prove_timeout: float | None = None  # solver seconds per question (config prove_timeout)
    parts_in: str | None = None  # merge the parts of one sharded run (dir or s3://) instead
    run_id: str | None = None  # which run under parts_in (default: the only one)
    #: > 1: collect in that many processes (the shard partition; not with snapshot_in or
    #: parts_in) and analyse access over that many secret shards (scanner.access.shards)
    processes: int = 1
    policy_tps: float = 25.0  # client-side pace of GetResourcePolicy per account and Region
    #: with history: re-read every carried policy at least this often (1: carry nothing)
    full_refresh_days: int = 7
    quiet: bool = False


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The user's rule pack, config, suppressions and baseline, validated."""

    ruleset: RuleSet
    config: Config
    scope: RuleScope = field(default_factory=RuleScope)  # compliance keys resolved
    suppressions: Suppressions | None = None
    baseline: Any = None


def load_inputs(options: ScanOptions) -> Inputs:
    """Load and validate every input file; raises InputError (exit 2) on the first bad one,
    naming the file as it was given (``input_names``)."""
    try:
        return _load_inputs(options)
    except InputError as exc:
        name = options.input_names.get(exc.path or "")
        if name is None:
            raise
        raise InputError(exc.detail.replace(exc.path or "", name), path=name, rule=exc.rule,
                         field=exc.field) from None


def _load_inputs(options: ScanOptions) -> Inputs:
    from scanner.history.baseline import load_baseline

    from scanner.engine.runner import compile_ruleset

    config = load_config(options.config_path)
    if options.config_path is not None:
        # the file's remediation: section too: a config is checked whole before anything is
        # scanned (a typo there was accepted by scan and refused by remediate the next day)
        from scanner.remediate.config import load_config as load_remediation_config

        load_remediation_config(options.config_path)
    if options.emit_pass and not config.emit_pass:
        config = dataclasses.replace(config, emit_pass=True)
    if options.findings_layout is not None:
        config = dataclasses.replace(config, findings_layout=options.findings_layout)
    if options.prove and not config.prove:
        config = dataclasses.replace(config, prove=True)
    if options.prove_timeout is not None:
        config = dataclasses.replace(config, prove_timeout=options.prove_timeout)
    if config.prove:
        from scanner.policy.smt import require_z3

        require_z3()  # before anything is read: one line, exit 2
    ruleset = load_ruleset(options.rules_dirs)
    compile_ruleset(ruleset, config)  # config entries name loaded rules, before scoping
    suppressions = load_suppressions(options.suppressions_path) if options.suppressions_path \
        else None
    if suppressions is not None and suppressions.path is not None \
            and suppressions.path in options.input_names:
        suppressions = replace(suppressions, path=options.input_names[suppressions.path])
    if suppressions is not None:  # entries name loaded rules, before scoping too
        from scanner.history.baseline import RULE_ID as BASELINE_RULE_ID

        # the loaded rules, and the findings the scan makes itself (an access baseline's)
        check_suppressions(suppressions, [*ruleset.ids, BASELINE_RULE_ID])
    scope = resolve_scope(ruleset, options.scope)
    ruleset = select_rules(ruleset, scope)  # parameters and severities checked against the rules
    baseline = load_baseline(options.baseline_path) if options.baseline_path else None
    if baseline is not None and baseline.path in options.input_names:
        baseline = replace(baseline, path=options.input_names[baseline.path])
    return Inputs(ruleset=ruleset, config=config, suppressions=suppressions, baseline=baseline,
                  scope=scope)


def access_settings(snapshot: Snapshot, config: Config) -> AccessSettings:
    return AccessSettings.from_snapshot(
        snapshot, allowed_external_accounts=frozenset(config.allowed_external_accounts),
        trusted_accounts=config.trusted_accounts)


#: the suppression entries that matched no finding a scan names on stderr, one line each
NOTES_MAX = 20


def _evaluated_rules(inputs: Inputs) -> tuple[str, ...]:
    """The rules the scan judged: the rule pack's, and access-outside-baseline when a baseline
    was given (its findings are the scan's own), and the rules every scan evaluates
    (``EVERY_SCAN_RULES``: suppression-expired, with or without a suppression file). Drift and
    the Security Hub archive read this list: a rule missing from it is "not evaluated", so its
    new findings were not new and its resolved ones never archived (nightly-operations trial;
    new-user trial round 6 for suppression-expired)."""
    from scanner.engine.suppressions import EVERY_SCAN_RULES

    # a rule the config switches off (rules.<id>.enabled: false) is not evaluated either: listed,
    # its findings of the night before were "resolved" and archived in Security Hub while
    # nothing had changed (new-user trial round 19)
    judged = tuple(r for r in inputs.ruleset.ids if inputs.config.rule_enabled(r))
    if inputs.baseline is None:
        return judged + EVERY_SCAN_RULES
    from scanner.history.baseline import RULE_ID as BASELINE_RULE_ID

    return judged + (BASELINE_RULE_ID,) + EVERY_SCAN_RULES


def analyze(snapshot: Snapshot, inputs: Inputs, *, now: dt.datetime | None = None,
            fail_on: Severity | None = Severity.HIGH,
            timings: dict[str, float] | None = None, progress: Any = None,
            processes: int = 1, judged: frozenset[str] | None = None) -> Analysis:
    """Pure: graph, access, rules, suppressions, baseline, findings document, exit code.
    ``timings`` (when given) receives the CPU seconds of each step (bench/offline_scan.py;
    the access analysis' includes its shard processes'); ``progress``
    (scanner.progress.Progress: ``phase`` and ``counts``) is told each phase and, within
    access and rules, the work done; ``processes``: the access analysis' secret
    shards (the result is the same for any number); ``judged``: only these secrets' access
    and findings are evaluated (primary ARNs, their replicas with them; every other resource's
    findings are), for remediate's re-analysis of one change (scanner.remediate.effects)."""
    from scanner.engine.runner import evaluate_rules

    clock = time.process_time
    t0 = clock()
    now = now or dt.datetime.now(dt.timezone.utc)
    if progress is not None:
        progress.phase("graph")
    graph = build_graph(snapshot)
    t1 = clock()
    c1 = _children_cpu()
    if progress is not None:
        progress.phase("access")
    access = analyze_access(graph, snapshot, access_settings(snapshot, inputs.config),
                            processes=processes, judged=judged,
                            progress=None if progress is None else progress.counts("secrets"))
    t2 = clock()
    shards_cpu = _children_cpu() - c1
    if progress is not None:
        progress.phase("rules")
    evaluation = evaluate_rules(graph, snapshot, access, inputs.ruleset, inputs.config, now,
                                progress=None if progress is None else progress.counts("rules"),
                                judged=judged)
    findings = evaluation.findings
    t3 = clock()
    passed = evaluation.passed
    emit_pass = inputs.config.emit_pass
    applied: dict[str, Any] | None = None
    # the rules the engine judges itself give their PASS results as the rule pack's do: a
    # baseline every reader is within, and a suppression file none of whose entries expired,
    # were invisible (new-user trial round 8)
    if inputs.baseline is not None:
        from scanner.history.baseline import baseline_results

        checked = baseline_results(access, inputs.baseline, snapshot)
        findings = findings + list(checked.findings) + (list(checked.passes) if emit_pass
                                                        else [])
        passed = passed + (checked.passed,)
        applied = checked.to_json(inputs.baseline.path)
    rules = _evaluated_rules(inputs)
    muting = apply_suppressions(findings, inputs.suppressions, now, meta=snapshot.meta,
                                rules=rules)
    findings = muting.findings + (list(muting.passes) if emit_pass else [])
    passed = passed + (muting.passed,)
    if inputs.scope.severities:  # --severity: only these severities are reported
        wanted = frozenset(inputs.scope.severities)
        findings = [f for f in findings if f.severity in wanted]
        passed = tuple(p for p in passed if p.severity in wanted)
    document = findings_document(snapshot, findings, passed,
                                 pass_itemised=inputs.config.emit_pass,
                                 trust_zone=trust_zone(snapshot, inputs.config.trusted_accounts),
                                 rules=rules, scope=inputs.scope.to_json(),
                                 allowed_external_accounts=inputs.config.allowed_external_accounts,
                                 analysis_failed=access.failed())
    if applied is not None:
        document["scan"]["baseline"] = applied
    if inputs.suppressions is not None:  # what the file did, an entry that matched nothing too
        document["scan"]["suppressions"] = muting.to_json(inputs.suppressions, now)
    if timings is not None:
        timings.update({"graph": t1 - t0, "access analysis": t2 - t1 + shards_cpu,
                        "rules": t3 - t2, "suppressions, baseline, document": clock() - t3})
    return Analysis(snapshot=snapshot, graph=graph, access=access, findings=findings,
                    document=document, exit_code=exit_code(document, fail_on))


def _children_cpu() -> float:
    """CPU seconds of the ended child processes (the access analysis' shards)."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _named_central(snapshot: Snapshot, account: str, path: Path) -> Snapshot:
    """``scan --snapshot F --central-account ID``: the snapshot with ``ID`` as its central
    account (source "flag"), as `scan --from-parts` takes the flag (shards.merge_parts), and
    the copy stored beside the findings (``path``) rewritten to say so; a UsageError when
    ``ID`` is not one of its scanned accounts. The flag was ignored: a snapshot whose central
    account was withheld stayed without one (docs audit, session 20)."""
    from scanner.errors import UsageError
    from scanner.snapshot_io import write_snapshot

    from scanner.central_account import check_central_account

    check_central_account(account)  # as a scan of AWS says it
    meta = snapshot.meta
    if account not in meta.accounts:
        raise UsageError(f"--central-account {account} is not one of the snapshot's "
                         f"{len(meta.accounts)} scanned account(s)")
    if meta.central_account == account and meta.central_account_source == "flag":
        return snapshot
    named = replace(snapshot, meta=replace(meta, central_account=account,
                                           central_account_source="flag"))
    write_snapshot(path, named)
    return named


def _collect(options: ScanOptions, out_dir: Path, counter: Any, *,
             required_replica_regions: tuple[str, ...] = (), progress: Any = None,
             carry: "PolicyCarry | None" = None) -> Path:
    """The snapshot of this scan: collected in this process, in ``processes`` shard
    processes, or merged from the parts of a sharded run (``parts_in``). ``carry``: what
    incremental collection may reuse (scanner.incremental.load_carry of the history)."""
    from scanner.collect import CollectOptions, collect, collect_processes

    if options.parts_in is not None:
        from scanner.shards import merge_parts, open_parts

        merged = merge_parts(open_parts(options.parts_in, flag="--from-parts", existing=True),
                             options.run_id,
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
        role_arn=options.role_arn,
        external_id=options.external_id,
        profile=options.profile,
        central_account=options.central_account,
        endpoint_url=options.endpoint_url,
        all_regions=options.all_regions,
        max_workers=options.max_workers,
        max_attempts=options.max_attempts,
        required_replica_regions=required_replica_regions,
        policy_tps=options.policy_tps,
        carry=carry,
    )
    if options.processes > 1:
        return collect_processes(collect_options, options.processes, counter=counter,
                                 progress=progress)
    return collect(collect_options, counter=counter, progress=progress)


def run_scan(options: ScanOptions, *, out: TextIO | None = None,
             progress: Any = None, securityhub: SecurityHubTarget | None = None,
             snapshot_source: Callable[[Path], Path] | None = None) -> Analysis:
    """``_run_scan`` with the long-lived objects of each step frozen out of the cyclic
    collector's sight until the scan is over (scanner.gcpause.freezing)."""
    from scanner.gcpause import freezing

    with freezing():
        return _run_scan(options, out=out, progress=progress, securityhub=securityhub,
                         snapshot_source=snapshot_source)


def _keep_collection(staging: Path, out_dir: Path) -> None:
    """A scan that failed after collecting (a bug in the analysis, reports that could not be
    written) loses its staging folder, and with it the collection -- for a large organization,
    hours of API calls (fault-injection trial round 8: one secret whose analysis raised threw
    the whole night away). The collected snapshot is moved beside ``--out`` instead
    (``<out>.collected-<UTC time>.json.gz``; a rename within the folder that held the staging)
    and a note says how to evaluate it again; the error itself is reported as before. Nothing
    is kept when the collection did not finish (no snapshot in the staging folder)."""
    from scanner.output_set import SNAPSHOT_NAMES
    from scanner.textfit import terminal_safe

    snapshot = staging / SNAPSHOT_NAMES[0]  # what _collect writes
    if not staging.name or not snapshot.is_file():
        return
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    kept = out_dir.parent / f"{out_dir.name}.collected-{stamp}.json.gz"
    try:
        os.replace(snapshot, kept)
    except OSError as exc:  # said, beside the error being raised: the collection is lost
        print(f"note: the collection could not be kept as {terminal_safe(str(kept))} "
              f"({exc.strerror or exc}); it is lost with the staging folder", file=sys.stderr)
        return
    print(f"note: the collection was kept: {terminal_safe(str(kept))} (`secretgraph scan "
          f"--snapshot {terminal_safe(str(kept))}` evaluates it again)", file=sys.stderr)


def _run_scan(options: ScanOptions, *, out: TextIO | None = None,
              progress: Any = None, securityhub: SecurityHubTarget | None = None,
              snapshot_source: Callable[[Path], Path] | None = None) -> Analysis:
    """The one orchestrator (the CLI scan, the demo, the nightly Lambda and the
    organization-scale analysis task all call it): collect (or load ``snapshot_in``, or take
    ``snapshot_source(staging)``: e.g. the merged parts of a sharded collection), analyse,
    write the reports as one set, record the scan in the history with first_seen carried,
    export to Security Hub.

    Every input is validated, and the history store opened, before anything is scanned.
    Everything is written into a staging folder beside ``out_dir`` (scanner.output_set) and
    moved into place only when every report was written; the history records the scan only
    after that. Ctrl-C raises Interrupted saying what was written; a report that cannot be
    written raises OutputError (exit 2, or 3 when the scan was incomplete) and leaves the
    previous outputs as they were.
    """
    from scanner.aws.calls import CallCounter
    from scanner.errors import InputError, Interrupted, OutputError, StdoutError
    from scanner.output_set import OutputSet
    from scanner.progress import Progress

    stream = out or sys.stdout
    inputs = load_inputs(options)
    store = None
    history: PreviousScans | None = None
    records: list[Any] = []  # the history's scans, oldest first (read once)
    carry = None
    ledger = None  # the Security Hub export ledger (reports.hub_ledger), when the store keeps one
    if options.history:
        from scanner.history.records import ordinary_scans
        from scanner.history.store import open_store

        store = open_store(options.history)
        records = store.list()  # an unreadable store fails here, before anything is scanned
        # a scan started more than a day in the future (a clock ahead when it was made) sorts
        # last: it is not "the last scan" (ordinary_scans; docs/history.md)
        ordinary = ordinary_scans(records)
        previous_record, newest_id = previous_and_newest(ordinary)
        if securityhub is not None:  # a damaged ledger fails here, before anything is scanned
            read_ledger = getattr(store, "securityhub_ledger", None)
            ledger = read_ledger() if read_ledger is not None else None
        preloaded: list[Any] = []
        history = PreviousScans(store=store, previous_record=previous_record, newest_id=newest_id,
                           preloaded=preloaded, keep_documents=securityhub is not None,
                           records=tuple(ordinary), uri=str(options.history))
        if options.parts_in is None and options.snapshot_in is None \
                and snapshot_source is None:
            from scanner.history.records import DamagedScan
            from scanner.incremental import load_carry

            # collecting: the last complete scan is read before, its policies carried
            # (incremental collection); a damaged one is skipped for the newest intact
            # complete scan before it (one warning, once tonight's previous scan is chosen)
            while history.previous_record is not None:
                try:
                    preloaded.append(store.load(history.previous_record.scan_id))
                    break
                except DamagedScan as exc:
                    history = skip_damaged(history, exc)
            if preloaded:
                carry = load_carry(store, full_refresh_days=options.full_refresh_days,
                                   previous=preloaded[0].snapshot)
        # otherwise (a snapshot, parts) the previous scan is read only once tonight's
        # snapshot was read and found not recorded yet, and held only as long as it is
        # needed (organization-scale trial round 3: it was decoded whole before anything
        # else and held all run -- 440 MB of the 950 MB of a night at 100 accounts)
    # a stored snapshot re-evaluated into the store that holds it would fail to be recorded
    # after its reports were written: it is refused once the snapshot is read, before them
    recorded_ids = frozenset(r.scan_id for r in records) \
        if options.snapshot_in is not None or options.parts_in is not None else frozenset()
    out_dir = options.out_dir or Path("secretgraph-out")
    progress = progress or Progress(CallCounter())
    started = time.perf_counter()
    existed = out_dir.exists()
    # collected tonight (not a snapshot file or parts that stay on disk): if anything fails
    # after the collection, the snapshot is kept (_keep_collection)
    collected = options.snapshot_in is None and options.parts_in is None \
        and snapshot_source is None
    with OutputSet(out_dir) as outputs:
        try:
            if "asff" in options.formats:
                outputs.carry_over("findings.asff.json")
            scanned = _scan_into(options, inputs, outputs.staging, progress,
                                 snapshot_source, carry=carry, recorded=recorded_ids,
                                 history=history)
            analysis = scanned.analysis
            try:
                written = outputs.commit()
            except OutputError as exc:  # the previous set is back in place
                complete = bool(analysis.document.get("scan", {}).get("complete"))
                raise OutputError(str(exc), exit_code=2 if complete else 3) from None
        except Exception:
            if collected:
                _keep_collection(outputs.staging, out_dir)
            raise
        except KeyboardInterrupt:
            if outputs.written:  # the set is in place (a stop just after the moves)
                raise Interrupted(f"interrupted; the reports were written to {out_dir}"
                                  + (f", the scan was not recorded in the history "
                                     f"{options.history}" if store is not None else "")
                                  ) from None
            raise Interrupted("interrupted; nothing was written "
                              + (f"({out_dir} is as it was)" if existed
                                 else f"({out_dir} was not created)")) from None
    recorded = False
    if store is not None:
        try:
            outcome = record_history(store, analysis.snapshot,
                                     with_outputs(analysis.document, out_dir, written),
                                     scanned.access_json, None, drift=scanned.drift,
                                     previous_record=scanned.previous_record)
            analysis = replace(analysis, history=replace(outcome, skipped=scanned.damaged))
            recorded = True
        except KeyboardInterrupt as exc:
            # by outcome: a signal during the history's COMMIT comes after the scan was
            # recorded (fault trial round 6: "not recorded" was said of a recorded scan)
            said = "recorded" if getattr(exc, "recorded", False) else "not recorded"
            raise Interrupted(f"interrupted; the reports were written to {out_dir}, the scan "
                              f"was {said} in the history {options.history}") from None
        except InputError as exc:  # a history locked by another process, say
            raise InputError(f"{exc.detail}; the reports were written to {out_dir}, the scan "
                             "was not recorded in the history", path=exc.path, rule=exc.rule,
                             field=exc.field) from None
    analysis = replace(analysis, snapshot_path=out_dir / analysis.snapshot_path.name
                       if analysis.snapshot_path else None)
    exported = securityhub is None
    try:
        if securityhub is not None:
            if store is not None and analysis.history is not None:
                known: dict[str, Mapping[str, Any]] = {}  # the scans' documents already read
                if scanned.previous_record is not None and scanned.previous_document is not None:
                    known[scanned.previous_record.scan_id] = scanned.previous_document
                if scanned.newest_document is not None and scanned.newest_id is not None:
                    known[scanned.newest_id] = scanned.newest_document
                # the damaged scans skipped are not read again (nor exported against)
                analysis = replace(analysis, securityhub=export_with_ledger(
                    analysis, securityhub, store,
                    [r for r in records if r.scan_id not in scanned.damaged], ledger, known))
            else:
                analysis = replace(analysis, securityhub=export_securityhub(
                    analysis, scanned.previous_document, securityhub))
            exported = True
        # -q is errors only, but an incomplete night is what a nightly run must not miss, and
        # exit 3 alone does not say where (new-user trial 16): one warning line; a secret whose
        # analysis failed is said in every mode (a defect to report)
        warning = incomplete_warning(analysis.document) if options.quiet else \
            analysis_failed_warning(analysis.document)
        if warning is not None:
            # broken between words in a terminal (one 300-character line at 80 columns:
            # new-user trial round 21); whole in a file or a pipe, to grep
            print(fit_line(warning, stream_columns(sys.stderr), more="  "), file=sys.stderr)
        if not options.quiet:
            # a suppression that matched no finding: a note, never a finding or an exit code
            # (new-user trial round 8); the table and report.html say it too
            from scanner.textfit import one_line

            # broken between words on a terminal, as every other line of the scan (one
            # 200-character line at 80 columns: new-user trial 19); whole in a file or a pipe
            notes = suppression_notes(analysis.document)
            err_width = stream_columns(sys.stderr)
            for note in notes[:NOTES_MAX]:
                print(fit_line(f"note: {one_line(note)}", err_width, more="  "),
                      file=sys.stderr)
            if len(notes) > NOTES_MAX:
                print(fit_line(f"note: and {len(notes) - NOTES_MAX} more suppression entries "
                               "that matched no finding (findings.json "
                               "scan.suppressions.unmatched)", err_width, more="  "),
                      file=sys.stderr)
            if "table" in options.formats:
                from reports.table import render_table

                html = next((p for p in written if p.name == "report.html"), None)
                # without its counts line: the closing line below says them (new-user
                # trial 18: two near-identical summaries, one under the other)
                print(render_table(analysis.document, max_rows=TERMINAL_ROWS, html=html,
                                   summary=False), file=stream)
                if analysis.drift is not None:
                    from scanner.history.drift import render_drift_text

                    print(render_drift_text(analysis.drift, width=stream_columns(stream)),
                          file=stream)
                elif recorded and analysis.history is not None:
                    # no complete scan before this one: where the drift would be, say why
                    # there is none rather than nothing
                    from scanner.history.drift import no_drift_note

                    print(fit_line(no_drift_note([r for r in records
                                                  if r.scan_id not in scanned.damaged],
                                                 analysis.history.record.scan_id,
                                                 str(options.history)),
                                   stream_columns(stream)), file=stream)
            print(summary_line(analysis, out_dir, written, time.perf_counter() - started,
                               history=options.history if recorded else None,
                               width=stream_columns(stream),
                               merged=options.parts_in is not None,
                               offline=options.snapshot_in is not None,
                               # the table format printed the drift whole, just above
                               drift=None if "table" in options.formats
                               else analysis.drift, fail_on=options.fail_on), file=stream)
            stream.flush()  # a full disk under `> out.txt` shows here, where it is explained
    except (KeyboardInterrupt, StdoutError) as exc:
        # the reports are in place: say so, and what did not finish -- after Ctrl-C, and
        # after `> out.txt` on a full disk, where the table was lost (new-user trial: only
        # "cannot write to standard output" was said, as if nothing had run)
        done = (f"the reports were written to {out_dir}"
                + (f", the scan was recorded in the history {options.history}" if recorded
                   else "")
                + ("" if exported else ", the Security Hub export did not finish"))
        if isinstance(exc, StdoutError):
            raise exc.after(done) from None
        raise Interrupted(f"interrupted; {done}") from None
    return analysis


@dataclass(frozen=True, kw_only=True)
class _Scanned:
    """What ``_scan_into`` hands on: the analysis, the drift, the access report's JSON (built
    once: the diff and the history record both take it), and of the previous scans only what
    the stages after the reports read."""

    analysis: Analysis
    drift: "Drift | None" = None
    access_json: Mapping[str, Any] | None = None
    previous_record: "ScanRecord | None" = None
    previous_document: Mapping[str, Any] | None = None
    newest_document: Mapping[str, Any] | None = None
    newest_id: str | None = None  # the scan of ``newest_document``
    #: damaged scans skipped as the previous scan (skip_damaged)
    damaged: "tuple[str, ...]" = ()


#: errors of a write the disk refused, whichever file the system names with them (shutil's
#: copy names the source of a copy that failed writing its destination)
_DISK_REFUSED = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG})


def _scan_into(options: ScanOptions, inputs: Inputs, staging: Path,
               progress: Any, snapshot_source: Callable[[Path], Path] | None = None,
               *, carry: "PolicyCarry | None" = None,
               recorded: frozenset[str] = frozenset(),
               history: PreviousScans | None = None) -> _Scanned:
    """Collect (or copy ``snapshot_in``, or ``snapshot_source``), analyse, carry first_seen
    from the last complete scan of ``history`` and from its newest scan's document (when
    incomplete), diff against the last complete scan and write every report into
    ``staging``. The previous scan is read after tonight's snapshot was read and found not
    recorded yet, and let go once the first_seen carry and the diff are done."""
    import shutil

    from reports import write_reports
    from scanner.errors import InputError, OutputError, SecretgraphError, UsageError
    from scanner.snapshot_io import not_a_snapshot_file, read_snapshot

    drift: Drift | None = None
    with progress:
        if options.snapshot_in is not None:
            name = "snapshot.json.gz" if str(options.snapshot_in).endswith(".gz") \
                else "snapshot.json"
            snapshot_path = staging / name
            if Path(options.snapshot_in).is_dir():
                raise InputError(not_a_snapshot_file(Path(options.snapshot_in)),
                                 path=str(options.snapshot_in))
            try:
                shutil.copyfile(options.snapshot_in, snapshot_path)
            except OSError as exc:
                if exc.errno in _DISK_REFUSED or exc.filename == str(snapshot_path):
                    # the copy's side: the staging folder beside --out (a full disk there
                    # was "FILE: cannot read the snapshot (No space left on device)", naming
                    # a snapshot that was fine -- fault-injection trial round 18)
                    raise OutputError(
                        f"could not write {snapshot_path} (the snapshot's copy, in the "
                        f"staging folder beside --out): {exc.strerror or exc}; the previous "
                        f"outputs in {options.out_dir or 'secretgraph-out'} are "
                        "unchanged") from None
                raise InputError(f"cannot read the snapshot ({exc.strerror or exc})",
                                 path=str(options.snapshot_in)) from None
        elif snapshot_source is not None:
            snapshot_path = snapshot_source(staging)
        else:
            snapshot_path = _collect(
                options, staging, progress.counter, progress=progress,
                required_replica_regions=inputs.config.required_replica_regions,
                carry=carry)
        progress.phase("read")  # the snapshot (seconds at 100,000 secrets)
        try:
            snapshot = read_snapshot(snapshot_path)
        except InputError as exc:
            if options.snapshot_in is None or exc.path != str(snapshot_path):
                raise
            # the staging copy is ours: name the file the user gave
            raise InputError(exc.detail, path=str(options.snapshot_in), rule=exc.rule,
                             field=exc.field) from None
        if options.snapshot_in is not None and options.central_account:
            snapshot = _named_central(snapshot, options.central_account, snapshot_path)
        if snapshot.meta.scan_id in recorded:
            raise UsageError(
                f"--history {options.history}: scan {snapshot.meta.scan_id!r} (this snapshot) "
                "is already recorded there; re-evaluate it without --history, or record it "
                "in another history store")
        analysis = analyze(snapshot, inputs, fail_on=options.fail_on, progress=progress,
                           processes=options.processes)
        previous: Any = None
        newest_document: Mapping[str, Any] | None = None
        access_json: Mapping[str, Any] | None = None
        if history is not None:
            from scanner.history.access_json import streamed_access_json
            from scanner.history.records import DamagedScan, Tonight

            # the diff and the history record take the same JSON, its secrets built one at
            # a time when read (fifteenth session: built whole, +232 MB at 300 accounts)
            access_json = streamed_access_json(analysis.access)
            # what equals tonight's is held once (a quiet night: nearly everything); read
            # for the carry and the drift only, an equal row or entry is a stand-in for
            # tonight's (records.Tonight) -- not when Security Hub writes its rows out
            like = Tonight.of(analysis.document, access_json,
                              stand_ins=not history.keep_documents, snapshot=snapshot)
            while True:
                try:
                    previous, newest_document, history = read_previous(
                        history, analysis.document, like)
                    break
                except DamagedScan as exc:  # skipped (a second time: raised)
                    history = skip_damaged(history, exc)
            warn_skipped(history)
        document = with_first_seen(analysis.document,
                                   previous.document if previous else None, newest_document)
        if previous is not None:
            from scanner.history.diff import diff_scans
            from scanner.history.records import StoredScan, make_record

            record = make_record(snapshot.meta, snapshot, document,
                                 recorded_at=dt.datetime.now(dt.timezone.utc).isoformat())
            current = StoredScan(record=record, snapshot=snapshot, document=document,
                                 access=access_json)
            drift = diff_scans(previous, current)
            del current
        keep = history is not None and history.keep_documents
        previous_document = previous.document if previous is not None and keep else None
        if not keep:
            newest_document = None
        previous = None  # its snapshot and access report are needed no more
        analysis = Analysis(
            snapshot=snapshot, graph=analysis.graph, access=analysis.access,
            findings=analysis.findings, document=document, exit_code=analysis.exit_code,
            drift=drift.to_json() if drift is not None else None,
            api_calls=dict(progress.counter.counts()), snapshot_path=snapshot_path,
        )
        first_seen = FirstSeenIndex(document["findings"])
        formats = tuple(f for f in options.formats if f != "table")
        progress.phase("reports")
        try:
            write_reports(analysis, staging,
                          ("json",) + formats if "json" not in formats else formats,
                          drift=analysis.drift, previous_created_at=first_seen,
                          findings_layout=inputs.config.findings_layout)
        except SecretgraphError:
            raise
        except Exception as exc:  # noqa: BLE001 -- one line, the previous set stays
            from scanner.output_set import refused_write

            complete = bool(document.get("scan", {}).get("complete"))
            out_dir = options.out_dir or "secretgraph-out"
            previous_set = f"the previous outputs in {out_dir} are unchanged"
            if isinstance(exc, OSError):  # the system refused a write (a full disk)
                raise OutputError(refused_write(exc, staging, out_dir),
                                  exit_code=2 if complete else 3) from exc
            raise OutputError(
                f"could not write the reports ({type(exc).__name__}: {exc}); {previous_set}",
                exit_code=2 if complete else 3) from exc
    return _Scanned(analysis=analysis, drift=drift, access_json=access_json,
                    previous_record=history.previous_record if history is not None else None,
                    previous_document=previous_document, newest_document=newest_document,
                    newest_id=history.newest_id if history is not None else None,
                    damaged=history.damaged if history is not None else ())


def parse_formats(text: str) -> tuple[str, ...]:
    """--format: reports.parse_formats (known names, in order, no duplicates, not empty)."""
    from reports import parse_formats as parse

    return tuple(parse(text))


def parse_list(text: str | None) -> tuple[str, ...]:
    """``"a,b c"`` -> ("a", "b", "c"): items separated by commas and/or spaces."""
    import re

    return tuple(x for x in re.split(r"[,\s]+", text or "") if x)


def paths(values: Sequence[str] | None) -> tuple[Path, ...]:
    return tuple(Path(v) for v in values or ())
