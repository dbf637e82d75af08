"""Benchmark: drift between two 100,000-secret scans, and a year of nightly history.

    python bench/history.py [--accounts 1000] [--secrets 100] [--nights 365] [--skip-diff]

1. Diff: two synthetic scans of 1,000 accounts x 100 secrets (bench/synth.py), the second with
   1% of the secrets changed (rotation off, key changed, a policy statement added), 100 deleted,
   100 created, one account not assumed; findings documents (2 per secret) and access reports
   (readers per secret) alongside. Prints the time of ``diff_scans``. Target: <= 10 s.
2. History: 365 nightly scans of a demo-sized estate (5 accounts, 20 secrets, realistic policies,
   a little drift each night) recorded in a SQLite history file. Prints the file size.
   Target: < 100 MB.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synth import make_snapshot  # noqa: E402
from scanner.findings import finding_id  # noqa: E402
from scanner.history.diff import diff_scans  # noqa: E402
from scanner.history.records import ScanRecord, StoredScan  # noqa: E402
from scanner.history.sqlite_store import SqliteHistoryStore  # noqa: E402
from scanner.model import AccountSnapshot, CoverageEntry, Snapshot  # noqa: E402

RULES = (("secret-rotation-disabled", "MEDIUM"), ("secret-uses-aws-managed-key", "HIGH"),
         ("secret-policy-external-account", "HIGH"), ("secret-rotation-overdue", "MEDIUM"),
         ("secret-unused", "LOW"), ("secret-cross-account-access-broken", "HIGH"))


def _grantees(policy: str | None) -> list[str]:
    if not policy:
        return []
    out = []
    for st in json.loads(policy).get("Statement", []):
        principal = st.get("Principal")
        if st.get("Effect") == "Allow" and isinstance(principal, dict):
            aws = principal.get("AWS", [])
            out += [aws] if isinstance(aws, str) else list(aws)
    return sorted(set(out))


def _access(snap: Snapshot) -> dict[str, Any]:
    gates = {g: {"status": "ALLOWED", "conditions": [], "reasons": []}
             for g in ("resource_policy", "key_policy", "identity_policy", "scp")}
    secrets = {}
    for acct in snap.accounts:
        for reg in acct.regions:
            for s in reg.secrets:
                readers = _grantees(s.resource_policy)
                secrets[s.arn] = {
                    "secret_arn": s.arn, "name": s.name, "account_id": s.account_id,
                    "region": s.region, "readers": readers,
                    "paths": [{"principal": p, "principal_account": p.split(":")[4],
                               "decision": "ALLOWED", "cross_account": True, "gates": gates,
                               "broken": False} for p in readers]}
    return {"settings": {}, "secrets": secrets, "keys": {}, "identity_wildcards": [],
            "problems": []}


def _document(snap: Snapshot, now: str) -> dict[str, Any]:
    findings = []
    for acct in snap.accounts:
        for reg in acct.regions:
            for s in reg.secrets:
                for rule, sev in RULES:
                    failing = (rule == "secret-rotation-disabled" and not s.rotation_enabled) or \
                              (rule == "secret-uses-aws-managed-key" and s.kms_key_id is None)
                    if not failing and rule not in ("secret-rotation-disabled",
                                                    "secret-uses-aws-managed-key"):
                        continue
                    findings.append({
                        "id": finding_id(rule, s.arn), "rule_id": rule, "title": rule,
                        "severity": sev, "status": "FAIL" if failing else "PASS",
                        "resource": {"type": "Secret", "arn": s.arn,
                                     "account_id": s.account_id, "region": s.region},
                        "message": f"{rule} on {s.name}", "principal": None,
                        "evidence": {"rotation_enabled": s.rotation_enabled,
                                     "kms_key_id": s.kms_key_id,
                                     "rotation_days": s.rotation_days},
                        "remediation": {"id": rule, "description": "see the rule"},
                        "compliance": {"CIS": ["2.4"]}, "missing": []})
    return {"schema_version": 1, "tool": {"name": "secretgraph", "version": "0.1.0"},
            "scan": {"id": snap.meta.scan_id, "started_at": snap.meta.started_at,
                     "finished_at": snap.meta.finished_at, "complete": snap.complete,
                     "accounts": list(snap.meta.accounts), "regions": list(snap.meta.regions)},
            "coverage": [], "findings": findings}


def _mutate(snap: Snapshot, rng: random.Random, *, ratio: float, churn: int,
            drop_account: bool, scan_id: str, started: str) -> Snapshot:
    """A later scan of the same estate: some secrets changed, some gone, some new."""
    accounts = []
    for i, acct in enumerate(snap.accounts):
        if drop_account and i == len(snap.accounts) - 1:
            accounts.append(AccountSnapshot(account_id=acct.account_id, name=acct.name,
                                            assumed=False, iam=None))
            continue
        regions = []
        for reg in acct.regions:
            secrets = list(reg.secrets)
            out = []
            for s in secrets:
                if rng.random() < ratio:
                    change = rng.randrange(3)
                    if change == 0:
                        s = dataclasses.replace(s, rotation_enabled=not s.rotation_enabled)
                    elif change == 1:
                        s = dataclasses.replace(s, kms_key_id=None)
                    elif s.resource_policy:
                        pol = json.loads(s.resource_policy)
                        pol["Statement"].append({
                            "Sid": f"Added{rng.randrange(10**6)}", "Effect": "Allow",
                            "Principal": {"AWS": "arn:aws:iam::999999999999:role/vendor"},
                            "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
                        s = dataclasses.replace(s, resource_policy=json.dumps(pol))
                s = dataclasses.replace(s, last_accessed=started)
                out.append(s)
            if churn and i < churn:
                removed = out.pop()
                out.append(dataclasses.replace(removed, arn=removed.arn + "-new",
                                               name=removed.name + "-new"))
            regions.append(dataclasses.replace(reg, secrets=tuple(out)))
        accounts.append(dataclasses.replace(acct, regions=tuple(regions)))
    coverage = list(snap.coverage)
    if drop_account:
        coverage.append(CoverageEntry(account_id=snap.accounts[-1].account_id, region="global",
                                      service="sts", operation="AssumeRole",
                                      error_code="AccessDenied", error_kind="denied",
                                      message="not authorized to assume the audit role"))
    meta = dataclasses.replace(snap.meta, scan_id=scan_id, started_at=started,
                               finished_at=started)
    return dataclasses.replace(snap, meta=meta, accounts=tuple(accounts),
                               coverage=tuple(coverage))


def _stored(snap: Snapshot) -> StoredScan:
    doc = _document(snap, snap.meta.started_at)
    rec = ScanRecord(scan_id=snap.meta.scan_id, started_at=snap.meta.started_at,
                     finished_at=snap.meta.finished_at, complete=snap.complete,
                     recorded_at=snap.meta.started_at)
    return StoredScan(record=rec, snapshot=snap, document=doc, access=_access(snap))


def bench_diff(accounts: int, secrets: int) -> float:
    t0 = time.perf_counter()
    old_snap = make_snapshot(accounts=accounts, secrets_per_account=secrets, roles_per_account=20)
    old_snap = dataclasses.replace(old_snap, meta=dataclasses.replace(
        old_snap.meta, scan_id="night-a", started_at="2026-11-28T02:00:00Z"))
    new_snap = _mutate(old_snap, random.Random(1), ratio=0.01, churn=100, drop_account=True,
                       scan_id="night-b", started="2026-11-29T02:00:00Z")
    old, new = _stored(old_snap), _stored(new_snap)
    n = sum(len(r.secrets) for a in old_snap.accounts for r in a.regions)
    print(f"diff: built two scans of {len(old_snap.accounts)} accounts / {n} secrets, "
          f"{len(old.document['findings'])} findings each, in {time.perf_counter() - t0:.1f}s")
    t1, c1 = time.perf_counter(), time.process_time()
    drift = diff_scans(old, new)
    elapsed, cpu = time.perf_counter() - t1, time.process_time() - c1
    print(f"diff: diff_scans took {elapsed:.2f}s wall, {cpu:.2f}s CPU (target <= 10 s; the CPU "
          f"figure is what an unshared core would take): {drift.summary}")
    return elapsed


def bench_history(nights: int) -> int:
    base = make_snapshot(accounts=5, secrets_per_account=4, roles_per_account=5, seed=7)
    rng = random.Random(7)
    start = datetime(2025, 12, 1, 2, 0, tzinfo=timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.db"
        store = SqliteHistoryStore(path)
        snap = base
        t0 = time.perf_counter()
        for night in range(nights):
            when = (start + timedelta(days=night)).strftime("%Y-%m-%dT%H:%M:%SZ")
            snap = _mutate(snap, rng, ratio=0.05, churn=1 if night % 30 == 0 else 0,
                           drop_account=night % 97 == 50, scan_id=f"scan-{night:04d}",
                           started=when)
            if night % 97 != 50:  # the account is back the next night
                snap = dataclasses.replace(snap, coverage=())
                snap = dataclasses.replace(snap, accounts=tuple(
                    a if a.assumed else base.account(a.account_id) or a for a in snap.accounts))
            store.record(snap.meta, snap, _document(snap, when), _access(snap))
        elapsed = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
        records = store.list()
        n_secrets = sum(len(r.secrets) for a in base.accounts for r in a.regions)
        print(f"history: {len(records)} nightly scans of {len(base.accounts)} accounts / "
              f"{n_secrets} secrets recorded in {elapsed:.1f}s; file size "
              f"{size / 1e6:.2f} MB (target < 100 MB)")
        t1 = time.perf_counter()
        latest = store.latest_complete()
        assert latest is not None
        prev = store.latest_complete(before=latest.scan_id)
        assert prev is not None
        drift = diff_scans(store.load(prev.scan_id), store.load(latest.scan_id))
        print(f"history: load + diff of the last two scans in {time.perf_counter() - t1:.2f}s "
              f"({drift.summary})")
        return size


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--secrets", type=int, default=100)
    ap.add_argument("--nights", type=int, default=365)
    ap.add_argument("--skip-diff", action="store_true")
    args = ap.parse_args()
    ok = True
    if not args.skip_diff:
        ok &= bench_diff(args.accounts, args.secrets) <= 10.0
    ok &= bench_history(args.nights) < 100_000_000
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
