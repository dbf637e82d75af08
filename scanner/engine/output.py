"""findings.json (DESIGN.md contract): schema_version, tool, scan, coverage, findings, plus a
summary block. The JSON Schema ships as scanner/schemas/findings.schema.json."""

from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

from scanner import __version__
from scanner.findings import Finding, Severity, Status
from scanner.model import Snapshot, to_jsonable

FINDINGS_SCHEMA_VERSION = 1
TOOL_NAME = "secretgraph"


def scan_complete(snapshot: Snapshot, findings: Sequence[Finding]) -> bool:
    """Complete: nothing failed to be read, and no rule crashed."""
    from scanner.engine.runner import is_rule_error

    return snapshot.complete and not any(is_rule_error(f) for f in findings)


def summary(findings: Sequence[Finding]) -> dict[str, Any]:
    by_status = Counter(f.status.value for f in findings)
    failing = [f for f in findings if f.status == Status.FAIL]
    by_severity = Counter(f.severity.value for f in failing)
    by_rule = Counter(f.rule_id for f in failing)
    by_account = Counter(f.resource.account_id for f in failing)
    return {
        "total": len(findings),
        "by_status": {s.value: by_status.get(s.value, 0) for s in Status},
        "failing_by_severity": {s.value: by_severity.get(s.value, 0)
                                for s in sorted(Severity, key=lambda x: -x.rank)},
        "failing_by_rule": dict(sorted(by_rule.items())),
        "failing_by_account": dict(sorted(by_account.items())),
    }


def findings_document(snapshot: Snapshot, findings: Sequence[Finding]) -> dict[str, Any]:
    meta = snapshot.meta
    ordered = sorted(findings, key=lambda f: (-f.severity.rank, f.status.value, f.rule_id,
                                              f.resource.account_id, f.resource.arn,
                                              f.principal or ""))
    return {
        "schema_version": FINDINGS_SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "scan": {
            "id": meta.scan_id,
            "started_at": meta.started_at,
            "finished_at": meta.finished_at,
            "accounts": list(meta.accounts),
            "regions": list(meta.regions),
            "complete": scan_complete(snapshot, findings),
            "central_account": meta.central_account,
        },
        "coverage": [to_jsonable(c) for c in snapshot.coverage],
        "summary": summary(findings),
        "findings": _serialise(ordered),
    }


def _serialise(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """Finding.to_json, with the parts findings share (resource, rule metadata, empty evidence)
    built once and shared: at 100,000 secrets the document holds over a million findings."""
    shared: dict[int, Any] = {}

    def once(obj: Any, build: Any) -> Any:
        key = id(obj)
        found = shared.get(key)
        if found is None:
            found = build(obj)
            shared[key] = found
        return found

    out: list[dict[str, Any]] = []
    for f in findings:
        r = f.resource
        item: dict[str, Any] = {
            "id": f.id, "rule_id": f.rule_id, "title": f.title, "severity": f.severity.value,
            "status": f.status.value,
            "resource": once(r, lambda x: {"type": x.type, "arn": x.arn,
                                           "account_id": x.account_id, "region": x.region}),
            "message": f.message, "principal": f.principal,
            "evidence": once(f.evidence, dict) if not f.evidence else dict(f.evidence),
            "remediation": once(f.remediation, dict),
            "compliance": once(f.compliance, lambda c: {k: list(v) for k, v in c.items()}),
            "missing": list(f.missing),
        }
        if f.muted_by is not None:
            item["muted_by"] = dict(f.muted_by)
        out.append(item)
    return out
