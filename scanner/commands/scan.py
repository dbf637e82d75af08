"""`secretgraph scan`: collect, analyse, record history, write reports (DESIGN.md contract)."""

from __future__ import annotations

import argparse
from pathlib import Path

from scanner.engine.loader import RuleScope
from scanner.errors import UsageError
from scanner.findings import Severity
from scanner.pipeline import ScanOptions, parse_formats, parse_list, paths, run_scan

HELP = "scan the organization (or --accounts) and report findings"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    who = parser.add_argument_group("what to scan")
    who.add_argument("--org", action="store_true",
                     help="discover ACTIVE accounts through Organizations (management or "
                     "delegated-admin credentials)")
    who.add_argument("--accounts", metavar="ID,...", help="comma-separated account ids")
    who.add_argument("--regions", metavar="R,...", required=False,
                     help="comma-separated regions (default: AWS_DEFAULT_REGION)")
    who.add_argument("--central-account", metavar="ID",
                     help="the central security account (inferred and reported when omitted)")
    who.add_argument("--snapshot", metavar="FILE", type=Path,
                     help="evaluate a stored snapshot offline instead of scanning")
    how = parser.add_argument_group("credentials")
    how.add_argument("--profile", help="AWS profile for the starting credentials")
    how.add_argument("--role-name", metavar="NAME",
                     help="role assumed in every account other than the starting one")
    how.add_argument("--external-id", metavar="ID", help="ExternalId for AssumeRole")
    how.add_argument("--endpoint-url", metavar="URL",
                     help="AWS endpoint override (AWS_ENDPOINT_URL is honoured too)")
    how.add_argument("--max-workers", type=int, default=8,
                     help="parallel account x region workers (default 8)")
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
    out.add_argument("--rules-dir", metavar="DIR", action="append", dest="rules_dir",
                     help="an extra directory of rule files (repeatable)")
    add_scope_arguments(parser)
    out.add_argument("--suppressions", metavar="FILE", type=Path, help="mutelist YAML")
    out.add_argument("--baseline", metavar="FILE", type=Path, help="access baseline YAML")
    out.add_argument("--history", metavar="PATH|s3://...",
                     help="history store: SQLite file or s3://bucket/prefix")


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
    import os

    try:
        fail_on = Severity.parse(args.fail_on)
    except ValueError as exc:
        raise UsageError(f"--fail-on: {exc}") from None
    regions = parse_list(args.regions) or parse_list(os.environ.get("AWS_DEFAULT_REGION")
                                                     or os.environ.get("AWS_REGION"))
    if not regions and args.snapshot is None:
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
        rules_dirs=paths(args.rules_dir),
        scope=scope_from_args(args),
        suppressions_path=args.suppressions,
        baseline_path=args.baseline,
        history=args.history,
        snapshot_in=args.snapshot,
    )


def run(args: argparse.Namespace) -> int:
    analysis = run_scan(options_from_args(args))
    return analysis.exit_code
