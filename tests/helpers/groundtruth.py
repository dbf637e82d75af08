"""What every ground-truth trial shares: the auditor's verdict on a resource (``Truth``), the
estate a round built (``Estate``), its rotation function's code, and the comparison of a scan of
that estate with the verdicts written down before it ran (tests/e2e/test_ground_truth_round*.py;
each round's organization is its own tests/helpers/gt<N>_estate.py).

A round's estate module provides ``ROLE``, ``REGIONS``, ``SUPPRESSIONS``, ``seed(endpoint_url)``
and ``ground_truth(estate)``, and may provide ``CONFIG`` (the text of a ``--config`` file)."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Mapping, Sequence

import pytest

from scanner.access import AccessSettings, analyze_access
from scanner.cli import main
from scanner.demo import network as net
from scanner.demo.clients import Clients
from scanner.demo.fidelity import replica_keys_kept
from scanner.demo.run import demo_environment
from scanner.demo.server import SKIP_AMIS_ENV, prepare
from scanner.findings import PASS_RESOURCES_MAX
from scanner.graph.builder import build_graph
from scanner.graph.network_path import DB_VPC_TAG
from scanner.snapshot_io import read_snapshot


@dataclass(frozen=True, kw_only=True, slots=True)
class Truth:
    """What the auditor says about one resource: rule -> status (FAIL, MUTED or UNKNOWN) for
    every rule that does not pass, and the cross-account principals that can read it (None:
    not asked)."""

    fails: Mapping[str, str] = field(default_factory=dict)
    readers: frozenset[str] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Estate:
    endpoint_url: str
    org_id: str
    accounts: Mapping[str, str]  # logical name -> id
    res: Mapping[str, str]       # logical name -> ARN / id


def rotation_zip() -> bytes:
    """The code of the estates' rotation functions (moto stores it, never runs it)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("rotate.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


class Seeder:
    """The building blocks every round's estate is seeded with, on a moto server through each
    account's clients: keys, rotation VPCs (with a Secrets Manager endpoint) and database
    VPCs, rotation functions, secrets (replicas, policies, rotation set up without running
    it: MOTO_NOTES.md). A round subclasses it, sets the class attributes and adds its own
    steps; what is built is recorded in ``res`` by logical name."""

    #: the round's tag (key descriptions and aliases, secret values)
    TAG = "gt"
    #: the Region a key or secret is made in unless told
    REGION = "us-east-1"
    #: the account holding the database VPCs
    DB_ACCOUNT = "data"
    #: the rotation functions' role, one per secret-holding account (``role:<owner>/<name>``)
    ROTATION = "RotationRole"

    def __init__(self, endpoint_url: str) -> None:
        self.c = Clients(endpoint_url)
        self.acct: dict[str, str] = {}
        self.res: dict[str, str] = {}
        self.zip = rotation_zip()

    def cl(self, name: str, service: str, region: str | None = None) -> Any:
        return self.c.get(self.acct[name], service, region or self.REGION)

    def key(self, owner: str, name: str, policy: str, region: str | None = None, *,
            rotate: bool = True) -> str:
        kms = self.cl(owner, "kms", region)
        meta = kms.create_key(Policy=policy, Description=f"{self.TAG} {name}")["KeyMetadata"]
        kms.create_alias(AliasName=f"alias/{self.TAG}-{name.replace('@', '-')}",
                         TargetKeyId=meta["KeyId"])
        if rotate:
            kms.enable_key_rotation(KeyId=meta["KeyId"])
        self.res[f"key:{name}"] = str(meta["Arn"])
        return str(meta["Arn"])

    def rotation_vpc(self, owner: str, region: str, cidr: str, name: str, *,
                     endpoint: bool = True) -> tuple[str, str, str]:
        ec2 = self.cl(owner, "ec2", region)
        vpc = net.vpc(ec2, cidr, name)
        sub = net.subnet(ec2, vpc, cidr.replace(".0.0/16", ".1.0/24"), name, f"{region}a")
        rtb = net.route_table(ec2, vpc, name, [sub])
        lam_sg = net.security_group(ec2, vpc, f"{name}-lambda", "rotation lambda")
        if endpoint:
            ep_sg = net.security_group(ec2, vpc, f"{name}-endpoint", "endpoint", [(443, cidr)])
            ec2.create_vpc_endpoint(VpcId=vpc, VpcEndpointType="Interface",
                                    ServiceName=f"com.amazonaws.{region}.secretsmanager",
                                    SubnetIds=[sub], SecurityGroupIds=[ep_sg],
                                    PrivateDnsEnabled=True)
        self.res[f"rtb:{name}"] = net.arn(region, self.acct[owner], "route-table", rtb)
        return vpc, sub, lam_sg

    def db_vpc(self, region: str, cidr: str, name: str) -> tuple[str, str]:
        ec2 = self.cl(self.DB_ACCOUNT, "ec2", region)
        vpc = net.vpc(ec2, cidr, name)
        sub = net.subnet(ec2, vpc, cidr.replace(".0.0/16", ".1.0/24"), name, f"{region}a")
        rtb = net.route_table(ec2, vpc, name, [sub])
        self.res[f"vpc-id:{name}"] = vpc
        self.res[f"rtb:{name}"] = net.arn(region, self.acct[self.DB_ACCOUNT], "route-table", rtb)
        return vpc, rtb

    def lam(self, owner: str, region: str, name: str, sub: str, sg: str) -> None:
        out = self.cl(owner, "lambda", region).create_function(
            FunctionName=name, Runtime="python3.12",
            Role=self.res[f"role:{owner}/{self.ROTATION}"],
            Handler="rotate.handler", Code={"ZipFile": self.zip}, Timeout=30,
            VpcConfig={"SubnetIds": [sub], "SecurityGroupIds": [sg]})
        self.res[f"lambda:{name}"] = str(out["FunctionArn"])

    def secret(self, owner: str, name: str, *, region: str | None = None, key: str | None,
               replica: tuple[str, str | None] | None = None, policy: str | None = None,
               rotation: str | None = None, db_vpc: str = "",
               tags: Mapping[str, str] | None = None, kms_key_id: str | None = None,
               rotation_days: int = 30) -> str:
        """A secret on the key named ``key`` (None: the AWS-managed key, or ``kms_key_id``
        given as it is: an alias name, a bare key id), rotated every ``rotation_days``."""
        region = region or self.REGION
        sm = self.cl(owner, "secretsmanager", region)
        kwargs: dict[str, Any] = {
            "Name": name, "SecretString": f'{{"password":"{self.TAG}-only"}}',
            "Tags": [{"Key": k, "Value": v} for k, v in
                     {DB_VPC_TAG: db_vpc, **(tags or {})}.items()]}
        if key is not None:
            kwargs["KmsKeyId"] = self.res[f"key:{key}"]
        elif kms_key_id is not None:
            kwargs["KmsKeyId"] = kms_key_id
        if replica is not None:
            spec: dict[str, str] = {"Region": replica[0]}
            if replica[1] is not None:
                spec["KmsKeyId"] = self.res[f"key:{replica[1]}"]
            kwargs["AddReplicaRegions"] = [spec]
        arn = str(sm.create_secret(**kwargs)["ARN"])
        self.res[f"secret:{name}"] = arn
        if replica is not None:
            self.res[f"replica:{name}@{replica[0]}"] = arn.replace(f":{region}:",
                                                                   f":{replica[0]}:")
        if policy is not None:
            sm.put_resource_policy(SecretId=arn, ResourcePolicy=policy)
        if rotation is not None:
            # rotation configured, not run (no Docker for the function): MOTO_NOTES.md
            token = str(uuid.uuid5(uuid.NAMESPACE_URL, arn))
            sm.rotate_secret(SecretId=arn, RotationLambdaARN=self.res[f"lambda:{rotation}"],
                             RotationRules={"AutomaticallyAfterDays": rotation_days},
                             RotateImmediately=False, ClientRequestToken=token)
            sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSPENDING",
                                           RemoveFromVersionId=token)
        return arn


def seed_estate(seeder: Callable[[str], Any], endpoint_url: str, *, seed: int,
                steps: Sequence[Callable[[Any], None]]) -> Estate:
    """Reset the moto server and build a round's estate: ``seeder``'s organization (its
    ``org()``), then each of ``steps`` (the seeder's methods, in order). Run with
    scanner.demo.fidelity's replica_keys_kept on: moto forgets a replica's key otherwise."""
    prepare(endpoint_url, seed=seed)
    s = seeder(endpoint_url)
    org_id = s.org()
    for step in steps:
        step(s)
    _rotation_permissions(s)
    return Estate(endpoint_url=endpoint_url, org_id=org_id, accounts=dict(s.acct),
                  res=dict(sorted(s.res.items())))


def _rotation_permissions(s: Any) -> None:
    """Each account's rotation role (``role:<owner>/RotationRole``) gets what a rotation
    function's execution role needs on its own account's secrets and keys (Secrets Manager
    User Guide, "Lambda rotation function execution role permissions"; limited to the account,
    so no identity-policy-secret-wildcard): the rounds' estates were built before
    secret-rotation-role-cannot-read judged the role, and their auditors' lists are about
    other things. A round that means a role to fail gives it a Deny of its own."""
    for key in sorted(s.res):
        owner, _, name = key.removeprefix("role:").partition("/")
        if not key.startswith("role:") or name != "RotationRole" or owner not in s.acct:
            continue
        acct = s.acct[owner]
        s.cl(owner, "iam").put_role_policy(
            RoleName=name, PolicyName="rotation-permissions", PolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": [
                        "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                        "secretsmanager:PutSecretValue",
                        "secretsmanager:UpdateSecretVersionStage"],
                     "Resource": f"arn:aws:secretsmanager:*:{acct}:secret:*"},
                    {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                     "Resource": f"arn:aws:kms:*:{acct}:key/*"}]}))


def dump(estate: Estate) -> str:
    return json.dumps({"accounts": estate.accounts, "res": estate.res}, indent=1)


def scan(gt: ModuleType, moto_server: str, out: Path, *,
         build: Callable[[], Estate] | None = None, history: Path | None = None) -> Estate:
    """Seed round ``gt``'s estate on the moto server (or ``build`` it: a later night of it)
    and scan it with the real CLI into ``out`` (json and html, the round's suppressions and
    config; with ``history``, recorded there, every resource policy read again:
    ``--full-refresh-days 1``); the scan reports FAIL findings (exit 1)."""
    suppressions = out.parent / f"{out.name}-suppressions.yaml"
    suppressions.write_text(gt.SUPPRESSIONS)
    config: list[str] = []
    if getattr(gt, "CONFIG", None):
        path = out.parent / f"{out.name}-config.yaml"
        path.write_text(gt.CONFIG)
        config = ["--config", str(path)]
    with pytest.MonkeyPatch.context() as mp, replica_keys_kept(), demo_environment():
        mp.setenv(SKIP_AMIS_ENV, "false")
        estate: Estate = build() if build is not None else gt.seed(moto_server)
        if history is not None:
            # moto does not move LastChangedDate on PutResourcePolicy (docs/collection.md)
            config += ["--history", str(history), "--full-refresh-days", "1"]
        code = main(["scan", "--org", "--role-name", gt.ROLE, "--regions", ",".join(gt.REGIONS),
                     "--endpoint-url", moto_server, "--out", str(out), "--format", "json,html",
                     "--suppressions", str(suppressions), *config, "--quiet"])
    assert code == 1  # FAIL findings at or above the default --fail-on
    return estate


def not_passing(out: Path) -> dict[str, dict[str, str]]:
    """Resource ARN -> rule -> status of every result of a complete scan that is not PASS."""
    doc = json.loads((out / "findings.json").read_text())
    assert doc["scan"]["complete"] is True
    assert doc["coverage"] == []
    rows: dict[str, dict[str, str]] = {}
    for f in doc["findings"]:
        if f["status"] != "PASS":
            rows.setdefault(f["resource"]["arn"], {})[f["rule_id"]] = f["status"]
    return rows


def assert_rules_are_the_auditors(gt: ModuleType, estate: Estate, out: Path, *,
                                  truth: Mapping[str, Truth] | None = None) -> None:
    """Every rule that does not pass is one the auditor listed, with its status, and nothing
    else fails (compared by the estate's logical names, so a difference reads as one);
    ``truth``: the auditor's verdicts when not the round's ``ground_truth``."""
    truth = truth if truth is not None else gt.ground_truth(estate)
    names = {v: k for k, v in estate.res.items()}
    expected = {arn: dict(t.fails) for arn, t in truth.items() if t.fails}
    assert {names.get(a, a): r for a, r in not_passing(out).items()} == \
        {names.get(a, a): r for a, r in expected.items()}


def assert_readers_are_the_auditors(gt: ModuleType, estate: Estate, out: Path, *,
                                    truth: Mapping[str, Truth] | None = None) -> None:
    """The cross-account principals that read each secret (or replica) the auditor answered
    for, from the scan's own snapshot."""
    verdicts = truth if truth is not None else gt.ground_truth(estate)
    snap = read_snapshot(out / "snapshot.json.gz")
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    names = {v: k for k, v in estate.res.items()}
    for arn, verdict in verdicts.items():
        if verdict.readers is None:
            continue
        access: Any = report.secrets.get(arn) or report.replicas.get(arn)
        assert access is not None, names[arn]
        readers = {p.principal for p in access.paths
                   if p.decision == "ALLOWED" and p.principal_account != access.account_id}
        assert readers == set(verdict.readers), names[arn]


def assert_judged_by_no_rule(out: Path, arn: str) -> None:
    """No result, FAIL or PASS, names ``arn`` (a secret scheduled for deletion)."""
    doc = json.loads((out / "findings.json").read_text())
    assert not [f for f in doc["findings"] if f["resource"]["arn"] == arn]
    # a rule passing many resources is counted without them (docs/reports.md: "with their
    # resources while there are few"): those rows name no resource to look for
    listed = [r for r in doc["passed"]["by_rule"] if "resources" in r]
    assert all(arn not in r["resources"] for r in listed)
    assert all(r["count"] > PASS_RESOURCES_MAX for r in doc["passed"]["by_rule"]
               if "resources" not in r)
