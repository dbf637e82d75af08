"""The scheduled Lambda: scan, record history in S3, export to Security Hub, notify on drift.

Configuration comes from the environment (set by the central template)::

    SECRETGRAPH_ROLE_NAME        audit role assumed in member accounts (required)
    SECRETGRAPH_REGIONS          comma-separated regions (required)
    SECRETGRAPH_ORG_MODE         "true": discover accounts through Organizations
    SECRETGRAPH_ACCOUNTS         comma-separated account ids (when not in org mode)
    SECRETGRAPH_EXTERNAL_ID      optional sts:ExternalId
    SECRETGRAPH_HISTORY_URI      s3://bucket/prefix (required)
    SECRETGRAPH_SNS_TOPIC_ARN    topic notified of new HIGH/CRITICAL findings or access changes
    SECRETGRAPH_SECURITYHUB      off | central (import into this account's Security Hub)
    SECRETGRAPH_CENTRAL_ACCOUNT  this account's id (Security Hub import target)
    SECRETGRAPH_NOTIFY_SEVERITIES  default "CRITICAL,HIGH"

Every collaborator that touches AWS (the scan, the store, the publisher, the Security Hub
exporter) is a field of ``Collaborators``, so tests run the handler on moto with the real store
and publisher and a scan of their choosing.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from scanner.errors import InputError
from scanner.findings import Severity
from scanner.history.access_readers import access_json_of
from scanner.history.diff import diff_scans
from scanner.history.drift import Drift, clean_line
from scanner.history.records import HistoryStore, StoredScan
from scanner.history.store import open_store

log = logging.getLogger("secretgraph.deploy")

_SNS_SUBJECT_MAX = 100
_SNS_MESSAGE_MAX = 250_000  # bytes; SNS allows 256 KiB


@dataclass(frozen=True, kw_only=True)
class HandlerConfig:
    role_name: str
    regions: tuple[str, ...]
    history_uri: str
    org: bool = True
    accounts: tuple[str, ...] = ()
    external_id: str | None = None
    sns_topic_arn: str | None = None
    securityhub: str = "off"  # off | central
    central_account: str | None = None
    notify_severities: frozenset[str] = frozenset({"CRITICAL", "HIGH"})

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "HandlerConfig":
        def need(name: str) -> str:
            value = (env.get(name) or "").strip()
            if not value:
                raise InputError(f"environment variable {name} is not set")
            return value

        def items(name: str) -> tuple[str, ...]:
            return tuple(x.strip() for x in (env.get(name) or "").split(",") if x.strip())

        org_text = (env.get("SECRETGRAPH_ORG_MODE") or "true").strip().lower()
        if org_text not in ("true", "false"):
            raise InputError(f"SECRETGRAPH_ORG_MODE must be true or false, not {org_text!r}")
        securityhub = (env.get("SECRETGRAPH_SECURITYHUB") or "off").strip().lower()
        if securityhub not in ("off", "central"):
            raise InputError(f"SECRETGRAPH_SECURITYHUB must be off or central, "
                             f"not {securityhub!r}")
        history = need("SECRETGRAPH_HISTORY_URI")
        if not history.startswith("s3://"):
            raise InputError("SECRETGRAPH_HISTORY_URI must be an s3://bucket/prefix URI",
                             path=history)
        severities = items("SECRETGRAPH_NOTIFY_SEVERITIES") or ("CRITICAL", "HIGH")
        try:
            notify = frozenset(Severity.parse(s).value for s in severities)
        except ValueError as exc:
            raise InputError(f"SECRETGRAPH_NOTIFY_SEVERITIES: {exc}") from None
        org = org_text == "true"
        accounts = items("SECRETGRAPH_ACCOUNTS")
        regions = items("SECRETGRAPH_REGIONS")
        if not regions:
            raise InputError("environment variable SECRETGRAPH_REGIONS is not set")
        if not org and not accounts:
            raise InputError("SECRETGRAPH_ACCOUNTS is empty and SECRETGRAPH_ORG_MODE is false")
        return cls(
            role_name=need("SECRETGRAPH_ROLE_NAME"), regions=regions, history_uri=history, org=org,
            accounts=accounts, external_id=(env.get("SECRETGRAPH_EXTERNAL_ID") or None),
            sns_topic_arn=(env.get("SECRETGRAPH_SNS_TOPIC_ARN") or None),
            securityhub=securityhub,
            central_account=(env.get("SECRETGRAPH_CENTRAL_ACCOUNT") or None),
            notify_severities=notify,
        )


# --------------------------------------------------------------------------- collaborators


def pipeline_scan(config: HandlerConfig) -> Any:
    """The real scan: scanner.pipeline.run_scan without history (the handler records it)."""
    from scanner.pipeline import ScanOptions, run_scan

    out_dir = Path(tempfile.mkdtemp(prefix="secretgraph-", dir=tempfile.gettempdir()))
    return run_scan(ScanOptions(
        regions=config.regions, accounts=config.accounts, org=config.org,
        role_name=config.role_name, external_id=config.external_id,
        central_account=config.central_account, out_dir=out_dir, formats=("json",),
        quiet=True, history=None))


def sns_publisher(topic_arn: str, subject: str, message: str) -> None:
    import boto3

    boto3.client("sns").publish(TopicArn=topic_arn, Subject=subject, Message=message)


def securityhub_central_export(analysis: Any, previous: StoredScan | None,
                               config: HandlerConfig) -> Mapping[str, Any]:
    """Import this scan's findings into the central account's Security Hub, and archive the
    findings that a complete scan no longer reports (reports.asff / reports.securityhub)."""
    import boto3

    from reports.asff import archive_resolved, build_asff, retarget_central
    from reports.securityhub import send_findings

    central = config.central_account or analysis.snapshot.meta.central_account
    if not central:
        central = boto3.client("sts").get_caller_identity()["Account"]
    current = [retarget_central(f, central)
               for f in build_asff(analysis.document, graph=getattr(analysis, "graph", None))]
    findings = list(current)
    if previous is not None:
        earlier = [retarget_central(f, central) for f in build_asff(previous.document)]
        findings += archive_resolved(earlier, current, analysis.document)
    clients: dict[str, Any] = {}

    def client_for(account_id: str, region: str) -> Any:
        if region not in clients:
            clients[region] = boto3.client("securityhub", region_name=region)
        return clients[region]

    return send_findings(findings, client_for=client_for).to_json()


@dataclass(frozen=True, kw_only=True)
class Collaborators:
    scan: Callable[[HandlerConfig], Any] = pipeline_scan
    open_store: Callable[[str], HistoryStore] = open_store
    publish: Callable[[str, str, str], None] = sns_publisher
    export_securityhub: Callable[[Any, StoredScan | None, HandlerConfig], Mapping[str, Any]] = \
        securityhub_central_export
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


# --------------------------------------------------------------------------- notification


def _notable(drift: Drift | None, document: Mapping[str, Any],
             severities: frozenset[str]) -> tuple[list[Mapping[str, Any]], Drift | None]:
    """The findings worth a message: new ones at the notify severities (all failing ones at
    those severities on the very first scan)."""
    if drift is not None:
        return [dict(f.finding) for f in drift.findings_new if f.severity in severities], drift
    return [f for f in document.get("findings") or ()
            if f.get("status") == "FAIL" and f.get("severity") in severities], None


def notification(*, scan_id: str, complete: bool, new_findings: list[Mapping[str, Any]],
                 drift: Drift | None, history_uri: str) -> tuple[str, str]:
    """(subject, message) summarising new HIGH/CRITICAL findings and access changes."""
    access = drift.access if drift is not None else ()
    gained = sum(len(a.gained) for a in access)
    lost = sum(len(a.lost) for a in access)
    parts = []
    if gained or lost:
        parts.append(f"{gained} new / {lost} lost readers")
    if new_findings:
        parts.append(f"{len(new_findings)} new HIGH/CRITICAL findings")
    subject = clean_line(f"secretgraph: {', '.join(parts) or 'scan finished'}")[:_SNS_SUBJECT_MAX]
    lines = [f"secretgraph scan {scan_id} ({'complete' if complete else 'INCOMPLETE'})",
             f"history: {history_uri}", ""]
    if drift is not None:
        lines.append(f"compared with scan {drift.old.scan_id} ({drift.old.started_at})")
    else:
        lines.append("first recorded scan: no earlier scan to compare with")
    if access:
        lines += ["", "Access changes:"]
        for a in access:
            lines.append(f"  {a.secret_arn}")
            lines += [f"    + {r.principal} can now read" for r in a.gained]
            lines += [f"    - {r.principal} can no longer read" for r in a.lost]
    if new_findings:
        lines += ["", "New findings:"]
        for f in new_findings:
            res = f.get("resource") or {}
            who = f" ({f.get('principal')})" if f.get("principal") else ""
            lines.append(f"  {f.get('severity')} {f.get('rule_id')}: {res.get('arn')}{who}")
    if drift is not None and drift.not_assessed:
        lines += ["", f"Not assessed: {drift.summary['not_assessed']} item(s); "
                      f"run `secretgraph diff --history {history_uri}` for details"]
    message = "\n".join(clean_line(line) for line in lines) + "\n"
    if len(message.encode("utf-8")) > _SNS_MESSAGE_MAX:
        message = message.encode("utf-8")[:_SNS_MESSAGE_MAX].decode("utf-8", "ignore") + \
            "\n... (truncated; see the history)\n"
    return subject, message


# --------------------------------------------------------------------------- the handler


def run(config: HandlerConfig, deps: Collaborators) -> dict[str, Any]:
    """Scan, record, diff against the previous complete scan, export, notify."""
    store = deps.open_store(config.history_uri)
    previous_record = store.latest_complete()  # fails early (exit 2 equivalent) if unreadable
    analysis = deps.scan(config)
    snapshot = analysis.snapshot
    record = store.record(snapshot.meta, snapshot, analysis.document,
                          access_json_of(analysis.access))
    previous = store.load(previous_record.scan_id) if previous_record is not None else None
    drift = diff_scans(previous, store.load(record.scan_id)) if previous is not None else None
    new_findings, drift_used = _notable(drift, analysis.document, config.notify_severities)
    result: dict[str, Any] = {
        "scan_id": record.scan_id, "complete": record.complete, "counts": dict(record.counts),
        "history": config.history_uri,
        "compared_with": previous_record.scan_id if previous_record is not None else None,
        "drift": drift.summary if drift is not None else None,
        "notified": False, "securityhub": None,
    }
    if config.securityhub == "central":
        result["securityhub"] = dict(deps.export_securityhub(analysis, previous, config))
    has_access_changes = bool(drift_used is not None and drift_used.access)
    if config.sns_topic_arn and (new_findings or has_access_changes):
        subject, message = notification(scan_id=record.scan_id, complete=record.complete,
                                        new_findings=new_findings, drift=drift_used,
                                        history_uri=config.history_uri)
        deps.publish(config.sns_topic_arn, subject, message)
        result["notified"] = True
    log.info("secretgraph scheduled scan: %s", json.dumps(result, default=str))
    return result


def handler(event: Mapping[str, Any], context: Any, *,
            deps: Collaborators | None = None) -> dict[str, Any]:
    """The Lambda entry point (EventBridge Scheduler invokes it with a small JSON event)."""
    deps = deps or Collaborators()
    config = HandlerConfig.from_env(deps.env)
    return run(config, deps)
