"""`secretgraph access`: who can read which secret, and why, gate by gate.

Reads a snapshot (``--in DIR``, a scan's output folder; ``--snapshot FILE``; or ``--history``),
builds the graph, runs the access analysis and prints, per secret, every principal worth
knowing about: readers, conditional readers (with the conditions the scanner could not
resolve), and intended readers that a gate blocks; and the classes of readers a ``*``,
organization-wide or account-wide grant reaches (everyone, the organization, the secret's own
account, a named account), with their counts. Nothing talks to AWS.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tabulate import tabulate

from scanner.output_set import SNAPSHOT_NAMES
from scanner.commands._outputs import terminal_width
from scanner.errors import UsageError
from scanner.access.verdicts import reach_counts
from scanner.graph.schema import PUBLIC_PRINCIPAL, SCHEDULED_DELETION
from reports._common import short_resource
from scanner.policy.arn import arn_account
from scanner.graph.schema import aws_managed_key_arn
from scanner.policy.arn import iam_entity, parse_arn, partition
from scanner.policy.principals import session_role
from scanner.textfit import fit_line, fit_text, terminal_safe

HELP = "who can read which secret, and why (resource, key, identity policy and SCP gates)"
#: what -q/--quiet does here (scanner.cli: the help of -q)
QUIET_HELP = 'print no answer, only errors (the exit code is the same)'
#: with -q, standard output is discarded: errors (stderr) only
QUIET_DISCARDS_STDOUT = True



def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--secret", metavar="NAME|ARN|PREFIX",
                        help="only this secret: the name shown in reports, its ARN (a "
                             "replica's ARN too), or a unique prefix of either")
    parser.add_argument("--region", metavar="R",
                        help="with --secret NAME: the Region of the copy (primary or replica)")
    parser.add_argument("--principal", metavar="ARN|NAME|ACCOUNT",
                        help="only these principals: a role / user ARN, a role or user name "
                             "(in every account), an account id, or '*'")
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--in", dest="in_dir", metavar="DIR",
                     help="a scan output folder (the --out of a scan, holding snapshot.json.gz)")
    src.add_argument("--snapshot", metavar="FILE",
                     help="a snapshot file written by `secretgraph scan` (.json or .json.gz)")
    src.add_argument("--history", metavar="PATH|s3://...",
                     help="the latest complete scan (or --scan ID) of this history store")
    parser.add_argument("--scan", metavar="ID",
                        help="with --history: this scan instead of the latest complete one")
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
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="table (default: each secret, its readers and their gates) or "
                             "json (the same, with every path's per-gate reasons, for tools)")
    parser.add_argument("--prove", metavar="NAME|ARN|PREFIX",
                        help="prove who outside the zone can read this secret (and decrypt "
                             "with its key), and under which context each conditional reader "
                             "(with --principal: each named principal) reads it: a proof, or "
                             "a witness request; needs z3 (pip install 'secretgraph[prove]')")
    parser.add_argument("--prove-timeout", metavar="SECONDS", type=float, default=10.0,
                        help="with --prove: solver time per question (default 10); a timeout "
                             "answers UNKNOWN")


def _snapshot(args: argparse.Namespace) -> tuple[Any, Any]:
    """The snapshot named by --in, --snapshot or --history (with --scan), and the findings
    document stored with it in the history (None otherwise)."""
    from scanner.snapshot_io import read_snapshot

    if args.scan and not args.history:
        raise UsageError("--scan ID needs --history")
    if args.snapshot:
        return read_snapshot(Path(args.snapshot)), None
    if args.in_dir:
        return folder_snapshot(Path(args.in_dir)), None
    if args.history:
        from scanner.history import open_store
        from scanner.history.records import resolve_scan_id

        store = open_store(args.history)
        if args.scan:
            scan_id = resolve_scan_id(store.list(), args.scan, args.history)
        else:
            latest = store.latest_complete()
            if latest is None:
                raise UsageError(f"--history {args.history}: no complete scan recorded")
            scan_id = latest.scan_id
        stored = store.load(scan_id)
        return stored.snapshot, stored.document
    raise UsageError("give --in DIR (a scan's output folder), --snapshot FILE or "
                     "--history PATH")


def folder_snapshot(base: Path) -> Any:
    """The snapshot of a scan's output folder (``--in DIR``: access, baseline)."""
    from scanner.snapshot_io import read_snapshot

    if not base.is_dir():
        raise UsageError(f"--in {base}: " + ("no such folder" if not base.exists()
                                             else "not a folder (pass a scan's --out)"))
    for name in SNAPSHOT_NAMES:
        if (base / name).is_file():
            return read_snapshot(base / name)
    raise UsageError(f"--in {base}: no snapshot.json.gz in this folder "
                     "(pass the --out folder of a scan)")


def folder_zone(base: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The ``trusted_accounts`` and ``allowed_external_accounts`` the scan of an output folder
    recorded (its findings.json's header, read without its rows); none when the folder has no
    findings.json or it cannot be read (a note says the zone is the flags')."""
    return _recorded_zone(argparse.Namespace(in_dir=str(base), snapshot=None), None)


def _recorded_zone(args: argparse.Namespace,
                   document: Any) -> tuple[frozenset[str], frozenset[str]]:
    """The ``trusted_accounts`` and ``allowed_external_accounts`` recorded by the scan whose
    snapshot is read (--in: its findings.json's header, read without its rows; --history: the
    stored document), as ``report --in``, ``baseline`` and ``remediate --in`` read them. A bare
    --snapshot has no record: the flags say them. A findings.json that cannot be read does not
    stop the analysis, which needs the snapshot only: a note says the zone is the flags'
    (review of the day's merges)."""
    from scanner.errors import InputError
    from scanner.policy.trust_zone import recorded_allowed_accounts, recorded_trusted_accounts

    if document is None and args.in_dir and not args.snapshot:
        path = Path(args.in_dir) / "findings.json"
        if path.is_file():
            from reports.json_out import read_findings_json, streamed_header

            try:
                document = streamed_header(path)
                if document is None:
                    document = read_findings_json(path)
            except InputError as exc:
                print(f"note: {path}: the scan's trusted and allowed accounts could not be "
                      f"read ({exc}); the trust zone is the organization, the scanned accounts "
                      "and --trusted-accounts", file=sys.stderr)
                document = None
    if not isinstance(document, dict):
        return frozenset(), frozenset()
    return (frozenset(recorded_trusted_accounts(document)),
            frozenset(recorded_allowed_accounts(document)))


def _accounts(text: str, flag: str = "--allowed-external-accounts") -> frozenset[str]:
    ids = frozenset(a.strip() for a in text.split(",") if a.strip())
    bad = sorted(a for a in ids if not (len(a) == 12 and a.isdigit()))
    if bad:
        raise UsageError(f"{flag}: not a 12-digit account id: {bad[0]}")
    return ids


#: above this many candidates, difflib sees only the likely ones (``_closest``)
CLOSEST_POOL = 2000


def _closest(query: str, candidates: list[str]) -> str:
    import bisect
    import difflib

    pool = sorted(set(candidates))
    if len(pool) > CLOSEST_POOL:
        # difflib over 200,000 names and ARNs took 15 s at 100,000 secrets: it compares the
        # names next to the query in sorted order (those sharing its beginning) and those
        # containing it
        at = bisect.bisect_left(pool, query)
        low = query.lower()
        near = pool[max(0, at - CLOSEST_POOL // 4): at + CLOSEST_POOL // 4]
        near += [c for c in pool if low in c.lower()][:CLOSEST_POOL // 2]
        pool = sorted(set(near))
    close = difflib.get_close_matches(query, pool, n=5, cutoff=0.4)
    if not close:
        low = query.lower()
        close = sorted({c for c in candidates if low in c.lower()})[:5]
    return f"; closest: {', '.join(close)}" if close else ""


def find_secret(report: Any, query: str, region: str | None = None,
                flag: str = "--secret") -> Any:
    """The one secret (or replica) named by ``query``: ARN, name, or a unique prefix of
    either. UsageError (exit 2, naming ``flag``, the option the user gave it with) naming the
    closest matches, or the candidates when several copies match."""
    everything = list(report.secrets.values()) + list(report.replicas.values())
    asked, given_region = query, region
    if "#" in query:
        # the name as the reports show a replica: "<ARN or name with suffix>#<region>"
        query, _, named_region = query.rpartition("#")
        if region and region != named_region:
            raise UsageError(f"{flag} {asked!r} names Region {named_region}, --region says "
                             f"{region}: give one")
        region = named_region
    if region:
        everything = [s for s in everything if s.region == region]
    for sa in everything:
        if sa.secret_arn == query:
            return sa
    named = [s for s in everything if s.name == query]
    if not named:
        # the name as the reports show it: the ARN's resource with its random suffix
        # (a replica's node id, ``<primary ARN>#<region>``: the same name in that Region)
        wanted = short_resource(query) if query.startswith("arn:") else query
        named = [s for s in everything if short_resource(s.secret_arn) == wanted and (
            not query.startswith("arn:") or arn_account(s.secret_arn) == arn_account(query))]
        if len(named) == 1:
            return named[0]
    if not named:
        named = [s for s in everything
                 if (s.name or "").startswith(query) or s.secret_arn.startswith(query)]
        if len({s.name for s in named}) > 1 and not query.startswith("arn:"):
            shown = sorted({s.name or s.secret_arn for s in named})
            more = f", and {len(shown) - 6} more" if len(shown) > 6 else ""
            raise UsageError(f"{flag} {query!r} is the prefix of {len(shown)} secrets ("
                             f"{', '.join(shown[:6])}{more}); give more of the name or the ARN")
    primaries = [s for s in named if s.secret_arn in report.secrets]
    if len(named) > 1 and len(primaries) == 1 and not region:
        return primaries[0]  # the name is the primary's; its replicas are named by ARN/Region
    if len(named) == 1:
        return named[0]
    if len(primaries) > 1 and not region:
        named = primaries  # the name is a primary's: its replicas are named by ARN/Region
    if named:
        arns = sorted(s.secret_arn for s in named)
        more = f", and {len(arns) - 6} more" if len(arns) > 6 else ""
        # --region helps only when the copies are in several Regions; the name with its suffix
        # only when the copies' suffixes differ
        accounts = len({arn_account(s.secret_arn) for s in named})
        if len({s.region for s in named}) > 1 and not region:
            how = "the ARN or --region"
        elif len({short_resource(s.secret_arn) for s in named}) > 1:
            how = "the ARN (or the name with its suffix, as the reports show it)"
        else:
            how = "the ARN"
        where = f" in {accounts} accounts" if accounts > 1 else ""
        raise UsageError(f"{flag} {asked!r} matches {len(named)} secrets{where}; give {how}: "
                         f"{', '.join(arns[:6])}{more}")
    names = [s.name for s in everything if s.name] + [s.secret_arn for s in everything]
    where = f" in {region}" if region else ""
    if region and not given_region and not everything:
        raise UsageError(f"{flag} {asked!r}: the scan holds no secret in {region}")
    raise UsageError(f"{flag} {asked!r}: no such secret{where} in the scan"
                     + _closest(query, names))


def _unlisted_hint(snapshot: Any) -> str:
    """Where the scan could not list secrets (an account whose role was not assumed, a
    ListSecrets that failed): a secret asked about may be there (1,000-account trial: "no such
    secret" for a secret of an account that was not read, without a word about it)."""
    accounts = sorted({c.account_id for c in snapshot.coverage if c.operation == "AssumeRole"})
    listings = sorted({f"{c.account_id}/{c.region}" for c in snapshot.coverage
                       if c.operation == "ListSecrets" and not c.resource_arn})
    parts = []
    if accounts:
        parts.append(f"{len(accounts)} account(s) were not read (role not assumed: "
                     f"{', '.join(accounts[:4])}{', ...' if len(accounts) > 4 else ''})")
    if listings:
        parts.append(f"ListSecrets failed in {len(listings)} account-Region(s) "
                     f"({', '.join(listings[:4])}{', ...' if len(listings) > 4 else ''})")
    return f"; the scan did not list every secret: {'; '.join(parts)}" if parts else ""


@dataclass(frozen=True)
class _Copy:
    secret_arn: str
    name: str | None
    region: str


@dataclass(frozen=True)
class _Copies:
    """The secrets and replicas of the graph as ``find_secret`` reads a report's."""

    secrets: dict[str, _Copy]
    replicas: dict[str, _Copy]

    def everything(self) -> list[_Copy]:
        return list(self.secrets.values()) + list(self.replicas.values())


def _copies(graph: Any) -> _Copies:
    """Names, ARNs and regions only: no policy is parsed (at 100,000 secrets building the
    secret views took 17 s, most of it parsing their resource policies)."""
    from scanner.access.graph_io import copy_region, secret_copies

    out = _Copies(secrets={}, replicas={})
    for arn, _node, attrs, is_replica in secret_copies(graph):
        (out.replicas if is_replica else out.secrets)[arn] = _Copy(
            arn, attrs.get("name"), copy_region(arn, attrs))
    return out


def _principal_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if ":" in arn else arn


def find_principals(report: Any, query: str, snapshot: Any = None) -> frozenset[str]:
    """Principals named by ``query``: an exact principal (ARN, ``*``), a role or user name (in
    any account), or an account id (its root and every principal of it). The candidates are
    the principals of the access paths, the IAM roles and users of the snapshot, and the
    principals the secret and key policies and KMS grants name. UsageError with the closest
    names when nothing matches."""
    known = {p.principal: p.principal_account
             for sa in list(report.secrets.values()) + list(report.replicas.values())
             for p in sa.paths}
    for account in (snapshot.accounts if snapshot is not None else ()):
        for principal in (account.iam.principals if account.iam else ()):
            known.setdefault(principal.arn, principal.account_id)
    # the principals the secret and key policies and the keys' KMS grants name one by one:
    # a vendor's role a key grant names is a principal of the scan to ask about, with no
    # read of its own perhaps (ground-truth trial round 18: `--principal VendorOps` was "no
    # principal by that ARN, name or account" beside its kms-key-policy-excess-grant finding)
    # (IAM roles and users; a session ARN is asked about as its role, below)
    for grant in [g for sa in list(report.secrets.values()) + list(report.replicas.values())
                  for g in sa.grants] + [g for k in report.keys.values() for g in k.grants]:
        arn = parse_arn(grant.principal) if grant.scope == "principal" else None
        if arn is not None and arn.service == "iam":
            known.setdefault(grant.principal, grant.account_id)
    if query in known or query == PUBLIC_PRINCIPAL:
        # "*" (anyone) is always a principal to ask about, recorded on a path or not
        return frozenset({query})
    if len(query) == 12 and query.isdigit():
        hits = {p for p, account in known.items() if account == query or f"::{query}:" in p}
    else:
        hits = {p for p in known if _principal_name(p) == query}
    if hits:
        return frozenset(hits)
    session = session_role(query)
    if session is not None:
        # a session ARN is evaluated as its role (docs/access.md; role names are unique in an
        # account): the role's paths answer for it (ground-truth trial round 16: a session a
        # secret policy names was "no principal by that ARN ... in the scan")
        account, role_name = session
        roles = {p for p, acct in known.items() if acct == account
                 and iam_entity(p) == ("role", role_name)}
        if roles:
            return frozenset(roles)
    closest = _closest(query, [_principal_name(p) for p in known] + list(known))
    parsed = parse_arn(query)
    asked_partition = parsed.partition if parsed is not None else None
    held = sorted({partition(s.secret_arn) for s in list(report.secrets.values())
                   + list(report.replicas.values())})
    if asked_partition and held and asked_partition not in held:
        # "You cannot use IAM credentials from one partition to interact with resources in a
        # different partition" (AWS fault isolation boundaries whitepaper, "Partitions"): not
        # a typo to correct only (GovCloud ground-truth trial round 10: a commercial ARN in a
        # GovCloud scan got "no principal ... closest: arn:aws-us-gov:...")
        raise UsageError(
            f"--principal {query!r}: a principal of partition {asked_partition}, and every "
            f"secret of the scan is in partition{'s' if len(held) > 1 else ''} "
            f"{', '.join(held)}: it can never read one of "
            f"them (partitions are separate){closest}")
    raise UsageError(f"--principal {query!r}: no principal by that ARN, name or account in the "
                     "scan" + closest)


@dataclass(frozen=True)
class Unnamed:
    """What ``--principal`` names when it is an account, or a principal of one, whose IAM the
    scan did not read: a secret it has no path of its own to may still let it in -- through
    the ``*`` path, which stands for "any authenticated principal of an outside account" that
    no policy of the secret names (docs/access.md, Unintended access), or through the
    secret's reach to its account (``account:<id>``: a grant to the account as a whole, or a
    ``*`` grant narrowed to it). GovCloud ground-truth trial round 10: ``--principal
    777777777777`` left out a secret everyone can read."""

    query: str
    account: str
    #: the partition of the ARN asked about (None: a bare account id, of the scan's partition)
    partition: str | None
    #: outside the trust zone: the ``*`` path's "outside account"
    outside: bool


def unnamed_principal(query: str, snapshot: Any, settings: Any) -> Unnamed | None:
    """``query`` as an ``Unnamed`` (an account id, or an IAM / STS principal ARN, of an account
    whose IAM was not read), else None: a principal of a scanned account is evaluated on its
    own, so what it reads are its own paths (exact)."""
    from scanner.policy.arn import arn_partition, is_account_id, principal_account

    if query == PUBLIC_PRINCIPAL:
        return None
    parsed = parse_arn(query)
    if not is_account_id(query) and (parsed is None or parsed.service not in ("iam", "sts")):
        return None
    account = principal_account(query)
    if account is None or any(a.account_id == account and a.iam is not None
                              for a in snapshot.accounts):
        return None
    part = arn_partition(query)
    return Unnamed(query=query, account=account, partition=part,
                   outside=not settings.in_zone(account, part))


def reached_through(sa: Any, who: Unnamed, policies: str, *, denied: bool = False) -> str | None:
    """How ``who`` reaches the secret copy ``sa`` without a path of its own: ``*`` (the ``*``
    path lets it in: its account is outside the zone and named nowhere in ``policies``, the
    texts of the policies that decide the copy -- its resource and key policies and the RCPs
    -- so the ``*`` path's request, "an account no policy names", is its request), the
    ``account:<id>`` reach to its account, or None. Only what lets it in (ALLOWED or
    CONDITIONAL) unless ``denied`` (``--all``). A principal of another partition is never let
    in: "You cannot use IAM credentials from one partition to interact with resources in a
    different partition" (AWS fault isolation boundaries whitepaper, "Partitions")."""
    if who.partition is not None and who.partition != partition(sa.secret_arn):
        return None
    if who.outside and who.account not in policies:
        star = next((p for p in sa.paths if p.principal == PUBLIC_PRINCIPAL), None)
        if star is not None and (denied or star.decision != "DENIED"):
            return PUBLIC_PRINCIPAL
    subject = f"account:{who.account}"
    reach = next((r for r in sa.reach if r.subject == subject), None)
    if reach is not None and (denied or reach.reads):
        return subject
    # a class whose members the scan could not list in this account (its IAM not read: the
    # reach's unassessed_accounts) has the principal asked about among them -- an OU-path or
    # organization-wide grant (ground-truth trial round 11: prod-legacy, its audit role
    # missing, was counted under the OU-path reach and yet "no principal ... in the scan")
    for reach in sa.reach:
        if who.account in reach.unassessed_accounts and (
                denied or who.account in reach.unassessed_reading):
            return str(reach.subject)
    return None


def _policy_texts(graph: Any, snapshot: Any, copies: list[Any]) -> dict[str, str]:
    """Secret or replica ARN -> the texts of the policies that decide a read of it: its
    resource policy (a replica's is its primary's), its key's policy, and every RCP."""
    from scanner.access.graph_io import secret_copies

    org = snapshot.organization
    rcps = [p.content for p in (org.policies if org is not None else ())
            if p.policy_type == "RESOURCE_CONTROL_POLICY"]
    resource = {arn: attrs.get("resource_policy")
                for arn, _node, attrs, _replica in secret_copies(graph)}
    out: dict[str, str] = {}
    for sa in copies:
        key = sa.key_arn
        key_policy = graph.nodes[key].get("policy") if key and key in graph else None
        out[sa.secret_arn] = "\n".join(str(t) for t in (resource.get(sa.secret_arn),
                                                        key_policy, *rcps) if t)
    return out


#: how the table names a ``reached_through`` value
def _through_label(via: str) -> str:
    if via == PUBLIC_PRINCIPAL:
        return ("the `*` path (any principal of an account outside the trust zone that no "
                "policy of the secret names)")
    if via.startswith("organization:"):
        return f"the reach to its organization ({via}): its account's IAM was not read"
    return f"the reach to its account ({via})"


def key_aliases(snapshot: Any) -> dict[str, str]:
    """KMS key ARN -> its first alias (customer aliases before AWS ones)."""
    aliases: dict[str, str] = {}
    for account in snapshot.accounts:
        for region in account.regions:
            for key in region.kms_keys:
                alias = key.first_alias()
                if alias:
                    aliases[key.arn] = alias
    return aliases


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from scanner.access import AccessSettings, analyze_access
    from scanner.graph.builder import build_graph

    prove = getattr(args, "prove", None)
    for flag, value in (("--secret", args.secret), ("--prove", prove),
                        ("--principal", args.principal), ("--region", args.region),
                        ("--scan", args.scan)):
        # an unset shell variable must not turn a question about one secret into a listing
        # of all of them (exit 0, and no proof)
        if value is not None and not value.strip():
            raise UsageError(f"{flag}: empty value {value!r}; name what to select")
    allowed = _accounts(args.allowed_external_accounts)
    if prove:
        from scanner.policy.smt import require_z3

        require_z3()  # before reading anything: one line, exit 2
        if not args.prove_timeout > 0:
            raise UsageError("--prove-timeout must be a positive number of seconds")
    from contextlib import nullcontext

    from scanner.output_set import reading

    # an --out folder is read under its commit lock: its snapshot and the zone its
    # findings.json recorded are of one scan (fault trial round 7: torn reads by report)
    with reading(Path(args.in_dir)) if args.in_dir else nullcontext():
        snapshot, stored_document = _snapshot(args)
        # the zone the scan's verdicts used (its config's trusted and allowed accounts,
        # recorded in its findings), and any the flags add: concept review round 2 --
        # `access --in` called a trusted account "outside the trust zone" that the scan's
        # rules had let pass
        recorded_trusted, recorded_allowed = _recorded_zone(args, stored_document)
    trusted = _accounts(args.trusted_accounts, "--trusted-accounts") | recorded_trusted
    allowed = allowed | recorded_allowed
    settings = AccessSettings.from_snapshot(snapshot, allowed_external_accounts=allowed,
                                            trusted_accounts=trusted)
    if args.all:
        settings = replace(settings, record_denied=True)
    graph = build_graph(snapshot)
    # one secret asked about: find it first (a typo is answered in seconds, not after the
    # whole estate's analysis), then evaluate that secret alone unless --principal needs
    # every path to know the principals
    if prove and args.secret:
        raise UsageError("--prove names the secret to prove; give it without --secret")
    asked = prove or args.secret
    only = None
    copies = _copies(graph) if args.region or asked else None
    if args.region:
        assert copies is not None
        held = {c.region for c in copies.everything()}
        if args.region not in held:
            raise UsageError(f"--region {args.region!r}: the scan holds no secret there "
                             f"(its Regions with secrets: {', '.join(sorted(held)) or 'none'})")
    if asked:
        assert copies is not None
        try:
            arn = find_secret(copies, asked, args.region,
                              flag="--prove" if prove else "--secret").secret_arn
        except UsageError as exc:
            raise UsageError(f"{exc}{_unlisted_hint(snapshot)}") from None
        only = None if args.principal else frozenset({arn})
    report = analyze_access(graph, snapshot, settings, only=only)
    if prove:
        from scanner.policy.smt.render import prove_secret

        target = find_secret(report, prove, args.region, flag="--prove")
        named = find_principals(report, args.principal, snapshot) if args.principal else ()
        proof = prove_secret(graph, snapshot, settings, target, fmt=args.format,
                             timeout_s=args.prove_timeout, principals=named,
                             aliases=key_aliases(snapshot))
        if args.format != "json":  # words kept whole, broken at the terminal's width
            proof = fit_text(terminal_safe(proof), terminal_width())
        sys.stdout.write(proof)
        return 0
    secrets = list(report.secrets.values())
    who = unnamed_principal(args.principal, snapshot, settings) if args.principal else None
    not_found: UsageError | None = None
    try:
        principals = find_principals(report, args.principal, snapshot) \
            if args.principal else None
    except UsageError as exc:
        if who is None:
            raise
        # no path names it: the secrets its account's reach or the `*` path let in may
        # still list (else this error, below)
        principals, not_found = frozenset(), exc
    unlisted: list[str] = []  # the Regions of the asked primary's replicas, not shown
    if args.secret:
        secrets = [find_secret(report, args.secret, args.region)]
        if not args.region and secrets[0].secret_arn in report.secrets:
            # the name alone is the primary; that its replicas exist -- each with its own key,
            # so its own readers -- was said for a whole scan only (new-user trial round 21:
            # the demo's broken-access replica, a finding of its own, unseen)
            primary = secrets[0]
            # the graph's copies: the report holds the asked secret alone (analyze_access only)
            unlisted = sorted(r.region for r in (copies.replicas if copies is not None
                                                 else report.replicas).values()
                              if r.name == primary.name
                              and arn_account(r.secret_arn) == arn_account(primary.secret_arn))
    elif args.region:
        secrets = [s for s in secrets + list(report.replicas.values())
                   if s.region == args.region]
    if principals is not None and not args.secret:
        # what the principal reads, every copy: a replica has its own key (a reader of the
        # primary may not decrypt the replica, or the other way round)
        if not args.region:
            secrets += list(report.replicas.values())
    through: dict[str, str] = {}
    if principals is not None:
        texts = _policy_texts(graph, snapshot, secrets) if who is not None else {}
        for sa in secrets:
            if who is not None and not any(p.principal in principals for p in sa.paths):
                via = reached_through(sa, who, texts.get(sa.secret_arn, ""),
                                      denied=args.all)
                if via is not None:
                    through[sa.secret_arn] = via
        if not args.secret:
            secrets = [s for s in secrets if s.secret_arn in through
                       or any(p.principal in principals for p in s.paths)]
        if not_found is not None and not through:
            if who is not None and not who.outside:
                # an account of the zone (of the organization, scanned, or trusted) whose IAM
                # was not read: "no principal ... in the scan" would be untrue (ground-truth
                # trial round 11: the sandbox account whose audit role was missing)
                raise UsageError(
                    f"--principal {args.principal!r}: account {who.account} is in the trust "
                    "zone but the scan did not read its IAM (see scan-coverage-gap), so none "
                    "of its principals is known; no secret's reach lets them in"
                    + ("" if args.all else " (--all lists the reaches that stop them)"))
            raise not_found
    aliases = key_aliases(snapshot)
    asked = args.principal if principals is not None else None
    out = render_json(secrets, principals, aliases, through=through) \
        if args.format == "json" else \
        terminal_safe(render_table(secrets, principals, aliases, why=args.why,
                                   width=terminal_width(), replicas=len(report.replicas),
                                   single=bool(args.secret or args.region),
                                   through=through, asked=asked,
                                   denied_listed=args.all))
    if unlisted and args.format != "json":
        out += fit_line(f"replica(s) of this secret not listed: {', '.join(unlisted)} "
                        "(--region R shows one)", terminal_width()) + "\n"
    if (principals and args.format != "json" and args.principal not in principals
            and session_role(args.principal) is not None):
        # the rows are its role's: say so (new-user trial round 22: nothing did, and a
        # session the policy does not name got the same answer as the one it names)
        role_arn = ", ".join(sorted(principals))
        out += fit_text(terminal_safe(
            f"note: {args.principal} is answered as its role {role_arn} (a session is "
            "evaluated as its role); a policy that names one session of it shows CONDITIONAL "
            "for the role", newlines=False), terminal_width()) + "\n"
    sys.stdout.write(out)
    return 0


def _paths(sa: Any, principals: frozenset[str] | None,
           through: dict[str, str] | None = None) -> list[Any]:
    """The paths of ``principals`` (all without), and the ``*`` path where it is how the
    principal asked about reaches the secret (``reached_through``)."""
    star = (through or {}).get(sa.secret_arn) == PUBLIC_PRINCIPAL
    return [p for p in sa.paths if principals is None or p.principal in principals
            or (star and p.principal == PUBLIC_PRINCIPAL)]


def render_json(secrets: list[Any], principals: frozenset[str] | None,
                aliases: dict[str, str] | None = None, *,
                through: dict[str, str] | None = None) -> str:
    from scanner.access.report import path_dict
    from scanner.model import to_jsonable

    data = []
    for sa in sorted(secrets, key=lambda s: s.secret_arn):
        data.append({
            "secret_arn": sa.secret_arn, "name": sa.name, "account_id": sa.account_id,
            "region": sa.region,
            # the AWS-managed key as its alias ARN, not the graph's id for it
            "key_arn": aws_managed_key_arn(sa.key_arn, partition(sa.secret_arn))
            if sa.aws_managed_key and sa.key_arn else sa.key_arn,
            "key_alias": (aliases or {}).get(sa.key_arn or ""),
            "aws_managed_key": sa.aws_managed_key,
            "breadth": to_jsonable(sa.breadth),
            "unintended": [to_jsonable(g) for g in sa.unintended],
            "reach": [dict(to_jsonable(r), label=r.label) for r in sa.reach],
            "paths": [path_dict(p) for p in _paths(sa, principals, through)],
            # --principal: how it reaches the copy without a path of its own ("*" or
            # "account:<id>"), only when it does
            **({"reached_through": (through or {})[sa.secret_arn]}
               if sa.secret_arn in (through or {}) else {}),
            "problems": list(sa.problems),
            # only when set, as in the access report's JSON
            **({"scheduled_deletion": True, "no_readers": SCHEDULED_DELETION}
               if sa.scheduled_deletion else {}),
            **({"assessed": False, "failed": sa.failed} if sa.failed else {}),
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
        notes.append("outside the trust zone")
    return "; ".join(notes)


#: how the table names a grant's ``unintended`` value (the JSON keeps the value): the trust
#: zone decides it (scanner/policy/trust_zone.py), the organization only when it was read
_UNINTENDED = {"outside-organization": "outside the trust zone"}


def _reach_line(r: Any) -> str:
    """One class of readers a "*" or account-wide grant reaches, with its counts."""
    counts = "" if r.principals is None else ": " + reach_counts(
        r.principals, r.conditional_principals or 0, r.accounts or 0,
        len(r.unassessed_accounts))
    extra = ""
    if r.blocked_by:
        extra += f"; blocked by {', '.join(r.blocked_by)}"
    if getattr(r, "missing", ()):
        # what the class's decision depends on that was not read ("resource policy not
        # collected"): a CONDITIONAL class says why (fault trial round 3, left by its fix)
        extra += f"; if: {', '.join(r.missing)}"
    return f"{r.label} -> {r.decision}{counts}{extra}"


def render_table(secrets: list[Any], principals: frozenset[str] | None,
                 aliases: dict[str, str] | None = None, *, why: bool,
                 replicas: int = 0, single: bool = False, width: int | None = None,
                 through: dict[str, str] | None = None, asked: str | None = None,
                 denied_listed: bool = True) -> str:
    """The access of each secret as text; in a terminal narrower than the principals' table
    (``width``), one principal per line with its gates under it. ``through``: per copy, how
    the principal asked about (``asked``) reaches it without a path of its own.
    ``denied_listed`` False (no ``--all``): a principal with no path is told that --all lists
    the reads denied to it (new-user trial round 27: "no access path for this principal"
    alone)."""
    import textwrap

    lines: list[str] = []

    def add(line: str) -> None:
        """One line: names, ARNs, Sids and reasons come from the audited accounts, and a
        newline among them must not forge a line of its own (nor a control character
        rewrite the screen)."""
        lines.append(terminal_safe(line, newlines=False))

    def emit(text: str, indent: str = "  ", more: str = "    ") -> None:
        """One line, or in a terminal (``width``) wrapped to it (textfit.fit_line),
        continuation lines ``more`` deeper."""
        lines.extend(fit_line(indent + terminal_safe(text, newlines=False), width,
                              more=more).split("\n"))

    principal = (", ".join(sorted(principals)) or asked) if principals is not None else None
    for sa in sorted(secrets, key=lambda s: s.secret_arn):
        paths = _paths(sa, principals, through)
        via = (through or {}).get(sa.secret_arn)
        alias = (aliases or {}).get(sa.key_arn or "")
        key = "aws/secretsmanager (AWS-managed)" if sa.aws_managed_key else (
            f"{alias} ({sa.key_arn})" if alias else (sa.key_arn or "?"))
        b = sa.breadth
        emit(sa.secret_arn, "")  # an ARN wider than the terminal is broken in it
        emit(f"key: {key}")
        emit(f"readers: {b.principals} principal(s) in {b.accounts} account(s); "
             f"conditional: {b.conditional_principals}"
             + ("; organization-wide grant" if b.organization_wide else "")
             + ("; PUBLIC grant" if b.public else ""))
        for r in sa.reach:
            emit(f"reach: {_reach_line(r)}")
        for g in sa.unintended:
            # the grant holds only when its condition keys do, as the gates' reasons say
            # ("Allow applies only if: ..."); it read "(unless: aws:sourceip)", the condition
            # the wrong way round (new-user trial round 21, left open by round 20)
            cond = f" (only if: {', '.join(g.conditions)})" if g.conditions else ""
            emit(f"unintended: {g.principal} [{_UNINTENDED.get(g.unintended or '', g.unintended)}]"
                 f" in {g.statement}{cond}")
        for problem in sa.problems:
            emit(f"policy problem: {problem}")
        if sa.scheduled_deletion:
            emit(f"no readers: {SCHEDULED_DELETION}")
        if sa.failed:
            emit(f"readers UNKNOWN: the access analysis of this secret failed ({sa.failed}); "
                 "please report it")
        if via is not None:
            emit(f"{asked or principal}: no path of its own to this secret; reached through "
                 f"{_through_label(via)}")
        if not paths and via is not None:
            add("")
            continue
        if not paths and sa.failed:
            add("")  # said above: its readers are unknown
            continue
        if not paths:
            add("  (no principal to show)" if principal is None else
                f"  {principal}: no access path recorded (not a reader, not intended"
                + ("" if denied_listed else "; --all shows a read a policy grants it but "
                   "another gate denies") + ")")
            add("")
            continue
        rows = [[terminal_safe(cell, newlines=False) for cell in (
            p.principal, p.decision, p.gates["resource_policy"].status,
            p.gates["key_policy"].status, p.gates["identity_policy"].status,
            p.gates["scp"].status, _note(p))] for p in paths]
        table = tabulate(rows, headers=["principal", "decision", "resource", "key",
                                        "identity", "scp", "notes"], tablefmt="simple")
        if width is None or max(len(line) for line in table.splitlines()) + 2 <= width:
            lines.extend("  " + line for line in table.splitlines())
        else:
            for principal_arn, decision, resource, key_gate, identity, scp, note in rows:
                emit(f"{principal_arn}: {decision}")
                lines.extend(textwrap.wrap(
                    f"resource {resource}, key {key_gate}, identity {identity}, scp {scp}"
                    + (f"; {note}" if note else ""), width=max(40, width - 6),
                    initial_indent="      ", subsequent_indent="      ",
                    break_on_hyphens=False))
        if why:
            for p in paths:
                emit(f"why {p.principal}:")
                for name, gate in p.gates.items():
                    add(f"    {name}: {gate.status}")
                    for r in gate.reasons:
                        if r in gate.conditions:
                            continue  # said once, below, as unresolved (new-user trial 16)
                        emit(f"- {r}", "      ", "  ")
                    for c in gate.conditions:
                        emit(f"? unresolved: {c}", "      ", "  ")
        add("")
    if not secrets:
        add(("no access path for this principal" + (
            "" if denied_listed else ": it reads no secret and none is meant for it (--all "
            "also lists the secrets a policy grants it but another gate denies)"))
            if principal else
            "no secrets in the snapshot")
    elif replicas and principals is None and not single:
        add(f"{replicas} replica(s) not listed: query one with --secret ARN, or "
                     "--secret NAME --region R")
    return "\n".join(lines) + "\n"
