"""The task handlers of the organization-scale workflow (Step Functions, Distributed Map).

    ListAccounts  -> Distributed Map over the accounts (ItemBatcher), one CollectBatch per batch
                  -> Analyze (merge the parts, evaluate, history, Security Hub, SNS)

Configuration comes from the same environment variables as the single-function deployment
(scanner.deploy.handler.HandlerConfig), plus::

    SECRETGRAPH_PARTS_URI        s3://bucket/prefix of the parts (required)
    SECRETGRAPH_PARTS_KMS_KEY    KMS key the parts are encrypted with (the history key)
    SECRETGRAPH_POLICY_TPS       GetResourcePolicy pace per account and Region (default 25)

* ``list_accounts``: discovers the organization (or takes SECRETGRAPH_ACCOUNTS) and writes the
  run's discovery manifest, whose expected account list the merge checks the parts against.
  The run id is the execution's name, so a redriven execution writes to the same run.
* ``collect_batch``: ``collect_shard`` for the accounts of one ItemBatcher batch: one part per
  account, one manifest per batch. A retried batch overwrites its parts.
* ``analyze``: records the batches the Map's Catch gave up on (their accounts become coverage
  entries: the scan is incomplete, never silently smaller), then runs the single-function
  handler's ``run`` with a scan that merges the parts through scanner.pipeline. It also runs as
  ``python -m scanner.deploy.tasks analyze`` in the ECS Fargate task (RUN_ID and FAILURES in the
  environment) for estates too large for one Lambda.
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

from scanner.deploy.handler import Collaborators, HandlerConfig
from scanner.deploy.handler import run as run_handler
from scanner.errors import InputError

log = logging.getLogger("secretgraph.deploy.tasks")


@dataclass(frozen=True, kw_only=True)
class TaskConfig:
    scan: HandlerConfig
    parts_uri: str
    parts_kms_key: str | None = None
    policy_tps: float = 25.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "TaskConfig":
        parts = (env.get("SECRETGRAPH_PARTS_URI") or "").strip()
        if not parts.startswith("s3://"):
            raise InputError("SECRETGRAPH_PARTS_URI must be an s3://bucket/prefix URI",
                             path=parts or None)
        tps_text = (env.get("SECRETGRAPH_POLICY_TPS") or "25").strip()
        try:
            tps = float(tps_text)
        except ValueError:
            raise InputError(f"SECRETGRAPH_POLICY_TPS must be a number, not {tps_text!r}") \
                from None
        if not tps > 0:
            raise InputError("SECRETGRAPH_POLICY_TPS must be positive")
        return cls(scan=HandlerConfig.from_env(env), parts_uri=parts,
                   parts_kms_key=(env.get("SECRETGRAPH_PARTS_KMS_KEY") or None),
                   policy_tps=tps)


def _default_parts(config: TaskConfig) -> Any:
    from scanner.shards import open_parts

    return open_parts(config.parts_uri, kms_key_id=config.parts_kms_key)


@dataclass(frozen=True, kw_only=True)
class TaskDeps:
    """What touches AWS, replaceable in tests (the defaults are the real thing)."""

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    parts: Callable[[TaskConfig], Any] = _default_parts
    session_factory: Any = None  # scanner.collect SessionFactory; None: the standard chain
    handler: Collaborators | None = None  # the analysis step's collaborators


def _collect_options(config: TaskConfig, accounts: Sequence[str] = (), *,
                     org: bool = False) -> Any:
    from scanner.collect import CollectOptions

    return CollectOptions(
        out=Path(os.devnull), regions=config.scan.regions, accounts=tuple(accounts), org=org,
        role_name=config.scan.role_name, external_id=config.scan.external_id,
        central_account=config.scan.central_account, policy_tps=config.policy_tps,
        work_dir=Path(tempfile.gettempdir()))


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
    from scanner.collect import _sessions, _targets, validate_options
    from scanner.shards import ShardManifest, write_manifest

    deps = deps or TaskDeps()
    config = TaskConfig.from_env(deps.env)
    run_id = _run_id(event)
    options = _collect_options(config, config.scan.accounts, org=config.scan.org)
    validate_options(options)
    counter = CallCounter()
    sessions = _sessions(options, deps.session_factory, counter, None)
    targets = _targets(options, sessions)
    from scanner.model import to_jsonable

    manifest = ShardManifest(
        run_id=run_id, shard="discovery", accounts=(), expected_accounts=targets.account_ids,
        regions=options.regions, partition=sessions.partition, role_name=options.role_name,
        home_account=targets.home, central_account=options.central_account,
        organization=to_jsonable(targets.organization) if targets.organization else None,
        org_coverage=tuple(to_jsonable(c) for c in targets.org_coverage),
        api_calls=counter.counts())
    write_manifest(deps.parts(config), manifest, "discovery")
    return {"run_id": run_id, "accounts": [{"account_id": a} for a in targets.account_ids]}


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
    manifest = collect_shard(
        _collect_options(config, accounts),
        ShardRequest(run_id=run_id, parts=deps.parts(config), label=f"batch-{accounts[0]}"),
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


def analyze(event: Mapping[str, Any], context: Any = None, *,
            deps: TaskDeps | None = None) -> dict[str, Any]:
    """``{"run_id", "results": [Map results]}`` -> the single-function handler's result."""
    from scanner.shards import ShardManifest, write_manifest

    deps = deps or TaskDeps()
    config = TaskConfig.from_env(deps.env)
    run_id = _run_id(event)
    parts = deps.parts(config)
    failed = failed_batches(event.get("results") or ())
    if failed:
        write_manifest(parts, ShardManifest(
            run_id=run_id, shard="workflow-failures", accounts=(),
            expected_accounts=tuple(sorted(failed)), regions=config.scan.regions,
            failed_accounts=failed), "workflow-failures")

    def merged_parts(scan_config: HandlerConfig, work_dir: Path) -> Path:
        """The run's parts merged into one snapshot (missing accounts become coverage): the
        one orchestrator, scanner.pipeline.run_scan, evaluates it where it would collect."""
        from scanner.shards import merge_parts, open_parts

        return merge_parts(open_parts(config.parts_uri), run_id, work_dir / "snapshot.json.gz",
                           central_account=scan_config.central_account).path

    collaborators = deps.handler or Collaborators(env=deps.env)
    result = run_handler(config.scan, dataclasses.replace(
        collaborators, snapshot_for=merged_parts, env=deps.env))
    result["run_id"] = run_id
    result["failed_accounts"] = sorted(failed)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m scanner.deploy.tasks analyze``: the analysis step on ECS Fargate (the
    workflow passes RUN_ID, and FAILURES as the JSON list of Map results)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args != ["analyze"]:
        print("usage: python -m scanner.deploy.tasks analyze", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO)
    try:
        results = json.loads(os.environ.get("FAILURES") or "[]")
        result = analyze({"run_id": os.environ.get("RUN_ID", ""), "results": results})
    except (InputError, ValueError) as exc:
        print(f"secretgraph analyze: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
