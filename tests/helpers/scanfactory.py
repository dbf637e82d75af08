"""Small builders for history and drift tests: snapshots, findings documents, access reports."""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from scanner.findings import Finding, ResourceRef, Severity, Status, finding_id
from scanner.history.records import ScanRecord, StoredScan, document_complete
from scanner.model import (
    AccountSnapshot,
    CoverageEntry,
    IamSnapshot,
    KmsKey,
    RegionSnapshot,
    ScanMeta,
    Secret,
    Snapshot,
)

CENTRAL = "111111111111"
MEMBER = "222222222222"
REGION = "us-east-1"


def secret_arn(name: str, account: str = CENTRAL, region: str = REGION) -> str:
    return f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-AbCdEf"


def policy(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def read_statement(principal: str, sid: str | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principal},
                          "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    if sid:
        st["Sid"] = sid
    return st


def secret(name: str, *, account: str = CENTRAL, region: str = REGION,
           resource_policy: str | None = None, rotation: bool = True,
           kms_key_id: str | None = "arn:aws:kms:us-east-1:111111111111:key/k1",
           unread: tuple[str, ...] = (), last_accessed: str | None = None) -> Secret:
    return Secret(arn=secret_arn(name, account, region), name=name, account_id=account,
                  region=region, kms_key_id=kms_key_id, rotation_enabled=rotation,
                  rotation_days=30 if rotation else None, resource_policy=resource_policy,
                  unread=unread, last_accessed=last_accessed)


def snapshot(scan_id: str, started: str, secrets: Iterable[Secret] = (), *,
             keys: Iterable[KmsKey] = (), accounts: Iterable[str] = (CENTRAL, MEMBER),
             not_assumed: Iterable[str] = (), unread_services: Mapping[str, tuple[str, ...]] = {},
             coverage: Iterable[CoverageEntry] = ()) -> Snapshot:
    secrets = list(secrets)
    keys = list(keys)
    not_assumed = set(not_assumed)
    accts = []
    for acct in accounts:
        if acct in not_assumed:
            accts.append(AccountSnapshot(account_id=acct, assumed=False, iam=None))
            continue
        accts.append(AccountSnapshot(
            account_id=acct, iam=IamSnapshot(),
            regions=(RegionSnapshot(
                region=REGION,
                secrets=tuple(s for s in secrets if s.account_id == acct),
                kms_keys=tuple(k for k in keys if k.account_id == acct),
                unread_services=unread_services.get(acct, ())),)))
    cov = list(coverage)
    for acct in sorted(not_assumed):
        cov.append(CoverageEntry(account_id=acct, region="global", service="sts",
                                 operation="AssumeRole", error_code="AccessDenied",
                                 error_kind="denied", message="not authorized",
                                 # as the collector records it: the role it could not assume
                                 resource_arn=f"arn:aws:iam::{acct}:role/SecretgraphAudit"))
    return Snapshot(meta=ScanMeta(scan_id=scan_id, started_at=started, finished_at=started,
                                  accounts=tuple(accounts), regions=(REGION,)),
                    accounts=tuple(accts), coverage=tuple(cov))


def finding(rule_id: str, arn: str, status: str = "FAIL", severity: str = "HIGH", *,
            principal: str | None = None, evidence: Mapping[str, Any] | None = None,
            account: str = CENTRAL, rtype: str = "Secret") -> dict[str, Any]:
    return Finding(id=finding_id(rule_id, arn, principal), rule_id=rule_id, title=rule_id,
                   severity=Severity(severity), status=Status(status),
                   resource=ResourceRef(type=rtype, arn=arn, account_id=account, region=REGION),
                   principal=principal, evidence=evidence or {}).to_json()


def document(snap: Snapshot, findings: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
    return {"schema_version": 1, "tool": {"name": "secretgraph", "version": "0.1.0"},
            "scan": {"id": snap.meta.scan_id, "started_at": snap.meta.started_at,
                     "finished_at": snap.meta.finished_at, "accounts": list(snap.meta.accounts),
                     "regions": list(snap.meta.regions), "complete": snap.complete},
            "coverage": [], "findings": list(findings)}


def access(readers: Mapping[str, Iterable[tuple[str, str]]]) -> dict[str, Any]:
    """{secret arn: [(principal, allow|deny|conditional|unknown), ...]} -> the JSON of
    scanner.access.report.AccessReport.to_dict() (paths with per-gate verdicts)."""
    def gates(decision: str) -> dict[str, Any]:
        status = {"allow": "ALLOWED", "deny": "DENIED", "conditional": "CONDITIONAL",
                  "unknown": "UNKNOWN"}[decision]
        return {g: {"status": "ALLOWED" if g != "identity_policy" else status,
                    "conditions": [], "reasons": []}
                for g in ("resource_policy", "key_policy", "identity_policy")}

    def decision(d: str) -> str:
        return {"allow": "ALLOWED", "conditional": "CONDITIONAL"}.get(d, "DENIED")

    return {"secrets": {arn: {"secret_arn": arn,
                              "readers": sorted(p for p, d in rs if d == "allow"),
                              "paths": [{"principal": p, "decision": decision(d),
                                         "gates": gates(d)} for p, d in rs]}
                        for arn, rs in ((a, list(r)) for a, r in readers.items())}}


def stored(snap: Snapshot, doc: Mapping[str, Any] | None = None,
           acc: Mapping[str, Any] | None = None) -> StoredScan:
    doc = doc if doc is not None else document(snap)
    rec = ScanRecord(scan_id=snap.meta.scan_id, started_at=snap.meta.started_at,
                     finished_at=snap.meta.finished_at, complete=document_complete(snap, doc),
                     recorded_at=snap.meta.started_at)
    return StoredScan(record=rec, snapshot=snap, document=doc,
                      access=acc if acc is not None else access({}))


def analysed_access(snap: Snapshot) -> dict[str, Any]:
    """The snapshot's access report as the history stores it (the analysis' JSON)."""
    from scanner.access import AccessSettings, analyze_access
    from scanner.graph.builder import build_graph

    report: dict[str, Any] = json.loads(analyze_access(
        build_graph(snap), snap, AccessSettings.from_snapshot(snap)).to_json())
    return report


def stored_analysed(snap: Snapshot) -> StoredScan:
    """``stored`` with the snapshot's own access analysis (drift compares real verdicts)."""
    return stored(snap, acc=analysed_access(snap))
