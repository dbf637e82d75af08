"""`secretgraph access`: who can read which secret, and why, gate by gate.

Reads a snapshot (``--snapshot FILE``, or ``--from-dir DIR`` holding a scan's snapshot.json.gz),
builds the graph, runs the access analysis and prints, per secret, every principal worth
knowing about: readers, conditional readers (with the conditions the scanner could not
resolve), and intended readers that a gate blocks. Nothing talks to AWS.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tabulate import tabulate

from scanner.errors import UsageError

HELP = "who can read which secret, and why (resource, key, identity policy and SCP gates)"

SNAPSHOT_NAMES = ("snapshot.json.gz", "snapshot.json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--secret", metavar="ARN|NAME",
                        help="only this secret (its ARN, or its name when that is unique)")
    parser.add_argument("--principal", metavar="ARN",
                        help="only this principal (role / user ARN, account root, or '*')")
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--snapshot", metavar="FILE",
                     help="a snapshot file written by `secretgraph scan` (.json or .json.gz)")
    src.add_argument("--from-dir", metavar="DIR",
                     help="a scan output directory holding snapshot.json.gz. One of --snapshot "
                          "or --from-dir is required (reading the history is not supported)")
    parser.add_argument("--allowed-external-accounts", metavar="ID,...", default="",
                        help="accounts outside the trust zone that may be granted access")
    parser.add_argument("--trusted-accounts", metavar="ID,...", default="",
                        help="accounts inside the trust zone besides the organization and the "
                             "scanned accounts (the config's trusted_accounts)")
    parser.add_argument("--all", action="store_true",
                        help="also list principals whose read is DENIED without any gate "
                             "allowing it (normally left out)")
    parser.add_argument("--why", action="store_true",
                        help="print each gate's reasons (the statements that decided it)")
    parser.add_argument("--format", choices=("table", "json"), default="table")


def _snapshot_path(args: argparse.Namespace) -> Path:
    if args.snapshot:
        return Path(args.snapshot)
    if args.from_dir:
        base = Path(args.from_dir)
        for name in SNAPSHOT_NAMES:
            if (base / name).is_file():
                return base / name
        raise UsageError(f"{base}: no snapshot.json.gz in this directory "
                         "(pass the --out directory of a scan)")
    raise UsageError("give --snapshot FILE or --from-dir DIR (the scan's --out directory)")


def _accounts(text: str, flag: str = "--allowed-external-accounts") -> frozenset[str]:
    ids = frozenset(a.strip() for a in text.split(",") if a.strip())
    bad = sorted(a for a in ids if not (len(a) == 12 and a.isdigit()))
    if bad:
        raise UsageError(f"{flag}: not a 12-digit account id: {bad[0]}")
    return ids


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from scanner.access import AccessSettings, analyze_access
    from scanner.graph.builder import build_graph
    from scanner.snapshot_io import read_snapshot

    allowed = _accounts(args.allowed_external_accounts)
    snapshot = read_snapshot(_snapshot_path(args))
    trusted = _accounts(args.trusted_accounts, "--trusted-accounts")
    settings = AccessSettings.from_snapshot(snapshot, allowed_external_accounts=allowed,
                                            trusted_accounts=trusted)
    if args.all:
        settings = replace(settings, record_denied=True)
    report = analyze_access(build_graph(snapshot), snapshot, settings)
    secrets = list(report.secrets.values())
    if args.secret:
        hit = report.for_secret(args.secret)
        if hit is None:
            same = [s.secret_arn for s in secrets if s.name == args.secret]
            raise UsageError(f"--secret {args.secret!r}: " + (
                f"the name is ambiguous ({', '.join(same)}); give the ARN" if same else
                "no such secret in the snapshot"))
        secrets = [hit]
    elif args.principal:
        secrets = [s for s in secrets if any(p.principal == args.principal for p in s.paths)]
    out = render_json(secrets, args.principal) if args.format == "json" else \
        render_table(secrets, args.principal, why=args.why)
    sys.stdout.write(out)
    return 0


def _paths(sa: Any, principal: str | None) -> list[Any]:
    return [p for p in sa.paths if principal is None or p.principal == principal]


def render_json(secrets: list[Any], principal: str | None) -> str:
    from scanner.access.report import path_dict
    from scanner.model import to_jsonable

    data = []
    for sa in sorted(secrets, key=lambda s: s.secret_arn):
        data.append({
            "secret_arn": sa.secret_arn, "name": sa.name, "account_id": sa.account_id,
            "region": sa.region, "key_arn": sa.key_arn, "aws_managed_key": sa.aws_managed_key,
            "breadth": to_jsonable(sa.breadth),
            "unintended": [to_jsonable(g) for g in sa.unintended],
            "paths": [path_dict(p) for p in _paths(sa, principal)],
            "problems": list(sa.problems),
        })
    return json.dumps({"secrets": data}, indent=2, sort_keys=True) + "\n"


def _note(p: Any) -> str:
    notes = []
    if not p.cross_account:
        notes.append("same account (identity OR resource policy)")
    if p.broken_at:
        notes.append(f"BROKEN at {', '.join(p.broken_at)}")
    if p.conditions:
        notes.append(f"if: {', '.join(p.conditions)}")
    if p.principal_type == "public" or (not p.in_zone and not p.allow_listed):
        notes.append("outside the organization")
    return "; ".join(notes)


def render_table(secrets: list[Any], principal: str | None, *, why: bool) -> str:
    lines: list[str] = []
    for sa in sorted(secrets, key=lambda s: s.secret_arn):
        paths = _paths(sa, principal)
        key = "aws/secretsmanager (AWS-managed)" if sa.aws_managed_key else (sa.key_arn or "?")
        b = sa.breadth
        lines.append(f"{sa.secret_arn}")
        lines.append(f"  key: {key}")
        lines.append(f"  readers: {b.principals} principal(s) in {b.accounts} account(s); "
                     f"conditional: {b.conditional_principals}"
                     + ("; organization-wide grant" if b.organization_wide else "")
                     + ("; PUBLIC grant" if b.public else ""))
        for g in sa.unintended:
            cond = f" (unless: {', '.join(g.conditions)})" if g.conditions else ""
            lines.append(f"  unintended: {g.principal} [{g.unintended}] in {g.statement}{cond}")
        for problem in sa.problems:
            lines.append(f"  policy problem: {problem}")
        if not paths:
            lines.append("  (no principal to show)" if principal is None else
                         f"  {principal}: no access path recorded (not a reader, not intended)")
            lines.append("")
            continue
        rows = [[p.principal, p.decision, p.gates["resource_policy"].status,
                 p.gates["key_policy"].status, p.gates["identity_policy"].status,
                 p.gates["scp"].status, _note(p)] for p in paths]
        table = tabulate(rows, headers=["principal", "decision", "resource", "key",
                                        "identity", "scp", "notes"], tablefmt="simple")
        lines.extend("  " + line for line in table.splitlines())
        if why:
            for p in paths:
                lines.append(f"  why {p.principal}:")
                for name, gate in p.gates.items():
                    lines.append(f"    {name}: {gate.status}")
                    for r in gate.reasons:
                        lines.append(f"      - {r}")
                    for c in gate.conditions:
                        lines.append(f"      ? unresolved: {c}")
        lines.append("")
    if not secrets:
        lines.append("no access path for this principal" if principal else
                     "no secrets in the snapshot")
    return "\n".join(lines) + "\n"
