"""`secretgraph collect`: one shard of an organization-scale run (DESIGN.md contract).

Takes scan's what-to-scan and credential flags, plus ``--shard I/N`` (a stable partition by
account id), ``--run-id ID`` (shared by every shard of one run) and ``--parts DIR|s3://...``.
Writes one snapshot part per account and a shard manifest; ``secretgraph scan --from-parts``
merges the run. With ``--history`` the shard collects incrementally, exactly as ``scan
--history`` does: an unchanged secret policy is carried from the store's last complete scan
(the store is only read; ``scan --from-parts --history`` records the run). Exit 0 when the shard's accounts were read completely, 3 when something in
them could not be read (the coverage is in the parts), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from scanner.commands.scan import add_collect_arguments
from scanner.errors import UsageError
from scanner.history.store import env_history
from scanner.incremental import MAX_FULL_REFRESH_DAYS
from scanner.pipeline import parse_list

HELP = "collect one shard of a sharded run into snapshot parts (merge with scan --from-parts)"
#: what -q/--quiet does here (scanner.cli: the help of -q)
QUIET_HELP = ("no progress display or shard summary; errors only (exit 3 still marks an "
              "incomplete shard)")
#: with -q, standard output is discarded: errors (stderr) only
QUIET_DISCARDS_STDOUT = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_collect_arguments(parser)
    shard = parser.add_argument_group("shard protocol")
    shard.add_argument("--shard", metavar="I/N", default="1/1",
                       help="collect shard I of N (1-based; default 1/1, every account)")
    shard.add_argument("--run-id", metavar="ID", required=True,
                       help="the run this shard belongs to (the same for every shard)")
    shard.add_argument("--parts", metavar="DIR|s3://...", required=True,
                       help="where the parts go: a directory or s3://bucket/prefix")
    shard.add_argument("--parts-kms-key", metavar="KEY",
                       help="with s3://: encrypt the parts with this KMS key (SSE-KMS)")
    shard.add_argument("--config", metavar="FILE",
                       help="secretgraph.yaml (for required_replica_regions)")
    inc = parser.add_argument_group("incremental collection")
    inc.add_argument("--history", metavar="PATH|s3://...",
                     default=env_history(),
                     help="carry unchanged secret policies from the last complete scan of this "
                     "history store (read only; default: $SECRETGRAPH_HISTORY; none when unset)")
    inc.add_argument("--full-refresh-days", type=int, default=7, metavar="N",
                     help="with --history: re-read every policy at least every N nights "
                     "(default 7; 1 reads every policy; at most 3650)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from scanner.collect import CollectOptions, ShardRequest, collect_shard
    from scanner.engine import load_config
    from scanner.shards import check_run_id, open_parts, parse_shard

    shard = parse_shard(args.shard)
    run_id = check_run_id(args.run_id)
    from scanner.aws.session import check_role_arn_template, check_role_name

    # the role flags checked as scan checks them (new-user trial: --role-name a/b or '' went
    # unchecked to AssumeRole)
    if args.role_name and args.role_arn:
        raise UsageError("give --role-name or --role-arn, not both")
    if args.role_name is not None:
        check_role_name(args.role_name)
    if args.role_arn:
        check_role_arn_template(args.role_arn)
    from scanner.aws.session import profile_region

    # the default Region as scan finds it (AWS_REGION, AWS_DEFAULT_REGION, the profile)
    from scanner.collect_options import check_account_ids

    # what the command line alone shows wrong first, as scan does: an 11-digit --accounts id
    # on a machine with no Region configured was "no regions" (user trial round 25)
    check_account_ids(parse_list(args.accounts))
    default = None if args.regions else profile_region(args.profile)
    regions = parse_list(args.regions) or ((default,) if default else ())
    if not regions:
        raise UsageError("no regions: give --regions r1,r2 (or set AWS_REGION, or a region in "
                         "the profile)")
    if not 1 <= args.full_refresh_days <= MAX_FULL_REFRESH_DAYS:
        raise UsageError(f"--full-refresh-days must be from 1 to {MAX_FULL_REFRESH_DAYS} "
                         f"(days), not {args.full_refresh_days}")
    config = load_config(Path(args.config) if args.config else None)
    carry = None
    if args.history:
        from scanner.history.store import open_store
        from scanner.incremental import load_carry

        carry = load_carry(open_store(args.history), full_refresh_days=args.full_refresh_days)
    options = CollectOptions(
        out=Path(os.devnull), regions=regions, accounts=parse_list(args.accounts),
        # --role-arn was parsed and dropped: a shard of an organization whose audit role has
        # a path stopped with "--role-name is required" (new-user trial)
        org=args.org, role_name=args.role_name, role_arn=args.role_arn,
        external_id=args.external_id,
        profile=args.profile, central_account=args.central_account,
        endpoint_url=args.endpoint_url, max_workers=args.max_workers,
        required_replica_regions=config.required_replica_regions,
        policy_tps=args.policy_tps, carry=carry)
    parts = open_parts(args.parts, kms_key_id=args.parts_kms_key)
    if not args.parts.startswith("s3://"):
        from scanner.output_set import check_out_dir

        # before any account is read, as scan checks --out (new-user trial 20: a --parts
        # under a file failed at the first part's write, after the whole shard's collection)
        check_out_dir(Path(args.parts), flag="--parts")
    from scanner.aws.calls import CallCounter
    from scanner.progress import Progress

    counter = CallCounter()
    try:
        with Progress.for_terminal(counter, quiet=args.quiet) as progress:
            manifest = collect_shard(options, ShardRequest(run_id=run_id, parts=parts,
                                                           shard=shard),
                                     counter=counter, progress=progress)
    except KeyboardInterrupt:
        # what the shard left, and what to do (new-user trial 18: "interrupted" alone)
        from scanner.errors import Interrupted

        raise Interrupted(f"interrupted; shard {shard} of run {run_id} did not finish: run it "
                          f"again (the parts it wrote to {parts.uri} are overwritten; a shard "
                          "counts as collected once its manifest, written last, is there)"
                          ) from None
    from scanner.textfit import fit_line, stream_columns

    # broken between words on a terminal, as scan's summary is; one line in a log (new-user
    # trial: the shard's line ran to column 88 at 80 under its progress bar)
    print(fit_line(f"shard {manifest.shard} of run {run_id}: {len(manifest.accounts)} "
                   f"account(s) of {len(manifest.expected_accounts)} written to {parts.uri} "
                   f"({sum((manifest.api_calls or {}).values())} API calls, "
                   f"{manifest.seconds:.1f}s)", stream_columns(), more="  "))
    if manifest.incomplete and not args.quiet:  # with -q, exit 3 alone says it (QUIET_HELP)
        print(fit_line(incomplete_line(manifest), stream_columns(sys.stderr), more="  "),
              file=sys.stderr)
    return 3 if manifest.incomplete else 0


#: accounts named in the line that says why a shard is incomplete (the rest are counted)
NAMED_MAX = 8


def incomplete_line(manifest: Any) -> str:
    """Why a shard exits 3: the accounts it could not read completely (their number of
    coverage gaps), those that failed outright, the organization's own gaps."""
    gaps = sorted((a, n) for a, n in (manifest.coverage or {}).items() if n)
    failed = sorted((manifest.failed_accounts or {}).items())
    parts = []
    if gaps:
        named = ", ".join(f"{a} ({n})" for a, n in gaps[:NAMED_MAX])
        more = f" and {len(gaps) - NAMED_MAX} more" if len(gaps) > NAMED_MAX else ""
        parts.append(f"{len(gaps)} account(s) not read completely (coverage gaps): "
                     f"{named}{more}")
    if failed:
        named = ", ".join(f"{a} ({why})" for a, why in failed[:NAMED_MAX])
        more = f" and {len(failed) - NAMED_MAX} more" if len(failed) > NAMED_MAX else ""
        parts.append(f"{len(failed)} account(s) failed: {named}{more}")
    if manifest.org_coverage:
        parts.append(f"{len(manifest.org_coverage)} organization call(s) failed")
    return ("incomplete: " + "; ".join(parts) + ". `secretgraph scan --from-parts` names "
            "each call and its error")
