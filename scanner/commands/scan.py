"""`secretgraph scan`: collect, analyse, record history, write reports (DESIGN.md contract)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from scanner.commands._outputs import endpoint_url, external_id, out_folder
from scanner.engine.loader import RuleScope
from scanner.errors import Interrupted, UsageError
from scanner.findings import Severity
from scanner.history.store import env_history
from scanner.incremental import MAX_FULL_REFRESH_DAYS
from scanner.pipeline import ScanOptions, parse_formats, parse_list, paths, run_scan

HELP = ("scan the organization (--org), the --accounts, or (without either) the account of "
        "the credentials, and report findings")
QUIET_HELP = ("no progress display, tables or summary; errors only, and one line on stderr "
              "when the scan is incomplete (its coverage gaps; exit 3) or findings fail it "
              "(how many at or above --fail-on; exit 1)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    who, how = add_collect_arguments(parser)
    who.add_argument("--snapshot", metavar="FILE", type=Path,
                     help="evaluate a stored snapshot offline instead of scanning")
    who.add_argument("--from-parts", metavar="DIR|s3://...",
                     help="merge the parts of a sharded run (secretgraph collect) instead of "
                     "scanning; a missing account makes the scan incomplete (exit 3)")
    who.add_argument("--run-id", metavar="ID",
                     help="with --from-parts: the run to merge (default: the only one)")
    how.add_argument("--full-refresh-days", type=int, default=7, metavar="N",
                     help="with --history: an unchanged secret policy is carried from the last "
                     "complete scan, and re-read at least every N nights (default 7; 1 reads "
                     "every policy every night; at most 3650)")
    how.add_argument("--processes", type=int, default=1, metavar="N",
                     help="collect in N processes, one shard of the accounts each, and "
                     "analyse access over N shards of the secrets (from 25,000 secrets per "
                     "process; with --snapshot or --from-parts: the analysis only) "
                     "(default 1)")
    add_output_arguments(parser)


def add_collect_arguments(
        parser: argparse.ArgumentParser) -> tuple[argparse._ArgumentGroup,
                                                  argparse._ArgumentGroup]:
    """The what-to-scan and credential flags (shared with `secretgraph collect`)."""
    who = parser.add_argument_group("what to scan")
    who.add_argument("--org", action="store_true",
                     help="discover ACTIVE accounts through Organizations (management or "
                     "delegated-admin credentials)")
    who.add_argument("--accounts", metavar="ID,...",
                     help="comma-separated account ids (default, without --org or "
                     "--accounts: the account of the credentials alone, no role assumed)")
    who.add_argument("--regions", metavar="R,...", required=False,
                     help="Regions, separated by commas or spaces, or 'all' for the Regions "
                     "enabled in the account (default: the profile's Region)")
    who.add_argument("--central-account", metavar="ID",
                     help="the central security account (inferred and reported when omitted)")
    how = parser.add_argument_group("credentials")
    how.add_argument("--profile", help="AWS profile for the starting credentials")
    how.add_argument("--role-name", metavar="NAME",
                     help="role assumed in every account other than the starting one (a "
                     "name; for a role with a path use --role-arn)")
    how.add_argument("--role-arn", metavar="TEMPLATE",
                     help="role ARN template, e.g. 'arn:aws:iam::{account_id}:role/path/Audit'")
    how.add_argument("--external-id", metavar="ID", type=external_id,
                     help="ExternalId for AssumeRole (2 to 1224 characters)")
    how.add_argument("--endpoint-url", metavar="URL", type=endpoint_url,
                     help="AWS endpoint override for every service the scan reads (without "
                          "it AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL apply as in boto3); "
                          "an s3:// --history, --parts or --from-parts is reached as "
                          "boto3 would (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL)")
    how.add_argument("--max-workers", type=int, default=8, metavar="N",
                     help="parallel account x region workers (default 8; at least 1; "
                     "collection only: --snapshot and --from-parts read nothing)")
    how.add_argument("--policy-tps", type=float, default=25.0, metavar="N",
                     help="GetResourcePolicy requests per second per account and Region "
                     "(default 25: half of AWS's 50/s bucket, which the organization's own "
                     "PutResourcePolicy calls share)")
    return who, how


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    out = parser.add_argument_group("inputs and outputs")
    out.add_argument("--out", metavar="DIR", type=out_folder, default=Path("secretgraph-out"),
                     help="output directory (default ./secretgraph-out)")
    out.add_argument("--format", default="table,json",
                     help="comma-separated: table,json,jsonl,html,asff,ocsf,junit,csv "
                     "(default table,json; findings.json is always written)")
    out.add_argument("--emit-pass", action="store_true",
                     help="itemise every PASS result in findings.json and the reports "
                     "(default: PASS results are counted per rule; config emit_pass: true)")
    out.add_argument("--findings-layout", choices=("complete", "compact"), default=None,
                     help="findings.json rows: complete (default, every member on every row) "
                     "or compact (rule metadata and shared evidence written once; "
                     "config findings_layout)")
    out.add_argument("--fail-on", default="HIGH", metavar="SEVERITY",
                     help="exit 1 when a FAIL finding is at or above this severity "
                     "(CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL; default HIGH), or NONE: "
                     "findings never exit 1 (reports only; an incomplete scan is still 3)")
    out.add_argument("--config", metavar="FILE", type=Path,
                     help="the configuration YAML (secretgraph.yaml: rule parameters, trusted "
                     "and allowed accounts, quotas; docs/configuration.md); none is read "
                     "unless given")
    out.add_argument("--prove", action="store_true",
                     help="ask the SMT solver where the evaluator cannot decide "
                     "secret-policy-public, secret-policy-external-account and "
                     "kms-key-policy-public: a witness or a proof in the evidence (config "
                     "prove: true; needs pip install 'secretgraph[prove]')")
    out.add_argument("--prove-timeout", metavar="SECONDS", type=float, default=None,
                     help="with --prove: solver time per question (default 10, config "
                     "prove_timeout); a timeout keeps the rule's own answer")
    out.add_argument("--rules-dir", metavar="DIR", action="append", dest="rules_dir",
                     help="an extra directory of rule files (repeatable)")
    add_scope_arguments(parser)
    out.add_argument("--suppressions", metavar="FILE", type=Path, help="mutelist YAML")
    out.add_argument("--baseline", metavar="FILE", type=Path, help="access baseline YAML")
    out.add_argument("--history", metavar="PATH|s3://...",
                     default=env_history(),
                     help="record the scan in this history store: SQLite file or "
                     "s3://bucket/prefix (default: $SECRETGRAPH_HISTORY; none when unset)")


def resolve_regions(text: str | None, profile: str | None,
                    required: bool = True) -> tuple[tuple[str, ...], bool]:
    """(Regions, all_regions) from --regions: a list (commas or spaces), 'all' (then the one
    Region to ask is the profile's, else us-east-1), or nothing (the profile's Region)."""
    from scanner.aws.session import profile_region

    regions = parse_list(text)
    if text is not None and not regions:
        # an empty list (--regions "" from an unset variable) is not "the default Region"
        raise UsageError("--regions: empty; give r1,r2 or 'all' (leave the option out for the "
                         "profile's Region)")
    if regions and [r.lower() for r in regions] == ["all"]:
        return (profile_region(profile) or "us-east-1",), True
    if "all" in (r.lower() for r in regions):
        raise UsageError("--regions all stands alone (it means every enabled Region)")
    if not regions:
        default = profile_region(profile)
        regions = (default,) if default else ()
    if not regions and required:
        raise UsageError("no Region: give --regions r1,r2 (or 'all'), or set one in the "
                         "profile (aws configure set region ...) or AWS_REGION")
    return regions, False


def add_scope_arguments(parser: argparse.ArgumentParser) -> None:
    """Prowler-style scoping: which rules run and which results are reported."""
    scope = parser.add_argument_group(
        "scope", "which rules run and which results are reported (rule ids may be globs; "
        "an unknown id or framework exits 2 naming the closest matches)")
    scope.add_argument("--rules", metavar="ID,...", action="append", default=[],
                       help="run only these rules (ids or globs such as 'secret-rotation-*')")
    scope.add_argument("--exclude-rules", metavar="ID,...", action="append", default=[],
                       help="skip these rules (ids or globs)")
    scope.add_argument("--severity", metavar="SEV,...", action="append", default=[],
                       help="report only results of these severities (e.g. CRITICAL,HIGH)")
    scope.add_argument("--compliance", metavar="FRAMEWORK", action="append", default=[],
                       help="run only the rules mapped to this framework (aws-fsbp, "
                       "nist-800-53-r5, pci-dss-4.0, cis-aws, aws-config; see `secretgraph "
                       "rules list --compliance X`) and summarise its controls")


def _items(values: list[str]) -> tuple[str, ...]:
    """Repeated and/or comma- or space-separated flag values, in order, without duplicates."""
    out: list[str] = []
    for value in values:
        for item in value.replace(",", " ").split():
            if item not in out:
                out.append(item)
    return tuple(out)


def scope_from_args(args: argparse.Namespace) -> RuleScope:
    severities: list[Severity] = []
    for text in _items(args.severity):
        try:
            severities.append(Severity.parse(text))
        except ValueError as exc:
            raise UsageError(f"--severity: {exc}") from None
    return RuleScope(include=_items(args.rules), exclude=_items(args.exclude_rules),
                     severities=tuple(severities), compliance=_items(args.compliance))


def options_from_args(args: argparse.Namespace) -> ScanOptions:
    from scanner.aws.session import check_role_arn_template, check_role_name

    from scanner.engine.exit_codes import parse_fail_on

    try:
        fail_on = parse_fail_on(args.fail_on)
    except ValueError as exc:
        raise UsageError(f"--fail-on: {exc}") from None
    if args.role_name and args.role_arn:
        raise UsageError("give --role-name or --role-arn, not both")
    if args.role_name is not None:  # an empty one too: it is no "no --role-name" (new-user
        check_role_name(args.role_name)  # trial: `--role-name ''` said "no --role-name given")
    if args.role_arn:
        check_role_arn_template(args.role_arn)
    if args.snapshot is not None and args.from_parts is not None:
        raise UsageError("give --snapshot or --from-parts, not both")
    if args.run_id is not None and args.from_parts is None:
        raise UsageError("--run-id needs --from-parts")
    if args.snapshot is not None or args.from_parts is not None:
        # what to read and how: nothing is read from AWS, so these would be silently ignored
        given = [flag for flag, value in (
            ("--org", args.org), ("--accounts", args.accounts), ("--regions", args.regions),
            ("--role-name", args.role_name), ("--role-arn", args.role_arn),
            ("--external-id", args.external_id)) if value]
        if given:
            source = "--snapshot" if args.snapshot is not None else "--from-parts"
            raise UsageError(f"{', '.join(given)}: what to collect and how; {source} "
                             "evaluates what was already collected (drop "
                             f"{'them' if len(given) > 1 else 'it'})")
    if args.prove_timeout is not None and not args.prove_timeout > 0:
        raise UsageError("--prove-timeout must be a positive number of seconds")
    if not 1 <= args.full_refresh_days <= MAX_FULL_REFRESH_DAYS:
        raise UsageError(f"--full-refresh-days must be from 1 to {MAX_FULL_REFRESH_DAYS} "
                         f"(days), not {args.full_refresh_days}")
    if args.processes < 1:
        raise UsageError("--processes must be at least 1")
    # refused whatever else is given: with --snapshot a 0 was taken and ignored, so the same
    # nightly command line failed only once it collected (new-user trial 16)
    if args.max_workers < 1:
        raise UsageError(f"--max-workers must be at least 1, not {args.max_workers}")
    if not args.policy_tps > 0 or args.policy_tps == float("inf"):
        raise UsageError(f"--policy-tps must be a positive number of requests per second, "
                         f"not {args.policy_tps:g}")
    if args.history and "://" not in args.history:  # a local SQLite file the scan writes
        from scanner.commands._outputs import output_file
        from scanner.history.sqlite_store import path_problem

        problem = path_problem(args.history)
        if problem is not None:
            raise UsageError(f"--history {args.history}: {problem}")
        history = output_file(args.history, "--history")  # its folder created, as --out's
        if history.is_file() and not os.access(history, os.R_OK | os.W_OK):
            # found now, not after the scan: SQLite writes the file itself
            raise UsageError(f"--history {history}: the file is not writable (the scan is "
                             "recorded in it); nothing was scanned")
    # what the command line alone can tell is wrong is said before the Region is looked for:
    # a machine with none configured answered `--format table,pdf` and an 11-digit
    # `--accounts` with 'no Region', naming the real mistake only once one was set (user
    # trial round 25)
    formats = parse_formats(args.format)
    accounts = parse_list(args.accounts)
    from scanner.collect_options import check_account_ids

    check_account_ids(accounts)
    # offline (--snapshot, --from-parts) nothing is collected: no Region to resolve, and no
    # AWS session to open for the profile's default (--regions is refused above)
    offline = args.snapshot is not None or args.from_parts is not None
    regions, all_regions = ((), False) if offline else resolve_regions(args.regions, args.profile)
    return ScanOptions(
        regions=regions,
        all_regions=all_regions,
        role_arn=args.role_arn,
        accounts=accounts,
        org=args.org,
        role_name=args.role_name,
        external_id=args.external_id,
        profile=args.profile,
        central_account=args.central_account,
        endpoint_url=args.endpoint_url,
        max_workers=args.max_workers,
        out_dir=args.out,
        formats=formats,
        fail_on=fail_on,
        config_path=args.config,
        rules_dirs=paths(args.rules_dir),
        scope=scope_from_args(args),
        suppressions_path=args.suppressions,
        baseline_path=args.baseline,
        history=args.history,
        snapshot_in=args.snapshot,
        emit_pass=args.emit_pass,
        findings_layout=args.findings_layout,
        prove=args.prove,
        prove_timeout=args.prove_timeout,
        quiet=args.quiet,
        parts_in=args.from_parts,
        run_id=args.run_id,
        processes=args.processes,
        policy_tps=args.policy_tps,
        full_refresh_days=args.full_refresh_days,
    )


def run(args: argparse.Namespace) -> int:
    from scanner.aws.calls import CallCounter
    from scanner.progress import Progress

    options = options_from_args(args)
    progress = Progress.for_terminal(CallCounter(), quiet=args.quiet)
    finished = False
    try:
        analysis = run_scan(options, progress=progress)
        finished = True
        if args.verbose and not args.quiet and analysis.api_calls:
            # (an offline scan -- --snapshot, --from-parts -- made none: "total 0" said
            # nothing; new-user trial 16)
            from scanner.demo.run import render_calls

            print("\nAPI calls (per operation):")
            print(render_calls(analysis.api_calls))
        code = analysis.exit_code
        if args.quiet:
            # -q printed nothing on exit 1: a CI job went red without a word (new-user trial
            # round 36); one line on stderr saying how many findings failed it, against what
            # (here, not in run_scan: `demo -q` exits 0 on the same findings)
            from scanner.scan_summary import fail_on_warning
            from scanner.textfit import fit_line, stream_columns

            line = fail_on_warning(analysis.document, code, options.fail_on)
            if line is not None:
                print(fit_line(line, stream_columns(sys.stderr), more="  "), file=sys.stderr)
        # freeing a large scan takes seconds: here, where an interruption is reported as such
        del analysis
    except KeyboardInterrupt as exc:
        if not finished or isinstance(exc, Interrupted):
            raise
        raise Interrupted("interrupted after the scan finished; its reports are in "
                          f"{options.out_dir}") from None
    return code
