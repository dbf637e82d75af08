"""What a collection is asked to do (``CollectOptions``) and the one check of that request
(``validate_options``: UsageError, exit 2, before anything is scanned). Read by scan, collect,
the organization-scale tasks (scanner.deploy.tasks) and the discovery of a run
(scanner.discovery); no AWS call here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from scanner.aws.ratelimit import DEFAULT_POLICY_TPS
from scanner.aws.regions import known_regions, unknown_region
from scanner.aws.session import base_session
from scanner.aws.throttle import (
    DEFAULT_GIVE_UPS,
    DEFAULT_NETWORK_GIVE_UPS,
    DEFAULT_SERVER_GIVE_UPS,
)
from scanner.aws.throttle import DEFAULT_SECONDS as DEFAULT_THROTTLE_SECONDS
from scanner.central_account import check_central_account
from scanner.errors import UsageError
from scanner.policy.arn import is_account_id

if TYPE_CHECKING:
    import boto3

    from scanner.incremental import PolicyCarry

SessionFactory = Callable[["CollectOptions"], "boto3.Session"]


@dataclass(frozen=True, kw_only=True)
class CollectOptions:
    """What to scan and how. ``out`` is the snapshot file (``.json`` or ``.json.gz``); an
    existing directory gets ``snapshot.json.gz`` inside it."""

    out: Path
    regions: tuple[str, ...]
    accounts: tuple[str, ...] = ()  # empty and org=False: the home account only
    org: bool = False  # discover ACTIVE accounts through Organizations
    role_name: str | None = None
    role_arn: str | None = None  # template with {account_id}; wins over role_name
    external_id: str | None = None
    profile: str | None = None
    central_account: str | None = None
    endpoint_url: str | None = None  # default: botocore's configured endpoints, else AWS
    #: scan the Regions enabled for the home account (ec2:DescribeRegions); ``regions`` then
    #: holds the one Region to ask in
    all_regions: bool = False
    max_workers: int = 8
    max_attempts: int = 8
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    work_dir: Path | None = None  # parent of the temporary per-account directory
    scan_id: str | None = None
    extra_known_regions: tuple[str, ...] = field(default_factory=tuple)
    #: regions every secret must be replicated to (the engine config's required_replica_regions):
    #: primaries missing a listed replica in one of them get a DescribeSecret too.
    required_replica_regions: tuple[str, ...] = ()
    #: client-side pace of GetResourcePolicy per account and Region (AWS's bucket: 50/s,
    #: shared with the organization's own PutResourcePolicy calls; scanner.aws.ratelimit)
    policy_tps: float = DEFAULT_POLICY_TPS
    #: share that pace between processes through lock files here (scan --processes)
    rate_dir: Path | None = None
    #: incremental collection: the last complete scan's policies that may be carried
    carry: "PolicyCarry | None" = None
    #: reads at once inside one account-region (services and per-resource reads); 1: serial
    inner_workers: int = 4
    #: the throttle budget of each AWS quota bucket in each account-Region (scanner.aws.throttle):
    #: once this many of its calls gave up on throttling, or they spent this many seconds, its
    #: other calls there are not sent (not_sent coverage); 0: no limit of that kind
    throttle_give_ups: int = DEFAULT_GIVE_UPS
    throttle_seconds: float = DEFAULT_THROTTLE_SECONDS
    #: the network budget of each endpoint: once this many of its calls failed on the network
    #: through all their attempts, its other calls are not sent (not_sent coverage); 0: none
    network_give_ups: int = DEFAULT_NETWORK_GIVE_UPS
    #: the server-error budget of each AWS quota bucket in each account-Region: once this many
    #: of its calls were answered HTTP 5xx through all their attempts, its other calls there
    #: are not sent (not_sent coverage); 0: none
    server_give_ups: int = DEFAULT_SERVER_GIVE_UPS


# --------------------------------------------------------------------------- validation


def check_account_ids(accounts: Iterable[str]) -> None:
    """UsageError for an --accounts id that is not 12 digits: said by scan and collect before
    anything else is looked for (the Region: user trial round 25), and by validate_options."""
    for account in accounts:
        if not is_account_id(account):
            raise UsageError(f"malformed account id {account!r}: expected 12 digits")


def validate_options(options: CollectOptions) -> None:
    """UsageError for anything wrong with the request itself (exit 2, nothing scanned)."""
    if not options.regions:
        raise UsageError("no regions given (--regions r1,r2)")
    from scanner.suggest import suggest

    known = known_regions() | set(options.extra_known_regions)
    # with the closest Regions, as the config's Regions are refused (scanner/engine/config.py;
    # new-user trial: `--regions us-wst-2` named none where the config named us-west-2)
    for region in options.regions:
        problem = None if region in known else unknown_region(region)
        if problem:
            raise UsageError(problem)
    twice = sorted({r for r in options.regions if options.regions.count(r) > 1})
    if twice:
        raise UsageError(f"{', '.join(twice)} {'is' if len(twice) == 1 else 'are'} listed "
                         "twice in --regions")
    for region in options.required_replica_regions:
        if region not in known:
            raise UsageError(f"unknown region {region!r} in required_replica_regions "
                             f"(not an AWS region botocore knows){suggest(region, sorted(known))}")
    check_account_ids(options.accounts)
    if options.central_account is not None:
        check_central_account(options.central_account)
    if options.org and options.accounts:
        # which to keep, and what the other leaves out (new-user trial round 30: a subset of
        # the organization with its SCPs was tried as --org --accounts A,B)
        raise UsageError("give --org or --accounts, not both: --org scans every account of "
                         "the organization, its SCPs and RCPs read; --accounts scans only the "
                         "accounts it lists, their SCPs and RCPs not read (reads they would "
                         "allow are CONDITIONAL)")
    if options.max_workers < 1:
        raise UsageError("--max-workers must be at least 1")
    if options.max_attempts < 1:
        raise UsageError("max_attempts must be at least 1")
    if options.throttle_give_ups < 0 or options.throttle_seconds < 0 or \
            options.network_give_ups < 0 or options.server_give_ups < 0:
        raise UsageError("the throttle budget cannot be negative")
    if not options.policy_tps > 0:
        raise UsageError("--policy-tps must be a positive number")


def default_session_factory(options: CollectOptions) -> boto3.Session:
    return base_session(options.profile)
