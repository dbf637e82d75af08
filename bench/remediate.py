"""Benchmark: planning remediation for a synthetic organization (default 1,000 accounts x 100
secrets), from the FAIL findings the rules would report for rotation, keys and key rotation.

    python bench/remediate.py [--accounts 1000] [--secrets 100] [--all-findings]

Prints the time to build the plan (pure: no AWS call), to write and re-read the plan file
(digests and plan id checked), and to render it, with the plan's size and the peak memory.

``--all-findings``: plan every FAIL the scan itself reports (the rules and access analysis
run over the snapshot, as `scan --snapshot` does; every automated remediation, grant-key-decrypt
for each broken cross-account reader included), as `remediate --in <scan folder>` does, and
print the planning's CPU seconds too.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synth import make_snapshot  # noqa: E402
from scanner.changes import RemediationConfig, RotationTarget  # noqa: E402
from scanner.findings import Finding, ResourceRef, Severity, Status, finding_id  # noqa: E402
from scanner.model import Snapshot  # noqa: E402
from scanner.remediate.planfile import read_plan, write_plan  # noqa: E402
from scanner.remediate.planner import Selection, build_plan  # noqa: E402
from scanner.remediate.render import render_plan  # noqa: E402


def _finding(rule: str, rid: str, rtype: str, arn: str, account: str, region: str) -> Finding:
    return Finding(id=finding_id(rule, arn), rule_id=rule, title=rule, severity=Severity.MEDIUM,
                   status=Status.FAIL,
                   resource=ResourceRef(type=rtype, arn=arn, account_id=account, region=region),
                   remediation={"id": rid})


def findings_for(snapshot: Snapshot) -> list[Finding]:
    out: list[Finding] = []
    for acct in snapshot.accounts:
        for reg in acct.regions:
            for s in reg.secrets:
                if s.is_replica:
                    continue
                if not s.rotation_enabled:
                    out.append(_finding("secret-rotation-disabled", "enable-secret-rotation",
                                        "Secret", s.arn, s.account_id, s.region))
                if s.kms_key_id is None:
                    out.append(_finding("secret-uses-aws-managed-key", "move-secret-to-cmk",
                                        "Secret", s.arn, s.account_id, s.region))
            for k in reg.kms_keys:
                if k.rotation_enabled is False:
                    out.append(_finding("kms-key-rotation-disabled", "enable-key-rotation",
                                        "KmsKey", k.arn, k.account_id, k.region))
    return out


def scan_findings(snapshot: Snapshot) -> list[Finding]:
    """Every finding the scan reports on ``snapshot`` (the built-in rules, default config)."""
    from scanner.pipeline import ScanOptions, analyze, load_inputs

    return list(analyze(snapshot, load_inputs(ScanOptions())).findings)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--secrets", type=int, default=100)
    parser.add_argument("--all-findings", action="store_true",
                        help="plan every FAIL the rules report, not the synthetic list")
    args = parser.parse_args()
    snapshot = make_snapshot(accounts=args.accounts, secrets_per_account=args.secrets)
    findings = scan_findings(snapshot) if args.all_findings else findings_for(snapshot)
    region = snapshot.meta.regions[0] if snapshot.meta.regions else "us-east-1"
    config = RemediationConfig(rotations=(RotationTarget(
        lambda_arn=f"arn:aws:lambda:{region}:000000000000:function:rotate"),))

    t0, c0 = time.perf_counter(), time.process_time()
    plan = build_plan(findings, snapshot, config, Selection())
    t_plan, c_plan = time.perf_counter() - t0, time.process_time() - c0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = write_plan(Path(tmp) / "plan.json", plan)
        t_write = time.perf_counter() - t0
        size_mb = path.stat().st_size / 1e6
        t0 = time.perf_counter()
        read_plan(path)
        t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    text = render_plan(plan)
    t_render = time.perf_counter() - t0
    print(f"accounts={args.accounts} secrets/account={args.secrets} findings={len(findings)}")
    print(f"plan: {len(plan.changes)} changes, {len(plan.skipped)} not planned, "
          f"built in {t_plan:.2f} s ({c_plan:.2f} s CPU)")
    print(f"plan file: {size_mb:.1f} MB, written in {t_write:.2f} s, read+checked in "
          f"{t_read:.2f} s; rendered ({len(text) / 1e6:.1f} MB of text) in {t_render:.2f} s")
    print(f"peak memory: {peak_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
