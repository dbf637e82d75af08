"""API calls and memory of collect() against a moto estate (in-process, no network).

Builds an Organization of N member accounts in two regions -- per account: secrets (some
CMK-encrypted, some replicated to the second region, each with a resource policy), customer-managed
keys (one multi-Region, replicated), VPCs -- runs collect() through the same code path as a real
scan, and prints:

* the calls per operation;
* the ratios issue 2 targets: per secret <= 1.02 (ListSecrets + GetResourcePolicy per listed
  secret) plus 1 DescribeSecret per replicated primary; <= 5 per customer-managed key (issue 2's
  3, plus the ListGrants page the access analysis reads the grants from and the ListResourceTags
  page its aws:ResourceTag conditions read); EC2 <= 8 per account-region; Lambda: one
  ListFunctions page per account-region and exactly 1 GetFunctionConfiguration per distinct
  alias or version a secret's RotationLambdaARN names (per account: a rotation function with
  an alias `live`, one secret rotated through the function, two through the alias);
* the peak memory (tracemalloc) of a collect() over N and over 2N accounts: it must not grow with
  the number of accounts, because each account is streamed to disk.

    .venv/bin/python bench/api_calls.py [--accounts 3] [--secrets 40]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                  AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
for _var in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "MOTO_ACCOUNT_ID",
             "AWS_ENDPOINT_URL"):
    os.environ.pop(_var, None)
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # ~1 s per account-region otherwise

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from scanner.aws.calls import CallCounter  # noqa: E402
from scanner.collectors import kms as kms_collector  # noqa: E402
from scanner.collect import CollectOptions, collect  # noqa: E402
from scanner.snapshot_io import read_snapshot  # noqa: E402

REGIONS = ("us-east-1", "us-west-2")
#: the KMS calls made per key (ListKeys and ListAliases are per account-region)
PER_KEY_KMS = tuple(op for op in kms_collector.OPERATIONS if op not in ("ListKeys", "ListAliases"))
ROLE = "OrganizationAccountAccessRole"


def session_for(mgmt: boto3.Session, account_id: str) -> boto3.Session:
    creds = mgmt.client("sts", region_name=REGIONS[0]).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE}", RoleSessionName="bench-setup"
    )["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"])


def _lambda_zip() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("rotate.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


def rotation_function(session: boto3.Session, index: int) -> tuple[str, str]:
    """A rotation function in the primary region and its alias `live` (a published version):
    (the function's ARN, the alias's ARN). Nothing runs it: rotation is turned on without
    rotating (RotateImmediately=False), as the demo does."""
    iam = session.client("iam", region_name=REGIONS[0])
    role = iam.create_role(RoleName=f"rotate-{index}", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    lam = session.client("lambda", region_name=REGIONS[0])
    arn = lam.create_function(FunctionName=f"rotate-{index}", Runtime="python3.12", Role=role,
                              Handler="rotate.handler", Code={"ZipFile": _lambda_zip()})[
        "FunctionArn"]
    version = lam.publish_version(FunctionName=f"rotate-{index}")["Version"]
    alias = lam.create_alias(FunctionName=f"rotate-{index}", Name="live",
                             FunctionVersion=version)["AliasArn"]
    return arn, alias


def build_account(session: boto3.Session, index: int, secrets: int, reader: str) -> None:
    primary, other = REGIONS
    function, alias = rotation_function(session, index)
    rotated = {1: function, 3: alias, 7: alias}  # two secrets name one alias: one read
    kms = session.client("kms", region_name=primary)
    cmks = [kms.create_key(Description=f"cmk-{index}-{i}")["KeyMetadata"] for i in range(2)]
    mrk = kms.create_key(Description=f"mrk-{index}", MultiRegion=True)["KeyMetadata"]
    kms.replicate_key(KeyId=mrk["KeyId"], ReplicaRegion=other)
    kms.enable_key_rotation(KeyId=cmks[0]["KeyId"])
    sm = session.client("secretsmanager", region_name=primary)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{reader}:role/ApplicationRole"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    for i in range(secrets):
        kwargs: dict[str, Any] = {"Name": f"app/{index}/{i}", "SecretString": "x"}
        if i % 2 == 0:
            kwargs["KmsKeyId"] = cmks[i % 4 // 2]["Arn"]
        if i % 5 == 0:
            kwargs["AddReplicaRegions"] = [{"Region": other}]
        arn = sm.create_secret(**kwargs)["ARN"]
        sm.put_resource_policy(SecretId=arn, ResourcePolicy=policy)
        if i in rotated:
            sm.rotate_secret(SecretId=arn, RotationLambdaARN=rotated[i],
                             RotationRules={"AutomaticallyAfterDays": 30},
                             RotateImmediately=False)
    for region in REGIONS:
        ec2 = session.client("ec2", region_name=region)
        for v in range(2):
            vpc = ec2.create_vpc(CidrBlock=f"10.{v}.0.0/16")["Vpc"]["VpcId"]
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{v}.1.0/24")


def build_estate(mgmt: boto3.Session, accounts: int, secrets: int) -> list[str]:
    org = mgmt.client("organizations", region_name=REGIONS[0])
    org.create_organization(FeatureSet="ALL")
    ids = [org.create_account(Email=f"bench{i}@example.com", AccountName=f"bench-{i}")[
        "CreateAccountStatus"]["AccountId"] for i in range(accounts)]
    for index, account_id in enumerate(ids):
        build_account(session_for(mgmt, account_id), index, secrets, reader=ids[0])
    return ids


def scan(mgmt: boto3.Session, accounts: tuple[str, ...], out: Path,
         counter: CallCounter) -> Path:
    return collect(CollectOptions(out=out, regions=REGIONS, accounts=accounts, role_name=ROLE,
                                  max_workers=4),
                   session_factory=lambda _: mgmt, counter=counter)


def measure_peak(mgmt: boto3.Session, accounts: tuple[str, ...], out: Path) -> int:
    tracemalloc.start()
    try:
        scan(mgmt, accounts, out, CallCounter())
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=3, help="N (memory compares N and 2N)")
    parser.add_argument("--secrets", type=int, default=40, help="secrets per account")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    # use_docker False: turning rotation on runs the function's testSecret step (MOTO_NOTES)
    with mock_aws(config={"lambda": {"use_docker": False}}), \
            tempfile.TemporaryDirectory() as tmp:
        mgmt = boto3.Session(region_name=REGIONS[0])
        started = time.perf_counter()
        ids = build_estate(mgmt, 2 * args.accounts, args.secrets)
        print(f"estate: {2 * args.accounts} member accounts x {len(REGIONS)} regions built in "
              f"{time.perf_counter() - started:.1f}s")
        half = tuple(ids[: args.accounts])

        counter = CallCounter()
        started = time.perf_counter()
        path = scan(mgmt, half, Path(tmp) / "snapshot.json.gz", counter)
        elapsed = time.perf_counter() - started
        snapshot = read_snapshot(path)
        counts = counter.counts()
        print(f"\ncollect(): {len(half)} accounts x {len(REGIONS)} regions in {elapsed:.1f}s, "
              f"{counter.total()} calls, coverage entries: {len(snapshot.coverage)}")
        print(f"{'operation':45} calls")
        for op, n in counts.items():
            print(f"{op:45} {n}")

        listed = [s for a in snapshot.accounts for r in a.regions for s in r.secrets]
        replicated = {s.arn for s in listed if not s.is_replica and s.replicas}
        cmks = [k for a in snapshot.accounts for r in a.regions for k in r.kms_keys
                if k.key_manager == "CUSTOMER"]
        account_regions = len(half) * len(REGIONS)
        per_secret = (counts.get("secretsmanager.ListSecrets", 0)
                      + counts.get("secretsmanager.GetResourcePolicy", 0)) / max(1, len(listed))
        primaries = [s for s in listed if not s.is_replica]
        per_primary = (counts.get("secretsmanager.ListSecrets", 0)
                       + counts.get("secretsmanager.GetResourcePolicy", 0)) / max(1, len(primaries))
        describe_per_replicated = counts.get("secretsmanager.DescribeSecret", 0) / max(
            1, len(replicated))
        # every per-key call the KMS collector declares (all but the two listings), so a call
        # the collector adds is counted here without editing this script
        per_cmk = sum(counts.get(f"kms.{op}", 0) for op in PER_KEY_KMS) / max(1, len(cmks))
        ec2_calls = sum(n for op, n in counts.items() if op.startswith("ec2."))
        per_ec2 = ec2_calls / account_regions
        qualified = {(a.account_id, s.rotation_lambda_arn) for a in snapshot.accounts
                     for r in a.regions for s in r.secrets
                     if not s.is_replica and (s.rotation_lambda_arn or "").count(":") == 7}
        list_functions = counts.get("lambda.ListFunctions", 0)
        per_qualifier = counts.get("lambda.GetFunctionConfiguration", 0) / max(1, len(qualified))
        results["calls"] = counts
        results["ratios"] = {
            "secrets_listed": len(listed), "replicated_primaries": len(replicated),
            "calls_per_secret": round(per_secret, 3),
            "calls_per_primary_secret": round(per_primary, 3),
            "describe_secret_per_replicated_primary": round(describe_per_replicated, 3),
            "customer_managed_keys": len(cmks), "calls_per_cmk": round(per_cmk, 3),
            "ec2_calls_per_account_region": round(per_ec2, 3),
            "lambda_list_functions_per_account_region": round(list_functions / account_regions,
                                                              3),
            "rotation_qualifiers": len(qualified),
            "get_function_configuration_per_qualifier": round(per_qualifier, 3),
        }
        print("\ntargets:")
        print(f"  per secret (ListSecrets + GetResourcePolicy) / {len(listed)} listed secrets "
              f"= {per_secret:.3f}   (target <= 1.02)  {'OK' if per_secret <= 1.02 else 'MISS'}")
        print(f"  the same per primary secret ({len(primaries)}) = {per_primary:.3f}   (one "
              "GetResourcePolicy each + ceil(S/100) ListSecrets per account-region: the "
              "ListSecrets share shrinks to 0.01 at 100 secrets per account-region)")
        print(f"  DescribeSecret per replicated primary ({len(replicated)}) = "
              f"{describe_per_replicated:.2f}   (target 1)  "
              f"{'OK' if describe_per_replicated <= 1 else 'MISS'}")
        print(f"  per customer-managed key ({len(cmks)}) = {per_cmk:.2f}   (target <= "
              f"{len(PER_KEY_KMS)}: {', '.join(PER_KEY_KMS)}, one page each)  "
              f"{'OK' if per_cmk <= len(PER_KEY_KMS) else 'MISS'}")
        print(f"  EC2 per account-region ({account_regions}) = {per_ec2:.2f}   (target <= 8)  "
              f"{'OK' if per_ec2 <= 8 else 'MISS'}")
        print(f"  Lambda per account-region ({account_regions}) = "
              f"{list_functions / account_regions:.2f} ListFunctions   (target 1: one page)  "
              f"{'OK' if list_functions <= account_regions else 'MISS'}")
        print(f"  GetFunctionConfiguration per rotation alias/version named ({len(qualified)}) "
              f"= {per_qualifier:.2f}   (target 1)  "
              f"{'OK' if qualified and per_qualifier == 1 else 'MISS'}")

        # memory: warm every backend first (moto builds state lazily), then measure each size
        scan(mgmt, tuple(ids), Path(tmp) / "warm.json.gz", CallCounter())
        peak_n = measure_peak(mgmt, half, Path(tmp) / "n.json.gz")
        peak_2n = measure_peak(mgmt, tuple(ids), Path(tmp) / "2n.json.gz")
        results["memory"] = {"accounts_n": len(half), "peak_bytes_n": peak_n,
                             "accounts_2n": len(ids), "peak_bytes_2n": peak_2n,
                             "ratio": round(peak_2n / peak_n, 3)}
        print(f"\npeak traced memory during collect(): {len(half)} accounts "
              f"{peak_n / 1e6:.1f} MB, {len(ids)} accounts {peak_2n / 1e6:.1f} MB "
              f"(ratio {peak_2n / peak_n:.2f}; streaming keeps it flat)")
    out_dir = Path(__file__).resolve().parent / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "api_calls.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
