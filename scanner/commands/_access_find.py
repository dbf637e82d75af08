"""`secretgraph access`: what ``--secret`` and ``--principal`` name -- the secrets and
principals of the analysis a query matches (ARN, name, a glob, the closest when none does),
and for a principal the analysis never listed, which grant could reach it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reports._common import short_resource
from scanner.errors import UsageError
from scanner.graph.schema import PUBLIC_PRINCIPAL
from scanner.policy.arn import arn_account, iam_entity, parse_arn, partition
from scanner.policy.principals import session_role


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
