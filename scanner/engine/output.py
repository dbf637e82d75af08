"""findings.json (DESIGN.md contract): schema_version, tool, scan, coverage, findings, plus a
summary block and the PASS summary per rule (``passed``). The JSON Schema ships as
scanner/schemas/findings.schema.json.

By default PASS results are not itemised: ``passed`` holds each rule's PASS count (and the
resources when there are few); ``emit_pass`` itemises them in ``findings`` as well. The summary
counts are the same either way."""

from __future__ import annotations

from collections import Counter
from typing import Any, Mapping, Sequence

from scanner import __version__
from scanner.findings import PASS_RESOURCES_MAX, Finding, PassSummary, Severity, Status
from scanner.model import Snapshot, to_jsonable
from scanner.policy.trust_zone import TrustZone
from scanner.policy.trust_zone import trust_zone as snapshot_zone

FINDINGS_SCHEMA_VERSION = 1
#: the layout of the findings' ``evidence`` (and messages): raised when a release changes what
#: rows say without a change of what they find, so that drift does not list every finding of an
#: upgrade night as changed (scanner.history.diff_findings). 1: before 2026-12-06 (absent).
#: 2: the fifteenth session's rows (what a row said twice said once).
EVIDENCE_FORMAT = 2
TOOL_NAME = "secretgraph"


def scan_complete(snapshot: Snapshot, findings: Sequence[Finding]) -> bool:
    """Complete: nothing failed to be read, and no rule crashed."""
    from scanner.engine.runner import is_rule_error

    return snapshot.complete and not any(is_rule_error(f) for f in findings)


_SEVERITY_VALUE = {s: s.value for s in Severity}
_STATUS_VALUE = {s: s.value for s in Status}
_NEG_RANK = {s: -s.rank for s in Severity}


def summary(findings: Sequence[Finding],
            passed: Sequence[PassSummary] | None = None) -> dict[str, Any]:
    """Counts over every result: itemised findings, and with ``passed`` the PASS results of the
    per-rule summaries in place of the itemised PASS findings (the same number when they are
    itemised too)."""
    by_status = Counter(f.status for f in findings)
    if passed is not None:
        by_status[Status.PASS] = sum(p.count for p in passed)
    failing = [f for f in findings if f.status is Status.FAIL]
    by_severity = Counter(f.severity for f in failing)
    by_rule = Counter(f.rule_id for f in failing)
    by_account = Counter(f.resource.account_id for f in failing)
    return {
        "total": sum(by_status.values()),
        "by_status": {s.value: by_status.get(s, 0) for s in Status},
        "failing_by_severity": {s.value: by_severity.get(s, 0)
                                for s in sorted(Severity, key=lambda x: -x.rank)},
        "failing_by_rule": dict(sorted(by_rule.items())),
        "failing_by_account": dict(sorted(by_account.items())),
    }


def _order(f: Finding) -> tuple[Any, ...]:
    r = f.resource
    return (_NEG_RANK[f.severity], _STATUS_VALUE[f.status], f.rule_id, r.account_id, r.arn,
            f.principal or "")


def findings_document(snapshot: Snapshot, findings: Sequence[Finding],
                      passed: Sequence[PassSummary] | None = None, *,
                      pass_itemised: bool | None = None,
                      trust_zone: TrustZone | None = None,
                      rules: Sequence[str] | None = None,
                      scope: Mapping[str, Any] | None = None,
                      allowed_external_accounts: Sequence[str] = (),
                      analysis_failed: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The findings.json document. ``passed`` (from ``evaluate_rules``) adds the ``passed``
    block; ``pass_itemised`` says whether ``findings`` holds every PASS result too (default:
    whether it holds any); ``trust_zone`` defaults to the snapshot's zone without
    trusted_accounts; ``rules``: the ids of the rules evaluated (``scan.rules``); ``scope``: the
    scan's ``--rules/--exclude-rules/--severity/--compliance`` restrictions (``scan.scope``);
    ``allowed_external_accounts``: the config's, recorded in ``scan.trust_zone``;
    ``analysis_failed``: the secrets whose access analysis raised (``AccessReport.failed``):
    the scan is incomplete, and ``scan.access_analysis_failed`` lists them."""
    from scanner.engine.runner import gc_paused

    meta = snapshot.meta
    zone = trust_zone if trust_zone is not None else snapshot_zone(snapshot)
    with gc_paused():
        ordered = sorted(findings, key=_order)
        document: dict[str, Any] = {
            "schema_version": FINDINGS_SCHEMA_VERSION,
            "tool": {"name": TOOL_NAME, "version": __version__},
            "scan": {
                "id": meta.scan_id,
                "started_at": meta.started_at,
                "finished_at": meta.finished_at,
                "accounts": list(meta.accounts),
                "regions": list(meta.regions),
                "complete": scan_complete(snapshot, findings) and not analysis_failed,
                "evidence_format": EVIDENCE_FORMAT,
                "central_account": meta.central_account,
                "central_account_source": meta.central_account_source,
                "trust_zone": zone.to_json(),
            },
            "coverage": [to_jsonable(c) for c in snapshot.coverage],
            "summary": summary(findings, passed),
        }
        if allowed_external_accounts:  # outside the zone, not unintended (read back by re-reads)
            document["scan"]["trust_zone"]["allowed_external_accounts"] = \
                sorted(set(allowed_external_accounts))
        if passed is not None:
            if pass_itemised is None:
                pass_itemised = any(f.status is Status.PASS for f in findings)
            document["passed"] = {"itemised": pass_itemised,
                                  "resources_max": PASS_RESOURCES_MAX,
                                  "by_rule": [p.to_json() for p in
                                              sorted(passed, key=lambda p: p.rule_id)]}
        document["findings"] = _serialise(ordered, snapshot.account_names())
    if analysis_failed:
        document["scan"]["access_analysis_failed"] = [
            {"secret_arn": arn, "error": why} for arn, why in sorted(analysis_failed.items())]
    if rules is not None:
        document["scan"]["rules"] = list(rules)
    if scope:
        document["scan"]["scope"] = dict(scope)
    return document


class _Row:
    """One finding of findings.json, as a plain ``dict``: the ``__dict__`` of an instance.
    All rows share one key table (CPython's key-sharing instance dicts, PEP 412), so a row takes
    about 190 bytes instead of about 470 for a dict literal -- 390 MB less at a million
    findings, at the same speed. The keys and their order are the contract's."""

    def __init__(self, id: str, rule_id: str, title: str, severity: str, status: str,
                 resource: dict[str, Any], message: str, principal: str | None,
                 evidence: dict[str, Any], remediation: dict[str, Any],
                 compliance: dict[str, list[str]], missing: list[str]) -> None:
        self.id = id
        self.rule_id = rule_id
        self.title = title
        self.severity = severity
        self.status = status
        self.resource = resource
        self.message = message
        self.principal = principal
        self.evidence = evidence
        self.remediation = remediation
        self.compliance = compliance
        self.missing = missing


def _serialise(findings: Sequence[Finding],
               account_names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Finding.to_json, with the parts findings share (resource, rule metadata, empty evidence
    and missing) built once and shared, and each finding's evidence dict used as it is (not
    copied): at 100,000 secrets the document holds over a million
    findings. Shared parts are the same objects in many rows: treat rows as read-only (copy a
    row's nested value before changing it). ``resource.account_name`` is the reference's own
    name, else ``account_names[account_id]``, else null."""
    resources: dict[int, dict[str, Any]] = {}
    shared: dict[int, Any] = {}
    empty_evidence: dict[str, Any] = {}
    empty_missing: list[str] = []
    names = account_names or {}
    severity_value, status_value = _SEVERITY_VALUE, _STATUS_VALUE
    out: list[dict[str, Any]] = []
    append = out.append
    for f in findings:
        r = f.resource
        resource = resources.get(id(r))
        if resource is None:
            resource = resources[id(r)] = {
                "type": r.type, "arn": r.arn, "account_id": r.account_id, "region": r.region,
                "account_name": r.account_name or names.get(r.account_id)}
            if r.node is not None:  # Finding.to_json's ``node``
                resource["node"] = r.node
        remediation = shared.get(id(f.remediation))
        if remediation is None:
            remediation = shared[id(f.remediation)] = dict(f.remediation)
        compliance = shared.get(id(f.compliance))
        if compliance is None:
            compliance = shared[id(f.compliance)] = {k: list(v)
                                                     for k, v in f.compliance.items()}
        evidence = f.evidence
        if not evidence:
            evidence = empty_evidence
        elif type(evidence) is not dict:  # the engine's are plain dicts: shared, not copied
            evidence = dict(evidence)
        item = _Row(f.id, f.rule_id, f.title, severity_value[f.severity],
                    status_value[f.status], resource, f.message, f.principal,
                    evidence, remediation, compliance,
                    list(f.missing) if f.missing else empty_missing).__dict__
        if f.muted_by is not None:
            item["muted_by"] = dict(f.muted_by)
        append(item)
    return out


def pass_counts(document: Mapping[str, Any]) -> dict[str, int] | None:
    """PASS results per rule id from a document's ``passed`` block (None without one: a
    document written before PASS summaries, whose PASS results are all itemised)."""
    passed = document.get("passed")
    if not isinstance(passed, Mapping):
        return None
    out: dict[str, int] = {}
    for entry in passed.get("by_rule") or ():
        if isinstance(entry, Mapping) and entry.get("rule_id"):
            out[str(entry["rule_id"])] = int(entry.get("count") or 0)
    return out


def status_counts(document: Mapping[str, Any]) -> Counter[str]:
    """Results per status of a findings document, PASS included whether or not PASS results
    are itemised (the one place that knows how to count them)."""
    counts: Counter[str] = Counter()
    for f in document.get("findings") or ():
        if type(f) is dict or isinstance(f, Mapping):  # dict first: ABC checks are slow
            counts[str(f.get("status", ""))] += 1
    by_rule = pass_counts(document)
    if by_rule is not None:
        counts["PASS"] = sum(by_rule.values())
    return counts
