"""Where a collection starts: the scan's own sessions (``audit_sessions``), the Region the
global services are asked in (``global_service_region``), ``--regions all`` resolved
(``resolve_regions``), and the accounts a run must cover (``find_targets``: Organizations
discovery with ``--org``, and without it whether the home account is in an organization,
``with_membership``). Used by scanner.collect (a scan, a shard) and by the organization-scale
discovery task (scanner.deploy.tasks.list_accounts): one reading for both."""

from __future__ import annotations

import dataclasses
import datetime
import functools
from dataclasses import dataclass
from typing import Callable, Mapping

from scanner.aws.calls import CallCounter
from scanner.aws.executor import Executor
from scanner.aws.guard import ReadOnlyGuard
from scanner.aws.permissions import allowed_operations
from scanner.aws.ratelimit import make_bucket
from scanner.aws.session import AwsSessions, ClientSettings
from scanner.aws.throttle import ThrottleBudget
from scanner.collect_options import (CollectOptions, SessionFactory, default_session_factory,
                                     validate_options)
from scanner.collectors import iam, organizations
from scanner.collectors.base import Recorder
from scanner.errors import SecretgraphError, UsageError
from scanner.graph.schema import GLOBAL
from scanner.model import CoverageEntry, Organization, OrgMembership


class DiscoveryFailed(SecretgraphError):
    """Organizations discovery was throttled or failed on AWS's side: nothing was scanned, and
    it is no configuration error (fault trial round 3: a throttled ListAccounts ended in exit
    2, "bad usage or bad input", with a credentials hint, and a nightly job read a
    configuration error). Exit 3, the scan is incomplete (README, Exit codes); rerun later."""

    exit_code = 3


#: error kinds of a failed discovery call that the credentials or the account explain (exit
#: 2, the credentials hint); any other kind (throttled, fatal) is AWS's side: DiscoveryFailed.
#: Expired credentials are the operator's to refresh: rerunning later with them cannot succeed
#: (review of the day's merges: they exited 3, "rerun later")
_DISCOVERY_CONFIG_KINDS = frozenset({"denied", "region_disabled", "not_found",
                                     "expired_credentials"})


def _discovery_failed(entry: CoverageEntry, attempts: int) -> DiscoveryFailed:
    what = f"organizations:{entry.operation} ({entry.error_code}: {entry.message})"
    if entry.error_kind == "throttled":
        how = f"AWS throttled {what} after {attempts} attempts"
    elif entry.error_kind == "not_sent":  # its quota's earlier calls gave up on throttling
        how = f"{what} was not sent: AWS throttled the earlier calls of its quota"
    else:
        how = f"{what} failed after up to {attempts} attempts"
    return DiscoveryFailed(f"--org: {how}; nothing was scanned; rerun later")


def discover_organization(sessions: AwsSessions, home: str,
                          region: str) -> tuple[Organization, list[CoverageEntry]]:
    rec = Recorder(account_id=home, region=GLOBAL, service=organizations.SERVICE)
    raw = organizations.fetch_organization(sessions.home_client(organizations.SERVICE, region),
                                           rec)
    failures = {c.operation: c for c in rec.coverage}
    attempts = sessions.settings.max_attempts
    if raw.get("organization") is None:
        entry = failures.get("DescribeOrganization")
        if entry is not None and entry.error_kind == "not_found":
            raise UsageError(f"--org: account {home} is not in an AWS Organization; scan it "
                             f"without --org (or --accounts {home})")
        if entry is not None and entry.error_kind not in _DISCOVERY_CONFIG_KINDS:
            raise _discovery_failed(entry, attempts)
        detail = f"{entry.error_code}: {entry.message}" if entry else "no organization returned"
        raise UsageError(f"--org: cannot describe the organization ({detail})")
    if raw.get("accounts") is None:
        entry = failures.get("ListAccounts")
        if entry is not None and entry.error_kind not in _DISCOVERY_CONFIG_KINDS:
            raise _discovery_failed(entry, attempts)
        detail = f"{entry.error_code}: {entry.message}" if entry else "no answer"
        if entry is not None and entry.error_kind == "expired_credentials":
            raise UsageError(f"--org: cannot list the organization's accounts ({detail}): the "
                             "scanner's own credentials expired; refresh them and rerun")
        raise UsageError(f"--org: cannot list the organization's accounts ({detail}); run with "
                         "management-account or delegated-administrator credentials")
    organization = organizations.transform_organization(raw)
    return organization, rec.coverage


def describe_membership(sessions: AwsSessions, home: str,
                        region: str) -> tuple[OrgMembership, list[CoverageEntry]]:
    """Without --org: is the home account in an organization (one DescribeOrganization with
    the scan's own credentials)? A failed call is a coverage entry and ``unknown``."""
    rec = Recorder(account_id=home, region=GLOBAL, service=organizations.SERVICE)
    raw = organizations.fetch_membership(sessions.home_client(organizations.SERVICE, region),
                                         rec)
    return organizations.transform_membership(raw, home), rec.coverage


def audit_sessions(options: CollectOptions, session_factory: SessionFactory | None,
                   counter: CallCounter | None,
                   clock: Callable[[], datetime.datetime] | None) -> AwsSessions:
    """The scan's own sessions: its credentials (``session_factory``, default the standard
    chain or ``--profile``), the read-only guard, the client settings, the role it assumes
    into each account and the throttle, network and server-error budgets."""
    base = (session_factory or default_session_factory)(options)
    settings = ClientSettings(
        # --endpoint-url, or None: botocore then resolves the configured endpoints itself, in
        # the SDKs' order (AWS SDKs and Tools Reference Guide, "Service-specific endpoints":
        # AWS_ENDPOINT_URL_<SERVICE> before AWS_ENDPOINT_URL before the config file, none with
        # AWS_IGNORE_CONFIGURED_ENDPOINT_URLS); reading AWS_ENDPOINT_URL here sent Secrets
        # Manager to it over AWS_ENDPOINT_URL_SECRETS_MANAGER (new-user trial round 9)
        endpoint_url=options.endpoint_url or None,
        max_attempts=options.max_attempts,
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
        max_pool_connections=max(10, options.max_workers),
    )
    return AwsSessions(
        base,
        guard=ReadOnlyGuard(allowed_operations()),
        settings=settings,
        counter=counter if counter is not None else CallCounter(),
        role_name=options.role_name,
        role_arn=options.role_arn,
        external_id=options.external_id,
        sts_region=global_service_region(options.regions),
        clock=clock,
        # the client-side pace of GetResourcePolicy, on every Secrets Manager client
        pacing=make_bucket(options.policy_tps, options.rate_dir),
        throttle=ThrottleBudget(options.throttle_give_ups, options.throttle_seconds,
                                network_give_ups=options.network_give_ups,
                                server_give_ups=options.server_give_ups),
    )


def global_service_region(regions: tuple[str, ...]) -> str:
    """The Region the global services (STS GetCallerIdentity and AssumeRole, Organizations,
    IAM, ec2:DescribeRegions for ``--regions all``) are called in: the first given Region
    that is enabled by default, else the partition's global (IAM) endpoint Region.

    "Default Regions - Regions launched before March 20, 2019 are enabled by default", and an
    opt-in Region "is disabled by default" (AWS Account Management, Enable or disable AWS
    Regions in your account): there AWS rejects the credentials (UnrecognizedClientException),
    so the first ``--regions`` entry, when an opt-in Region, ended the scan as "credentials
    rejected" instead of a region_disabled gap (fault trial round 3)."""
    from scanner.aws.errors import OPT_IN_REGIONS

    for region in regions:
        if region not in OPT_IN_REGIONS:
            return region
    return _partition_global_region(regions[0]) or regions[0]


@functools.lru_cache(maxsize=16)
def _partition_global_region(region: str) -> str | None:
    """The credential-scope Region of IAM's global endpoint in ``region``'s partition
    (us-east-1 for aws), from botocore's bundled endpoints data; None when it names none."""
    import botocore.loaders

    from scanner.aws.regions import region_partition

    partition = region_partition(region)
    data = botocore.loaders.create_loader().load_data("endpoints")
    for entry in data.get("partitions", ()):
        if entry.get("partition") != partition:
            continue
        service = entry.get("services", {}).get(iam.SERVICE, {})
        endpoint = service.get("endpoints", {}).get(service.get("partitionEndpoint") or "", {})
        scope = endpoint.get("credentialScope", {}).get("region")
        return str(scope) if scope else None
    return None


def resolve_regions(options: CollectOptions, sessions: AwsSessions) -> CollectOptions:
    """``--regions all``: the Regions enabled for the home account (ec2:DescribeRegions)."""
    if not options.all_regions:
        return options
    options = dataclasses.replace(options, all_regions=False,
                                  regions=sessions.enabled_regions(
                                      global_service_region(options.regions)))
    validate_options(options)
    return options


@dataclass(frozen=True, kw_only=True)
class Targets:
    """The accounts a run must cover (after Organizations discovery, when asked for)."""

    home: str
    account_ids: tuple[str, ...]
    organization: Organization | None
    org_coverage: list[CoverageEntry]
    names: Mapping[str, str | None]
    #: without --org: whether the home account is in an organization (``with_membership``)
    membership: OrgMembership | None = None


def with_membership(targets: Targets, sessions: AwsSessions, options: CollectOptions,
                    pool: Executor) -> Targets:
    """Without --org: ``targets`` with the home account's DescribeOrganization answer (SCPs
    apply to the accounts of an organization only: without it the SCP gate could only be
    UNKNOWN, scanner/access/scp.py). Asked on the pool inside the working run, like every
    read of the collection: an interrupted run does not wait for it."""
    if options.org:
        return targets
    [(membership, coverage)] = list(pool.map_unordered(
        lambda home: describe_membership(sessions, home,
                                         global_service_region(options.regions)),
        [targets.home]))
    return dataclasses.replace(targets, membership=membership,
                               org_coverage=list(targets.org_coverage) + coverage)


def find_targets(options: CollectOptions, sessions: AwsSessions) -> Targets:
    """The home account (GetCallerIdentity) and the accounts the run covers: with ``--org`` the
    organization's ACTIVE accounts (UsageError or DiscoveryFailed when it cannot be read),
    else ``--accounts`` or the home account alone."""
    home = sessions.home_account()
    organization: Organization | None = None
    org_coverage: list[CoverageEntry] = []
    if options.org:
        organization, org_coverage = discover_organization(
            sessions, home, global_service_region(options.regions))
        account_ids = organizations.active_account_ids(organization)
        if not account_ids:
            raise UsageError("--org: the organization has no ACTIVE account")
    else:
        account_ids = options.accounts or (home,)
    account_ids = tuple(sorted(set(account_ids)))
    if options.role_name is None and options.role_arn is None and \
            any(a != home for a in account_ids):
        raise UsageError(f"--role-name is required to scan accounts other than {home} "
                         "(the account of the scan's own credentials)")
    if options.central_account and options.central_account not in account_ids:
        raise UsageError(f"--central-account {options.central_account} is not one of the "
                         "scanned accounts")
    names = {a.account_id: a.name for a in organization.accounts} if organization else {}
    return Targets(home=home, account_ids=account_ids, organization=organization,
                   org_coverage=org_coverage, names=names)
