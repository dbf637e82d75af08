"""collect(): read an estate into a snapshot file. The only part of a scan that does I/O.

Phases (each runs on the bounded executor; results stream to a temporary directory, one
folder per account, so memory does not grow with the number of accounts):

1. validate the options (UsageError / CredentialsError: exit 2, nothing scanned), find the
   home account (GetCallerIdentity) and, with ``org=True``, discover the ACTIVE accounts, OUs
   and SCPs through Organizations with the scan's own (management) credentials;
2. without ``org``, ask DescribeOrganization once in the home account (is it in an
   organization? ``Snapshot.org_membership``); assume the audit role in every account except
   the home account (a failure is a coverage entry and ``AccountSnapshot(assumed=False)``;
   the rest of the scan goes on);
3. one unit of work per account x region (Secrets Manager, KMS, EC2, Lambda, Service Quotas)
   and per account for IAM ("global");
4. one DescribeSecret per primary secret that a scanned region lists a replica of, and per
   primary lacking a listed replica in one of ``required_replica_regions`` (Failed
   replications and unscanned regions are seen through its ReplicationStatus);
5. infer the central security account unless it was named, then assemble the snapshot file
   account by account (SnapshotWriter streams it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import gc
import json
import logging
import os
import signal
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Sequence

from scanner import __version__
from scanner.aws.calls import CallCounter
from scanner.aws.errors import AWS_ERRORS, classify
from scanner.aws.executor import Executor, ThreadPoolExecutor
from scanner.aws.session import AwsSessions, role_name_of
from scanner.collectors import ec2, iam, kms, lambda_, quotas, secretsmanager
from scanner.central_account import (AccountStats, UNREAD_ACCOUNT, choose_central_account,
                                     listing_unread, region_stats)
from scanner.collect_options import CollectOptions, SessionFactory, validate_options
from scanner.collectors.base import Recorder
from scanner.discovery import (audit_sessions, find_targets, global_service_region,
                               resolve_regions, with_membership)
from scanner.errors import (
    Cancelled,
    OutputError,
    ProcessDied,
    SecretgraphError,
    UsageError,
    how_it_ended,
)
from scanner.graph.schema import GLOBAL
from scanner.model import (
    AccountSnapshot,
    CoverageEntry,
    RegionSnapshot,
    ScanMeta,
    to_jsonable,
)
from scanner.snapshot_io import SnapshotWriter

if TYPE_CHECKING:
    from scanner.incremental import PolicyCarry
    from scanner.shards import PartsStore, Shard, ShardManifest

log = logging.getLogger(__name__)


def snapshot_path(out: Path) -> Path:
    out = Path(out)
    return out / "snapshot.json.gz" if out.is_dir() else out


# --------------------------------------------------------------------------- temp store


class PartStore:
    """Per-account JSON parts in a temporary directory (one small file per unit of work).

    ``close()`` ends the writes: an interrupted run removes the directory without waiting for
    a worker still blocked in a call, and that worker's late ``put`` must not create the
    directory again (it raises Cancelled instead)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._closed = False

    def _path(self, account_id: str, part: str) -> Path:
        return self.root / account_id / f"{part}.json"

    def put(self, account_id: str, part: str, data: Mapping[str, Any]) -> None:
        text = json.dumps(data, separators=(",", ":"))
        with self._lock:
            if self._closed:
                raise Cancelled()
            path = self._path(account_id, part)
            tmp = path.with_suffix(".tmp")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_text(text, encoding="utf-8")
                os.replace(tmp, path)
            except OSError as exc:
                # a full $TMPDIR: one error naming the folder, not a collector's crash (the
                # guard around each collector caught it) and then "internal error: OSError:
                # [Errno 28] No space left on device" (fault-injection trial round 12)
                raise OutputError(
                    f"cannot write the collection's working files in {self.root.parent} (the "
                    f"temporary directory: $TMPDIR, else /tmp): {exc.strerror or exc}; nothing "
                    "was written -- free some space there, or set TMPDIR to a folder on a "
                    "disk with room") from None

    def close(self) -> None:
        """No write after this returns (one in progress is finished first)."""
        with self._lock:
            self._closed = True

    def get(self, account_id: str, part: str) -> dict[str, Any] | None:
        path = self._path(account_id, part)
        if not path.exists():
            return None
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data


def _part_names(regions: tuple[str, ...]) -> list[str]:
    return ["assume", GLOBAL] + list(regions) + [f"{r}.replication" for r in regions]


# --------------------------------------------------------------------------- units of work


def collect_region(sessions: AwsSessions, account_id: str, region: str, *,
                   carry: "PolicyCarry | None" = None,
                   clock: Callable[[], datetime.datetime] | None = None,
                   inner_workers: int = 4,
                   ) -> tuple[RegionSnapshot, list[CoverageEntry]]:
    """Every regional collector for one account-region. With ``carry``, unchanged secret
    policies come from the last complete scan.

    The five services are read at once, and the per-secret and per-key reads of Secrets
    Manager and KMS run ``inner_workers`` at a time (results in input order; 1: one after
    another): with 20-80 ms per request, a unit's wall time is then its longest chain, not the
    sum of its calls. Transforms run afterwards on this thread (Lambda needs EC2's subnets).
    """
    import concurrent.futures

    unread: list[str] = []

    def recorder(service: str) -> Recorder:
        return Recorder(account_id=account_id, region=region, service=service)

    def client(service: str) -> Any:
        # Secrets Manager's client paces GetResourcePolicy (the sessions' bucket)
        return sessions.client(service, account_id=account_id, region=region)

    moment = clock() if clock else datetime.datetime.now(datetime.timezone.utc)
    reuse: secretsmanager.Carry | None = None
    if carry is not None:
        tonight = carry.moment(moment)

        def reuse(entry: Mapping[str, Any]) -> tuple[str | None, str] | None:
            kept = carry.reuse(entry, tonight)
            return None if kept is None else (kept.policy, kept.read_at)

    recs = {name: recorder(name) for name in (ec2.SERVICE, secretsmanager.SERVICE, kms.SERVICE,
                                              lambda_.SERVICE, quotas.SERVICE)}

    def guarded(service: str, step: Callable[[], Any]) -> Any:
        """``step()``, or None when it crashed (a bug, or an answer nothing checked for): the
        crash costs that one service of the account-Region, as a fatal coverage entry."""
        if raw_failed.get(service):
            return None
        try:
            return step()
        except SecretgraphError:
            raise
        except Exception as exc:  # noqa: BLE001 -- recorded as a fatal coverage entry
            raw_failed[service] = True
            recs[service].coverage.append(_crash_entry(exc, account_id, region, service))
            return None

    raw_failed: dict[str, bool] = {}
    parallel = inner_workers > 1
    services = concurrent.futures.ThreadPoolExecutor(5 if parallel else 1,
                                                     thread_name_prefix="secretgraph-service")
    reads = concurrent.futures.ThreadPoolExecutor(max(1, inner_workers),
                                                  thread_name_prefix="secretgraph-read")
    mapper: Any = reads.map if parallel else map
    try:
        futures = {
            ec2.SERVICE: services.submit(ec2.fetch_network, client(ec2.SERVICE),
                                         recs[ec2.SERVICE]),
            secretsmanager.SERVICE: services.submit(
                secretsmanager.fetch_secrets, client(secretsmanager.SERVICE),
                recs[secretsmanager.SERVICE], carry=reuse, read_at=_now(lambda: moment),
                mapper=mapper),
            kms.SERVICE: services.submit(kms.fetch_keys, client(kms.SERVICE), recs[kms.SERVICE],
                                         mapper=mapper),
            lambda_.SERVICE: services.submit(lambda_.fetch_functions, client(lambda_.SERVICE),
                                             recs[lambda_.SERVICE]),
            quotas.SERVICE: services.submit(quotas.fetch_peering_quota, client(quotas.SERVICE),
                                            recs[quotas.SERVICE]),
        }
        raw: dict[str, Any] = {}
        for name, future in futures.items():
            raw[name] = guarded(name, future.result)
        # Aliases and versions a rotation ARN names are not in ListFunctions: read the ones
        # this account-Region's secrets name, once both listings are in.
        listed_secrets = (raw.get(secretsmanager.SERVICE) or {}).get("secrets") or ()
        targets = lambda_.rotation_qualifiers(
            raw.get(lambda_.SERVICE),
            (str(e["RotationLambdaARN"]) for e in listed_secrets if e.get("RotationLambdaARN")))
        if targets:
            qualifiers = guarded(lambda_.SERVICE, lambda: lambda_.fetch_qualifiers(
                client(lambda_.SERVICE), recs[lambda_.SERVICE], targets, mapper=mapper))
            if qualifiers is not None:
                raw[lambda_.SERVICE] = {**raw[lambda_.SERVICE], "qualifiers": qualifiers}
    finally:
        services.shutdown(wait=True)
        reads.shutdown(wait=True)

    crashed: dict[str, Exception] = {}
    network = guarded(ec2.SERVICE, lambda: ec2.transform_network(
        raw[ec2.SERVICE], account_id=account_id, region=region, crashed=crashed)) or \
        {part: None for part in ec2.LISTINGS}
    for part, exc in crashed.items():  # one listing lost, not the whole of EC2
        recs[ec2.SERVICE].coverage.append(_crash_entry(exc, account_id, region, ec2.SERVICE,
                                                       operation=ec2.LISTINGS[part][0]))
    failed = [part for part, records in network.items() if records is None]
    if failed:
        # "ec2" for every reader of the network, and which listings failed (``ec2.peerings``)
        # for the rules that read only some of them
        # (scanner.engine.context.GraphIndex.service_readable)
        unread += [ec2.SERVICE] + [f"{ec2.SERVICE}.{part}" for part in failed]
    secrets = guarded(secretsmanager.SERVICE, lambda: secretsmanager.transform_secrets(
        raw[secretsmanager.SERVICE], account_id=account_id, region=region))
    if secrets is None:
        unread.append(secretsmanager.SERVICE)
    keys = guarded(kms.SERVICE, lambda: kms.transform_keys(raw[kms.SERVICE],
                                                           account_id=account_id,
                                                           region=region))
    if keys is None:
        unread.append(kms.SERVICE)
    functions = guarded(lambda_.SERVICE, lambda: lambda_.transform_functions(
        raw[lambda_.SERVICE], account_id=account_id, region=region,
        subnets=network.get("subnets")))
    if functions is None:
        unread.append(lambda_.SERVICE)
    quota = guarded(quotas.SERVICE, lambda: quotas.transform_peering_quota(
        raw[quotas.SERVICE])) or quotas.transform_peering_quota({})
    if recs[quotas.SERVICE].coverage:
        unread.append(quotas.SERVICE)
    # coverage in a fixed order (service by service), whatever order the threads finished in
    coverage = [entry for name in (ec2.SERVICE, secretsmanager.SERVICE, kms.SERVICE,
                                   lambda_.SERVICE, quotas.SERVICE)
                for entry in sorted(recs[name].coverage,
                                    key=lambda c: (c.operation, c.resource_arn or ""))]

    snapshot = RegionSnapshot(
        region=region,
        secrets=secrets or (),
        kms_keys=keys or (),
        vpcs=network.get("vpcs") or (),
        subnets=network.get("subnets") or (),
        route_tables=network.get("route_tables") or (),
        peerings=network.get("peerings") or (),
        security_groups=network.get("security_groups") or (),
        vpc_endpoints=network.get("vpc_endpoints") or (),
        nat_gateways=network.get("nat_gateways") or (),
        lambda_functions=functions or (),
        quotas=(quota,),
        unread_services=tuple(unread),
    )
    return snapshot, coverage


def collect_iam(sessions: AwsSessions, account_id: str,
                region: str) -> tuple[dict[str, Any] | None, list[CoverageEntry]]:
    rec = Recorder(account_id=account_id, region=GLOBAL, service=iam.SERVICE)
    client = sessions.client(iam.SERVICE, account_id=account_id, region=region)
    snapshot = iam.transform_authorization(iam.fetch_authorization(client, rec),
                                           account_id=account_id)
    return (to_jsonable(snapshot) if snapshot is not None else None), rec.coverage


def _crash_entry(exc: Exception, account_id: str, region: str, service: str, *,
                 operation: str = "(collector)") -> CoverageEntry:
    """A bug in a collector must not read as an empty account: it becomes a fatal entry. One
    log line says so; the traceback is logged at DEBUG (shown with --debug), never on an
    ordinary run ("never a traceback")."""
    if isinstance(exc, KeyError) and exc.args:
        what = f"a record without {exc.args[0]!s} (KeyError)"
    else:
        what = f"{type(exc).__name__}: {exc}"
    message = " ".join(f"{service} collector failed on {what}".split())[:500]
    log.error("collector crashed in %s/%s: %s", account_id, region, message)
    log.debug("traceback of the crash in %s/%s (%s)", account_id, region, service, exc_info=exc)
    return CoverageEntry(account_id=account_id, region=region, service=service,
                         operation=operation, error_code=type(exc).__name__,
                         error_kind="fatal", message=message)


#: said after an AssumeRole refusal when the scan sent an ExternalId (not its value)
EXTERNAL_ID_HINT = (" (sent with the ExternalId of --external-id: a trust policy that requires "
                    "another sts:ExternalId is refused so too)")


class _Run:
    """The state of one collect() call (shared by the units of work)."""

    def __init__(self, options: CollectOptions, sessions: AwsSessions, store: PartStore) -> None:
        self.options = options
        self.sessions = sessions
        self.store = store
        self.clock: Callable[[], datetime.datetime] | None = None

    def assume(self, account_id: str) -> tuple[str, bool]:
        try:
            self.sessions.credentials(account_id)
            return account_id, True
        except AWS_ERRORS as exc:
            entry = classify(exc, account_id=account_id, region=GLOBAL, service="sts",
                             operation="AssumeRole",
                             resource_arn=self.sessions.role_arn(account_id))
            if entry.error_kind == "denied" and self.options.external_id:
                # AWS refuses an ExternalId the trust policy does not accept with the words
                # it uses for a caller it does not trust: say which may be the case (fault-
                # injection trial round 12: --external-id wrong for one account)
                entry = dataclasses.replace(entry, message=entry.message + EXTERNAL_ID_HINT)
            self.store.put(account_id, "assume", {"coverage": [to_jsonable(entry)]})
            return account_id, False

    def unit(self, item: tuple[str, str]) -> tuple[str, str, AccountStats, list[tuple[str, str]]]:
        return self._unit(item)

    def _unit(self, item: tuple[str, str]) -> tuple[str, str, AccountStats, list[tuple[str, str]]]:
        account_id, region = item
        try:
            if region == GLOBAL:
                iam_json, coverage = collect_iam(
                    self.sessions, account_id, global_service_region(self.options.regions))
                self.store.put(account_id, GLOBAL, {
                    "iam": iam_json, "coverage": [to_jsonable(c) for c in coverage]})
                return account_id, region, AccountStats(), []
            snapshot, coverage = collect_region(self.sessions, account_id, region,
                                                carry=self.options.carry,
                                                clock=self.clock,
                                                inner_workers=self.options.inner_workers)
        except SecretgraphError:
            raise
        except Exception as exc:  # noqa: BLE001 -- recorded as a fatal coverage entry
            if self.sessions.cancelled:
                # the run is stopping (an error, a signal) and exits without waiting for its
                # workers: what fails now ("cannot schedule new futures after interpreter
                # shutdown") is that stop, not a collector's crash, logged after the scan's
                # last line (fault-injection trial round 12)
                raise Cancelled() from None
            service = iam.SERVICE if region == GLOBAL else "(all)"
            entry = _crash_entry(exc, account_id, region, service)
            data: dict[str, Any] = {"coverage": [to_jsonable(entry)]}
            if region == GLOBAL:
                data["iam"] = None
            else:
                data["region"] = to_jsonable(RegionSnapshot(
                    region=region, unread_services=("secretsmanager", "kms", "ec2", "lambda",
                                                    "service-quotas")))
            self.store.put(account_id, region, data)
            return account_id, region, (AccountStats() if region == GLOBAL else
                                        region_stats((), listing_read=False)), []
        self.store.put(account_id, region, {"region": to_jsonable(snapshot),
                                            "coverage": [to_jsonable(c) for c in coverage]})
        replicas = secretsmanager.replica_arns_of_primaries(snapshot.secrets)
        return account_id, region, region_stats(
            snapshot.secrets, listing_read=not listing_unread(snapshot, coverage)), replicas

    def replication(self, item: tuple[tuple[str, str], Mapping[str, Iterable[str]]]) -> str:
        """DescribeSecret for the primaries of one account-region that need it. ``item``:
        ((account, region), primary ARN -> the scanned regions listing a replica of it).
        Returns the account."""
        (account_id, region), listed = item
        part = self.store.get(account_id, region) or {}
        arns = [
            secret["arn"] for secret in (part.get("region") or {}).get("secrets", ())
            if not _is_replica_json(secret) and secretsmanager.needs_replication_status(
                region=region, listed_in=tuple(listed.get(secret["arn"], ())),
                required_regions=self.options.required_replica_regions)
        ]
        if not arns:
            return account_id
        rec = Recorder(account_id=account_id, region=region, service=secretsmanager.SERVICE)
        try:
            client = self.sessions.client(secretsmanager.SERVICE, account_id=account_id,
                                          region=region)
            raw = secretsmanager.fetch_replication(client, rec, sorted(arns))
        except SecretgraphError:
            raise
        except Exception as exc:  # noqa: BLE001 -- recorded as a fatal coverage entry
            if self.sessions.cancelled:  # the run is stopping (as in _unit)
                raise Cancelled() from None
            rec.coverage.append(_crash_entry(exc, account_id, region, secretsmanager.SERVICE))
            raw = {"described": {}, "failed": sorted(arns)}
        patches = secretsmanager.transform_replication(raw)
        self.store.put(account_id, f"{region}.replication", {
            "replicas": {arn: (None if value is None else to_jsonable(value))
                         for arn, value in patches.items()},
            "coverage": [to_jsonable(c) for c in rec.coverage],
        })
        return account_id


class _Release:
    """Counts an account's units of work in one phase; after its last one the account's
    clients are released (``AwsSessions.release``), so the clients alive follow the accounts
    in flight, not the accounts scanned.

    A released client is freed by reference counting at once. When one is still alive after
    the release (a reference cycle holds it: botocore's clients each had a generated class of
    ~100 KB-2 MB in one, before their classes were shared), the garbage is collected at once,
    or peak memory would follow the garbage collector's schedule instead of the accounts in
    flight. The released botocore sessions (about 60 KB each, always in cycles) are collected
    once ``LINGERING`` of them wait. A full collection walks every object alive (10-25 ms a time
    in the demo scan, after every account before), so it is made only then.
    """

    #: released botocore sessions left for the next full collection (about 0.5 MB in all)
    LINGERING = 8

    def __init__(self, sessions: AwsSessions, accounts: Iterable[str]) -> None:
        self.sessions = sessions
        self.left: dict[str, int] = {}
        for account_id in accounts:
            self.left[account_id] = self.left.get(account_id, 0) + 1

    def done(self, account_id: str) -> None:
        self.left[account_id] -= 1
        if not self.left[account_id]:
            if self.sessions.release(account_id) or \
                    self.sessions.lingering() >= self.LINGERING:
                gc.collect()


def _is_replica_json(secret: Mapping[str, Any]) -> bool:
    primary_region = secret.get("primary_region")
    return bool(primary_region) and primary_region != secret.get("region")


def _assemble_account(store: PartStore, account_id: str, *, name: str | None,
                      regions: tuple[str, ...], assumed: bool,
                      required_replica_regions: tuple[str, ...] = ()) -> dict[str, Any]:
    """One account's JSON from its parts (replication results patched into the secrets; a
    primary without one keeps ``replicas=()`` unless ``replicas_unknown``)."""
    if not assumed:
        return to_jsonable(AccountSnapshot(account_id=account_id, name=name, assumed=False,
                                           iam=None))
    iam_part = store.get(account_id, GLOBAL) or {}
    region_data = []
    for region in regions:
        part = store.get(account_id, region) or {}
        region_data.append(part.get("region") or to_jsonable(RegionSnapshot(region=region)))
    unlisted = [data["region"] for data in region_data
                if secretsmanager.SERVICE in data.get("unread_services", ())]
    for data in region_data:
        region = data["region"]
        patch = (store.get(account_id, f"{region}.replication") or {}).get("replicas", {})
        unknown = secretsmanager.replicas_unknown(
            region=region, required_regions=required_replica_regions, scanned_regions=regions,
            unlisted_regions=unlisted)
        for secret in data["secrets"]:
            if secret["arn"] in patch:
                value = patch[secret["arn"]]
            elif unknown and not _is_replica_json(secret):
                value = None
            else:
                continue
            secret["replicas"] = value
            if value is None:
                secret["unread"] = sorted(set(secret["unread"]) | {"replicas"})
    return {"account_id": account_id, "name": name, "regions": region_data,
            "iam": iam_part.get("iam"), "assumed": True}


def _coverage(store: PartStore, accounts: Iterable[str],
              regions: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    for account_id in accounts:
        for part in _part_names(regions):
            for entry in (store.get(account_id, part) or {}).get("coverage", []):
                yield entry


def _now(clock: Callable[[], datetime.datetime] | None) -> str:
    moment = clock() if clock else datetime.datetime.now(datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")




def _collect_accounts(run: _Run, pool: Executor, account_ids: tuple[str, ...],
                      progress: Any = None) -> tuple[dict[str, bool], dict[str, AccountStats]]:
    """Phases 2-4 for ``account_ids``: assume, units of work, replication (parts in the store).
    Every phase stays inside one account, which is what lets shards split by account.
    ``progress`` (a scanner.progress.Progress) is told the phase and each account x Region."""
    with run.sessions.settled_heap(COLLECTOR_SERVICES):
        return _collect_accounts_settled(run, pool, account_ids, progress)


#: The services of the per-account units of work (their models are loaded before any unit).
COLLECTOR_SERVICES = (iam.SERVICE, ec2.SERVICE, secretsmanager.SERVICE, kms.SERVICE,
                      lambda_.SERVICE, quotas.SERVICE)


def _collect_accounts_settled(run: _Run, pool: Executor, account_ids: tuple[str, ...],
                              progress: Any = None
                              ) -> tuple[dict[str, bool], dict[str, AccountStats]]:
    options = run.options
    if progress is not None:  # a role per account: seconds to minutes at 1,000 accounts
        progress.phase("assume", unit="accounts", total=len(account_ids))
    assumed: dict[str, bool] = {}
    for account_id, ok in pool.map_unordered(run.assume, account_ids):
        assumed[account_id] = ok
        if progress is not None:
            progress.advance()
    if progress is not None:
        progress.phase("collect", unit="accounts x Regions",
                       total=sum(len(options.regions) + 1 for a in account_ids if assumed[a]))

    def units() -> Iterator[tuple[str, str]]:
        for account_id in account_ids:
            if assumed[account_id]:
                yield account_id, GLOBAL
                for region in options.regions:
                    yield account_id, region

    # an account whose role was not assumed was not read at all
    stats: dict[str, AccountStats] = {
        a: AccountStats() if assumed[a] else UNREAD_ACCOUNT for a in account_ids}
    # (account, primary region) -> primary ARN -> scanned regions listing a replica
    replicated: dict[tuple[str, str], dict[str, set[str]]] = {}
    release = _Release(run.sessions, (account_id for account_id, _ in units()))
    for account_id, region, region_stat, replicas in pool.map_unordered(run.unit, units()):
        release.done(account_id)
        stats[account_id] = stats[account_id].plus(region_stat)
        if progress is not None:
            progress.advance()
        for primary_region, primary_arn in replicas:
            if primary_region in options.regions:
                replicated.setdefault((account_id, primary_region), {}).setdefault(
                    primary_arn, set()).add(region)
    if options.required_replica_regions:
        # every primary may lack a required replica: look at every account-region
        keys = [(a, r) for a in account_ids if assumed[a] for r in options.regions]
    else:
        keys = sorted(replicated)
    release = _Release(run.sessions, (account_id for account_id, _ in keys))
    for account_id in pool.map_unordered(run.replication,
                                         ((key, replicated.get(key, {})) for key in keys)):
        release.done(account_id)
    return assumed, stats


@contextmanager
def _working_run(options: CollectOptions, sessions: AwsSessions, executor: Executor | None,
                 clock: Callable[[], datetime.datetime] | None, prefix: str
                 ) -> Iterator[tuple[PartStore, "_Run", Executor]]:
    """A collection's temporary folder (its store), run and worker pool. On the way out, also
    when interrupted, the sessions are cancelled (the workers stop at their next API call) and
    the pool is shut down *before* the folder is removed: no worker writes into a folder being
    deleted, and no collected data is left behind (``collect``, ``collect_shard``)."""
    pool: Executor = executor or ThreadPoolExecutor(options.max_workers)
    with tempfile.TemporaryDirectory(prefix=prefix, dir=options.work_dir) as tmp:
        store = PartStore(Path(tmp))
        interrupted = False
        try:
            run = _Run(options, sessions, store)
            run.clock = clock
            yield store, run, pool
        except BaseException:
            # Ctrl-C, SIGTERM or an error: every client's next attempt raises Cancelled, and
            # nobody waits for a worker blocked in a socket read (botocore would read on for
            # up to max_attempts x read_timeout; the CLI exits without joining it)
            interrupted = True
            sessions.cancel()
            raise
        finally:
            if executor is None:
                pool.close(wait=not interrupted)
            store.close()


def collect(
    options: CollectOptions,
    *,
    executor: Executor | None = None,
    session_factory: SessionFactory | None = None,
    counter: CallCounter | None = None,
    clock: Callable[[], datetime.datetime] | None = None,
    progress: Any = None,
) -> Path:
    """Scan and write the snapshot file; returns its path. See the module docstring.

    ``counter`` (optional) receives a count of every operation sent; ``clock`` feeds the
    timestamps and the credentials' expiry checks (tests); ``progress`` (a
    scanner.progress.Progress) is told the phase and each account x Region done.
    """
    validate_options(options)
    if progress is not None:  # the credentials' account, the organization, the Regions
        progress.phase("discover")
    sessions = audit_sessions(options, session_factory, counter, clock)
    started = _now(clock)
    options = resolve_regions(options, sessions)
    targets = find_targets(options, sessions)
    account_ids = targets.account_ids

    with _working_run(options, sessions, executor, clock,
                      "secretgraph-collect-") as (store, run, pool):
        targets = with_membership(targets, run.sessions, run.options, pool)
        assumed, stats = _collect_accounts(run, pool, account_ids, progress)

        choice = choose_central_account(stats, accounts=account_ids,
                                        flag=options.central_account)
        if choice.reason:
            log.warning("%s", choice.reason)

        with SnapshotWriter(snapshot_path(options.out)) as writer:
            for account_id in account_ids:
                writer.write_account(_assemble_account(
                    store, account_id, name=targets.names.get(account_id),
                    regions=options.regions, assumed=assumed[account_id],
                    required_replica_regions=options.required_replica_regions))
            meta = ScanMeta(
                scan_id=options.scan_id or f"scan-{started.replace(':', '')}-"
                                           f"{uuid.uuid4().hex[:8]}",
                started_at=started,
                finished_at=_now(clock),
                tool_version=__version__,
                partition=sessions.partition,
                accounts=account_ids,
                regions=options.regions,
                central_account=choice.account,
                central_account_source=choice.source,
                role_name=options.role_name or (
                    role_name_of(options.role_arn) if options.role_arn else None),
                org_id=targets.organization.org_id if targets.organization else None,
            )
            coverage: Iterator[Any] = _chain(
                (to_jsonable(c) for c in targets.org_coverage),
                _coverage(store, account_ids, options.regions))
            path = writer.finish(meta=meta, organization=targets.organization,
                                 coverage=coverage, org_membership=targets.membership)
    log.info("collected %s account(s) x %s Region(s) into %s; API calls: %s",
             len(account_ids), len(options.regions), path,
             sessions.counter.counts() if sessions.counter else {})
    return path


# --------------------------------------------------------------------------- shards


@dataclass(frozen=True, kw_only=True)
class ShardRequest:
    """Which part of a run this process collects, and where its parts go (scanner.shards).

    ``shard`` picks accounts by the stable partition; ``label`` (used by the workflow, whose
    batches are explicit ``--accounts`` lists) names the manifest instead. ``expected`` is the
    run's whole account list when the caller already knows it (the workflow's discovery step);
    otherwise it is this process's own discovery (``--org``) or ``--accounts``.
    """

    run_id: str
    parts: "PartsStore"
    shard: "Shard | None" = None
    label: str | None = None
    expected: tuple[str, ...] = ()


def collect_shard(
    options: CollectOptions,
    request: ShardRequest,
    *,
    executor: Executor | None = None,
    session_factory: SessionFactory | None = None,
    counter: CallCounter | None = None,
    clock: Callable[[], datetime.datetime] | None = None,
    progress: Any = None,
) -> "ShardManifest":
    """Collect the accounts of one shard: one part per account, then the shard manifest.

    Each part is written atomically as soon as its account is assembled, so a shard that is
    retried overwrites its parts cleanly and a crashed shard leaves whole parts or none.
    """
    import time

    from scanner.shards import ShardManifest, encode_part, part_key, partition, write_manifest

    validate_options(options)
    t0 = time.perf_counter()
    counter = counter if counter is not None else CallCounter()
    if progress is not None:  # the credentials' account, the organization, the Regions
        progress.phase("discover")
    sessions = audit_sessions(options, session_factory, counter, clock)
    started = _now(clock)
    options = resolve_regions(options, sessions)
    targets = find_targets(options, sessions)
    mine = partition(targets.account_ids, request.shard) if request.shard else \
        targets.account_ids
    if options.carry is not None:  # only this shard's policies travel on
        options = dataclasses.replace(options, carry=options.carry.for_accounts(mine))
    with _working_run(options, sessions, executor, clock,
                      "secretgraph-shard-") as (store, run, pool):
        targets = with_membership(targets, run.sessions, run.options, pool)
        assumed, stats = _collect_accounts(run, pool, mine, progress)
        coverage_counts: dict[str, int] = {}
        for account_id in mine:
            account = _assemble_account(
                store, account_id, name=targets.names.get(account_id),
                regions=options.regions, assumed=assumed[account_id],
                required_replica_regions=options.required_replica_regions)
            s = stats[account_id]
            entries = list(_coverage(store, (account_id,), options.regions))
            coverage_counts[account_id] = len(entries)
            request.parts.write(part_key(request.run_id, account_id), encode_part(
                run_id=request.run_id, account=account, coverage=entries,
                stats=s.to_json(),
                collected_at=_now(clock), seconds=time.perf_counter() - t0))
    label = request.label or (request.shard.name if request.shard else "all")
    manifest = ShardManifest(
        run_id=request.run_id,
        shard=str(request.shard) if request.shard else label,
        accounts=mine,
        expected_accounts=request.expected or targets.account_ids,
        regions=options.regions,
        partition=sessions.partition,
        role_name=options.role_name or (
            role_name_of(options.role_arn) if options.role_arn else None),
        home_account=targets.home,
        central_account=options.central_account,
        organization=to_jsonable(targets.organization) if targets.organization else None,
        org_membership=to_jsonable(targets.membership) if targets.membership else None,
        org_coverage=tuple(to_jsonable(c) for c in targets.org_coverage),
        api_calls=counter.counts(),
        started_at=started,
        finished_at=_now(clock),
        seconds=round(time.perf_counter() - t0, 3),
        coverage=coverage_counts,
    )
    write_manifest(request.parts, manifest, label)
    log.info("shard %s of run %s: %s account(s) into %s", manifest.shard, request.run_id,
             len(mine), request.parts.uri)
    return manifest


def _shard_process(args: tuple[CollectOptions, str, int, int]) -> dict[str, Any]:
    """One process of ``collect_processes`` (top level, so it pickles): its phases go to the
    parent's bar through the slots ``_shard_start`` was given (scanner.shard_progress)."""
    from scanner.shard_progress import ShardProgress
    from scanner.shards import Shard, open_parts

    options, location, index, count = args
    logging.getLogger().setLevel(logging.WARNING)
    counter = CallCounter()
    progress = ShardProgress(_PROGRESS_SLOTS, index - 1, counter) \
        if _PROGRESS_SLOTS is not None else None
    manifest = collect_shard(options, ShardRequest(run_id="local", parts=open_parts(location),
                                                   shard=Shard(index=index, count=count)),
                             counter=counter, progress=progress)
    return manifest.to_json()


#: in a shard process: the memory its progress is written to (``_shard_start``)
_PROGRESS_SLOTS: Any = None


def collect_processes(options: CollectOptions, processes: int,
                      counter: CallCounter | None = None, progress: Any = None) -> Path:
    """``scan --processes N``: the shard partition on one machine, one shard per process,
    merged into ``options.out`` exactly as ``scan --from-parts`` merges a run. ``progress``
    is told the shards' phases and their accounts and account x Regions done, summed
    (scanner.shard_progress); their calls are counted when merged."""
    import concurrent.futures
    import multiprocessing

    from scanner.shard_progress import ShardsShown, new_slots
    from scanner.shards import LocalParts, merge_parts

    validate_options(options)
    if processes < 1:
        raise UsageError("--processes must be at least 1")
    context = multiprocessing.get_context("spawn")
    slots = new_slots(context, processes)
    shown = ShardsShown(progress, slots, processes) if progress is not None else None
    if shown is not None:
        # review of the fourteenth session's merges: with --processes the bar showed no
        # phase at all during collection (the shards tell their own processes' bars nothing)
        shown.show()
        progress.elsewhere = shown.calls  # until the merge adds them to ``counter``
    with tempfile.TemporaryDirectory(prefix="secretgraph-processes-",
                                     dir=options.work_dir) as tmp:
        # the shards' own temporary folders inside this one: removed with it, also when a
        # stopped shard could not remove its own
        shared = dataclasses.replace(options, rate_dir=Path(tmp) / "rate", work_dir=Path(tmp))
        jobs = [(shared, tmp, i, processes) for i in range(1, processes + 1)]
        with _quiet_resource_tracker():  # the pool's first semaphore starts the tracker
            pool = concurrent.futures.ProcessPoolExecutor(max_workers=processes,
                                                          mp_context=context,
                                                          initializer=_shard_start,
                                                          initargs=(slots,))
        workers: list[Any] = []
        try:
            with _sigint_held():  # each submit starts a shard process (spawn)
                futures = [pool.submit(_shard_process, job) for job in jobs]
            # the pool's processes, held here: a broken pool forgets them
            workers = list((getattr(pool, "_processes", None) or {}).values())
            # the first failure ends the run at once, whichever shard it comes from; the
            # shards' progress is shown meanwhile
            while True:
                done, pending = concurrent.futures.wait(
                    futures, timeout=_SHOW_EVERY,
                    return_when=concurrent.futures.FIRST_EXCEPTION)
                if shown is not None:
                    shown.show()
                if not pending or any(f.exception() is not None for f in done):
                    break
            for future in futures:
                if future.done() and future.exception() is not None:
                    future.result()  # raises it
        except concurrent.futures.process.BrokenProcessPool:
            _stop_shards(pool)
            raise _shard_died(workers, processes) from None
        except BaseException:
            # Ctrl-C, SIGTERM (to this process alone, as kill and timeout(1) send it) or a
            # shard's failure: the other shards are stopped now, not waited for (a call of
            # theirs may hang for max_attempts x read_timeout)
            _stop_shards(pool)
            raise
        finally:
            if shown is not None:
                progress.elsewhere = None
        pool.shutdown(wait=True)
        scan_id = options.scan_id or f"scan-{_now(None).replace(':', '')}-{uuid.uuid4().hex[:8]}"
        result = merge_parts(LocalParts(Path(tmp)), "local", snapshot_path(options.out),
                             central_account=options.central_account, scan_id=scan_id)
    if counter is not None:
        counter.add(result.api_calls)
    return result.path


#: the warning filter of multiprocessing's resource tracker process (PYTHONWARNINGS: it
#: inherits the environment, not this process's filters)
_TRACKER_QUIET = "ignore:resource_tracker:UserWarning"


@contextlib.contextmanager
def _quiet_resource_tracker() -> Iterator[None]:
    """A shard process killed (SIGKILL) leaves the pool's semaphores to the stdlib's resource
    tracker, which cleans them up and warns "resource_tracker: There appear to be 1 leaked
    semaphore objects to clean up at shutdown" on standard error -- after the one error line
    that says which process ended and what to do, as the last line the user reads (conformance
    and fault trials: it broke that line's test under load). Nothing is leaked once it has
    cleaned up; the tracker, started with the pool (its first semaphore), is told to keep
    that to itself. Only while the pool is made: this process's environment is handed back
    as it was (a process that goes on -- tests -- would pass the filter to every later
    child, whose shards' command lines then carried it as a -W option)."""
    before = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, (before, _TRACKER_QUIET)))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PYTHONWARNINGS", None)
        else:
            os.environ["PYTHONWARNINGS"] = before


def _shard_died(workers: Sequence[Any], processes: int) -> ProcessDied:
    """The error for a shard process that ended without an answer (a broken pool): which one
    and how, from the processes the pool had (the pool terminates the others with SIGTERM
    once one is gone, so the first other ending names the one that broke it)."""
    for process in workers:
        process.join(timeout=5)
    ended = [p for p in workers if p.exitcode is not None]
    culprit = next((p for p in ended if p.exitcode != -signal.SIGTERM), None) or \
        (ended[0] if ended else None)
    which = f" (pid {culprit.pid})" if culprit is not None else ""
    how = how_it_ended(culprit.exitcode if culprit is not None else None)
    return ProcessDied(
        f"scan --processes {processes}: a collection process{which} ended without an answer: "
        f"{how}; the other shard processes were stopped and nothing was written or recorded; "
        "run the scan again (with fewer --processes if memory is short)")


#: seconds between two looks at the shards' progress
_SHOW_EVERY = 0.25


def _shard_start(slots: Any = None) -> None:
    """Each shard process, first: Ctrl-C reaches every process of the terminal's group, and
    the parent alone answers it (it stops the shards, ``collect_processes``), so no shard
    prints a traceback; and a shard whose parent is gone (killed with SIGKILL) stops within a
    second instead of calling AWS on for nobody. ``slots``: where its progress is written
    (scanner.shard_progress)."""
    global _PROGRESS_SLOTS
    _PROGRESS_SLOTS = slots
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # started with it held (_sigint_held): now ignored
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="secretgraph-parent-watch", daemon=True).start()


@contextmanager
def _sigint_held() -> Iterator[None]:
    """SIGINT blocked -- held back, not lost -- in this thread while it starts the shard
    processes, which inherit the blocked mask through exec: a Ctrl-C in the second a shard
    spends importing scanner.collect and boto3, before ``_shard_start`` ignores it, printed
    the shard's KeyboardInterrupt traceback, or killed it before Python had started
    ("a collection process ended without an answer: killed by signal 2"; fault-injection
    trial round 13). The stdlib starts its resource tracker so. Here, a Ctrl-C held back is
    raised when the block ends."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _stop_shards(pool: Any) -> None:
    """Terminate the shard processes of ``pool`` (a ProcessPoolExecutor: Python 3.11 has no
    public call for it) and let it go without waiting."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.join(timeout=5)
    pool.shutdown(wait=False, cancel_futures=True)


def _chain(*iterables: Iterable[Any]) -> Iterator[Any]:
    for iterable in iterables:
        yield from iterable
