"""Benchmark: the SMT exposure questions (``access --prove``) over N distinct policy shapes.

One central account holds N secrets, each with its own resource policy drawn from a family of
realistic shapes (organization-only, source-IP ranges, VPC endpoints, principal tags, dates,
ARN patterns, named outside accounts, Deny guards with negated operators, several of them
combined), all encrypted by one customer-managed key (its decrypt question is asked once and
then reused: memoized by shape). Each secret's "outside read" question is solved once; the
same N secrets asked again are all memo hits.

With ``--readers``, every secret also gets one named reader: a role in a member account whose
identity policy grants that secret under its own conditions (some roles with a permissions
boundary), under an SCP chain (root, OU, account) whose OU level denies reads outside VPC
endpoints unless the role carries a tag: the access analysis finds each reader CONDITIONAL,
and ``Prover.readers`` asks question 3 for it (resource policy, key policy, identity policy,
boundary, SCPs and RCPs encoded).

Usage: .venv/bin/python bench/prove.py [--shapes N] [--timeout S] [--readers] [--no-json]
Prints wall-clock and CPU seconds per 1,000 distinct shapes (CPU is the figure to compare on
a shared machine), per question (median, p95, max), the answers'
statuses, and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner.access import AccessSettings  # noqa: E402
from scanner.graph.builder import build_graph  # noqa: E402
from scanner.model import (  # noqa: E402
    AccountSnapshot,
    ControlPolicy,
    IamPrincipal,
    IamSnapshot,
    KmsKey,
    ManagedPolicy,
    Organization,
    OrgAccount,
    OrgUnit,
    RegionSnapshot,
    ScanMeta,
    Secret,
    Snapshot,
)
from scanner.policy.smt.questions import Prover  # noqa: E402

REGION = "us-east-1"
CENTRAL = "111111111111"
ORG = "o-bench00001"
MEMBERS = [f"2{i:011d}" for i in range(1, 21)]
KEY_ARN = f"arn:aws:kms:{REGION}:{CENTRAL}:key/bench-key"
GSV = "secretsmanager:GetSecretValue"


def _conditions(rnd: random.Random, i: int) -> dict[str, Any]:
    """One to three condition blocks; ``i`` makes every shape distinct."""
    pool = [
        {"StringEquals": {"aws:PrincipalOrgID": ORG}},
        {"IpAddress": {"aws:SourceIp": f"10.{i % 250}.{rnd.randrange(250)}.0/24"}},
        {"StringEquals": {"aws:SourceVpce": f"vpce-{i:08x}"}},
        {"StringLike": {"aws:PrincipalTag/team": f"team-{i}-*"}},
        {"DateLessThan": {"aws:CurrentTime": f"20{30 + i % 60}-01-01T00:00:00Z"}},
        {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::*:role/app-{i}-*"}},
        {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/r-root/ou-{i}/*"}},
        {"StringEquals": {"aws:PrincipalAccount": rnd.sample(MEMBERS, 3) + [f"9{i:011d}"]}},
        {"NumericLessThan": {"aws:MultiFactorAuthAge": str(300 + i)}},
    ]
    out: dict[str, Any] = {}
    for block in rnd.sample(pool, rnd.randint(1, 3)):
        for op, body in block.items():
            out.setdefault(op, {}).update(body)
    return out


def policy(rnd: random.Random, i: int) -> str:
    stmts: list[dict[str, Any]] = [{"Sid": f"read{i}", "Effect": "Allow",
                                    "Principal": rnd.choice(["*", {"AWS": "*"}, {
                                        "AWS": [f"arn:aws:iam::{m}:root"
                                                for m in rnd.sample(MEMBERS, 2)]}]),
                                    "Action": rnd.choice([GSV, "secretsmanager:Get*"]),
                                    "Resource": "*", "Condition": _conditions(rnd, i)}]
    if rnd.random() < 0.5:
        stmts.append({"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*",
                      "Resource": "*", "Condition": {rnd.choice([
                          "StringNotEquals", "StringNotEqualsIfExists"]): {
                          "aws:PrincipalOrgID": ORG}}})
    if rnd.random() < 0.3:
        stmts.append({"Effect": "Deny", "Principal": "*", "Action": GSV, "Resource": "*",
                      "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8",
                                                                      f"192.0.{i % 250}.0/24"]},
                                    "Bool": {"aws:ViaAWSService": "false"}}})
    return json.dumps({"Version": "2012-10-17", "Statement": stmts})


KEY_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
     "Resource": "*"},
    {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
     "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"},
                   "StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}}]})


def estate(n: int, seed: int = 7) -> Snapshot:
    rnd = random.Random(seed)
    secrets = tuple(Secret(arn=f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:s{i}-AbCdEf",
                           name=f"s{i}", account_id=CENTRAL, region=REGION, kms_key_id=KEY_ARN,
                           resource_policy=policy(rnd, i)) for i in range(n))
    key = KmsKey(arn=KEY_ARN, key_id="bench-key", account_id=CENTRAL, region=REGION,
                 key_manager="CUSTOMER", key_state="Enabled", policy=KEY_POLICY)
    accounts = (AccountSnapshot(account_id=CENTRAL, regions=(RegionSnapshot(
        region=REGION, secrets=secrets, kms_keys=(key,)),)),) + tuple(
        AccountSnapshot(account_id=m, regions=(RegionSnapshot(region=REGION),)) for m in MEMBERS)
    org = Organization(org_id=ORG, management_account_id=CENTRAL, root_id="r-root",
                       accounts=tuple(OrgAccount(account_id=a, parent_id="r-root")
                                      for a in [CENTRAL] + MEMBERS))
    return Snapshot(meta=ScanMeta(scan_id="bench", started_at="2026-12-02T00:00:00Z",
                                  accounts=tuple([CENTRAL] + MEMBERS), regions=(REGION,),
                                  central_account=CENTRAL, org_id=ORG),
                    accounts=accounts, organization=org)


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def reader_estate(n: int, seed: int = 11) -> Snapshot:
    """``estate(n)`` plus one named reader per secret (see the module docstring)."""
    base = estate(n, seed)
    rnd = random.Random(seed)
    by_account: dict[str, list[IamPrincipal]] = {m: [] for m in MEMBERS}
    boundary_arn = "arn:aws:iam::aws:policy/BenchBoundary"
    for i in range(n):
        acct = MEMBERS[i % len(MEMBERS)]
        cond = rnd.choice([
            {"StringEquals": {"aws:SourceVpce": f"vpce-{i:08x}"}},
            {"IpAddress": {"aws:SourceIp": f"10.{i % 250}.0.0/16"}},
            {"DateLessThan": {"aws:CurrentTime": f"20{30 + i % 60}-01-01T00:00:00Z"}},
            {"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {
                "aws:RequestedRegion": REGION}},
        ])
        ident = _doc({"Effect": "Allow", "Action": GSV,
                      "Resource": f"arn:aws:secretsmanager:*:{CENTRAL}:secret:s{i}-*",
                      "Condition": cond},
                     {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY_ARN})
        tags = {"team": "payments"} if rnd.random() < 0.5 else {}
        by_account[acct].append(IamPrincipal(
            arn=f"arn:aws:iam::{acct}:role/reader-{i}", name=f"reader-{i}", account_id=acct,
            principal_type="role", inline_policies={"read": ident}, tags=tags,
            permissions_boundary_arn=boundary_arn if rnd.random() < 0.3 else None))
    boundary = ManagedPolicy(arn=boundary_arn, name="BenchBoundary", account_id="aws",
                             document=_doc({"Effect": "Allow", "Action": ["secretsmanager:Get*",
                                                                          "kms:Decrypt"],
                                            "Resource": "*",
                                            "Condition": {"StringEquals": {
                                                "aws:RequestedRegion": REGION}}}))
    full = json.dumps(_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}))
    guard = json.dumps(_doc({"Effect": "Deny", "Action": GSV, "Resource": "*", "Condition": {
        "StringNotEqualsIfExists": {"aws:SourceVpce": ["vpce-00000001", "vpce-00000002"]},
        "StringNotEquals": {"aws:PrincipalTag/team": "payments"}}}))
    ou = "ou-bench-1"
    accounts = tuple(
        a if a.account_id == CENTRAL else AccountSnapshot(
            account_id=a.account_id, regions=a.regions,
            iam=IamSnapshot(principals=tuple(by_account[a.account_id]), policies=(boundary,)))
        for a in base.accounts)
    org = base.organization
    assert org is not None
    org = Organization(
        org_id=ORG, management_account_id=CENTRAL, root_id="r-root",
        accounts=tuple(OrgAccount(account_id=a, parent_id="r-root" if a == CENTRAL else ou)
                       for a in [CENTRAL] + MEMBERS),
        units=(OrgUnit(ou_id=ou, name="bench", parent_id="r-root"),),
        policies=(ControlPolicy(policy_id="p-full", name="FullAWSAccess",
                                policy_type="SERVICE_CONTROL_POLICY", content=full,
                                targets=tuple(["r-root", ou] + MEMBERS)),
                  ControlPolicy(policy_id="p-guard", name="vpce-or-team",
                                policy_type="SERVICE_CONTROL_POLICY", content=guard,
                                targets=(ou,))),
        policies_read=True)
    return Snapshot(meta=base.meta, accounts=accounts, organization=org)


def readers_main(args: argparse.Namespace) -> int:
    from scanner.access import analyze_access

    snap = reader_estate(args.shapes)
    settings = AccessSettings.from_snapshot(snap)
    graph = build_graph(snap)
    report = analyze_access(graph, snap, settings)
    prover = Prover(graph, snap, settings, timeout_s=args.timeout)
    arns = sorted(report.secrets)
    times: list[float] = []
    statuses: dict[str, int] = {}
    start = time.perf_counter()
    cpu0 = time.process_time()
    for arn in arns:
        for a in prover.readers(snap, report.secrets[arn]):
            times.append(a.seconds)
            statuses[a.status] = statuses.get(a.status, 0) + 1
    cold = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    times.sort()
    n = max(len(times), 1)
    out = {
        "reader_questions": len(times), "seconds_total": round(cold, 2),
        "seconds_per_1000_questions": round(cold / n * 1000, 1),
        "cpu_seconds_per_1000_questions": round(cpu / n * 1000, 1),
        "question_seconds": {"median": round(statistics.median(times), 3) if times else 0,
                             "p95": round(times[int(0.95 * (len(times) - 1))], 3)
                             if times else 0, "max": round(times[-1], 3) if times else 0},
        "statuses": statuses, "solved": prover.solved, "reused": prover.reused,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "timeout_s": args.timeout,
    }
    print(out if args.no_json else json.dumps(out, indent=2))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", type=int, default=1000)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--no-json", action="store_true")
    ap.add_argument("--readers", action="store_true",
                    help="question 3 for one named conditional reader per secret")
    args = ap.parse_args()
    if args.readers:
        return readers_main(args)
    snap = estate(args.shapes)
    settings = AccessSettings.from_snapshot(snap)
    prover = Prover(build_graph(snap), snap, settings, timeout_s=args.timeout)
    arns = sorted(prover.views)
    times: list[float] = []
    statuses: dict[str, int] = {}
    start = time.perf_counter()
    cpu0 = time.process_time()
    for arn in arns:
        proof = prover.secret(arn)
        times.append(proof.read.seconds)
        statuses[proof.read.status] = statuses.get(proof.read.status, 0) + 1
    cold = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    start = time.perf_counter()
    for arn in arns:
        prover.secret(arn)
    warm = time.perf_counter() - start
    times.sort()
    out = {
        "shapes": len(arns), "seconds_total": round(cold, 2),
        "seconds_per_1000_shapes": round(cold / len(arns) * 1000, 1),
        "cpu_seconds_per_1000_shapes": round(cpu / len(arns) * 1000, 1),
        "question_seconds": {"median": round(statistics.median(times), 3),
                             "p95": round(times[int(0.95 * (len(times) - 1))], 3),
                             "max": round(times[-1], 3)},
        "statuses": statuses, "solved": prover.solved, "reused": prover.reused,
        "memo_pass_seconds": round(warm, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "timeout_s": args.timeout,
    }
    print(out if args.no_json else json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
