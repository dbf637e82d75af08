"""`secretgraph export securityhub`: import findings into AWS Security Hub.

Per-account mode (default) imports each finding from the account it belongs to (the audit role
is assumed there; the credentials' own account is used directly). Central mode imports every
finding into one central account, with the resource's account in ProductFields. Findings that
were failing in ``--previous`` and are resolved now are re-imported as PASSED + ARCHIVED;
findings muted or un-muted since ``--previous`` get their Workflow.Status set with
BatchUpdateFindings (SUPPRESSED or NEW) after the import, which cannot change it.

Exit codes: 0 everything delivered; 3 some findings were not delivered (listed in the delivery
report); 2 bad usage or input; 130 / 143 stopped by Ctrl-C / SIGTERM (the one line and the
delivery report say how many findings were delivered, ``"interrupted": true``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, Callable, Mapping

from scanner import input_file, json_text
from scanner.commands._outputs import endpoint_url, external_id, output_file, \
    write_output
from scanner.errors import InputError, Interrupted, UsageError

HELP = ("export findings to AWS Security Hub (BatchImportFindings, BatchUpdateFindings; per "
        "account or central)")
#: what -q/--quiet does here (scanner.cli: the help of -q)
QUIET_HELP = ("no summary or dry-run listing; errors only (findings not delivered, invalid "
              "findings; the exit code is the same)")
#: with -q, standard output is discarded: errors (stderr) only
QUIET_DISCARDS_STDOUT = True

#: The calls the exporter makes, besides role assumption (see scanner.aws.session.OPERATIONS).
OPERATIONS: dict[tuple[str, str], str] = {
    ("securityhub", "BatchImportFindings"): "securityhub:BatchImportFindings",
    # Workflow.Status of a finding muted or un-muted since --previous: an import cannot
    # change it on a finding Security Hub holds (new-user trial round 6)
    ("securityhub", "BatchUpdateFindings"): "securityhub:BatchUpdateFindings",
}

#: seconds without an answer before a call is named in a warning (as scan's watchdog does)
HANG_WARNING_AFTER = 30.0
#: botocore's read timeout for the export's calls (each of its 3 attempts waits this long)
READ_TIMEOUT = 60.0
#: --max-time's default: no request or retry starts after this many seconds of sending
DEFAULT_MAX_TIME = 3600


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", choices=["securityhub"], help="where to export")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--in", dest="in_dir", metavar="DIR",
                        help="a scan's output folder (its --out): its findings.json")
    source.add_argument("--findings", metavar="FILE", help="a findings.json from a scan")
    source.add_argument("--asff", metavar="FILE", help="an ASFF file (scan --format asff)")
    parser.add_argument("--mode", choices=["per-account", "central"], default="per-account",
                        help="import from each finding's account (default) or all into one")
    parser.add_argument("--central-account", metavar="ID",
                        help="the central account for --mode central (default: the scan's)")
    parser.add_argument("--role-name", metavar="NAME",
                        help="role assumed in each account to import its findings")
    parser.add_argument("--external-id", metavar="ID", type=external_id,
                        help="ExternalId for the role")
    parser.add_argument("--previous", metavar="FILE|DIR",
                        help="the previous complete scan's findings.json or ASFF file (or its "
                        "output folder): keeps CreatedAt and archives findings resolved since")
    parser.add_argument("--ledger", metavar="FILE",
                        help="the export ledger: the findings earlier exports left SUPPRESSED "
                        "in Security Hub, archived ones too; read, then rewritten after the "
                        "export (created when missing). A finding muted, fixed and back "
                        "un-muted gets NEW, which --previous alone cannot know")
    parser.add_argument("--region", metavar="R",
                        help="region for account-level findings and STS (default: the scan's first)")
    parser.add_argument("--profile", metavar="NAME", help="AWS profile for the base credentials")
    parser.add_argument("--endpoint-url", metavar="URL", type=endpoint_url,
                        help="AWS endpoint (moto) for every service; without it "
                             "AWS_ENDPOINT_URL_SECURITYHUB, AWS_ENDPOINT_URL apply as in boto3")
    parser.add_argument("--include-passed", action="store_true",
                        help="also import PASS results (default: only FAIL, UNKNOWN, MUTED and "
                        "newly resolved)")
    parser.add_argument("--dry-run", action="store_true",
                        help="build and validate the findings, print the batches, send nothing")
    parser.add_argument("--report", metavar="FILE", help="write the delivery report (JSON) here")
    parser.add_argument("--max-time", metavar="SECONDS", type=_seconds, default=DEFAULT_MAX_TIME,
                        help="no request or retry starts after this many seconds of sending; "
                        "what was not delivered by then is reported (exit 3); 0: no limit "
                        f"(default {DEFAULT_MAX_TIME})")


def _seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of seconds: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"not a whole number of seconds >= 0: {text!r}")
    return value


def _archived(count: int, previous: str | None) -> str:
    """How many findings the export archives as resolved; without ``--previous`` it can
    archive none, and says what that leaves (new-user trial round 27: "0 archived as
    resolved" night after night, the fixed findings ACTIVE in Security Hub, and nothing said
    why: README, "export securityhub")."""
    if previous:
        return f"{count} archived as resolved"
    return (f"{count} archived as resolved: without --previous DIR, the previous scan's "
            "output folder, a finding fixed since stays ACTIVE")


def _previous(path: Path, home_region: str | None) -> Any:
    """The previous export (``--previous``): a findings.json, read as a stream each time it
    is needed when it has the layout scan writes, or an ASFF file."""
    from reports.asff import read_asff_file
    from reports.hub_payload import Previous
    from reports.json_out import read_findings_json, stream_findings_json, streamed_header

    header = streamed_header(path)
    if header is not None:
        return Previous(header=header, rows=lambda: stream_findings_json(path)[1],
                        home_region=home_region)
    try:
        data = json_text.loads(input_file.read_text(path))
    except FileNotFoundError:
        raise InputError("file not found", path=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a readable JSON file: {exc}", path=str(path)) from None
    if isinstance(data, dict) and "findings" in data:
        document = read_findings_json(path)
        rows = document.pop("findings", None) or []
        return Previous(header=document, rows=lambda: rows, home_region=home_region)
    return Previous(asff=read_asff_file(path))


def build_payload(args: argparse.Namespace) -> tuple[list[Any], dict[str, Any], list[Any]]:
    """Read the findings (and the previous export) one at a time and build the payload with
    the export stage's reports.hub_payload.build_payload: current + archived, each finding
    held as JSON until it is sent (reports.hub_payload.Prepared), and the workflow updates
    (reports.hub_payload.WorkflowUpdate)."""
    from reports.asff import read_asff_file
    from reports.hub_payload import Previous
    from reports.hub_payload import build_payload as payload

    previous = _previous(Path(args.previous), args.region) if args.previous else Previous()
    if args.ledger:
        ledger = _read_ledger(Path(args.ledger))
        if ledger is None:  # its first export: what --previous left SUPPRESSED
            from reports.hub_ledger import ExportLedger

            ledger = ExportLedger(suppressed=frozenset(
                i for i, muted in previous.muted_states().items() if muted)
                if previous.asff or previous.rows is not None else frozenset())
        args.ledger_in = ledger
        previous = replace(previous, suppressed=ledger.suppressed)
    build = partial(payload, previous=previous, mode=args.mode,
                      central_account=args.central_account,
                      include_passed=args.include_passed, home_region=args.region)
    if args.findings:
        path = Path(args.findings)
        # a scan's --out is read under its commit lock (as report, access and remediate read
        # it), so that findings.json and the snapshot beside it are one scan's even while a
        # scan moves its set in; held while the payload is built, not while it is sent
        from scanner.output_set import reading_file_of_a_set

        with reading_file_of_a_set(path):
            return _build_from_findings(args, path, previous, build)
    # what archive_resolved needs to know about coverage is unknown for a bare ASFF file:
    # treat it as a complete scan of the accounts and regions it names (without them every
    # previous finding read as "account not in the scan", and nothing was ever archived)
    current = read_asff_file(Path(args.asff))
    accounts = sorted({str(f.get("AwsAccountId")) for f in current if f.get("AwsAccountId")})
    regions = sorted({str(f.get("Region")) for f in current if f.get("Region")})
    return build({"scan": {"complete": True, "accounts": accounts, "regions": regions},
                  "coverage": []}, None, current_asff=current)


def _build_from_findings(args: argparse.Namespace, path: Path, previous: Any,
                         build: Callable[..., Any]) -> Any:
    """The payload of a findings.json (``--findings``) and the snapshot beside it."""
    from reports.json_out import stream_findings_json

    header, rows = stream_findings_json(path)
    if previous.header is not None:
        check_previous(header, previous.header, Path(args.previous))
    passed = header.get("passed")
    if args.include_passed and isinstance(passed, Mapping) and \
            passed.get("itemised") is False and not args.quiet:
        print("note: --include-passed: this findings.json summarises its PASS results "
              "(scan without --emit-pass): there are none to import", file=sys.stderr)
    graph = None
    snapshot = path.parent / "snapshot.json.gz"
    if snapshot.exists():
        from scanner.commands.report import load_graph, scan_id_of

        graph, _ = load_graph(snapshot, access=False,  # resource details and tags
                              scan_id=scan_id_of(header))
    return build(header, rows, graph=graph)


def _read_ledger(path: Path) -> Any:
    """``--ledger FILE``: reports.hub_ledger.ExportLedger, None when the file does not exist
    yet; InputError (exit 2) when it is not a ledger."""
    from reports.hub_ledger import ExportLedger

    try:
        return ExportLedger.from_json(json_text.loads(input_file.read_text(path)))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the ledger: {exc}", path=str(path)) from None
    except json.JSONDecodeError as exc:  # "Expecting value: line 1 ..." alone: new-user trial 19
        raise InputError(f"--ledger: not a JSON file ({exc})", path=str(path)) from None
    except ValueError as exc:  # not a ledger
        raise InputError(f"--ledger: {exc}", path=str(path)) from None


def _muted_now(args: argparse.Namespace) -> tuple[set[str], str, bool]:
    """The ids of the exported findings that are muted (imported SUPPRESSED), the scan's id
    and whether it was complete (the ledger's ``delivered_through``), read again as a
    stream."""
    from reports.asff import asff_id, read_asff_file
    from reports.hub_payload import _muted
    from reports.json_out import stream_findings_json

    from scanner.commands.report import scan_id_of

    if args.findings:
        header, rows = stream_findings_json(Path(args.findings))
        scan = header.get("scan") or {}
        # findings.json keeps the scan's id in scan.id (DESIGN.md): scan.scan_id, read
        # before, wrote "delivered_through": "" (fault-injection trial round 4)
        # (a document without one does not move it: there is no scan to name)
        scan_id = scan_id_of(header)
        return ({asff_id(f) for f in rows if isinstance(f, Mapping)
                 and f.get("status") == "MUTED"},
                scan_id or "", bool(scan.get("complete")) and scan_id is not None)
    return {str(f.get("Id")) for f in read_asff_file(Path(args.asff)) if _muted(f)}, "", False


def check_previous(current: Mapping[str, Any], previous: Mapping[str, Any],
                   path: Path) -> None:
    """``--previous`` must be an earlier scan of the same estate: given a newer one (the
    arguments swapped), the findings still failing in it but absent from the older export were
    archived as resolved; given a scan of other accounts (another organization), its findings
    would be archived in accounts this export never covered."""
    now, before = current.get("scan") or {}, previous.get("scan") or {}
    ours, theirs = set(now.get("accounts") or ()), set(before.get("accounts") or ())
    if ours and theirs and not ours & theirs:
        raise InputError("is a scan of other accounts than the findings exported (no account "
                         "in common): give the previous export of this estate", path=str(path))
    started, earlier = str(now.get("started_at") or ""), str(before.get("started_at") or "")
    if started and earlier and earlier > started:
        raise InputError(f"is a scan started {earlier}, after the one exported (started "
                         f"{started}): --previous is the export before this one (were the two "
                         "files given the other way round?)", path=str(path))


def _source(args: argparse.Namespace) -> None:
    """``--in DIR`` is DIR/findings.json, as report, access and remediate read a scan's
    folder; ``--findings DIR`` names --in (new-user trial 17: it said "not a readable JSON
    file: [Errno 21] Is a directory")."""
    if args.in_dir is not None:
        from scanner.output_set import check_in_folder

        folder = Path(args.in_dir)
        check_in_folder(folder, needs=("findings.json",), other="--findings FILE")
        args.findings = str(folder / "findings.json")
    elif args.findings is not None and Path(args.findings).is_dir():
        raise UsageError(f"--findings {args.findings}: is a folder; give --in {args.findings} "
                         "(a scan's output folder) or its findings.json")
    if args.previous is not None and Path(args.previous).is_dir():
        # the previous night's folder, as --in takes tonight's
        if not (Path(args.previous) / "findings.json").is_file():
            raise UsageError(f"--previous {args.previous}: no findings.json in this folder "
                             "(give the previous scan's --out or its findings.json or ASFF "
                             "file)")
        args.previous = str(Path(args.previous) / "findings.json")


def run(args: argparse.Namespace) -> int:
    _source(args)
    if args.role_name is not None:  # an empty one too (new-user trial)
        from scanner.aws.session import check_role_name

        check_role_name(args.role_name, "export --role-name")
    if args.region:
        from scanner.aws.regions import known_regions

        if args.region not in known_regions():
            # found when sending, as an internal error, after a dry run had routed to it
            raise UsageError(f"--region {args.region!r}: not an AWS Region botocore knows")
    if args.report:  # before delivering anything: a bad path must not fail after the import

        output_file(args.report, "--report")
    from scanner.input_file import check_named_file

    # a file that is not there, said with its flag (new-user trial round 35: "nosuch.json:
    # file not found"); after --report's check, which comes before anything is read
    if args.in_dir is None:
        check_named_file(args.findings, "--findings", "a scan's findings.json; --in DIR takes "
                         "the scan's output folder")
        check_named_file(args.asff, "--asff",
                         "a scan's findings.asff.json, written by --format asff")
    check_named_file(args.previous, "--previous", "the previous scan's output folder, or its "
                     "findings.json or ASFF file")
    try:
        return _export(args)
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: never leave last run's report
        raise _interrupted(args, exc) from None


def _interrupted(args: argparse.Namespace, exc: KeyboardInterrupt) -> Interrupted:
    """The one line of an export stopped by Ctrl-C or SIGTERM (the CLI makes "interrupted"
    "terminated" for SIGTERM), after writing --report with what was delivered by then
    (``"interrupted": true``): the previous run's report left in place was read as tonight's
    (fault-injection trial round 2)."""
    from reports.securityhub import DeliveryInterrupted

    delivered = getattr(args, "delivered", None)
    if delivered is not None:
        # the import was over: Ctrl-C during the workflow updates or while the ledger and the
        # report were written said "interrupted before any finding was sent" and wrote
        # "delivered": 0, or gave the workflow updates' counts as findings (new-user trial 19)
        said = (f"interrupted after {delivered.delivered} of {delivered.attempted} findings "
                "were delivered to Security Hub")
        report: dict[str, Any] = {**delivered.to_json(), "interrupted": True}
        if isinstance(exc, DeliveryInterrupted):
            w = exc.report
            said += (f", while their workflow was set: {w.delivered} of {w.attempted} "
                     "workflow update(s) made (an export run again with the same --previous "
                     "or --ledger sends the rest)")
            report["workflow"] = w.to_json()
        else:
            said += ", before the export ended"
        if args.ledger and not args.dry_run:
            said += ("; --ledger was updated" if getattr(args, "ledger_written", False) else
                     "; --ledger was not updated (the next export with it sends the workflow "
                     "updates again)")
    elif isinstance(exc, DeliveryInterrupted):
        r = exc.report
        said = (f"interrupted after {r.delivered} of {r.attempted} findings were delivered to "
                f"Security Hub ({r.pending} not confirmed; an export run again updates the "
                "findings already imported)")
        report = r.to_json()
    else:  # before the first request: nothing was sent
        said = "interrupted before any finding was sent to Security Hub"
        report = {"attempted": None, "delivered": 0, "requests": 0, "interrupted": True,
                  "pending": None, "undelivered": []}
    if args.dry_run:
        report = {"dry_run": True, "interrupted": True, "pending": 0}
    if not args.report:
        return Interrupted(said)
    from scanner.errors import OutputError

    try:
        write_output(args.report, json.dumps(report, indent=2) + "\n", "--report")
    except OutputError as err:
        return Interrupted(f"{said}; {err}")
    return Interrupted(f"{said}; --report {args.report} says so")


def _shown_id(fid: object) -> str:
    """A finding Id for a line of text: cleaned (``one_line``), and cut past 64 characters
    with its length said (a secretgraph Id has 36; an edited file's may have any, up to the
    512 ASFF allows or more: a word no terminal line holds)."""
    from scanner.textfit import one_line

    text = one_line(fid)
    return text if len(text) <= 64 else f"{text[:48]}… ({len(text)} characters)"


def _export(args: argparse.Namespace) -> int:
    import time

    from reports.asff import MAX_BATCH
    from reports.securityhub import send_findings, update_workflow

    # facts: current, archived, to_send, workflow
    findings, facts, workflow = build_payload(args)
    targets = sorted({p.target for p in findings})
    if args.dry_run:
        # checked as send_findings checks them: after the ASFF limits are enforced
        invalid = {p.id: list(p.problems) for p in findings if p.problems}
        from collections import Counter

        per_target = Counter(p.target for p in findings)

        def batches_of(n: int) -> int:
            return -(-n // MAX_BATCH)

        batches = sum(batches_of(n) for n in per_target.values())
        from scanner.textfit import fit_line, fit_parts, stream_columns, terminal_safe

        width = stream_columns(sys.stdout)
        print(fit_parts([f"dry run: {facts['to_send']} findings ("
                         f"{_archived(facts['archived'], args.previous)}) in {batches} "
                         f"batch(es) to {len(targets)} account/region target(s)",
                         f"{len(invalid)} invalid"], stream_columns(sys.stdout)))
        shown = targets if args.verbose or len(targets) <= 20 else targets[:20]
        for account, region in shown:
            n = per_target[(account, region)]
            print(f"  {account} {region}: {n} finding(s) in {batches_of(n)} batch(es)")
        if len(shown) < len(targets):
            print(f"  ... {len(targets) - len(shown)} more target(s) (-v lists them all)")
        if facts["archived"]:
            # which ones: an archive is the step to check before sending (a finding archived
            # wrongly stays RESOLVED in Security Hub's workflow)
            gone = [f for f in (p.finding() for p in findings)
                    if f.get("RecordState") == "ARCHIVED"]
            print(f"  archived as resolved ({len(gone)}):")
            for f in gone if args.verbose else gone[:20]:
                fields = f.get("ProductFields") or {}
                res = (f.get("Resources") or [{}])[0].get("Id", "")
                # the ARN broken after a ':' or '/' on a terminal (100 columns and more at
                # 80: new-user trial 19); whole in a pipe
                print(fit_line(terminal_safe(f"    {fields.get('secretgraph/rule_id', '?')}  "
                                             f"{res}", newlines=False), width))
            if not args.verbose and len(gone) > 20:
                print(f"    ... {len(gone) - 20} more (-v lists them all)")
        _print_workflow(workflow, verbose=args.verbose, width=width)
        for fid, problems in sorted(invalid.items()):
            # an error: with -q (stdout discarded, QUIET_HELP) it is still shown, on stderr;
            # the Id of an edited file cleaned and cut, the line fitted (user trial round 24:
            # escape sequences printed, 138 columns at 80), as the real export's
            stream = sys.stderr if args.quiet else sys.stdout
            print(fit_line(terminal_safe(f"  invalid {_shown_id(fid)}: {'; '.join(problems)}",
                                         newlines=False), stream_columns(stream)), file=stream)
        if args.report:  # what would be sent, as the report of a real export says what was
            write_output(args.report, json.dumps({
                # interrupted and pending as every report has them (docs/reports.md): a dry
                # run sends nothing, so nothing is pending
                "dry_run": True, "interrupted": False, "pending": 0,
                "findings": facts["to_send"], "archived": facts["archived"],
                "targets": [{"account_id": a, "region": r, "findings": per_target[(a, r)],
                             "batches": batches_of(per_target[(a, r)])}
                            for a, r in targets],
                "invalid": {k: v for k, v in sorted(invalid.items())},
                "workflow_updates": [{"id": u.id, "account_id": u.target[0],
                                      "region": u.target[1], "status": u.status}
                                     for u in workflow]}, indent=2) + "\n",
                "--report", done="nothing was sent (dry run)")
        return 0 if not invalid else 3

    from scanner.aws.calls import CallCounter
    from scanner.aws.guard import ReadOnlyGuard
    from scanner.aws.session import OPERATIONS as SESSION_OPERATIONS
    from scanner.aws.session import AwsSessions, ClientSettings, base_session
    from scanner.progress import Progress

    # the flag, or None: botocore resolves AWS_ENDPOINT_URL_SECURITYHUB / AWS_ENDPOINT_URL /
    # the config file itself, in the SDKs' order (as scanner.discovery.audit_sessions)
    endpoint = args.endpoint_url or None
    region = args.region or (targets[0][1] if targets else "us-east-1")
    sessions = AwsSessions(
        base_session(args.profile),
        guard=ReadOnlyGuard(set(SESSION_OPERATIONS) | set(OPERATIONS), purpose="Security Hub export"),
        settings=ClientSettings(endpoint_url=endpoint, max_attempts=3,
                                read_timeout=READ_TIMEOUT),
        counter=(counter := CallCounter()),
        role_name=args.role_name, external_id=args.external_id, sts_region=region,
    )

    def client_for(account_id: str, target_region: str) -> Any:
        return sessions.client("securityhub", account_id=account_id, region=target_region)

    # the watchdog names a call (GetCallerIdentity, AssumeRole, BatchImportFindings) that
    # has not answered after 30 s, as scan's does: an endpoint that never answered was an
    # hour of silence (fault-injection trial round 2)
    with Progress(counter, hang_after=HANG_WARNING_AFTER):
        if not args.role_name and targets:
            # without a role only the caller's own account can be imported into: say so
            # once, before anything is sent, instead of one failure per finding (exit 3)
            home = sessions.home_account()
            others = sorted({account for account, _ in targets if account != home})
            if others and args.mode == "central":
                # --mode central is given already: naming it as the way out was no help
                # (new-user trial: `export securityhub --mode central` from the management
                # account said "give --role-name ROLE ..., or --mode central")
                raise UsageError(
                    f"--mode central imports into account {others[0]} (--central-account, "
                    f"default the scan's central account), not the caller's ({home}); give "
                    f"--role-name ROLE (assumed there), or --central-account {home}")
            if others:
                raise UsageError(
                    f"the findings go to {len(others)} account(s) other than the caller's "
                    f"({home}): {', '.join(others[:5])}{', ...' if len(others) > 5 else ''}; "
                    "give --role-name ROLE (assumed in each), or --mode central")
        started = time.monotonic()
        report = send_findings(findings, client_for=client_for,
                               time_limit=args.max_time or None)
        # what an interruption from here on says (the workflow updates, the ledger, the report)
        args.delivered = report
        # after the import: the finding must exist, and the import would not change it
        updated = update_workflow(
            workflow, client_for=client_for,
            time_limit=max(0.0, args.max_time - (time.monotonic() - started))
            if args.max_time else None) if workflow else None
    summary = (f"Security Hub: {report.delivered} of {report.attempted} findings delivered in "
               f"{report.requests} request(s) ({_archived(facts['archived'], args.previous)})")
    if updated is not None:
        summary += (f"; workflow of {updated.delivered} of {updated.attempted} muted or "
                    "un-muted finding(s) updated (BatchUpdateFindings)")
    from scanner.textfit import fit_line, stream_columns

    print(fit_line(summary, stream_columns(sys.stdout), more="  "))
    _say_undelivered("not delivered", report.undelivered, report_file=args.report)
    _say_undelivered("workflow not updated", updated.undelivered if updated is not None
                     else (), report_file=args.report)
    written = report.to_json()
    if updated is not None:
        written["workflow"] = updated.to_json()
    if args.ledger:
        from reports.hub_ledger import next_ledger

        muted, scan_id, complete = _muted_now(args)
        delivery = {**written, "workflow_delivery": written.get("workflow")}
        write_output(args.ledger, json.dumps(next_ledger(
            args.ledger_in, scan_id=scan_id, complete=complete, updates=workflow, muted=muted,
            delivery=delivery).to_json(), indent=2) + "\n", "--ledger",
            done="the findings were delivered as the line above says; the ledger was not "
                 "updated (the next export with it sends the workflow updates again)")
        args.ledger_written = True
    if args.report:
        write_output(args.report, json.dumps(written, indent=2) + "\n", "--report",
                     done="the findings were delivered as the line above says; only this "
                          "report of it is missing")
    return 0 if report.ok and (updated is None or updated.ok) else 3


#: findings that failed alike (one account, Region, error code and message) beyond this many
#: are said in one line, their ids left to --report
ALIKE_LISTED = 3

#: what an error code says about the target, where the AWS message does not say what to do
_CODE_HINTS = {
    # BatchImportFindings into an account and Region where Security Hub is not enabled:
    # "Account 111122223333 is not subscribed to AWS Security Hub" (new-user trial 19)
    "InvalidAccessException": "Security Hub is not enabled in this account and Region (or "
                              "not for this caller): enable it there, or leave the account "
                              "out",
}


def _say_undelivered(label: str, undelivered: Any, *, report_file: str | None) -> None:
    """The findings not delivered (or whose workflow was not updated), on stderr: one line
    each, except that those which failed alike -- one account and Region, one error code and
    message: Security Hub not enabled there, the role refused -- are one line with their
    count when there are more than ALIKE_LISTED (one line per finding was hundreds of the
    same line at organization scale: new-user trial 19); their ids are in ``--report``. The
    message is one line (a proxy's HTML page printed over six), cut at 300 characters, and
    the lines fit a terminal."""
    from scanner.textfit import fit_line, one_line, stream_columns

    width = stream_columns(sys.stderr)
    alike: dict[tuple[str, str, str, str], list[Any]] = {}  # in the order they failed
    for u in undelivered:
        message = one_line(" ".join(str(u.message).split()))[:300]
        alike.setdefault((u.account_id, u.region, u.error_code, message), []).append(u)
    for (account, region, code, message), items in alike.items():
        hint = f" ({_CODE_HINTS[code]})" if code in _CODE_HINTS else ""
        if len(items) <= ALIKE_LISTED:
            for u in items:
                print(fit_line(f"  {label} {_shown_id(u.id)} ({account} {region}): {code}: "
                               f"{message}{hint}", width), file=sys.stderr)
            continue
        ids = (f"their ids: --report {report_file}" if report_file else
               "give --report FILE for their ids")
        print(fit_line(f"  {label}: {len(items)} findings ({account} {region}): {code}: "
                       f"{message}{hint}; {ids}", width), file=sys.stderr)


def _print_workflow(workflow: list[Any], *, verbose: bool, width: int | None = None) -> None:
    """The dry run's workflow updates: how many of each, and which (the first 20; -v all),
    fitted to ``width`` (a terminal's)."""
    if not workflow:
        return
    from scanner.textfit import fit_line, terminal_safe

    muted = sum(1 for u in workflow if u.status == "SUPPRESSED")
    print(fit_line(f"  workflow (BatchUpdateFindings): {muted} muted since -> SUPPRESSED, "
                   f"{len(workflow) - muted} un-muted since -> NEW", width))
    for u in workflow if verbose else workflow[:20]:
        print(fit_line(terminal_safe(f"    {u.status}  {u.rule_id}  {u.resource}",
                                     newlines=False), width))
    if not verbose and len(workflow) > 20:
        print(f"    ... {len(workflow) - 20} more (-v lists them all)")
