"""Benchmark: analyze_access over a synthetic organization.

1,000 accounts x 20 roles x 100 secrets (in the central account), two customer-managed keys.
A third of the secrets are readable organization-wide (Principal * + aws:PrincipalOrgID), a
third name ApplicationRole in ten accounts, a third name fifty account roots. Every member has
an ApplicationRole (reads the central app/* secrets), an Admin (Action *), a SecretsOps role
(secretsmanager:* on its own account) and 17 roles without secrets permissions.

With ``--synth`` the estate is the project's shared synthetic organization instead
(``bench/synth.py make_snapshot``: N accounts each holding N secrets and N roles, what
``bench/rules.py`` and the pipeline see; ~5% of secrets readable organization-wide), and
``--secrets`` is per account.

``--processes N``: the analysis over N secret shards (scanner.access.shards; the threshold is
lowered to 1 secret per process so every size is sharded). CPU is this process's plus its
ended children's; memory is sampled every 0.2 s over the process tree (RSS summed, and PSS
summed: the children share the parent's snapshot and graph copy-on-write, which RSS counts
once per process).

Usage: .venv/bin/python bench/access.py [--synth] [--accounts N] [--roles N] [--secrets N]
                                         [--processes N] [--no-json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner.access import AccessSettings, analyze_access  # noqa: E402
from scanner.graph.builder import build_graph  # noqa: E402
from scanner.model import (  # noqa: E402
    AccountSnapshot,
    ControlPolicy,
    IamPrincipal,
    IamSnapshot,
    KmsKey,
    Organization,
    OrgAccount,
    RegionSnapshot,
    ScanMeta,
    Secret,
    Snapshot,
)

REGION = "us-east-1"
CENTRAL = "100000000000"
ORG_ID = "o-bench00001"


def account_id(i: int) -> str:
    return f"{200000000000 + i:012d}"


def make_snapshot(n_accounts: int, n_roles: int, n_secrets: int, *,
                  scps: bool = False) -> Snapshot:
    members = [account_id(i) for i in range(n_accounts)]
    keys = []
    for k, grantee in enumerate(("org", "some")):
        grant: dict[str, object]
        if grantee == "org":
            grant = {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                     "Resource": "*", "Condition": {"StringEquals": {
                         "aws:PrincipalOrgID": ORG_ID,
                         "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}}
        else:
            grant = {"Effect": "Allow",
                     "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in members[:50]]},
                     "Action": "kms:Decrypt", "Resource": "*"}
        policy = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
             "Action": "kms:*", "Resource": "*"}, grant]})
        keys.append(KmsKey(arn=f"arn:aws:kms:{REGION}:{CENTRAL}:key/key-{k}", key_id=f"key-{k}",
                           account_id=CENTRAL, region=REGION, key_manager="CUSTOMER",
                           key_state="Enabled", policy=policy))
    secrets = []
    for s in range(n_secrets):
        mode = s % 3
        if mode == 0:
            stmt: dict[str, object] = {
                "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}}
        elif mode == 1:
            stmt = {"Effect": "Allow", "Principal": {"AWS": [
                f"arn:aws:iam::{members[(s * 7 + j) % n_accounts]}:role/ApplicationRole"
                for j in range(10)]}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
        else:
            stmt = {"Effect": "Allow", "Principal": {"AWS": [
                members[(s + j) % n_accounts] for j in range(50)]},
                "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
        secrets.append(Secret(
            arn=f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:app/s{s:03d}-AbCdEf",
            name=f"app/s{s:03d}", account_id=CENTRAL, region=REGION,
            kms_key_id=keys[0 if mode == 0 else 1].arn,
            resource_policy=json.dumps({"Version": "2012-10-17", "Statement": [stmt]})))
    app_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": f"arn:aws:secretsmanager:*:{CENTRAL}:secret:app/*"},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": f"arn:aws:kms:*:{CENTRAL}:key/*"}]}
    admin_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    s3_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "logs:*"], "Resource": "*"}]}
    accounts = [AccountSnapshot(account_id=CENTRAL, regions=(RegionSnapshot(
        region=REGION, secrets=tuple(secrets), kms_keys=tuple(keys)),), iam=IamSnapshot())]
    for a in members:
        principals = []
        for r in range(n_roles):
            name = ["ApplicationRole", "Admin", "SecretsOps"][r] if r < 3 else f"Worker{r}"
            if r == 0:
                pol = app_policy
            elif r == 1:
                pol = admin_policy
            elif r == 2:
                pol = {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "secretsmanager:*",
                     "Resource": f"arn:aws:secretsmanager:*:{a}:secret:*"}]}
            else:
                pol = s3_policy
            principals.append(IamPrincipal(arn=f"arn:aws:iam::{a}:role/{name}", name=name,
                                           account_id=a, principal_type="role",
                                           inline_policies={"main": pol}))
        accounts.append(AccountSnapshot(account_id=a, regions=(RegionSnapshot(region=REGION),),
                                        iam=IamSnapshot(principals=tuple(principals))))
    all_ids = (CENTRAL, *members)
    policies: tuple[ControlPolicy, ...] = ()
    if scps:
        full = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
        deny = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "secretsmanager:DeleteSecret", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {
                "StringNotEquals": {"aws:RequestedRegion": [REGION, "eu-west-1"]}}}]})
        policies = (
            ControlPolicy(policy_id="p-full", name="FullAWSAccess",
                          policy_type="SERVICE_CONTROL_POLICY", content=full,
                          targets=("r-root", *all_ids)),
            ControlPolicy(policy_id="p-guard", name="Guardrails",
                          policy_type="SERVICE_CONTROL_POLICY", content=deny,
                          targets=("r-root",)))
    org = Organization(org_id=ORG_ID, management_account_id=None, root_id="r-root",
                       accounts=tuple(OrgAccount(account_id=a, parent_id="r-root")
                                      for a in all_ids),
                       policies=policies, policies_read=scps)
    return Snapshot(meta=ScanMeta(scan_id="bench", started_at="2026-11-29T00:00:00Z",
                                  accounts=all_ids, regions=(REGION,), central_account=CENTRAL,
                                  org_id=ORG_ID),
                    accounts=tuple(accounts), organization=org)


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


class TreeMemory:
    """Peak summed RSS and PSS of this process and its children, sampled every 0.2 s by a
    separate monitor process (reading smaps_rollup costs CPU: not this process's, and the
    monitor is reaped after the CPU figures are taken)."""

    def __init__(self) -> None:
        self.peak_rss = self.peak_pss = 0
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self._proc = subprocess.Popen([sys.executable, __file__, "--monitor", str(os.getpid())],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def stop(self) -> None:
        assert self._proc is not None
        out, _ = self._proc.communicate("")
        self.peak_rss, self.peak_pss = (int(x) for x in out.split())


def monitor(root: int) -> None:
    """Sample until stdin closes, then print the peaks (bytes)."""
    done = threading.Event()

    def wait_for_eof() -> None:
        sys.stdin.read()
        done.set()

    threading.Thread(target=wait_for_eof, daemon=True).start()
    me = os.getpid()
    peak_rss = peak_pss = 0
    while not done.is_set():
        pids = [root] + [c for c in _children(root) if c != me]
        peak_rss = max(peak_rss, sum(_field(f"/proc/{p}/status", "VmRSS:") for p in pids))
        peak_pss = max(peak_pss, sum(_field(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids))
        done.wait(0.2)
    print(peak_rss, peak_pss)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _field(path: str, name: str) -> int:
    """A ``kB`` field of a /proc file, in bytes (0 if the process is gone)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(name):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _time_pairs_by_kind() -> dict[str, tuple[int, float]]:
    """Wrap PairEvaluator.evaluate_pair to count and time its calls (process CPU) by the kind
    of principal; the returned mapping fills in as the analysis runs."""
    from scanner.access import pair_eval

    out: dict[str, tuple[int, float]] = {}
    real = pair_eval.PairEvaluator.evaluate_pair
    clock = time.process_time

    def timed(self: Any, p: Any, sv: Any) -> Any:
        t = clock()
        path = real(self, p, sv)
        dt = clock() - t
        ptype = p.facts.principal_type
        kind = ptype if ptype in ("public", "root") else (
            "own account" if p.facts.account_id == sv.account else
            "named by ARN" if p.arn in sv.named.arns else "other (class representatives)")
        n, total = out.get(kind, (0, 0.0))
        out[kind] = (n + 1, total + dt)
        return path
    pair_eval.PairEvaluator.evaluate_pair = timed  # type: ignore[method-assign]
    return out


def main() -> int:
    if sys.argv[1:2] == ["--monitor"]:
        monitor(int(sys.argv[2]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--roles", type=int, default=20)
    ap.add_argument("--secrets", type=int, default=100)
    ap.add_argument("--scps", action="store_true",
                    help="collected SCPs: FullAWSAccess on every level plus a guardrail SCP")
    ap.add_argument("--synth", action="store_true",
                    help="bench/synth.py's organization (--secrets per account)")
    ap.add_argument("--processes", type=int, default=1,
                    help="analyse over N secret shards in N processes (default 1)")
    ap.add_argument("--no-memory", action="store_true",
                    help="do not sample the process tree's memory (the monitor reads "
                    "smaps_rollup, which walks the processes' pages)")
    ap.add_argument("--no-json", action="store_true", help="skip timing to_json()")
    ap.add_argument("--by-kind", action="store_true",
                    help="time each pair evaluation by the kind of principal (own account, "
                    "named by ARN in another account, other: class representatives and "
                    "stand-ins, public); one process only; adds about 1 us a pair")
    args = ap.parse_args()
    kinds = _time_pairs_by_kind() if args.by_kind and args.processes <= 1 else None
    if args.processes > 1:
        from scanner.access import shards

        shards.MIN_SECRETS_PER_PROCESS = 1
    t0 = time.perf_counter()
    if args.synth:
        from bench.synth import make_snapshot as synth_snapshot

        snap = synth_snapshot(accounts=args.accounts, secrets_per_account=args.secrets,
                              roles_per_account=args.roles)
    else:
        snap = make_snapshot(args.accounts, args.roles, args.secrets, scps=args.scps)
    t1 = time.perf_counter()
    graph = build_graph(snap)
    load0 = os.getloadavg()[0]
    sampler = TreeMemory()
    if not args.no_memory:
        sampler.start()
    t2 = time.perf_counter()
    p2, k2 = time.process_time(), _children_cpu()
    c2 = p2 + k2
    report = analyze_access(graph, snap, AccessSettings.from_snapshot(snap),
                            processes=args.processes)
    t3 = time.perf_counter()
    p3, k3 = time.process_time(), _children_cpu()
    c3 = p3 + k3
    if not args.no_memory:
        sampler.stop()  # after the CPU figures: the monitor's own CPU is not in them
    load1 = os.getloadavg()[0]
    paths = sum(len(s.paths) for s in report.secrets.values())
    readers = sum(len(s.readers) for s in report.secrets.values())
    broken = sum(len(s.broken) for s in report.secrets.values())
    n_secrets = len(report.secrets)
    pairs = args.accounts * args.roles * n_secrets
    print(f"estate{' (bench/synth.py)' if args.synth else ''}: {args.accounts} accounts x "
          f"{args.roles} roles x {n_secrets} secrets = {pairs:,} (principal, secret) pairs"
          + (", SCPs collected" if args.scps else ""))
    print(f"synthesise {t1 - t0:.2f}s  build_graph {t2 - t1:.2f}s  "
          f"analyze_access {t3 - t2:.2f}s wall, {c3 - c2:.2f}s CPU (processes "
          f"{args.processes}, parent + children; load {load0:.2f} -> {load1:.2f})")
    print(f"CPU: this process {p3 - p2:.2f}s, children {k3 - k2:.2f}s (they run side by side: "
          f"on two idle cores the wall time would be about the larger)")
    print(f"during the analysis: peak RSS summed over the process tree "
          f"{sampler.peak_rss / 1e6:.0f} MB, peak PSS summed {sampler.peak_pss / 1e6:.0f} MB")
    print(f"recorded paths {paths:,}  readers {readers:,}  broken {broken:,}  "
          f"graph nodes {graph.number_of_nodes():,}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
          f"(snapshot + graph + report)")
    if kinds is not None:
        total = sum(t for _, t in kinds.values())
        for kind, (n, t) in sorted(kinds.items(), key=lambda kv: -kv[1][1]):
            print(f"pairs {kind}: {n:,} evaluations, {t:.2f}s ({100 * t / (c3 - c2):.0f} % of "
                  f"the analysis), {1e6 * t / max(n, 1):.1f} us each")
        print(f"pairs in all: {total:.2f}s of {c3 - c2:.2f}s; the rest is per secret (views, "
              "grants, reach, classes)")
    if args.no_json:
        return 0
    t4 = time.perf_counter()
    text = report.to_json()
    t5 = time.perf_counter()
    print(f"to_json {t5 - t4:.2f}s, {len(text) / 1e6:.1f} MB "
          f"({len(json.loads(text)['verdicts'])} distinct verdicts)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
