"""The scheduled Lambda: one run of scanner.pipeline (collect, evaluate, record history in S3
with first_seen, export to Security Hub), then a notification on drift.

Configuration comes from the environment (set by the central template)::

    SECRETGRAPH_ROLE_NAME        audit role assumed in member accounts (required)
    SECRETGRAPH_REGIONS          comma-separated regions (required)
    SECRETGRAPH_ORG_MODE         "true": discover accounts through Organizations
    SECRETGRAPH_ACCOUNTS         comma-separated account ids (when not in org mode; the
                                 central account is scanned too, listed or not, and alone
                                 when this is empty; ignored, with a warning, in org mode)
    SECRETGRAPH_EXTERNAL_ID      optional sts:ExternalId
    SECRETGRAPH_HISTORY_URI      s3://bucket/prefix (required)
    SECRETGRAPH_SNS_TOPIC_ARN    topic notified of new findings at the notified severities or
                                 of access changes
    SECRETGRAPH_SECURITYHUB      off | central (import into this account's Security Hub)
    SECRETGRAPH_CENTRAL_ACCOUNT  this account's id (Security Hub import target)
    SECRETGRAPH_NOTIFY_SEVERITIES  the NotifySeverities parameter (unset: "CRITICAL,HIGH")
    SECRETGRAPH_CONFIG           optional configuration file (``scan --config``)
    SECRETGRAPH_SUPPRESSIONS     optional suppression file (``scan --suppressions``)
    SECRETGRAPH_BASELINE         optional access baseline (``scan --baseline``)
    SECRETGRAPH_FULL_REFRESH_DAYS  re-read every secret policy at least this often (default 7,
                                 the FullRefreshDays parameter, ``scan --full-refresh-days``:
                                 the run collects incrementally)
    SECRETGRAPH_POLICY_TPS       GetResourcePolicy pace per account and Region (default 25,
                                 the PolicyTps parameter, ``scan --policy-tps``)

Each of the three input files is a file of the Lambda package (a path relative to its root,
LAMBDA_TASK_ROOT) or an s3://bucket/key read with the function's role at the start of every
run; a file that cannot be read or is not valid fails the run, naming it as configured,
before anything is scanned (as ``secretgraph scan`` refuses it with exit 2).

The handler does not orchestrate: ``scanner.pipeline.run_scan`` is the only orchestrator, so the
nightly run records history exactly as ``secretgraph scan --history`` does (first_seen carried
forward: Security Hub's CreatedAt / FirstObservedAt survive the nights) and archives what was
resolved. The scan's working folder (/tmp/secretgraph-*) is removed after every run, failed
ones included. The notification is sent after the scan is recorded; the history's notification
ledger (``notifications.json``: the last scan whose notification was settled) keeps a failed
one owed, and the next run sends it first (``settle_owed``), so no alert is lost. A Security
Hub export that did not wholly land fails the run after that (``DeliveryFailed``: the
OnFailure destination tells the topic); the history's Security Hub export ledger keeps what
did not land owed to the next night's export (scanner.hub_export.export_with_ledger). The collaborators that touch AWS outside the pipeline (the SNS publisher, the
Security Hub client, the caller identity) are fields of ``Collaborators``; so is
``snapshot_for``, which tests use to evaluate a snapshot of their choosing instead of
collecting.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from scanner.policy.arn import is_account_id
from scanner.errors import InputError, SecretgraphError
from scanner.findings import Severity
from scanner.history.diff_org import ORG_KINDS
from scanner.history.drift import Drift, ResourceChange, clean_line, resource_change_lines

if TYPE_CHECKING:
    from scanner.pipeline import ScanOptions

log = logging.getLogger("secretgraph.deploy")

_SNS_SUBJECT_MAX = 100
_SNS_MESSAGE_MAX = 250_000  # bytes; SNS allows 256 KiB

#: the scan's input files: kind -> the variable naming it
INPUT_VARIABLES = {"config": "SECRETGRAPH_CONFIG", "suppressions": "SECRETGRAPH_SUPPRESSIONS",
                   "baseline": "SECRETGRAPH_BASELINE"}
_INPUT_WHAT = {"config": "configuration", "suppressions": "suppression file",
               "baseline": "access baseline"}


def _checked_regions(regions: tuple[str, ...]) -> tuple[str, ...]:
    """SECRETGRAPH_REGIONS checked here, naming the variable (the collector's own checks name
    the CLI's --regions, which the Lambda user never typed: deployment trial round 2)."""
    from scanner.aws.regions import known_regions
    from scanner.suggest import suggest

    if not regions:
        raise InputError("environment variable SECRETGRAPH_REGIONS is not set")
    known = known_regions()
    for region in regions:
        if region not in known:
            raise InputError(f"SECRETGRAPH_REGIONS (the Regions parameter): unknown region "
                             f"{region!r} (not an AWS region botocore knows)"
                             f"{suggest(region, sorted(known))}")
    if len(set(regions)) != len(regions):
        raise InputError("SECRETGRAPH_REGIONS (the Regions parameter): a region is listed "
                         "twice")
    return regions


def policy_tps_from_env(env: Mapping[str, str]) -> float:
    """SECRETGRAPH_POLICY_TPS (default 25), refused as ``scan --policy-tps`` refuses a value."""
    from scanner.aws.ratelimit import DEFAULT_POLICY_TPS

    text = (env.get("SECRETGRAPH_POLICY_TPS") or "").strip()
    if not text:
        return DEFAULT_POLICY_TPS
    try:
        tps = float(text)
    except ValueError:
        raise InputError(f"SECRETGRAPH_POLICY_TPS must be a number, not {text!r}") from None
    if not tps > 0 or tps == float("inf"):
        raise InputError(f"SECRETGRAPH_POLICY_TPS must be a positive number of requests per "
                         f"second, not {text!r}")
    return tps


def full_refresh_days_from_env(env: Mapping[str, str]) -> int:
    """SECRETGRAPH_FULL_REFRESH_DAYS (default 7), the range of ``scan --full-refresh-days``."""
    from scanner.incremental import DEFAULT_FULL_REFRESH_DAYS, MAX_FULL_REFRESH_DAYS

    text = (env.get("SECRETGRAPH_FULL_REFRESH_DAYS") or "").strip()
    if not text:
        return DEFAULT_FULL_REFRESH_DAYS
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_FULL_REFRESH_DAYS:
        raise InputError("SECRETGRAPH_FULL_REFRESH_DAYS must be a whole number of days "
                         f"from 1 to {MAX_FULL_REFRESH_DAYS}, not {text!r}")
    return int(text)


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
    notify_severities: frozenset[str] = frozenset({"CRITICAL", "HIGH"})  # the default
    #: the scan's input files as configured: a path in the package, or s3://bucket/key
    config_file: str | None = None
    suppressions_file: str | None = None
    baseline_file: str | None = None
    package_root: str | None = None  # LAMBDA_TASK_ROOT: where package paths are relative to
    #: incremental collection (the run has a history): re-read every policy at least this often
    full_refresh_days: int = 7
    policy_tps: float = 25.0  # GetResourcePolicy pace per account and Region

    def input_files(self) -> dict[str, str]:
        """kind -> the file as configured, for the inputs given."""
        given = {"config": self.config_file, "suppressions": self.suppressions_file,
                 "baseline": self.baseline_file}
        return {kind: value for kind, value in given.items() if value}

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
        regions = _checked_regions(items("SECRETGRAPH_REGIONS"))
        for account in accounts:
            if not is_account_id(account):
                raise InputError(f"SECRETGRAPH_ACCOUNTS (the Accounts parameter): malformed "
                                 f"account id {account!r}: expected 12 digits")
        if org and accounts:
            # the template's OrgMode defaults to true, and Accounts is documented "when OrgMode
            # is false": the organization is scanned (deployment trial round 2: both set failed
            # every night "give --org or --accounts, not both", a flag no one typed)
            log.warning("SECRETGRAPH_ACCOUNTS (the Accounts parameter: %s) is ignored: "
                        "SECRETGRAPH_ORG_MODE (OrgMode) is true, so every account of the "
                        "organization is scanned; set OrgMode to false to scan only the "
                        "listed accounts", ",".join(accounts))
            accounts = ()
        central = (env.get("SECRETGRAPH_CENTRAL_ACCOUNT") or "").strip() or None
        if central is not None and not is_account_id(central):
            raise InputError(f"SECRETGRAPH_CENTRAL_ACCOUNT: malformed account id {central!r}: "
                             f"expected 12 digits")
        if not org and central and central not in accounts:
            # the central account (the function's own) is always scanned, with the function's
            # own credentials (docs/deployment.md); Accounts lists the others (deployment
            # trial: Accounts without it failed "--central-account ... is not one of the
            # scanned accounts" every night), and empty Accounts scans it alone, as `scan`
            # without --org or --accounts scans the credentials' own account (the template's
            # Accounts defaults to empty: OrgMode=false with it failed every night)
            accounts = (*accounts, central)
        if not org and not accounts:
            raise InputError("SECRETGRAPH_ORG_MODE is false and neither SECRETGRAPH_ACCOUNTS "
                             "nor SECRETGRAPH_CENTRAL_ACCOUNT names an account to scan")
        def input_file(name: str) -> str | None:
            value = (env.get(name) or "").strip() or None
            if value is not None and value.startswith("s3://"):
                bucket, _, key = value[len("s3://"):].partition("/")
                if not bucket or not key or key.endswith("/"):
                    raise InputError(f"{name} must be a file of the Lambda package or an "
                                     f"s3://bucket/key naming one object, not {value!r}")
            return value

        return cls(
            config_file=input_file(INPUT_VARIABLES["config"]),
            suppressions_file=input_file(INPUT_VARIABLES["suppressions"]),
            baseline_file=input_file(INPUT_VARIABLES["baseline"]),
            package_root=(env.get("LAMBDA_TASK_ROOT") or "").strip() or None,
            role_name=need("SECRETGRAPH_ROLE_NAME"), regions=regions, history_uri=history, org=org,
            accounts=accounts, external_id=_external_id(env),
            sns_topic_arn=(env.get("SECRETGRAPH_SNS_TOPIC_ARN") or None),
            securityhub=securityhub,
            central_account=central,
            notify_severities=notify,
            full_refresh_days=full_refresh_days_from_env(env),
            policy_tps=policy_tps_from_env(env),
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


def s3_object(bucket: str, key: str) -> bytes:
    """An input file kept in S3 (GetObject with the function's role; a read, never a
    write)."""
    import boto3

    return bytes(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def caller_account() -> str:
    import boto3

    from scanner.aws.responses import answered

    return str(answered(boto3.client("sts").get_caller_identity(), "sts GetCallerIdentity",
                        "Account"))


@dataclass(frozen=True, kw_only=True)
class Collaborators:
    publish: Callable[[str, str, str], None] = sns_publisher
    securityhub_client: Callable[[str, str], Any] = securityhub_client
    caller_account: Callable[[], str] = caller_account
    history: Callable[[HandlerConfig], Any] = history_store
    read_object: Callable[[str, str], bytes] = s3_object  # (bucket, key): an input file
    #: None: collect with the audit role. Otherwise (config, work dir) -> a snapshot file that
    #: the pipeline evaluates instead of collecting (it runs where collection would).
    snapshot_for: Callable[[HandlerConfig, Path], Path] | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


@dataclass(frozen=True, kw_only=True)
class InputFiles:
    """The scan's input files as local paths (a package file, or the run's copy of an S3
    object), and ``names``: each local path -> the file as configured."""

    config: Path | None = None
    suppressions: Path | None = None
    baseline: Path | None = None
    names: Mapping[str, str] = field(default_factory=dict)


def fetch_inputs(config: HandlerConfig, deps: Collaborators, work_dir: Path,
                 kinds: tuple[str, ...] = ("config", "suppressions", "baseline")
                 ) -> InputFiles:
    """The input files of ``kinds`` the configuration names, as local files: an S3 object is
    copied into ``work_dir`` (read with the function's role), a package path is resolved
    against the package root. One that cannot be read raises InputError naming it as
    configured and its variable (deployment trial round 2: the nightly run could take no
    configuration, suppressions or baseline at all)."""
    from botocore.exceptions import BotoCoreError, ClientError

    local: dict[str, Path] = {}
    names: dict[str, str] = {}
    for kind, source in config.input_files().items():
        if kind not in kinds:
            continue
        variable, what = INPUT_VARIABLES[kind], _INPUT_WHAT[kind]
        if source.startswith("s3://"):
            bucket, _, key = source[len("s3://"):].partition("/")
            try:
                data = deps.read_object(bucket, key)
            except ClientError as exc:
                error = exc.response.get("Error") or {}
                code = error.get("Code") or "error"
                hint = (" (the function's role reads input files only under the stack's "
                        "InputFilesS3Prefix)") if "AccessDenied" in str(code) else ""
                raise InputError(f"cannot read the {what} ({variable}): {code}: "
                                 f"{error.get('Message') or exc}{hint}", path=source) from None
            except BotoCoreError as exc:
                raise InputError(f"cannot read the {what} ({variable}): {exc}",
                                 path=source) from None
            path = work_dir / "inputs" / f"{kind}{Path(key).suffix or '.yaml'}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        else:
            path = Path(source)
            if not path.is_absolute():
                path = Path(config.package_root or os.getcwd()) / path
            if not path.is_file():
                raise InputError(f"the {what} ({variable}) is not a file of the Lambda "
                                 f"package (looked for {path}); give a path relative to the "
                                 f"package root or an s3://bucket/key", path=source)
        local[kind] = path
        names[str(path)] = source
    return InputFiles(config=local.get("config"), suppressions=local.get("suppressions"),
                      baseline=local.get("baseline"), names=names)


def scan_options(config: HandlerConfig, work_dir: Path,
                 files: InputFiles | None = None) -> "ScanOptions":
    from scanner.pipeline import ScanOptions

    files = files or InputFiles()
    return ScanOptions(
        regions=config.regions, accounts=config.accounts, org=config.org,
        role_name=config.role_name, external_id=config.external_id,
        central_account=config.central_account, out_dir=work_dir, formats=("json",),
        quiet=True, history=config.history_uri, config_path=files.config,
        suppressions_path=files.suppressions, baseline_path=files.baseline,
        input_names=dict(files.names), full_refresh_days=config.full_refresh_days,
        policy_tps=config.policy_tps)


# --------------------------------------------------------------------------- notification


@dataclass(frozen=True, kw_only=True)
class Notable:
    """What a scan's notification reports: new findings at the notified severities (every
    failing one on the first scan), findings at those severities that were MUTED and FAIL
    again (``unmuted``: (the finding, why)), and the drift they come from."""

    new: list[Mapping[str, Any]] = field(default_factory=list)
    unmuted: list[tuple[Mapping[str, Any], str]] = field(default_factory=list)
    drift: Drift | None = None


def _notable(drift: Drift | None, document: Mapping[str, Any],
             severities: frozenset[str]) -> Notable:
    """The findings worth a message. A finding MUTED in the previous scan that FAILs now is
    one too: an expired or removed suppression brings it back, and docs/configuration.md
    promises the expiry "so nothing stays hidden by accident" (deployment trial round 2: drift
    lists it as changed, not new, and nothing was sent); the drift says why
    (``FindingChange.unmuted``)."""
    if drift is None:
        return Notable(new=[f for f in document.get("findings") or ()
                            if f.get("status") == "FAIL" and f.get("severity") in severities])
    unmuted: list[tuple[Mapping[str, Any], str]] = [
               (dict(f.finding), f.unmuted or "its suppression was removed or no longer matches")
               for f in drift.findings_changed
               if f.old_status == "MUTED" and f.status == "FAIL" and f.severity in severities]
    return Notable(new=[dict(f.finding) for f in drift.findings_new
                        if f.severity in severities], unmuted=unmuted, drift=drift)


_DEFAULT_NOTIFY = frozenset({"CRITICAL", "HIGH"})


def organization_changes(drift: Drift | None) -> list[ResourceChange]:
    """The organization's own changes in a drift (SCPs and RCPs added, removed or changed,
    OUs, accounts that joined, left or moved, the organization's policy types): a gate of
    every read, so worth a message even on a night no reader or finding moved (the
    organization drift of ground-truth trial round 9 reached the terminal and the HTML
    report, not the deployment's topic)."""
    if drift is None:
        return []
    return [rc for rc in (*drift.resources_added, *drift.resources_removed,
                          *drift.resources_changed) if rc.kind in ORG_KINDS]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def new_findings_label(count: int, severities: frozenset[str]) -> str:
    """"2 new CRITICAL/HIGH findings", "1 new MEDIUM finding", or, for every severity from
    CRITICAL down to one of three or more, "5 new findings at or above LOW": the severities
    the deployment notifies (SECRETGRAPH_NOTIFY_SEVERITIES), never a fixed label (deployment
    trial round 2: "4 new HIGH/CRITICAL findings" listed MEDIUM ones)."""
    ordered = sorted((Severity(s) for s in severities), key=lambda s: s.rank, reverse=True)
    top = sorted(Severity, key=lambda s: s.rank, reverse=True)[:len(ordered)]
    if len(ordered) >= 3 and ordered == top:
        return f"{_plural(count, 'new finding')} at or above {ordered[-1].value}"
    return _plural(count, f"new {'/'.join(s.value for s in ordered)} finding")


def notification(*, scan_id: str, complete: bool, new_findings: list[Mapping[str, Any]],
                 drift: Drift | None, history_uri: str, late: bool = False,
                 severities: frozenset[str] = _DEFAULT_NOTIFY,
                 unmuted: list[tuple[Mapping[str, Any], str]] | None = None
                 ) -> tuple[str, str]:
    """(subject, message) summarising new findings at ``severities`` and access changes;
    ``late``: the scan was recorded by an earlier run whose notification failed."""
    access = drift.access if drift is not None else ()
    gained = sum(len(a.gained) for a in access)
    lost = sum(len(a.lost) for a in access)
    parts = []
    if gained or lost:
        parts.append(f"{gained} new / {lost} lost readers")
    if new_findings:
        parts.append(new_findings_label(len(new_findings), severities))
    if unmuted:
        parts.append(f"{_plural(len(unmuted), 'finding')} no longer muted")
    org_count = len(organization_changes(drift))
    if org_count:
        parts.append(_plural(org_count, "organization change"))
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
            # what changed since of what the read stands on, as the drift says it
            # (ReaderChange.why: the principal's tags, its account's OU, the key's policy)
            lines += [f"    + {r.principal} can now read" + "".join(f" ({w})" for w in r.why)
                      for r in a.gained]
            lines += [f"    - {r.principal} can no longer read"
                      + "".join(f" ({w})" for w in r.why) for r in a.lost]
    if new_findings:
        lines += ["", "New findings:"]
        for f in new_findings:
            res = f.get("resource") or {}
            who = f" ({f.get('principal')})" if f.get("principal") else ""
            lines.append(f"  {f.get('severity')} {f.get('rule_id')}: {res.get('arn')}{who}")
    if unmuted:
        lines += ["", "No longer muted:"]
        for f, why in unmuted:
            res = f.get("resource") or {}
            who = f" ({f.get('principal')})" if f.get("principal") else ""
            lines.append(f"  {f.get('severity')} {f.get('rule_id')}: {res.get('arn')}{who}"
                         f" -- {why}")
    org = organization_changes(drift)
    if org:
        lines += ["", "Organization changes:"]
        for rc in org:
            lines.append(f"  {rc.change:<8} {rc.title}")
            lines += [f"    {line}" for line in resource_change_lines(rc)]
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
        files = fetch_inputs(config, deps, work_dir)  # validated by run_scan, before scanning
        analysis = run_scan(scan_options(config, work_dir, files), securityhub=target,
                            snapshot_source=(lambda out_dir: source(config, out_dir))
                            if source is not None else None)
    finally:
        _remove(work_dir)
    history = analysis.history
    assert history is not None  # the handler always gives the pipeline a history store
    record, drift = history.record, history.drift
    store = deps.history(config)
    notable = _notable(drift, analysis.document, config.notify_severities)
    result: dict[str, Any] = {
        "scan_id": record.scan_id, "complete": record.complete, "counts": dict(record.counts),
        "history": config.history_uri, "inputs": config.input_files(),
        "compared_with": history.previous.scan_id if history.previous is not None else None,
        "drift": drift.summary if drift is not None else None,
        "notified": False,
        "securityhub": dict(analysis.securityhub) if analysis.securityhub is not None else None,
    }
    if store.notified_through() is None:  # a new ledger: the scans before this one are settled
        ids = [r.scan_id for r in store.list()]
        at = ids.index(record.scan_id)
        store.set_notified_through(ids[at - 1] if at else "")
    damaged: list[str] = []
    result["notified_late"] = settle_owed(config, deps, store, before=record.scan_id,
                                          damaged=damaged)
    if damaged:  # owed a notification that a damaged payload cannot tell again
        result["notify_damaged"] = damaged
    result["notified"] = _notify(config, deps, record.scan_id, record.complete, notable)
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
            notable: Notable, *, late: bool = False) -> bool:
    """Publish the scan's notification when it has something to say; whether it did."""
    drift = notable.drift
    if not config.sns_topic_arn or not (notable.new or notable.unmuted
                                        or (drift is not None and drift.access)
                                        or organization_changes(drift)):
        return False
    subject, message = notification(scan_id=scan_id, complete=complete,
                                    new_findings=notable.new, drift=drift,
                                    history_uri=config.history_uri, late=late,
                                    severities=config.notify_severities,
                                    unmuted=notable.unmuted)
    try:
        deps.publish(config.sns_topic_arn, subject, message)
    except Exception:
        log.error("the notification of scan %s could not be published; it is owed, and the "
                  "next run sends it (the history's notification ledger)", scan_id)
        raise
    return True


def settle_owed(config: HandlerConfig, deps: Collaborators, store: Any, *,
                before: str | None = None, damaged: list[str] | None = None) -> list[str]:
    """Send the notifications still owed: those of the scans recorded after the ledger's last
    settled one (and before ``before``, this run's own scan), oldest first, each from the
    stored scans exactly as its own run would have sent it. The ledger moves past each one
    sent, so a publish that fails (the exception propagates: the run fails) leaves it owed to
    the next run, and nothing already recorded is lost. Without a ledger (the first run of a
    deployment) nothing earlier is owed; an empty one ("") owes every scan. Returns the scans
    whose notification was sent late.

    An owed scan whose stored payload is damaged (records.DamagedScan) cannot be told again:
    one warning names it, the ledger moves past it and ``damaged`` (when given) receives its
    id -- it failed every later run otherwise (fault-injection trial round 9). A damaged scan
    that an owed one would have been compared with is passed over for the one before it, as
    the nightly scan passes it over (scanner.history.damage)."""
    from scanner.history.diff import diff_scans
    from scanner.history.records import DamagedScan
    from scanner.history.scope import document_scope, previous_scan

    settled = store.notified_through()  # "": none settled yet
    records = store.list()
    ids = [r.scan_id for r in records]
    if settled is None or (settled and settled not in ids):
        return []
    start = ids.index(settled) + 1 if settled else 0
    owed = [r for r in records[start:] if r.scan_id != before]
    sent: list[str] = []
    unreadable: set[str] = set()
    for record in owed:
        try:
            scan = store.load(record.scan_id)
        except DamagedScan as exc:
            log.warning("scan %s is owed its notification, but its stored payload is damaged "
                        "(%s): it cannot be sent; the ledger moves past it (docs/history.md, "
                        "'A damaged scan')", record.scan_id, exc)
            unreadable.add(record.scan_id)
            if damaged is not None:
                damaged.append(record.scan_id)
            store.set_notified_through(record.scan_id)
            continue
        # the scan its own run diffed against: the newest complete one whose scope covers it
        # (scanner.history.scope: a narrower scan in between is passed over), a damaged one
        # passed over too
        earlier = records[:ids.index(record.scan_id)]
        while True:
            candidates = [r for r in earlier if r.scan_id not in unreadable]
            try:
                previous = previous_scan(candidates, document_scope(scan.document),
                                         lambda sid: store.load(sid).document).record
                older = store.load(previous.scan_id) if previous is not None else None
                break
            except DamagedScan as exc:
                if exc.scan_id in unreadable or exc.scan_id not in ids:
                    raise
                unreadable.add(exc.scan_id)
        drift = diff_scans(older, scan) if older is not None else None
        notable = _notable(drift, scan.document, config.notify_severities)
        if _notify(config, deps, record.scan_id, record.complete, notable, late=True):
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


def _external_id(env: Mapping[str, str]) -> str | None:
    """SECRETGRAPH_EXTERNAL_ID, checked as --external-id is; empty is none (the stack's
    default)."""
    from scanner.aws.session import external_id_problem

    value = env.get("SECRETGRAPH_EXTERNAL_ID") or ""
    if not value:
        return None
    problem = external_id_problem(value)
    if problem:
        raise InputError(f"SECRETGRAPH_EXTERNAL_ID: {problem}")
    return value
