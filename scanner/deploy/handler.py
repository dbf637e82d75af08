"""The scheduled Lambda: one run of scanner.pipeline (collect, evaluate, record history in S3
with first_seen, export to Security Hub), then a notification on drift.

Configuration comes from the environment (set by the central template)::

    SECRETGRAPH_ROLE_NAME        audit role assumed in member accounts (required)
    SECRETGRAPH_REGIONS          comma-separated regions (required)
    SECRETGRAPH_ORG_MODE         "true": discover accounts through Organizations
    SECRETGRAPH_ACCOUNTS         comma-separated account ids (when not in org mode; the
                                 central account is scanned too, listed or not)
    SECRETGRAPH_EXTERNAL_ID      optional sts:ExternalId
    SECRETGRAPH_HISTORY_URI      s3://bucket/prefix (required)
    SECRETGRAPH_SNS_TOPIC_ARN    topic notified of new HIGH/CRITICAL findings or access changes
    SECRETGRAPH_SECURITYHUB      off | central (import into this account's Security Hub)
    SECRETGRAPH_CENTRAL_ACCOUNT  this account's id (Security Hub import target)
    SECRETGRAPH_NOTIFY_SEVERITIES  default "CRITICAL,HIGH"

The handler does not orchestrate: ``scanner.pipeline.run_scan`` is the only orchestrator, so the
nightly run records history exactly as ``secretgraph scan --history`` does (first_seen carried
forward: Security Hub's CreatedAt / FirstObservedAt survive the nights) and archives what was
resolved. The scan's working folder (/tmp/secretgraph-*) is removed after every run, failed
ones included. The notification is sent after the scan is recorded; the history's notification
ledger (``notifications.json``: the last scan whose notification was settled) keeps a failed
one owed, and the next run sends it first (``settle_owed``), so no alert is lost. A Security
Hub export that did not wholly land fails the run after that (``DeliveryFailed``: the
OnFailure destination tells the topic); the history's Security Hub export ledger keeps what
did not land owed to the next night's export (scanner.pipeline._export_with_ledger). The collaborators that touch AWS outside the pipeline (the SNS publisher, the
Security Hub client, the caller identity) are fields of ``Collaborators``; so is
``snapshot_for``, which tests use to evaluate a snapshot of their choosing instead of
collecting.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from scanner.errors import InputError, SecretgraphError
from scanner.findings import Severity
from scanner.history.drift import Drift, clean_line

if TYPE_CHECKING:
    from scanner.pipeline import ScanOptions

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
        central = (env.get("SECRETGRAPH_CENTRAL_ACCOUNT") or "").strip() or None
        if not org and central and central not in accounts:
            # the central account (the function's own) is always scanned, with the function's
            # own credentials (docs/deployment.md); Accounts lists the others (deployment
            # trial: Accounts without it failed "--central-account ... is not one of the
            # scanned accounts" every night)
            accounts = (*accounts, central)
        return cls(
            role_name=need("SECRETGRAPH_ROLE_NAME"), regions=regions, history_uri=history, org=org,
            accounts=accounts, external_id=(env.get("SECRETGRAPH_EXTERNAL_ID") or None),
            sns_topic_arn=(env.get("SECRETGRAPH_SNS_TOPIC_ARN") or None),
            securityhub=securityhub,
            central_account=central,
            notify_severities=notify,
        )


# --------------------------------------------------------------------------- collaborators


def sns_publisher(topic_arn: str, subject: str, message: str) -> None:
    import boto3

    boto3.client("sns").publish(TopicArn=topic_arn, Subject=subject, Message=message)


def securityhub_client(account_id: str, region: str) -> Any:
    """The Lambda's own Security Hub (central mode imports everything into this account)."""
    import boto3

    return boto3.client("securityhub", region_name=region)


def history_store(config: "HandlerConfig") -> Any:
    """The deployment's S3 history (its notification ledger: scanner.history.s3_store)."""
    from scanner.history.store import open_store

    return open_store(config.history_uri)


def caller_account() -> str:
    import boto3

    return str(boto3.client("sts").get_caller_identity()["Account"])


@dataclass(frozen=True, kw_only=True)
class Collaborators:
    publish: Callable[[str, str, str], None] = sns_publisher
    securityhub_client: Callable[[str, str], Any] = securityhub_client
    caller_account: Callable[[], str] = caller_account
    history: Callable[[HandlerConfig], Any] = history_store
    #: None: collect with the audit role. Otherwise (config, work dir) -> a snapshot file that
    #: the pipeline evaluates instead of collecting (it runs where collection would).
    snapshot_for: Callable[[HandlerConfig, Path], Path] | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


def scan_options(config: HandlerConfig, work_dir: Path) -> "ScanOptions":
    from scanner.pipeline import ScanOptions

    return ScanOptions(
        regions=config.regions, accounts=config.accounts, org=config.org,
        role_name=config.role_name, external_id=config.external_id,
        central_account=config.central_account, out_dir=work_dir, formats=("json",),
        quiet=True, history=config.history_uri)


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
                 drift: Drift | None, history_uri: str, late: bool = False
                 ) -> tuple[str, str]:
    """(subject, message) summarising new HIGH/CRITICAL findings and access changes;
    ``late``: the scan was recorded by an earlier run whose notification failed."""
    access = drift.access if drift is not None else ()
    gained = sum(len(a.gained) for a in access)
    lost = sum(len(a.lost) for a in access)
    parts = []
    if gained or lost:
        parts.append(f"{gained} new / {lost} lost readers")
    if new_findings:
        parts.append(f"{len(new_findings)} new HIGH/CRITICAL findings")
    subject = clean_line(f"secretgraph: {', '.join(parts) or 'scan finished'}"
                         + (" (late)" if late else ""))[:_SNS_SUBJECT_MAX]
    lines = [f"secretgraph scan {scan_id} ({'complete' if complete else 'INCOMPLETE'})",
             f"history: {history_uri}", ""]
    if late:
        lines[2:2] = ["sent late: this notification could not be sent when the scan was "
                      "recorded", ""]
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
    """One pipeline run (collect, evaluate, record, export), then notify; the work folder is
    removed whatever happens."""
    from scanner.pipeline import SecurityHubTarget, run_scan

    target = None
    if config.securityhub == "central":
        target = SecurityHubTarget(client_for=deps.securityhub_client, mode="central",
                                   central_account=config.central_account
                                   or deps.caller_account(),
                                   home_region=config.regions[0])
    work_dir = Path(tempfile.mkdtemp(prefix="secretgraph-", dir=tempfile.gettempdir()))
    try:
        source = deps.snapshot_for
        analysis = run_scan(scan_options(config, work_dir), securityhub=target,
                            snapshot_source=(lambda out_dir: source(config, out_dir))
                            if source is not None else None)
    finally:
        _remove(work_dir)
    history = analysis.history
    assert history is not None  # the handler always gives the pipeline a history store
    record, drift = history.record, history.drift
    new_findings, drift_used = _notable(drift, analysis.document, config.notify_severities)
    result: dict[str, Any] = {
        "scan_id": record.scan_id, "complete": record.complete, "counts": dict(record.counts),
        "history": config.history_uri,
        "compared_with": history.previous.scan_id if history.previous is not None else None,
        "drift": drift.summary if drift is not None else None,
        "notified": False,
        "securityhub": dict(analysis.securityhub) if analysis.securityhub is not None else None,
    }
    store = deps.history(config)
    if store.notified_through() is None:  # a new ledger: the scans before this one are settled
        ids = [r.scan_id for r in store.list()]
        at = ids.index(record.scan_id)
        store.set_notified_through(ids[at - 1] if at else "")
    result["notified_late"] = settle_owed(config, deps, store, before=record.scan_id)
    result["notified"] = _notify(config, deps, record.scan_id, record.complete, new_findings,
                                 drift_used)
    store.set_notified_through(record.scan_id)
    log.info("secretgraph scheduled scan: %s", json.dumps(result, default=str))
    failed = delivery_failures(result["securityhub"])
    if failed:
        # the scan is recorded and notified; the Security Hub export ledger keeps what did not
        # land owed, and the next night sends it again -- but this night failed, and says so:
        # the invocation fails, and its OnFailure destination (the Step Functions failure
        # rule at organization scale) tells the topic (deployment trial round 2: a refused
        # BatchUpdateFindings or BatchImportFindings returned normally, and nobody knew)
        log.error("secretgraph scheduled scan %s: %s", record.scan_id, failed)
        raise DeliveryFailed(f"scan {record.scan_id} was recorded, but {failed}; the next "
                             "run sends them again", result=result)
    return result


class DeliveryFailed(SecretgraphError):
    """The scan was recorded (and its notification settled), but its Security Hub export did
    not wholly land: the run fails so that the night is not silent; ``result`` is what the
    handler would have returned."""

    exit_code = 3

    def __init__(self, message: str, *, result: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.result = result


def delivery_failures(securityhub: Mapping[str, Any] | None) -> str:
    """What the export stage's report (``analysis.securityhub``) says did not land, in one
    line (the first error of each call named); "" when everything did."""
    if not securityhub:
        return ""
    parts = []
    for call, report in (("BatchImportFindings", securityhub),
                         ("BatchUpdateFindings", securityhub.get("workflow_delivery") or {})):
        undelivered = report.get("undelivered") or []
        missing = len(undelivered) + int(report.get("pending") or 0)
        if missing or report.get("interrupted"):
            first = undelivered[0] if undelivered else {}
            why = f" ({first.get('error_code')}: {first.get('message')})" if first else ""
            what = "findings not imported" if call == "BatchImportFindings" \
                else "workflow updates not made"
            parts.append(f"{call}: {missing} of {report.get('attempted')} {what}{why}")
    return clean_line("; ".join(parts))[:1000]


def _notify(config: HandlerConfig, deps: Collaborators, scan_id: str, complete: bool,
            new_findings: list[Mapping[str, Any]], drift: Drift | None, *,
            late: bool = False) -> bool:
    """Publish the scan's notification when it has something to say; whether it did."""
    if not config.sns_topic_arn or not (new_findings or (drift is not None and drift.access)):
        return False
    subject, message = notification(scan_id=scan_id, complete=complete,
                                    new_findings=new_findings, drift=drift,
                                    history_uri=config.history_uri, late=late)
    try:
        deps.publish(config.sns_topic_arn, subject, message)
    except Exception:
        log.error("the notification of scan %s could not be published; it is owed, and the "
                  "next run sends it (the history's notification ledger)", scan_id)
        raise
    return True


def settle_owed(config: HandlerConfig, deps: Collaborators, store: Any, *,
                before: str | None = None) -> list[str]:
    """Send the notifications still owed: those of the scans recorded after the ledger's last
    settled one (and before ``before``, this run's own scan), oldest first, each from the
    stored scans exactly as its own run would have sent it. The ledger moves past each one
    sent, so a publish that fails (the exception propagates: the run fails) leaves it owed to
    the next run, and nothing already recorded is lost. Without a ledger (the first run of a
    deployment) nothing earlier is owed; an empty one ("") owes every scan. Returns the scans
    whose notification was sent late."""
    from scanner.history.diff import diff_scans
    from scanner.history.records import pick_latest_complete

    settled = store.notified_through()  # "": none settled yet
    records = store.list()
    ids = [r.scan_id for r in records]
    if settled is None or (settled and settled not in ids):
        return []
    start = ids.index(settled) + 1 if settled else 0
    owed = [r for r in records[start:] if r.scan_id != before]
    sent: list[str] = []
    for record in owed:
        scan = store.load(record.scan_id)
        previous = pick_latest_complete(records, before=record.scan_id)
        drift = diff_scans(store.load(previous.scan_id), scan) if previous is not None \
            else None
        new_findings, drift_used = _notable(drift, scan.document, config.notify_severities)
        if _notify(config, deps, record.scan_id, record.complete, new_findings, drift_used,
                   late=True):
            sent.append(record.scan_id)
        store.set_notified_through(record.scan_id)
    return sent


def _remove(work_dir: Path) -> None:
    """Remove the run's folder; a failure is logged (the next cold start gets a clean /tmp)."""
    try:
        shutil.rmtree(work_dir)
    except OSError as exc:
        log.warning("could not remove %s: %s", work_dir, exc)


def handler(event: Mapping[str, Any], context: Any, *,
            deps: Collaborators | None = None) -> dict[str, Any]:
    """The Lambda entry point (EventBridge Scheduler invokes it with a small JSON event)."""
    deps = deps or Collaborators()
    config = HandlerConfig.from_env(deps.env)
    return run(config, deps)
