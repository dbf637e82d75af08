"""Synthetic snapshots for the benchmarks: an Organization of N accounts shaped like the
centralized pattern (secrets with resource policies granting roles in other accounts, CMKs with
key policies, member VPCs peered with a central VPC), deterministic for a given seed.

    from bench.synth import make_snapshot
    snap = make_snapshot(accounts=1000, secrets_per_account=100, roles_per_account=20)

Dates are relative to ``day`` (default: today, UTC): the scan ran that day, secrets were
rotated 28 days before and are next due 2 days after it. (They used to be fixed in November
2026: from 2026-12-01 on, every rotated secret was overdue when scanned "now", which turned
the estate into 90,000 extra FAIL rows at 1,000 accounts.)
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.model import (  # noqa: E402
    AccountSnapshot,
    ControlPolicy,
    IamPrincipal,
    IamSnapshot,
    KmsKey,
    LambdaFunction,
    Organization,
    OrgAccount,
    OrgUnit,
    PeeringSide,
    Quota,
    RegionSnapshot,
    Route,
    RouteTable,
    ScanMeta,
    Secret,
    SecurityGroup,
    SgRule,
    Snapshot,
    Subnet,
    Vpc,
    VpcEndpoint,
    VpcPeering,
)

REGION = "us-east-1"
ORG_ID = "o-synthetic01"


def account_id(i: int) -> str:
    return f"{100000000000 + i:012d}"


def _secret_policy(arn: str, grantees: list[str], rng: random.Random) -> str:
    statements: list[dict[str, object]] = [{
        "Sid": "AppRead",
        "Effect": "Allow",
        "Principal": {"AWS": grantees if len(grantees) > 1 else grantees[0]},
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
    }]
    if rng.random() < 0.05:
        statements.append({
            "Sid": "OrgRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}},
        })
    if rng.random() < 0.02:
        statements.append({
            "Sid": "DenyOutsideVpce",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}},
        })
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _key_policy(acct: str, grantees: list[str]) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "Decrypt", "Effect": "Allow", "Principal": {"AWS": grantees},
             "Action": "kms:Decrypt", "Resource": "*",
             "Condition": {"StringEquals": {
                 "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}},
        ],
    })


def _stamp(day: dt.date, days: int, time: str = "00:00:00") -> str:
    return f"{(day + dt.timedelta(days=days)).isoformat()}T{time}Z"


def make_snapshot(accounts: int = 1000, secrets_per_account: int = 100,
                  roles_per_account: int = 20, seed: int = 0,
                  day: dt.date | None = None) -> Snapshot:
    day = day or dt.datetime.now(dt.timezone.utc).date()
    rng = random.Random(seed)
    ids = [account_id(i) for i in range(accounts)]
    central = ids[0]
    central_vpc = "vpc-central"
    out: list[AccountSnapshot] = []
    role_arns = {a: [f"arn:aws:iam::{a}:role/app-{r}" for r in range(roles_per_account)]
                 for a in ids}
    for n, acct in enumerate(ids):
        roles = []
        for r, arn in enumerate(role_arns[acct]):
            resource = (f"arn:aws:secretsmanager:{REGION}:*:secret:app-{r}-*"
                        if r % 7 else "*")
            roles.append(IamPrincipal(
                arn=arn, name=f"app-{r}", account_id=acct, principal_type="role",
                trust_policy={"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole"}]},
                inline_policies={"read": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                     "Resource": resource},
                    {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}},
            ))
        key_arn = f"arn:aws:kms:{REGION}:{acct}:key/{n:08d}-0000-4000-8000-000000000000"
        key_grantees = sorted({rng.choice(role_arns[rng.choice(ids)]) for _ in range(3)})
        key = KmsKey(arn=key_arn, key_id=key_arn.rsplit("/", 1)[1], account_id=acct,
                     region=REGION, key_manager="CUSTOMER", key_state="Enabled",
                     key_spec="SYMMETRIC_DEFAULT", key_usage="ENCRYPT_DECRYPT",
                     rotation_enabled=rng.random() > 0.1, policy=_key_policy(acct, key_grantees),
                     aliases=(f"alias/secrets-{n}",))
        secrets = []
        for s in range(secrets_per_account):
            arn = f"arn:aws:secretsmanager:{REGION}:{acct}:secret:app-{s % roles_per_account}-{s}-Ab12Cd"
            grantees = sorted({rng.choice(role_arns[rng.choice(ids)]) for _ in range(rng.randint(1, 3))})
            uses_cmk = rng.random() > 0.05
            rotated = rng.random() > 0.2
            secrets.append(Secret(
                arn=arn, name=f"app-{s % roles_per_account}-{s}", account_id=acct, region=REGION,
                description=f"synthetic secret {s}",
                kms_key_id=key_arn if uses_cmk else None,
                rotation_enabled=rotated,
                rotation_lambda_arn=(f"arn:aws:lambda:{REGION}:{acct}:function:rotate"
                                     if rotated else None),
                rotation_days=30 if rotated else None,
                created=_stamp(day, -300),
                last_changed=_stamp(day, -28),
                last_rotated=_stamp(day, -28) if rotated else None,
                next_rotation=_stamp(day, 2) if rotated else None,
                last_accessed=_stamp(day, -1),
                primary_region=REGION,
                tags={"team": f"team-{s % 9}", "env": "prod"},
                version_stages={"v1": ("AWSCURRENT",), "v0": ("AWSPREVIOUS",)},
                resource_policy=_secret_policy(arn, grantees, rng),
            ))
        vpc_id = central_vpc if acct == central else f"vpc-{n:08x}"
        cidr = "10.0.0.0/16" if acct == central else f"10.{1 + n // 256 % 200}.{n % 256}.0/24"
        vpcs = (Vpc(vpc_id=vpc_id, account_id=acct, region=REGION, cidrs=(cidr,)),)
        subnets = (Subnet(subnet_id=f"subnet-{n:08x}", vpc_id=vpc_id, account_id=acct,
                          region=REGION, cidr=cidr),)
        peerings: tuple[VpcPeering, ...] = ()
        routes: tuple[Route, ...] = ()
        if acct != central:
            pcx = VpcPeering(
                peering_id=f"pcx-{n:08x}", account_id=acct, region=REGION, status="active",
                requester=PeeringSide(owner_id=central, vpc_id=central_vpc, region=REGION,
                                      cidrs=("10.0.0.0/16",)),
                accepter=PeeringSide(owner_id=acct, vpc_id=vpc_id, region=REGION, cidrs=(cidr,)))
            peerings = (pcx,)
            routes = (Route(destination_cidr="10.0.0.0/16", target_type="vpc-peering",
                            target_id=pcx.peering_id),)
        rts = (RouteTable(route_table_id=f"rtb-{n:08x}", vpc_id=vpc_id, account_id=acct,
                          region=REGION, subnet_ids=(subnets[0].subnet_id,), routes=routes),)
        sgs = (SecurityGroup(group_id=f"sg-{n:08x}", vpc_id=vpc_id, account_id=acct, region=REGION,
                             name="db", ingress=(SgRule(protocol="tcp", from_port=5432,
                                                        to_port=5432, cidrs=("10.0.0.0/16",)),),
                             egress=(SgRule(protocol="-1", cidrs=("0.0.0.0/0",)),)),)
        # each account's secrets are rotated by its own function, running as its app-0 role
        # (which may read and decrypt every secret of the account: secret-rotation-role-
        # cannot-read passes)
        lambdas = (LambdaFunction(arn=f"arn:aws:lambda:{REGION}:{acct}:function:rotate",
                                  name="rotate", account_id=acct, region=REGION,
                                  role_arn=role_arns[acct][0],
                                  subnet_ids=(subnets[0].subnet_id,),
                                  security_group_ids=(sgs[0].group_id,), vpc_id=vpc_id),)
        endpoints: tuple[VpcEndpoint, ...] = ()
        if acct == central:
            endpoints = (VpcEndpoint(endpoint_id="vpce-central", vpc_id=vpc_id, account_id=central,
                                     region=REGION,
                                     service_name=f"com.amazonaws.{REGION}.secretsmanager",
                                     endpoint_type="Interface", state="available",
                                     private_dns_enabled=True,
                                     subnet_ids=(subnets[0].subnet_id,)),)
        out.append(AccountSnapshot(
            account_id=acct, name=f"account-{n}",
            regions=(RegionSnapshot(region=REGION, secrets=tuple(secrets), kms_keys=(key,),
                                    vpcs=vpcs, subnets=subnets, route_tables=rts,
                                    peerings=peerings, security_groups=sgs,
                                    lambda_functions=lambdas, vpc_endpoints=endpoints,
                                    quotas=(Quota(code="L-7E9ECCDB", value=50.0,
                                                  source="default"),)),),
            iam=IamSnapshot(principals=tuple(roles)),
        ))
    # Every account sits under one OU below the root, and the root, the OU and every account
    # carry AWS's default FullAWSAccess SCP (Organizations attaches it to each when SCPs are
    # enabled, and a target without one is refused every action); RCPs are read and there are
    # none. Until the thirtieth session the OU and the accounts carried none and RCPs were not
    # read, so the scp gate was UNKNOWN on every path ("no SCP attached at the caller's OU",
    # "RCPs not collected"): a rule about one role's read (secret-rotation-role-cannot-read)
    # answered UNKNOWN for every rotated secret (docs/scale.md, the thirtieth session).
    org = Organization(org_id=ORG_ID, management_account_id=central, root_id="r-synt",
                       accounts=tuple(OrgAccount(account_id=a, name=f"account-{i}",
                                                 parent_id="ou-synt-members")
                                      for i, a in enumerate(ids)),
                       units=(OrgUnit(ou_id="ou-synt-members", name="members",
                                      parent_id="r-synt"),),
                       policies=(ControlPolicy(
                           policy_id="p-FullAWSAccess", name="FullAWSAccess",
                           policy_type="SERVICE_CONTROL_POLICY",
                           content=json.dumps({"Version": "2012-10-17", "Statement": [
                               {"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
                           targets=("r-synt", "ou-synt-members", *ids)),),
                       policies_read=True, rcps_read=True)
    return Snapshot(
        meta=ScanMeta(scan_id=f"synthetic-{seed}", started_at=_stamp(day, 0),
                      finished_at=_stamp(day, 0, "00:10:00"), accounts=tuple(ids),
                      regions=(REGION,), central_account=central,
                      central_account_source="flag", org_id=ORG_ID),
        accounts=tuple(out), organization=org,
    )


if __name__ == "__main__":  # pragma: no cover
    import time

    t = time.perf_counter()
    snap = make_snapshot(accounts=int(sys.argv[1]) if len(sys.argv) > 1 else 100)
    n = sum(len(r.secrets) for a in snap.accounts for r in a.regions)
    print(f"{len(snap.accounts)} accounts, {n} secrets in {time.perf_counter() - t:.1f}s")
