"""The organization-scale shard protocol (DESIGN.md contract): where the parts of one run live,
how accounts are partitioned, and how the parts are merged back into one snapshot file.

Layout of one run under ``LOCATION`` (a directory or ``s3://bucket/prefix``)::

    <run id>/accounts/<account id>.json.gz   one part per account (written atomically)
    <run id>/shards/<shard>.json             one manifest per shard (written after its parts)
    <run id>/carry/<account id>.json.gz      what incremental collection may carry for the
                                             account (written by the workflow's discovery step)

A part holds one account exactly as a single ``collect`` would have written it into the
snapshot, its coverage entries and the figures central-account inference needs. A manifest holds
the run id, the shard's name, the accounts it was given, the accounts the run is expected to
cover (the organization's ACTIVE accounts, or ``--accounts``), the organization itself (when it
was discovered; without ``--org``, whether the home account is in one), the API calls the shard made and its timings.

``merge_parts`` is the only reader: it takes the expected accounts from every manifest of the
run, reads one part per account, and writes a snapshot file. An account without a part (its
shard never ran, crashed, or was recorded as failed by the workflow) becomes a fatal coverage
entry and an ``AccountSnapshot(assumed=False)``: the scan is incomplete (exit 3), nothing is
dropped silently.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import hashlib
import json
import logging
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Protocol

from scanner import __version__, json_text
from scanner.errors import InputError, OutputError, UsageError
from scanner.model import AccountSnapshot, CoverageEntry, ScanMeta, to_jsonable
from scanner.unread_account import PART_MISSING

log = logging.getLogger(__name__)

PART_FORMAT = "secretgraph-part"
MANIFEST_FORMAT = "secretgraph-shard"
PROTOCOL_VERSION = 1

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SHARD = re.compile(r"^\s*([0-9]+)\s*/\s*([0-9]+)\s*$")
_ACCOUNT = re.compile(r"^[0-9]{12}$")


# --------------------------------------------------------------------------- partition


@dataclass(frozen=True, kw_only=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    @property
    def name(self) -> str:
        return f"{self.index:04d}-of-{self.count:04d}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """``"I/N"`` with 1 <= I <= N; UsageError otherwise."""
    match = _SHARD.match(text or "")
    if not match:
        raise UsageError(f"--shard {text!r}: expected I/N, for example 2/3")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise UsageError(f"--shard {text!r}: I must be between 1 and N")
    return Shard(index=index, count=count)


def shard_of(account_id: str, count: int) -> int:
    """The 1-based shard of an account: a stable hash of its id, so the partition does not
    depend on the order or number of accounts listed (an account joining the organization moves
    no other account to another shard)."""
    digest = hashlib.sha256(account_id.encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def partition(account_ids: Iterable[str], shard: Shard) -> tuple[str, ...]:
    return tuple(sorted(a for a in account_ids if shard_of(a, shard.count) == shard.index))


def check_run_id(run_id: str) -> str:
    if not _RUN_ID.match(run_id or ""):
        raise UsageError(f"--run-id {run_id!r}: use letters, digits, '.', '_' and '-' "
                         "(at most 128, starting with a letter or digit)")
    return run_id


# --------------------------------------------------------------------------- locations


class PartsStore(Protocol):
    """Where parts and manifests live. Keys are '/'-separated, relative to the location."""

    uri: str

    def write(self, key: str, data: bytes) -> None:
        """Atomically: a reader sees the old object or the new one, never half of one."""
        ...

    def read(self, key: str) -> bytes | None:
        """The object, or None when there is none."""
        ...

    def list(self, prefix: str) -> list[str]:
        """Every key under ``prefix`` (recursively), sorted."""
        ...


class LocalParts:
    """A directory. A write goes to a temporary file in the same folder, then os.replace."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.uri = str(self.root)

    def write(self, key: str, data: bytes) -> None:
        """OutputError (one line naming the part, exit 2) when it cannot be written -- a full
        disk was "internal error: OSError", naming no file, and left the temporary file
        (fault-injection trial round 4); the temporary file is removed on every way out, and
        a part written before (a retried shard) stays as it was."""
        path = self.root / key
        tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as exc:
            raise OutputError(f"{path}: cannot write it ({exc.strerror or exc}); this shard is "
                              "not complete in the parts (its manifest is written last): run "
                              "it again") from None
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

    def read(self, key: str) -> bytes | None:
        path = self.root / key
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise InputError(f"cannot read ({exc.strerror or exc})", path=str(path)) from None

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.is_dir():
            return []
        return sorted(str(p.relative_to(self.root)).replace(os.sep, "/")
                      for p in base.rglob("*") if p.is_file() and not p.name.startswith("."))


class S3Parts:
    """An S3 prefix. A PutObject is atomic; with ``kms_key_id`` every object is encrypted with
    that key (SSE-KMS: the deployment passes the history key)."""

    def __init__(self, uri: str, client: Any, *, kms_key_id: str | None = None) -> None:
        from scanner.history.s3_store import parse_s3_uri

        self.uri = uri.rstrip("/")
        self.bucket, self.prefix = parse_s3_uri(uri)
        self.client = client
        self.kms_key_id = kms_key_id

    def write(self, key: str, data: bytes) -> None:
        extra: dict[str, Any] = {}
        if self.kms_key_id:
            extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data, **extra)
        except Exception as exc:  # botocore ClientError / connection errors: one line, exit 2
            raise InputError(f"cannot write {key} ({_code(exc)})", path=self.uri) from None

    def read(self, key: str) -> bytes | None:
        try:
            body: bytes = self.client.get_object(Bucket=self.bucket,
                                                 Key=self.prefix + key)["Body"].read()
            return body
        except Exception as exc:
            if _code(exc) in ("NoSuchKey", "404"):
                return None
            raise InputError(f"cannot read {key} ({_code(exc)})", path=self.uri) from None

    def list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                keys += [o["Key"][len(self.prefix):] for o in page.get("Contents") or ()]
        except Exception as exc:
            raise InputError(f"cannot list the parts ({_code(exc)})", path=self.uri) from None
        return sorted(keys)


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        code = (response.get("Error") or {}).get("Code")
        if code:
            return str(code)
    return f"{type(exc).__name__}: {exc}"


def open_parts(location: str, *, s3_client: Any = None, kms_key_id: str | None = None,
               flag: str = "--parts", existing: bool = False) -> PartsStore:
    """``s3://bucket/prefix`` or a directory path. ``flag``: the option it came from, named
    in an error (`scan --from-parts` was told of "--parts": new-user trial 18); ``existing``:
    a directory must exist (to be read: a missing one was "run 'R' has no shard manifest")."""
    if not location:
        raise UsageError(f"{flag}: empty location")
    if location.startswith("s3://"):
        if s3_client is None:
            from scanner.history.store import make_s3_client

            s3_client = make_s3_client()
        return S3Parts(location, s3_client, kms_key_id=kms_key_id)
    if "://" in location:
        raise UsageError(f"{flag} {location!r}: use a directory or s3://bucket/prefix")
    if existing and not Path(location).is_dir():
        raise InputError("no such folder" if not Path(location).exists() else "not a folder",
                         path=f"{flag} {location}")
    return LocalParts(Path(location))


# --------------------------------------------------------------------------- parts and manifests


def local_run_of(path: Path) -> tuple[Path, str] | None:
    """(the parts location, the run) when ``path`` is a local run's folder of snapshot parts
    (LOCATION/RUN, holding shards/), its accounts/ or shards/ folder, or a file in one of
    them; None otherwise. What --snapshot and --from-parts say when given a piece of a run
    instead of a snapshot file or the parts location (new-user trial round 34)."""
    path = Path(path)
    for run in (path, path.parent, path.parent.parent):
        if run.name and _RUN_ID.match(run.name) and (run / "shards").is_dir() and (
                run == path or path.is_relative_to(run / "shards")
                or path.is_relative_to(run / "accounts")):
            return run.parent, run.name
    return None


def merge_hint(path: Path) -> str | None:
    """How to merge what ``path`` holds when it is a local parts location (its runs' folders
    hold shards/) or a piece of one run (``local_run_of``): the scan --from-parts command
    line; None when it is neither."""
    run = local_run_of(path)
    if run is not None:
        location, run_id = run
        return (f"run {run_id!r} of snapshot parts (secretgraph collect): merge them with "
                f"scan --from-parts {shlex.quote(str(location))} --run-id {run_id}")
    path = Path(path)
    if path.is_dir() and any((child / "shards").is_dir() for child in _subfolders(path)):
        return ("a folder of snapshot parts (secretgraph collect): merge them with "
                f"scan --from-parts {shlex.quote(str(path))}")
    return None


def _subfolders(path: Path) -> list[Path]:
    try:
        return [child for child in path.iterdir() if child.is_dir()]
    except OSError:
        return []


def part_key(run_id: str, account_id: str) -> str:
    return f"{run_id}/accounts/{account_id}.json.gz"


def carry_key(run_id: str, account_id: str) -> str:
    return f"{run_id}/carry/{account_id}.json.gz"


def manifest_key(run_id: str, shard_name: str) -> str:
    return f"{run_id}/shards/{shard_name}.json"


def encode_part(*, run_id: str, account: Mapping[str, Any],
                coverage: Iterable[Mapping[str, Any]], stats: Mapping[str, int],
                collected_at: str, seconds: float) -> bytes:
    doc = {"format": PART_FORMAT, "version": PROTOCOL_VERSION, "run_id": run_id,
           "account_id": account["account_id"], "collected_at": collected_at,
           "seconds": round(seconds, 3), "stats": dict(stats), "coverage": list(coverage),
           "account": account}
    return gzip.compress(json.dumps(doc, separators=(",", ":"), sort_keys=True).encode(),
                         compresslevel=6, mtime=0)


@dataclass(frozen=True, kw_only=True)
class ShardManifest:
    """What one shard (or the workflow's discovery step) did."""

    run_id: str
    shard: str  # "I/N", or a label such as "batch-<first account>" or "discovery"
    accounts: tuple[str, ...]  # the accounts this shard collected
    expected_accounts: tuple[str, ...]  # every account the run must cover
    regions: tuple[str, ...]
    partition: str = "aws"
    role_name: str | None = None
    home_account: str | None = None
    central_account: str | None = None  # --central-account, when given
    organization: Mapping[str, Any] | None = None
    #: without --org: whether the shard's home account is in an organization (OrgMembership)
    org_membership: Mapping[str, Any] | None = None
    org_coverage: tuple[Mapping[str, Any], ...] = ()
    api_calls: Mapping[str, int] | None = None
    started_at: str = ""
    finished_at: str = ""
    seconds: float = 0.0
    failed_accounts: Mapping[str, str] | None = None  # account -> why (the workflow's Catch)
    #: account -> number of coverage entries in its part (0: read completely)
    coverage: Mapping[str, int] | None = None
    tool_version: str = __version__

    @property
    def incomplete(self) -> bool:
        """Something in this shard could not be read (or an account failed)."""
        return bool(self.org_coverage or self.failed_accounts
                    or any((self.coverage or {}).values()))

    def to_json(self) -> dict[str, Any]:
        data = {k: to_jsonable(getattr(self, k)) for k in self.__dataclass_fields__}
        return {"format": MANIFEST_FORMAT, "version": PROTOCOL_VERSION, **data}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, where: str) -> "ShardManifest":
        if not isinstance(data, Mapping) or data.get("format") != MANIFEST_FORMAT:
            raise InputError("not a secretgraph shard manifest", path=where)
        if int(data.get("version", 0)) > PROTOCOL_VERSION:
            raise InputError(f"written by a newer secretgraph (protocol {data.get('version')})",
                             path=where)
        try:
            return cls(
                run_id=str(data["run_id"]), shard=str(data["shard"]),
                accounts=tuple(data.get("accounts") or ()),
                expected_accounts=tuple(data.get("expected_accounts") or ()),
                regions=tuple(data.get("regions") or ()),
                partition=str(data.get("partition") or "aws"),
                role_name=data.get("role_name"), home_account=data.get("home_account"),
                central_account=data.get("central_account"),
                organization=data.get("organization"),
                org_membership=data.get("org_membership"),
                org_coverage=tuple(data.get("org_coverage") or ()),
                api_calls=data.get("api_calls"),
                started_at=str(data.get("started_at") or ""),
                finished_at=str(data.get("finished_at") or ""),
                seconds=float(data.get("seconds") or 0.0),
                failed_accounts=data.get("failed_accounts"),
                coverage=data.get("coverage"),
                tool_version=str(data.get("tool_version") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"damaged shard manifest ({exc})", path=where) from None


def write_manifest(store: PartsStore, manifest: ShardManifest, shard_name: str) -> None:
    body = json.dumps(manifest.to_json(), indent=1, sort_keys=True).encode()
    store.write(manifest_key(manifest.run_id, shard_name), body)


def read_manifests(store: PartsStore, run_id: str) -> list[ShardManifest]:
    out = []
    for key in store.list(f"{run_id}/shards/"):
        if not key.endswith(".json"):
            continue
        where = f"{store.uri}/{key}"
        body = store.read(key)
        if body is None:
            continue
        try:
            data = json_text.loads(body)
        except ValueError as exc:
            raise InputError(f"not JSON ({exc})", path=where) from None
        manifest = ShardManifest.from_json(data, where=where)
        if manifest.run_id != run_id:
            raise InputError(f"names run {manifest.run_id!r}, not {run_id!r}", path=where)
        out.append(manifest)
    return out


def list_runs(store: PartsStore) -> list[str]:
    return sorted({key.split("/", 1)[0] for key in store.list("") if "/shards/" in key})


def resolve_run_id(store: PartsStore, run_id: str | None) -> str:
    if run_id:
        return check_run_id(run_id)
    runs = list_runs(store)
    if len(runs) == 1:
        return runs[0]
    if not runs:
        run = local_run_of(Path(store.uri)) if isinstance(store, LocalParts) else None
        if run is not None:  # the run's own folder, not the location that holds it
            location, name = run
            raise UsageError(f"--from-parts {store.uri}: this is the folder of run {name!r}; "
                             f"give the parts location that holds it: --from-parts "
                             f"{shlex.quote(str(location))} --run-id {name}")
        raise UsageError(f"--from-parts {store.uri}: no run found (no shard manifest)")
    raise UsageError(f"--from-parts {store.uri} holds {len(runs)} runs "
                     f"({', '.join(runs[:5])}{' ...' if len(runs) > 5 else ''}): "
                     "name one with --run-id")


def _read_part(store: PartsStore, run_id: str, account_id: str) -> dict[str, Any] | None:
    key = part_key(run_id, account_id)
    where = f"{store.uri}/{key}"
    body = store.read(key)
    if body is None:
        return None
    try:
        data = json_text.loads(gzip.decompress(body))
    except (OSError, ValueError, EOFError) as exc:  # EOFError: a gzip stream cut short
        raise InputError(f"damaged part ({exc})", path=where) from None
    if not isinstance(data, dict) or data.get("format") != PART_FORMAT:
        raise InputError("not a secretgraph snapshot part", path=where)
    if data.get("run_id") != run_id or data.get("account_id") != account_id:
        raise InputError(f"holds run {data.get('run_id')!r} account {data.get('account_id')!r}",
                         path=where)
    if int(data.get("version", 0)) > PROTOCOL_VERSION:
        raise InputError(f"written by a newer secretgraph (protocol {data.get('version')})",
                         path=where)
    _check_part(data, account_id, where)
    return data


def _check_part(data: Mapping[str, Any], account_id: str, where: str) -> None:
    """What the merge copies into the snapshot, checked against the snapshot schema when the
    part is read: a malformed part was otherwise blamed on the merged snapshot in a staging
    folder already removed, or ended in an internal error (fault-injection trial round 2)."""
    from scanner.snapshot_io import validate_part

    validate_part(data.get("account"), "AccountSnapshot", path=where, field="account")
    if data["account"].get("account_id") != account_id:
        raise InputError(f"names account {data['account'].get('account_id')!r}, not the "
                         f"part's account {account_id}", path=where, field="account.account_id")
    validate_part(data.get("coverage") or [], "CoverageEntry", path=where, field="coverage",
                  many=True)
    stats = data.get("stats") or {}
    if not isinstance(stats, dict):
        raise InputError("not an object", path=where, field="stats")
    for name, value in stats.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"{value!r:.80} is not a whole number >= 0", path=where,
                             field=f"stats.{name}")


def missing_entry(account_id: str, run_id: str, why: str | None) -> CoverageEntry:
    detail = why or "its shard did not write one (not run, failed or still running)"
    return CoverageEntry(account_id=account_id, region="global", service="secretgraph",
                         operation="CollectShard", error_code=PART_MISSING, error_kind="fatal",
                         message=f"no snapshot part for account {account_id} in run {run_id}: "
                                 f"{' '.join(detail.split())[:400]}")


@dataclass(frozen=True, kw_only=True)
class MergeResult:
    path: Path
    run_id: str
    expected: tuple[str, ...]
    missing: tuple[str, ...]
    api_calls: Mapping[str, int]
    manifests: int


def merge_parts(store: PartsStore, run_id: str | None, out: Path, *,
                failed_accounts: Mapping[str, str] | None = None,
                central_account: str | None = None, scan_id: str | None = None,
                now: datetime.datetime | None = None) -> MergeResult:
    """Write the snapshot file of one run from its parts (see the module docstring).

    ``failed_accounts`` (account -> reason) come from the caller (the workflow's Catch); the
    manifests' own ``failed_accounts`` are added. A part present for a "failed" account wins:
    a retried batch that succeeded later is not reported as missing.
    """
    from scanner.central_account import AccountStats, choose_central_account
    from scanner.snapshot_io import SnapshotWriter

    run_id = resolve_run_id(store, run_id)
    manifests = read_manifests(store, run_id)
    if not manifests:
        # which runs there are (new-user trial 18: a run id mistyped was left to `ls`)
        runs = list_runs(store)
        held = (f"; it holds run{'s' if len(runs) > 1 else ''} "
                f"{', '.join(runs[:5])}{' ...' if len(runs) > 5 else ''}" if runs
                else "; it holds no run")
        raise UsageError(f"--from-parts {store.uri}: run {run_id!r} has no shard manifest"
                         f"{held}")
    expected = sorted({a for m in manifests for a in (m.expected_accounts or m.accounts)})
    for account in expected:
        if not _ACCOUNT.match(account):
            raise InputError(f"malformed account id {account!r} in a shard manifest",
                             path=f"{store.uri}/{run_id}/shards/")
    regions_seen = {m.regions for m in manifests if m.regions}
    if len(regions_seen) > 1:
        raise InputError("the shards of this run scanned different regions "
                         f"({sorted(', '.join(r) for r in regions_seen)})",
                         path=f"{store.uri}/{run_id}")
    regions = next(iter(regions_seen)) if regions_seen else ()
    # a manifest's shard is "I/N" (or a workflow batch's label)
    counts = sorted({int(match.group(2)) for m in manifests
                     if (match := _SHARD.match(m.shard or "")) is not None})
    if len(counts) > 1:  # collected twice with different --shard counts: say so
        log.warning("run %s was collected with different shard counts (%s): each account's "
                    "newest part is used, and the API call totals add up both collections",
                    run_id, ", ".join(map(str, counts)))
    if len(counts) == 1:
        # a shard that never wrote its manifest (not run, failed, still running): its
        # accounts become coverage gaps below; say which shard (new-user trial 18)
        written = {int(match.group(1)) for m in manifests
                   if (match := _SHARD.match(m.shard or "")) is not None}
        unwritten = [f"{i}/{counts[0]}" for i in range(1, counts[0] + 1) if i not in written]
        if unwritten:
            log.warning("run %s: shard%s %s wrote no manifest (not run, failed or still "
                        "running): the accounts it holds are not assessed; run `secretgraph "
                        "collect --shard %s --run-id %s --parts %s` with the other shards' "
                        "flags (what to scan, credentials) and merge again", run_id,
                        "s" if len(unwritten) > 1 else "", ", ".join(unwritten[:10])
                        + (" ..." if len(unwritten) > 10 else ""), unwritten[0], run_id,
                        shlex.quote(store.uri))
    by_version: dict[str, list[str]] = {}
    for m in manifests:
        by_version.setdefault(m.tool_version or "unknown", []).append(m.shard)
    if len(by_version) > 1:  # an upgrade between two shards of one run: say so
        log.warning("run %s was collected by different secretgraph versions (%s): the "
                    "snapshot mixes their collections; collect the run again with one version "
                    "for a snapshot each account of which was read the same way", run_id,
                    "; ".join(f"{v}: shard {', '.join(sorted(shards))}"
                              for v, shards in sorted(by_version.items())))
    reasons: dict[str, str] = {}
    for m in manifests:
        reasons.update(m.failed_accounts or {})
    reasons.update(failed_accounts or {})
    with_org = sorted((m for m in manifests if m.organization is not None),
                      key=lambda m: m.finished_at)
    org_manifest = with_org[-1] if with_org else None
    # without --org: the newest answer of DescribeOrganization (each shard asks it once)
    with_membership = sorted((m for m in manifests if m.org_membership is not None),
                             key=lambda m: m.finished_at)
    membership_manifest = with_membership[-1] if with_membership else None
    calls: dict[str, int] = {}
    for m in manifests:
        for op, n in (m.api_calls or {}).items():
            calls[op] = calls.get(op, 0) + int(n)
    names: dict[str, str | None] = {}
    if org_manifest is not None and org_manifest.organization:
        for acct in org_manifest.organization.get("accounts") or ():
            names[str(acct.get("account_id"))] = acct.get("name")
    central_flag = central_account or next(
        (m.central_account for m in manifests if m.central_account), None)

    stats: dict[str, AccountStats] = {}
    missing: list[str] = []
    coverage_path = out.with_name(f".{out.name}.coverage.jsonl")
    with SnapshotWriter(out) as writer, open(coverage_path, "w", encoding="utf-8") as cov:
        for entry in (org_manifest.org_coverage if org_manifest else
                      membership_manifest.org_coverage if membership_manifest else ()):
            cov.write(json.dumps(entry, sort_keys=True) + "\n")
        for account_id in expected:
            part = _read_part(store, run_id, account_id)
            if part is None:
                missing.append(account_id)
                gap = missing_entry(account_id, run_id, reasons.get(account_id))
                cov.write(json.dumps(to_jsonable(gap), sort_keys=True) + "\n")
                writer.write_account(to_jsonable(AccountSnapshot(
                    account_id=account_id, name=names.get(account_id), assumed=False,
                    iam=None)))
                continue
            account = part["account"]
            if names.get(account_id) is not None:
                account["name"] = names[account_id]
            writer.write_account(account)
            for entry in part.get("coverage") or ():
                cov.write(json.dumps(entry, sort_keys=True) + "\n")
            stats[account_id] = AccountStats.from_json(part.get("stats") or {})
        cov.close()
        # an expected account without a part has no stats: unread (choose_central_account)
        choice = choose_central_account(stats, accounts=expected, flag=central_flag)
        if choice.reason:
            log.warning("%s", choice.reason)
        started = min((m.started_at for m in manifests if m.started_at), default="")
        finished = max((m.finished_at for m in manifests if m.finished_at), default="")
        stamp = (now or datetime.datetime.now(datetime.timezone.utc)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        first = manifests[0]
        meta = ScanMeta(
            scan_id=scan_id or run_id,
            started_at=started or stamp,
            finished_at=finished or stamp,
            tool_version=__version__,
            partition=first.partition,
            accounts=tuple(expected),
            regions=tuple(regions),
            central_account=choice.account,
            central_account_source=choice.source,
            role_name=first.role_name,
            org_id=(org_manifest.organization or {}).get("org_id") if org_manifest else None,
        )
        from scanner.model import Organization, OrgMembership, from_jsonable

        organization = (from_jsonable(Organization, org_manifest.organization)
                        if org_manifest is not None and org_manifest.organization else None)
        membership = (from_jsonable(OrgMembership, membership_manifest.org_membership)
                      if organization is None and membership_manifest is not None
                      and membership_manifest.org_membership else None)
        path = writer.finish(meta=meta, organization=organization,
                             coverage=_jsonl(coverage_path), org_membership=membership)
    coverage_path.unlink(missing_ok=True)
    return MergeResult(path=path, run_id=run_id, expected=tuple(expected),
                       missing=tuple(missing), api_calls=dict(sorted(calls.items())),
                       manifests=len(manifests))


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
