"""Hand-made snapshots and findings for offline remediation tests (no moto: planning and the
input checks only read files and records)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scanner.findings import Finding, ResourceRef, Severity, Status, finding_id
from scanner.model import (AccountSnapshot, KmsKey, OrgAccount, Organization, RegionSnapshot,
                           ScanMeta, Secret, Snapshot)
from scanner.snapshot_io import write_snapshot

ACCT = "111111111111"
MEMBER_ROLE = "arn:aws:iam::222222222222:role/App"
OTHER_ROLE = "arn:aws:iam::222222222222:role/Other"
OUTSIDER_ROLE = "arn:aws:iam::999999999999:role/Partner"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-0000-0000-0000-000000000001"
SECRET_ARN = f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:app/db-AbCdEf"
LAMBDA_ARN = f"arn:aws:lambda:us-east-1:{ACCT}:function:rotate-pg"

UNRELATED = {"Sid": "Keep", "Effect": "Allow", "Principal": {"AWS": MEMBER_ROLE},
             "Action": "secretsmanager:GetSecretValue", "Resource": "*",
             "Condition": {"StringLike": {"aws:userid": "AROA*:app-*"}}}
PUBLIC = {"Sid": "Public", "Effect": "Allow", "Principal": "*",
          "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
DENY = {"Sid": "DenyDelete", "Effect": "Deny", "Principal": "*",
        "Action": "secretsmanager:DeleteSecret", "Resource": "*"}


def snapshot(*, policy: dict[str, Any] | str | None = None, kms_key_id: str | None = KEY_ARN,
             key_policy: dict[str, Any] | None = None, tags: dict[str, str] | None = None,
             rotation: bool = False) -> Snapshot:
    text = policy if isinstance(policy, str) or policy is None else json.dumps(policy)
    secret = Secret(arn=SECRET_ARN, name="app/db", account_id=ACCT, region="us-east-1",
                    kms_key_id=kms_key_id, resource_policy=text, tags=tags or {},
                    rotation_enabled=rotation)
    key = KmsKey(arn=KEY_ARN, key_id=KEY_ARN.rsplit("/", 1)[1], account_id=ACCT,
                 region="us-east-1", key_manager="CUSTOMER", key_state="Enabled",
                 key_spec="SYMMETRIC_DEFAULT", rotation_enabled=False,
                 policy=json.dumps(key_policy or {"Version": "2012-10-17", "Statement": [
                     {"Sid": "Root", "Effect": "Allow",
                      "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "kms:*",
                      "Resource": "*"}]}))
    return Snapshot(
        meta=ScanMeta(scan_id="scan-1", started_at="2026-11-29T00:00:00Z", accounts=(ACCT,),
                      regions=("us-east-1",), org_id="o-abcdef1234",
                      role_name="SecretgraphAudit"),
        organization=Organization(org_id="o-abcdef1234", management_account_id=ACCT,
                                  accounts=(OrgAccount(account_id=ACCT),
                                            OrgAccount(account_id="222222222222"))),
        accounts=(AccountSnapshot(account_id=ACCT, regions=(RegionSnapshot(
            region="us-east-1", secrets=(secret,), kms_keys=(key,)),)),))


def finding(rule_id: str, remediation_id: str, arn: str = SECRET_ARN, rtype: str = "Secret",
            principal: str | None = None, **evidence: Any) -> Finding:
    return Finding(id=finding_id(rule_id, arn, principal), rule_id=rule_id, title=rule_id,
                   severity=Severity.HIGH, status=Status.FAIL,
                   resource=ResourceRef(type=rtype, arn=arn, account_id=ACCT, region="us-east-1"),
                   principal=principal, evidence=evidence, remediation={"id": remediation_id})


def write_scan_dir(out_dir: Path, snap: Snapshot, findings: list[Finding]) -> Path:
    """snapshot.json.gz and findings.json, as `scan --out DIR` leaves them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_snapshot(out_dir / "snapshot.json.gz", snap)
    doc = {"schema_version": 1, "tool": {"name": "secretgraph", "version": "0.0.0"},
           "scan": scan_header(snap), "coverage": [],
           "findings": [f.to_json() for f in findings]}
    (out_dir / "findings.json").write_text(json.dumps(doc), encoding="utf-8")
    return out_dir


def scan_header(snap: Snapshot) -> dict[str, object]:
    """The ``scan`` member of a findings.json for ``snap``: what the schema requires of it
    (remediate --in checks the header as report and export do), complete."""
    meta = snap.meta
    return {"id": meta.scan_id, "started_at": meta.started_at,
            "finished_at": meta.finished_at or meta.started_at,
            "accounts": list(meta.accounts), "regions": list(meta.regions), "complete": True}


def applied_journal(path: Path, plan: Any) -> Path:
    """An apply journal of ``plan``, its one change (a resource policy's) applied, as --apply
    writes it."""
    from scanner.remediate.journal import JournalWriter

    (change,) = plan.changes
    writer = JournalWriter(path, mode="apply", plan_id=plan.plan_id,
                           estate=plan.estate.to_json(), source="plan.json")
    before = {"resource_policy": change.pre_state["resource_policy"],
              "resource_policy_text": json.dumps(change.pre_state["resource_policy"])}
    after = {"resource_policy": change.desired_state["resource_policy"],
             "resource_policy_text": json.dumps(change.desired_state["resource_policy"])}
    writer.started(change, before)
    writer.change(change, status="applied", before=before, after=after)
    writer.close({"applied": 1})
    return path
