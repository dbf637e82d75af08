"""`secretgraph scan`: collect, analyse, record history, write reports (DESIGN.md contract)."""

from __future__ import annotations

import argparse
from pathlib import Path

from scanner.errors import UsageError
from scanner.findings import Severity
from scanner.pipeline import ScanOptions, parse_formats, parse_list, paths, run_scan

HELP = "scan the organization (or --accounts) and report findings"


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
                     "every policy every night)")
    how.add_argument("--processes", type=int, default=1, metavar="N",
                     help="collect in N processes, one shard of the accounts each (default 1)")
    add_output_arguments(parser)


def add_collect_arguments(
        parser: argparse.ArgumentParser) -> tuple[argparse._ArgumentGroup,
                                                  argparse._ArgumentGroup]:
    """The what-to-scan and credential flags (shared with `secretgraph collect`)."""
    who = parser.add_argument_group("what to scan")
    who.add_argument("--org", action="store_true",
                     help="discover ACTIVE accounts through Organizations (management or "
                     "delegated-admin credentials)")
    who.add_argument("--accounts", metavar="ID,...", help="comma-separated account ids")
    who.add_argument("--regions", metavar="R,...", required=False,
                     help="comma-separated regions (default: AWS_DEFAULT_REGION)")
    who.add_argument("--central-account", metavar="ID",
                     help="the central security account (inferred and reported when omitted)")
    how = parser.add_argument_group("credentials")
    how.add_argument("--profile", help="AWS profile for the starting credentials")
    how.add_argument("--role-name", metavar="NAME",
                     help="role assumed in every account other than the starting one")
    how.add_argument("--external-id", metavar="ID", help="ExternalId for AssumeRole")
    how.add_argument("--endpoint-url", metavar="URL",
                     help="AWS endpoint override (AWS_ENDPOINT_URL is honoured too)")
    how.add_argument("--max-workers", type=int, default=8,
                     help="parallel account x region workers (default 8)")
    how.add_argument("--policy-tps", type=float, default=25.0, metavar="N",
                     help="GetResourcePolicy requests per second per account and Region "
                     "(default 25: half of AWS's 50/s bucket, which the organization's own "
                     "PutResourcePolicy calls share)")
    return who, how


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    out = parser.add_argument_group("inputs and outputs")
    out.add_argument("--out", metavar="DIR", type=Path, default=Path("secretgraph-out"),
                     help="output directory (default ./secretgraph-out)")
    out.add_argument("--format", default="table,json",
                     help="comma-separated: table,json,html,asff,ocsf,junit,csv "
                     "(default table,json; findings.json is always written)")
    out.add_argument("--fail-on", default="HIGH", metavar="SEVERITY",
                     help="exit 1 when a FAIL finding is at or above this severity "
                     "(CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL; default HIGH)")
    out.add_argument("--config", metavar="FILE", type=Path, help="secretgraph.yaml")
    out.add_argument("--rules", metavar="DIR", action="append",
                     help="extra rule directory (repeatable)")
    out.add_argument("--suppressions", metavar="FILE", type=Path, help="mutelist YAML")
    out.add_argument("--baseline", metavar="FILE", type=Path, help="access baseline YAML")
    out.add_argument("--history", metavar="PATH|s3://...",
                     help="history store: SQLite file or s3://bucket/prefix")


def options_from_args(args: argparse.Namespace) -> ScanOptions:
    import os

    try:
        fail_on = Severity.parse(args.fail_on)
    except ValueError as exc:
        raise UsageError(f"--fail-on: {exc}") from None
    regions = parse_list(args.regions) or parse_list(os.environ.get("AWS_DEFAULT_REGION")
                                                     or os.environ.get("AWS_REGION"))
    if args.snapshot is not None and args.from_parts is not None:
        raise UsageError("give --snapshot or --from-parts, not both")
    if args.run_id is not None and args.from_parts is None:
        raise UsageError("--run-id needs --from-parts")
    if args.full_refresh_days < 1:
        raise UsageError("--full-refresh-days must be at least 1")
    if args.processes < 1:
        raise UsageError("--processes must be at least 1")
    if args.processes > 1 and (args.snapshot is not None or args.from_parts is not None):
        raise UsageError("--processes applies to a scan that collects, not to "
                         "--snapshot or --from-parts")
    if not regions and args.snapshot is None and args.from_parts is None:
        raise UsageError("no regions: give --regions r1,r2 (or set AWS_DEFAULT_REGION)")
    return ScanOptions(
        regions=regions,
        accounts=parse_list(args.accounts),
        org=args.org,
        role_name=args.role_name,
        external_id=args.external_id,
        profile=args.profile,
        central_account=args.central_account,
        endpoint_url=args.endpoint_url,
        max_workers=args.max_workers,
        out_dir=args.out,
        formats=parse_formats(args.format),
        fail_on=fail_on,
        config_path=args.config,
        rules_dirs=paths(args.rules),
        suppressions_path=args.suppressions,
        baseline_path=args.baseline,
        history=args.history,
        snapshot_in=args.snapshot,
        parts_in=args.from_parts,
        run_id=args.run_id,
        processes=args.processes,
        policy_tps=args.policy_tps,
        full_refresh_days=args.full_refresh_days,
    )


def run(args: argparse.Namespace) -> int:
    analysis = run_scan(options_from_args(args))
    return analysis.exit_code
