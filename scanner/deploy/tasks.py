"""The task handlers of the organization-scale workflow (Step Functions, Distributed Map).

    ListAccounts  -> Distributed Map over the accounts (ItemBatcher), one CollectBatch per batch
                  -> Analyze (merge the parts, evaluate, history, Security Hub, SNS)

Configuration comes from the same environment variables as the single-function deployment
(scanner.deploy.handler.HandlerConfig, the input files SECRETGRAPH_CONFIG,
SECRETGRAPH_SUPPRESSIONS and SECRETGRAPH_BASELINE included: ``list_accounts`` validates them
all before anything is collected, ``collect_batch`` collects the configuration's
``required_replica_regions``, ``analyze`` uses them all; SECRETGRAPH_POLICY_TPS, which the
template sets from PolicyTps, paces the collectors, and SECRETGRAPH_FULL_REFRESH_DAYS the
carry files), plus::

    SECRETGRAPH_PARTS_URI        s3://bucket/prefix of the parts (required)
    SECRETGRAPH_PARTS_KMS_KEY    KMS key the parts are encrypted with (the history key)
    SECRETGRAPH_REREAD_QUEUE_URL the CloudTrail rule's queue (optional, ReReadOnChange)

* ``list_accounts``: discovers the organization (or takes SECRETGRAPH_ACCOUNTS) and writes the
  run's discovery manifest, whose expected account list the merge checks the parts against.
  The run id is the execution's name, so a redriven execution writes to the same run.
  Incremental collection is prepared here, once per run: the re-read queue is drained into the
  history's re-read marks (written before a message is deleted, so none is lost), and the
  policies the last complete scan read are written, with the marks, as one carry file per
  account into the run (``<run>/carry/<account>.json.gz``). The collectors read only that:
  they have no access to the history.
* ``collect_batch``: ``collect_shard`` for the accounts of one ItemBatcher batch: one part per
  account, one manifest per batch. A retried batch overwrites its parts. With the run's carry
  files, unchanged secret policies are carried as ``scan --history`` carries them. A batch is
  a subset of the run: it need not hold the central account (the discovery manifest and the
  analysis name it).
* ``analyze``: records the batches the Map's Catch gave up on (their accounts become coverage
  entries: the scan is incomplete, never silently smaller), then runs the single-function
  handler's ``run`` with a scan that merges the parts through scanner.pipeline. It also runs as
  ``python -m scanner.deploy.tasks analyze`` in the ECS Fargate task for estates too large for
  one Lambda: the task gets RUN_ID alone (ECS allows 8192 characters of overrides, and the
  Map's results grow with the organization); ``record_failures``, the analysis function's
  handler with AnalysisRunner fargate, writes the failed batches into the run's parts first.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from scanner.deploy.handler import Collaborators, DeliveryFailed, HandlerConfig
from scanner.deploy.handler import run as run_handler
from scanner.errors import InputError

log = logging.getLogger("secretgraph.deploy.tasks")


@dataclass(frozen=True, kw_only=True)
class TaskConfig:
    scan: HandlerConfig
    parts_uri: str
    parts_kms_key: str | None = None
    reread_queue_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "TaskConfig":
        parts = (env.get("SECRETGRAPH_PARTS_URI") or "").strip()
        if not parts.startswith("s3://"):
            raise InputError("SECRETGRAPH_PARTS_URI must be an s3://bucket/prefix URI",
                             path=parts or None)
        return cls(scan=HandlerConfig.from_env(env), parts_uri=parts,
                   parts_kms_key=(env.get("SECRETGRAPH_PARTS_KMS_KEY") or None),
                   reread_queue_url=(env.get("SECRETGRAPH_REREAD_QUEUE_URL") or "").strip()
                   or None)


def _default_parts(config: TaskConfig) -> Any:
    from scanner.shards import open_parts

    return open_parts(config.parts_uri, kms_key_id=config.parts_kms_key)


def _default_history(config: TaskConfig) -> Any:
    from scanner.history.store import open_store

    return open_store(config.scan.history_uri)


def _default_sqs(config: TaskConfig) -> Any:
    import boto3

    return boto3.client("sqs")


@dataclass(frozen=True, kw_only=True)
class TaskDeps:
    """What touches AWS, replaceable in tests (the defaults are the real thing)."""

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    parts: Callable[[TaskConfig], Any] = _default_parts
    history: Callable[[TaskConfig], Any] = _default_history  # the run's history store
    sqs: Callable[[TaskConfig], Any] = _default_sqs  # the re-read queue's client
    session_factory: Any = None  # scanner.collect_options SessionFactory; None: the standard chain
    handler: Collaborators | None = None  # the analysis step's collaborators


def _collect_options(config: TaskConfig, accounts: Sequence[str] = (), *,
                     org: bool = False, required_replica_regions: tuple[str, ...] = ()) -> Any:
    from scanner.collect_options import CollectOptions

    return CollectOptions(
        out=Path(os.devnull), regions=config.scan.regions, accounts=tuple(accounts), org=org,
        role_name=config.scan.role_name, external_id=config.scan.external_id,
        central_account=config.scan.central_account, policy_tps=config.scan.policy_tps,
        work_dir=Path(tempfile.gettempdir()),
        required_replica_regions=required_replica_regions)


def _collaborators(deps: "TaskDeps") -> Collaborators:
    return dataclasses.replace(deps.handler or Collaborators(env=deps.env), env=deps.env)


def _scan_inputs(config: TaskConfig, deps: "TaskDeps",
                 kinds: tuple[str, ...] = ("config", "suppressions", "baseline")) -> Any:
    """The run's input files (SECRETGRAPH_CONFIG, _SUPPRESSIONS, _BASELINE of ``kinds``)
    loaded and validated as the analysis will load them (scanner.pipeline.load_inputs):
    InputError naming a bad file as configured (deployment trial round 2)."""
    from scanner.deploy.handler import _remove, fetch_inputs, scan_options
    from scanner.pipeline import load_inputs

    work_dir = Path(tempfile.mkdtemp(prefix="secretgraph-inputs-"))
    try:
        files = fetch_inputs(config.scan, _collaborators(deps), work_dir, kinds)
        return load_inputs(scan_options(config.scan, work_dir, files))
    finally:
        _remove(work_dir)


def _run_id(event: Mapping[str, Any]) -> str:
    from scanner.shards import check_run_id

    run_id = str(event.get("run_id") or "")
    if not run_id:
        raise InputError("the task input has no run_id")
    return check_run_id(run_id)


def list_accounts(event: Mapping[str, Any], context: Any = None, *,
                  deps: TaskDeps | None = None) -> dict[str, Any]:
    """``{"run_id"}`` -> ``{"run_id", "accounts": [{"account_id"}, ...]}`` (the Map's items)."""
    from scanner.aws.calls import CallCounter
    from scanner.collect_options import validate_options
    from scanner.discovery import audit_sessions, find_targets
    from scanner.shards import ShardManifest, write_manifest

    deps = deps or TaskDeps()
    config = TaskConfig.from_env(deps.env)
    run_id = _run_id(event)
    # every input file is validated before a batch is collected: a bad one fails the run
    # here, not after the whole organization was read
    inputs = _scan_inputs(config, deps)
    options = _collect_options(config, config.scan.accounts, org=config.scan.org,
                               required_replica_regions=inputs.config.required_replica_regions)
    validate_options(options)
    counter = CallCounter()
    sessions = audit_sessions(options, deps.session_factory, counter, None)
    targets = find_targets(options, sessions)
    from scanner.model import to_jsonable

    manifest = ShardManifest(
        run_id=run_id, shard="discovery", accounts=(), expected_accounts=targets.account_ids,
        regions=options.regions, partition=sessions.partition, role_name=options.role_name,
        home_account=targets.home, central_account=options.central_account,
        organization=to_jsonable(targets.organization) if targets.organization else None,
        org_coverage=tuple(to_jsonable(c) for c in targets.org_coverage),
        api_calls=counter.counts())
    parts = deps.parts(config)
    prepare_carry(config, deps, parts, run_id, targets.account_ids)
    write_manifest(parts, manifest, "discovery")
    return {"run_id": run_id, "accounts": [{"account_id": a} for a in targets.account_ids]}


# --------------------------------------------------------------------------- incremental


#: ReceiveMessage rounds per run at most (10 messages each); the rest waits for the next run
MAX_RECEIVES = 1000


def marks_of_event(event: Mapping[str, Any]) -> list[Any]:
    """The re-read marks of one CloudTrail event as EventBridge delivers it: the secret (or key)
    the call named, in its account and Region, at the event's time. An event naming nothing
    gives no mark."""
    import datetime

    from scanner.history.records import ReReadMark
    from scanner.incremental import stamp

    raw = event.get("detail")
    detail: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    request = detail.get("requestParameters") or {}
    response = detail.get("responseElements") or {}
    names: list[str] = []
    for source in (request, response):
        if isinstance(source, Mapping):
            names += [str(source[k]) for k in ("secretId", "keyId", "arn", "aRN", "ARN", "name")
                      if source.get(k)]
    for resource in detail.get("resources") or event.get("resources") or ():
        if isinstance(resource, Mapping) and resource.get("ARN"):
            names.append(str(resource["ARN"]))
        elif isinstance(resource, str):
            names.append(resource)
    when = str(detail.get("eventTime") or event.get("time") or "")
    try:
        moment = datetime.datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        moment = datetime.datetime.now(datetime.timezone.utc)  # unknown: marks everything read
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    account = str(detail.get("recipientAccountId") or event.get("account") or "") or None
    region = str(detail.get("awsRegion") or event.get("region") or "") or None
    source = f"cloudtrail {detail.get('eventName') or 'event'}"
    return [ReReadMark(resource=name, marked_at=stamp(moment), source=source,
                       account_id=account, region=region) for name in dict.fromkeys(names)]


def drain_reread_queue(config: TaskConfig, deps: "TaskDeps", store: Any, *,
                       max_receives: int = MAX_RECEIVES) -> tuple[int, bool]:
    """Move the CloudTrail rule's messages into the history's re-read marks: (messages
    consumed, whether the queue was emptied). Marks are written before their messages are
    deleted: a crash in between re-reads a little too much the next night, and never carries
    a changed policy."""
    if not config.reread_queue_url:
        return 0, True
    sqs = deps.sqs(config)
    consumed = 0
    for _ in range(max_receives):
        got = sqs.receive_message(QueueUrl=config.reread_queue_url, MaxNumberOfMessages=10,
                                  WaitTimeSeconds=1, VisibilityTimeout=300)
        messages = got.get("Messages") or []
        if not messages:
            break
        marks: list[Any] = []
        for message in messages:
            try:
                event = json.loads(message.get("Body") or "{}")
            except ValueError:
                event = None
            if not isinstance(event, Mapping):
                log.warning("re-read queue: message %s is not an EventBridge event; dropped",
                            message.get("MessageId"))
                continue
            marks += marks_of_event(event)
        store.mark_reread(marks)
        sqs.delete_message_batch(QueueUrl=config.reread_queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        consumed += len(messages)
    else:
        log.warning("re-read queue: %s change event(s) recorded, more are waiting", consumed)
        return consumed, False
    if consumed:
        log.info("re-read queue: %s change event(s) recorded as re-read marks", consumed)
    return consumed, True


def prepare_carry(config: TaskConfig, deps: "TaskDeps", parts: Any, run_id: str,
                  accounts: Sequence[str]) -> None:
    """Drain the re-read queue into the history, then write each account's carry file (empty
    ones when the queue could not be emptied: every policy is read)."""
    from scanner.incremental import PolicyCarry, load_carry
    from scanner.shards import carry_key

    store = deps.history(config)
    _, drained = drain_reread_queue(config, deps, store, max_receives=MAX_RECEIVES)
    if drained:
        carry = load_carry(store, full_refresh_days=config.scan.full_refresh_days)
    else:  # a change may still be waiting in the queue: carry nothing tonight
        carry = PolicyCarry(full_refresh_days=config.scan.full_refresh_days)
    for account, mine in carry.by_account(accounts).items():
        parts.write(carry_key(run_id, account), mine.to_bytes())


def read_carry(parts: Any, run_id: str, accounts: Sequence[str]) -> Any:
    """The carry of a batch's accounts, or None when the run has none (every policy is read)."""
    from scanner.incremental import PolicyCarry
    from scanner.shards import carry_key

    carry: PolicyCarry | None = None
    for account in accounts:
        key = carry_key(run_id, account)
        data = parts.read(key)
        if data is None:
            continue
        mine = PolicyCarry.from_bytes(data, where=f"{parts.uri}/{key}")
        carry = mine if carry is None else carry.merged(mine)
    return carry


def collect_batch(event: Mapping[str, Any], context: Any = None, *,
                  deps: TaskDeps | None = None) -> dict[str, Any]:
    """An ItemBatcher batch ``{"Items": [{"account_id"}], "BatchInput": {"run_id"}}`` ->
    ``{"accounts": [...], "incomplete": [...]}`` (small: the Map's result stays small)."""
    from scanner.collect import ShardRequest, collect_shard

    deps = deps or TaskDeps()
    config = TaskConfig.from_env(deps.env)
    run_id = _run_id(event.get("BatchInput") or {})
    accounts = sorted({str(item["account_id"]) for item in event.get("Items") or ()})
    if not accounts:
        raise InputError("the batch holds no account")
    parts = deps.parts(config)
    # A batch is a subset of the run's accounts: the central account need not be among them
    # (it is scanned with the function's own credentials only when it is). The discovery
    # manifest names it for the merge, and the analysis passes it (deployment trial: every
    # batch without the central account failed "--central-account ... is not one of the
    # scanned accounts").
    # the configuration's required_replica_regions are collected as `scan --config` collects
    # them (the discovery step validated the file)
    replicas = _scan_inputs(config, deps, ("config",)).config.required_replica_regions \
        if config.scan.config_file else ()
    options = dataclasses.replace(
        _collect_options(config, accounts, required_replica_regions=replicas),
        central_account=None, carry=read_carry(parts, run_id, accounts))
    manifest = collect_shard(
        options, ShardRequest(run_id=run_id, parts=parts, label=f"batch-{accounts[0]}"),
        session_factory=deps.session_factory)
    return {"accounts": list(manifest.accounts),
            "incomplete": sorted(a for a, n in (manifest.coverage or {}).items() if n)}


def failed_batches(results: Sequence[Any]) -> dict[str, str]:
    """account -> why, for every Map result that carries the Catch's ``error`` (the batch's
    input is kept next to it: ResultPath "$.error")."""
    failed: dict[str, str] = {}
    for result in results or ():
        if not isinstance(result, Mapping) or "error" not in result:
            continue
        error = result.get("error") or {}
        why = f"{error.get('Error', 'Error')}: {error.get('Cause', '')}"
        for item in result.get("Items") or ():
            failed[str(item.get("account_id"))] = why
    return failed


FAILURES_SHARD = "workflow-failures"


def _record_failed(config: TaskConfig, parts: Any, run_id: str,
                   results: Sequence[Any]) -> dict[str, str]:
    """Write the failed batches of ``results`` as the run's ``workflow-failures`` manifest
    (the merge reads each missing account's cause there); account -> why."""
    from scanner.shards import ShardManifest, write_manifest

    failed = failed_batches(results)
    if failed:
        write_manifest(parts, ShardManifest(
            run_id=run_id, shard=FAILURES_SHARD, accounts=(),
            expected_accounts=tuple(sorted(failed)), regions=config.scan.regions,
            failed_accounts=failed), FAILURES_SHARD)
    return failed


def record_failures(event: Mapping[str, Any], context: Any = None, *,
                    deps: TaskDeps | None = None) -> dict[str, Any]:
    """``{"run_id", "results": [Map results]}`` -> ``{"run_id", "failed_accounts"}``: the
    workflow step before the Fargate analysis. The Map's results grow with the organization
    and ECS allows 8192 characters of container overrides in all, so the task gets only
    RUN_ID and reads the failures this step wrote into the run's parts."""
    deps = deps or TaskDeps()
    config = TaskConfig.from_env(deps.env)
    run_id = _run_id(event)
    failed = _record_failed(config, deps.parts(config), run_id, event.get("results") or ())
    return {"run_id": run_id, "failed_accounts": sorted(failed)}


def _recorded_failures(parts: Any, run_id: str) -> dict[str, str]:
    """The failed batches a ``record_failures`` step wrote for this run (account -> why)."""
    from scanner.shards import read_manifests

    failed: dict[str, str] = {}
    for manifest in read_manifests(parts, run_id):
        if manifest.shard == FAILURES_SHARD:
            failed.update(manifest.failed_accounts or {})
    return failed


def analyze(event: Mapping[str, Any], context: Any = None, *,
            deps: TaskDeps | None = None) -> dict[str, Any]:
    """``{"run_id", "results": [Map results]}`` -> the single-function handler's result.
    Without ``results`` (the Fargate task) the failed batches are those recorded in the run's
    parts by ``record_failures``."""
    deps = deps or TaskDeps()
    config = TaskConfig.from_env(deps.env)
    run_id = _run_id(event)
    parts = deps.parts(config)
    failed = _record_failed(config, parts, run_id, event.get("results") or ()) \
        or _recorded_failures(parts, run_id)
    collaborators = _collaborators(deps)
    store = collaborators.history(config.scan)
    if any(r.scan_id == run_id for r in store.list()):
        # a rerun (a Step Functions redrive) of a run already recorded: nothing is merged or
        # recorded again; what is still owed is sent (the deployment trial's redrive failed
        # "scan ... is already recorded; the reports were written to <a deleted folder>")
        from scanner.deploy.handler import settle_owed

        log.info("run %s is already recorded in %s: not analysed again", run_id,
                 config.scan.history_uri)
        damaged: list[str] = []
        late = settle_owed(config.scan, collaborators, store, damaged=damaged)
        return {"run_id": run_id, "scan_id": run_id, "already_recorded": True,
                "history": config.scan.history_uri, "notified": False, "notified_late": late,
                **({"notify_damaged": damaged} if damaged else {}),
                "failed_accounts": sorted(failed)}

    def merged_parts(scan_config: HandlerConfig, work_dir: Path) -> Path:
        """The run's parts merged into one snapshot (missing accounts become coverage): the
        one orchestrator, scanner.pipeline.run_scan, evaluates it where it would collect."""
        from scanner.shards import merge_parts, open_parts

        return merge_parts(open_parts(config.parts_uri), run_id, work_dir / "snapshot.json.gz",
                           central_account=scan_config.central_account).path

    result = run_handler(config.scan, dataclasses.replace(collaborators,
                                                          snapshot_for=merged_parts))
    result["run_id"] = run_id
    result["already_recorded"] = False
    result["failed_accounts"] = sorted(failed)
    return result


def main(argv: Sequence[str] | None = None, *, deps: TaskDeps | None = None) -> int:
    """``python -m scanner.deploy.tasks analyze``: the analysis step on ECS Fargate (the
    workflow passes RUN_ID alone; the failed batches were recorded in the run's parts by the
    ``record_failures`` step)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args != ["analyze"]:
        print("usage: python -m scanner.deploy.tasks analyze", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO)
    deps = deps or TaskDeps()
    try:
        result = analyze({"run_id": deps.env.get("RUN_ID", "")}, deps=deps)
    except (InputError, ValueError) as exc:
        print(f"secretgraph analyze: error: {exc}", file=sys.stderr)
        return 2
    except DeliveryFailed as exc:  # recorded and notified; the Security Hub export did not land
        print(json.dumps(exc.result, default=str))
        print(f"secretgraph analyze: error: {exc}", file=sys.stderr)
        return 3
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
