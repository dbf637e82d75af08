"""Seed the demo estate: the reference architecture plus its deliberate misconfigurations.

``seed(endpoint_url)`` builds everything through boto3 against a moto server (the demo's own, or
a test fixture's) and returns a ``DemoEstate``: the accounts, regions, every ARN it created under
a logical name, and the FAIL findings a scan must produce (scanner/demo/expected.py).

Determinism: the server is reset and moto's random generator seeded (``server.prepare``), and
every call below is made in one fixed order on one thread, so account ids, key ids, secret ARN
suffixes and EC2 ids are the same on every run.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any, Mapping

from scanner.graph.network_path import DB_VPC_TAG
from scanner.demo import network as net
from scanner.demo import policies as pol
from scanner.demo.clients import SEED_ROLE, Clients
from scanner.demo.expected import ExpectedFinding, expected_findings
from scanner.demo.organization import MEMBERS, DemoOrg, create_org
from scanner.demo.server import DEFAULT_SEED, prepare
from scanner.policy.arn import with_region

PRIMARY = "us-east-1"
REPLICA = "us-west-2"
REGIONS = (PRIMARY, REPLICA)
AZ = "us-east-1a"
EXTERNAL_ACCOUNT = "999999999999"  # outside the organization
APP_ROLE = "ApplicationRole"
REPORTING_ROLE = "ReportingRole"
WILDCARD_ROLE = "WildcardReaderRole"
ROTATION_ROLE = "SecretsRotationRole"
#: the key the rotation role's identity policy leaves out (secret-rotation-role-cannot-read)
ROTATION_ROLE_UNNAMED_KEY = "key:misconfig/rotation-role"
DB_PORT = 5432
CENTRAL_CIDR = "10.0.0.0/16"
#: Every member's database VPC uses the same range on purpose: overlapping member ranges are
#: the reason the central VPC has one route table per rotation subnet. It is not 172.31.0.0/16
#: because moto creates a default VPC with that range in every account and region it touches.
MEMBER_DB_CIDR = "172.16.0.0/16"
ROTATION_SUBNETS = {"a": "10.0.1.0/24", "b": "10.0.2.0/24", "c": "10.0.3.0/24"}
HUB_CIDR = "10.9.0.0/16"
#: Active peerings on the hub VPC: 41 of the default quota of 50 (>= 80 %).
HUB_SPOKES = 41
#: Tag on a database secret naming the VPC (id) its rotation Lambda must reach.
#: Secrets that are not a member database's say so: an empty tag means "serves no database VPC"
#: (without the tag, every VPC peered with the rotation Lambda's VPC would count as served).
NO_DATABASE = {DB_VPC_TAG: ""}
ROTATION_DAYS = 30


@dataclass(frozen=True, kw_only=True, slots=True)
class DemoEstate:
    """What ``seed`` built. ``resources`` maps logical names (``secret:prod/member-a/db``,
    ``key:member-a``, ``pcx:member-a``, ``role:member-a/ApplicationRole`` ...) to ARNs/ids."""

    endpoint_url: str
    org_id: str
    management_account: str
    central_account: str
    members: Mapping[str, str]
    external_account: str
    regions: tuple[str, ...]
    primary_region: str
    replica_region: str
    role_name: str
    resources: Mapping[str, str]
    expected: tuple[ExpectedFinding, ...] = field(default=())
    api_calls: int = 0

    @property
    def accounts(self) -> tuple[str, ...]:
        return (self.management_account, self.central_account, *self.members.values())


def _lambda_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("rotate.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


class _Seeder:
    """The seeding steps, run in a fixed order by ``seed``; ``res`` collects what they made."""

    def __init__(self, clients: Clients, org: DemoOrg) -> None:
        self.c = clients
        self.org = org
        self.central = org.central
        self.res: dict[str, str] = {}
        self.zip = _lambda_zip()

    # ------------------------------------------------------------------ helpers
    def client(self, account: str, service: str, region: str = PRIMARY) -> Any:
        return self.c.get(account, service, region)

    def member_role(self, m: str, name: str = APP_ROLE) -> str:
        return pol.role_arn(self.org.members[m], name)

    # ------------------------------------------------------------------ IAM roles (trust only)
    def roles(self) -> None:
        for m, acct in self.org.members.items():
            iam = self.client(acct, "iam")
            names = [APP_ROLE] + ([REPORTING_ROLE] if m == "c" else []) + (
                [WILDCARD_ROLE] if m == "a" else [])
            for name in names:
                arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=pol.text(
                    pol.trust(service="ec2.amazonaws.com")))["Role"]["Arn"]
                self.res[f"role:member-{m}/{name}"] = arn
        iam = self.client(self.central, "iam")
        self.res["principal:external-root"] = pol.root_arn(EXTERNAL_ACCOUNT)
        self.res[f"role:central/{ROTATION_ROLE}"] = iam.create_role(
            RoleName=ROTATION_ROLE,
            AssumeRolePolicyDocument=pol.text(pol.trust(service="lambda.amazonaws.com")),
        )["Role"]["Arn"]

    # ------------------------------------------------------------------ KMS
    def key(self, name: str, policy: str, *, region: str = PRIMARY, multi_region: bool = False,
            rotation: bool = True) -> str:
        kms = self.client(self.central, "kms", region)
        meta = kms.create_key(Policy=policy, Description=f"secretgraph demo: {name}",
                              MultiRegion=multi_region,
                              Tags=[{"TagKey": "Name", "TagValue": name}])["KeyMetadata"]
        kms.create_alias(AliasName=f"alias/{name}", TargetKeyId=meta["KeyId"])
        if rotation:
            kms.enable_key_rotation(KeyId=meta["KeyId"])
        return str(meta["Arn"])

    def replicate_key(self, key_arn: str, policy: str, name: str) -> str:
        """Replicate a multi-Region key and set the replica's own key policy (moto copies the
        primary's policy and ignores ReplicateKey's Policy, so it is put explicitly)."""
        kms = self.client(self.central, "kms", PRIMARY)
        out = kms.replicate_key(KeyId=key_arn.rsplit("/", 1)[1], ReplicaRegion=REPLICA,
                                Policy=policy,
                                Description=f"secretgraph demo: {name} (replica)")
        replica = str(out["ReplicaKeyMetadata"]["Arn"])
        self.client(self.central, "kms", REPLICA).put_key_policy(
            KeyId=replica, PolicyName="default", Policy=policy)
        return replica

    def keys(self) -> None:
        owner = self.central
        for m in MEMBERS:
            # Each key's grant names its own region's Secrets Manager (kms:ViaService): the
            # primary serves the secret, the replica key serves the secret's replica.
            primary = self.key(f"central-secrets-member-{m}",
                               pol.key_policy(owner, [self.member_role(m)], (PRIMARY,)),
                               multi_region=True)
            self.res[f"key:member-{m}"] = primary
            self.res[f"key:member-{m}@{REPLICA}"] = self.replicate_key(
                primary, pol.key_policy(owner, [self.member_role(m)], (REPLICA,)),
                f"central-secrets-member-{m}")
        root_only = pol.key_policy(owner)
        self.res["key:shared"] = self.key("central-shared", root_only)
        self.res[f"key:shared@{REPLICA}"] = self.key("central-shared", root_only, region=REPLICA)

        # --- misconfigured keys, one per problem
        self.res["key:misconfig/broken-access"] = self.key("demo-misconfig-broken-access",
                                                           root_only)
        self.res["key:misconfig/disabled"] = self.key("demo-misconfig-disabled", root_only)
        self.res["key:misconfig/pending-deletion"] = self.key("demo-misconfig-pending-deletion",
                                                              root_only)
        self.res["key:misconfig/no-rotation"] = self.key("demo-misconfig-no-rotation", root_only,
                                                         rotation=False)
        # a key the rotation role's identity policy does not name (the policy predates it):
        # the key policy leaves the decision to IAM, so the role may not decrypt with it
        self.res[ROTATION_ROLE_UNNAMED_KEY] = self.key("demo-misconfig-rotation-role", root_only)
        public = pol.key_policy(owner, extra=[{
            "Sid": "DecryptForEveryone", "Effect": "Allow", "Principal": "*",
            "Action": "kms:Decrypt", "Resource": "*"}])
        self.res["key:misconfig/public"] = self.key("demo-misconfig-public-policy", public)
        excess = pol.key_policy(owner, [self.member_role("a"), self.member_role("c")],
                                (PRIMARY,))
        self.res["key:misconfig/excess-grant"] = self.key("demo-misconfig-excess-grant", excess)
        external = pol.key_policy(owner, [pol.root_arn(EXTERNAL_ACCOUNT)], (PRIMARY,))
        self.res["key:misconfig/external"] = self.key("demo-misconfig-external", external)
        drift_primary = pol.key_policy(owner, [self.member_role("b")], (PRIMARY,))
        drift = self.key("demo-misconfig-mrk-drift", drift_primary, multi_region=True)
        self.res["key:misconfig/mrk-drift"] = drift
        self.res[f"key:misconfig/mrk-drift@{REPLICA}"] = self.replicate_key(
            drift, root_only, "demo-misconfig-mrk-drift")
        self.res["key:misconfig/scp-blocked"] = self.key(
            "demo-misconfig-scp-blocked",
            pol.key_policy(owner, [self.member_role("c", REPORTING_ROLE)], (PRIMARY,)))

    def break_keys(self) -> None:
        kms = self.client(self.central, "kms")
        kms.disable_key(KeyId=self.res["key:misconfig/disabled"].rsplit("/", 1)[1])
        kms.schedule_key_deletion(KeyId=self.res["key:misconfig/pending-deletion"]
                                  .rsplit("/", 1)[1],
                                  PendingWindowInDays=30)

    # ------------------------------------------------------------------ central network
    def central_network(self) -> None:
        ec2 = self.client(self.central, "ec2")
        a = self.central
        vpc = net.vpc(ec2, CENTRAL_CIDR, "central-rotation")
        self.res["vpc:central"] = net.arn(PRIMARY, a, "vpc", vpc)
        self.res["vpc-id:central"] = vpc
        endpoint_subnet = net.subnet(ec2, vpc, "10.0.0.0/24", "central-endpoints", AZ)
        for m, cidr in ROTATION_SUBNETS.items():
            sid = net.subnet(ec2, vpc, cidr, f"rotation-member-{m}", AZ)
            self.res[f"subnet-id:rotation-{m}"] = sid
            rtb = net.route_table(ec2, vpc, f"rotation-member-{m}", [sid])
            self.res[f"rtb-id:rotation-{m}"] = rtb
            self.res[f"rtb:rotation-{m}"] = net.arn(PRIMARY, a, "route-table", rtb)
        endpoint_sg = net.security_group(ec2, vpc, "secretsmanager-endpoint",
                                         "HTTPS from the rotation VPC", [(443, CENTRAL_CIDR)])
        self.res["sg-id:rotation"] = net.security_group(
            ec2, vpc, "rotation-lambda", "rotation functions (egress only)")
        out = ec2.create_vpc_endpoint(
            VpcEndpointType="Interface", VpcId=vpc,
            ServiceName=f"com.amazonaws.{PRIMARY}.secretsmanager",
            SubnetIds=[endpoint_subnet], SecurityGroupIds=[endpoint_sg], PrivateDnsEnabled=True,
            TagSpecifications=net.spec("vpc-endpoint", "secretsmanager"))
        self.res["vpce-id:secretsmanager"] = out["VpcEndpoint"]["VpcEndpointId"]

    def member_networks(self) -> None:
        cec2 = self.client(self.central, "ec2")
        for m, acct in self.org.members.items():
            ec2 = self.client(acct, "ec2")
            vpc = net.vpc(ec2, MEMBER_DB_CIDR, f"member-{m}-database")
            self.res[f"vpc-id:member-{m}"] = vpc
            self.res[f"vpc:member-{m}"] = net.arn(PRIMARY, acct, "vpc", vpc)
            sid = net.subnet(ec2, vpc, "172.16.1.0/24", f"member-{m}-database", AZ)
            rtb = net.route_table(ec2, vpc, f"member-{m}-database", [sid])
            self.res[f"rtb:member-{m}"] = net.arn(PRIMARY, acct, "route-table", rtb)
            net.security_group(ec2, vpc, "database", "PostgreSQL from the rotation subnet",
                               [(DB_PORT, ROTATION_SUBNETS[m])])
            pcx = net.request_peering(cec2, self.res["vpc-id:central"], vpc, acct, PRIMARY,
                                      f"rotation-to-member-{m}")
            ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
            self.res[f"pcx:member-{m}"] = net.arn(PRIMARY, self.central,
                                                  "vpc-peering-connection", pcx)
            net.route(cec2, self.res[f"rtb-id:rotation-{m}"], MEMBER_DB_CIDR, pcx)
            net.route(ec2, rtb, CENTRAL_CIDR, pcx)

    # ------------------------------------------------------------------ misconfigured network
    def misconfig_network(self) -> None:
        a = self.central
        ec2 = self.client(a, "ec2")
        # A rotation function in a VPC with neither a Secrets Manager endpoint nor a NAT gateway.
        iso = net.vpc(ec2, "10.8.0.0/16", "demo-misconfig-isolated-rotation")
        self.res["subnet-id:isolated"] = net.subnet(ec2, iso, "10.8.1.0/24",
                                                    "demo-misconfig-isolated-rotation", AZ)
        self.res["sg-id:isolated"] = net.security_group(ec2, iso, "isolated-rotation-lambda",
                                                        "rotation function (egress only)")
        # The hub: a VPC with many peerings (quota), and three broken ones.
        hub = net.vpc(ec2, HUB_CIDR, "demo-misconfig-peering-hub")
        self.res["vpc:hub"] = net.arn(PRIMARY, a, "vpc", hub)
        hub_sub = net.subnet(ec2, hub, "10.9.0.0/24", "demo-misconfig-peering-hub", AZ)
        hub_rtb = net.route_table(ec2, hub, "demo-misconfig-peering-hub", [hub_sub])
        self.res["rtb:hub"] = net.arn(PRIMARY, a, "route-table", hub_rtb)
        spokes: list[tuple[str, str, str]] = []
        for i in range(HUB_SPOKES):
            cidr = f"10.200.{i}.0/24"
            spoke = net.vpc(ec2, cidr, f"demo-spoke-{i:02d}")
            pcx = net.request_peering(ec2, hub, spoke, a, PRIMARY, f"hub-to-spoke-{i:02d}")
            ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
            net.route(ec2, hub_rtb, cidr, pcx)
            spokes.append((spoke, cidr, pcx))
        mains = ec2.describe_route_tables(Filters=[
            {"Name": "vpc-id", "Values": [s for s, _, _ in spokes]},
            {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
        main_of = {t["VpcId"]: t["RouteTableId"] for t in mains}
        for spoke, _, pcx in spokes:
            net.route(ec2, main_of[spoke], HUB_CIDR, pcx)

        def member_peer(m: str, cidr: str, name: str) -> tuple[str, str, str]:
            acct = self.org.members[m]
            mec2 = self.client(acct, "ec2")
            vpc = net.vpc(mec2, cidr, name)
            sid = net.subnet(mec2, vpc, cidr.replace(".0.0/16", ".1.0/24"), name, AZ)
            rtb = net.route_table(mec2, vpc, name, [sid])
            pcx = net.request_peering(ec2, hub, vpc, acct, PRIMARY, name)
            self.res[f"pcx:{name}"] = net.arn(PRIMARY, a, "vpc-peering-connection", pcx)
            self.res[f"rtb:{name}"] = net.arn(PRIMARY, acct, "route-table", rtb)
            return pcx, rtb, acct

        # Return route missing on the member side.
        pcx, rtb, acct = member_peer("c", "172.19.0.0/16", "demo-misconfig-route-missing")
        self.client(acct, "ec2").accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        net.route(ec2, hub_rtb, "172.19.0.0/16", pcx)
        # Member routes 10.0.0.0/8 through the peering: broader than the hub's 10.9.0.0/16.
        pcx, rtb, acct = member_peer("b", "172.20.0.0/16", "demo-misconfig-route-overbroad")
        self.client(acct, "ec2").accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        net.route(ec2, hub_rtb, "172.20.0.0/16", pcx)
        net.route(self.client(acct, "ec2"), rtb, "10.0.0.0/8", pcx)
        # Peering rejected by member A; the hub's route to it was left behind (blackhole).
        pcx, rtb, acct = member_peer("a", "172.21.0.0/16", "demo-misconfig-route-blackhole")
        net.route(ec2, hub_rtb, "172.21.0.0/16", pcx)
        self.client(acct, "ec2").reject_vpc_peering_connection(VpcPeeringConnectionId=pcx)

    # ------------------------------------------------------------------ Lambda
    def functions(self) -> None:
        lam = self.client(self.central, "lambda")
        role = self.res[f"role:central/{ROTATION_ROLE}"]

        def fn(name: str, subnet: str, sg: str) -> str:
            out = lam.create_function(
                FunctionName=name, Runtime="python3.12", Role=role, Handler="rotate.handler",
                Code={"ZipFile": self.zip}, Timeout=30,
                VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [sg]},
                Description="secretgraph demo rotation function")
            return str(out["FunctionArn"])

        sg = self.res["sg-id:rotation"]
        for m in MEMBERS:
            self.res[f"lambda:rotate-member-{m}"] = fn(
                f"rotate-member-{m}-db", self.res[f"subnet-id:rotation-{m}"], sg)
        self.res["lambda:rotate-generic"] = fn("rotate-generic",
                                               self.res["subnet-id:rotation-a"], sg)
        self.res["lambda:rotate-isolated"] = fn(
            "demo-misconfig-rotate-isolated", self.res["subnet-id:isolated"],
            self.res["sg-id:isolated"])
        self.res["lambda:rotate-deleted"] = fn("demo-misconfig-rotate-deleted",
                                               self.res["subnet-id:rotation-b"], sg)

    # ------------------------------------------------------------------ secrets
    def secret(self, name: str, *, key: str | None, replica_key: str | None = "shared",
               policy: str | None = None, rotation: str | None = "rotate-generic",
               region: str = PRIMARY, tags: Mapping[str, str] | None = None,
               finish_rotation: bool = True, rotation_days: int = ROTATION_DAYS) -> str:
        """Create a secret (replicated unless replica_key is None), attach its policy and turn on
        rotation without running it (values stay readable, see MOTO_NOTES)."""
        sm = self.client(self.central, "secretsmanager", region)
        kwargs: dict[str, Any] = {
            "Name": name, "SecretString": '{"username":"app","password":"demo-only"}',
            "Description": f"secretgraph demo: {name}",
            "Tags": [{"Key": k, "Value": v} for k, v in
                     {"secretgraph-demo": "true", **(NO_DATABASE if tags is None else tags)}
                     .items()],
        }
        if key is not None:
            kwargs["KmsKeyId"] = self.res[f"key:{key}" if region == PRIMARY else
                                          f"key:{key}@{region}"]
        if replica_key is not None:
            replica: dict[str, str] = {"Region": REPLICA}
            if replica_key != "aws-managed":
                replica["KmsKeyId"] = self.res[f"key:{replica_key}@{REPLICA}"]
            kwargs["AddReplicaRegions"] = [replica]
        arn = str(sm.create_secret(**kwargs)["ARN"])
        self.res[f"secret:{name}"] = arn
        if replica_key is not None:
            # the replica's own ARN, as its finding names it (resource.arn; its graph node
            # is replica_node(arn, REPLICA): resource.node)
            self.res[f"replica:{name}@{REPLICA}"] = with_region(arn, REPLICA)
        if policy is not None:
            sm.put_resource_policy(SecretId=arn, ResourcePolicy=policy)
        if rotation is not None:
            token = str(uuid.uuid5(uuid.NAMESPACE_URL, arn))  # deterministic version id
            sm.rotate_secret(SecretId=arn, RotationLambdaARN=self.res[f"lambda:{rotation}"],
                             RotationRules={"AutomaticallyAfterDays": rotation_days},
                             RotateImmediately=False, ClientRequestToken=token)
            if finish_rotation:  # nothing ran the function: drop the label it would have moved
                sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSPENDING",
                                               RemoveFromVersionId=token)
        return arn

    def secrets(self) -> None:
        for m in MEMBERS:
            self.secret(f"prod/member-{m}/db", key=f"member-{m}", replica_key=f"member-{m}",
                        policy=pol.secret_policy(pol.allow_read([self.member_role(m)])),
                        rotation=f"rotate-member-{m}",
                        tags={DB_VPC_TAG: self.res[f"vpc-id:member-{m}"],
                              "database-account": self.org.members[m]})
        A, B, C = (self.member_role(m) for m in MEMBERS)
        mis = "demo/misconfig/"
        self.secret(mis + "aws-managed-key", key=None, replica_key="aws-managed")
        self.secret(mis + "rotation-disabled", key="shared", rotation=None)
        self.secret(mis + "rotation-stuck", key="shared", finish_rotation=False)
        self.secret(mis + "rotation-lambda-missing", key="shared",
                    rotation="rotate-deleted")
        self.secret(mis + "rotation-schedule-yearly", key="shared", rotation_days=365)
        self.secret(mis + "rotation-no-network", key="shared", rotation="rotate-isolated")
        self.secret(mis + "rotation-role-no-decrypt", key="misconfig/rotation-role")
        self.secret(mis + "policy-near-limit", key="shared",
                    policy=pol.padded_secret_policy(pol.role_arn(self.central, ROTATION_ROLE),
                                                    self.central, 17_500))
        self.secret(mis + "public-policy", key="shared",
                    policy=pol.secret_policy({"Sid": "Everyone", "Effect": "Allow",
                                              "Principal": "*",
                                              "Action": "secretsmanager:GetSecretValue",
                                              "Resource": "*"}))
        self.secret(mis + "external-account", key="misconfig/external",
                    policy=pol.secret_policy(pol.allow_read([pol.root_arn(EXTERNAL_ACCOUNT)])))
        self.secret(mis + "overbroad-actions", key="member-b", replica_key="member-b",
                    policy=pol.secret_policy(pol.allow_read([B], "secretsmanager:*")))
        self.secret(mis + "broken-access", key="misconfig/broken-access",
                    policy=pol.secret_policy(pol.allow_read([B])))
        self.secret(mis + "not-replicated", key="shared", replica_key=None)
        self.secret(mis + "key-disabled", key="misconfig/disabled")
        self.secret(mis + "key-pending-deletion", key="misconfig/pending-deletion")
        # replicated with member A's own key there, which A may use: the replica is read as
        # the primary is (only the key's excess grant is seeded)
        self.secret(mis + "key-excess-grant", key="misconfig/excess-grant",
                    replica_key="member-a", policy=pol.secret_policy(pol.allow_read([A])))
        self.secret(mis + "mrk-drift", key="misconfig/mrk-drift",
                    replica_key="misconfig/mrk-drift",
                    policy=pol.secret_policy(pol.allow_read([B])))
        self.secret(mis + "scp-blocked", key="misconfig/scp-blocked",
                    policy=pol.secret_policy(pol.allow_read([self.member_role(
                        "c", REPORTING_ROLE)])))
        # Replication to us-west-2 fails: a secret with the same name already lives there.
        self.secret(mis + "replica-conflict", key="shared", region=REPLICA, replica_key=None,
                    rotation=None)
        self.res[f"secret:{mis}replica-conflict@{REPLICA}"] = self.res.pop(
            f"secret:{mis}replica-conflict")
        self.secret(mis + "replica-conflict", key="shared")
        self.c.get(self.central, "lambda", PRIMARY).delete_function(
            FunctionName="demo-misconfig-rotate-deleted")

    # ------------------------------------------------------------------ identity policies
    def identity(self) -> None:
        s = self.res
        r = REPLICA
        grants: dict[str, list[str]] = {
            "a": ["prod/member-a/db", "demo/misconfig/key-excess-grant"],
            "b": ["prod/member-b/db", "demo/misconfig/overbroad-actions",
                  "demo/misconfig/broken-access", "demo/misconfig/mrk-drift"],
            "c": ["prod/member-c/db"],
        }
        keys: dict[str, list[str]] = {
            "a": [s["key:member-a"], s[f"key:member-a@{r}"], s["key:misconfig/excess-grant"]],
            "b": [s["key:member-b"], s[f"key:member-b@{r}"], s["key:misconfig/broken-access"],
                  s["key:misconfig/mrk-drift"], s[f"key:misconfig/mrk-drift@{r}"]],
            "c": [s["key:member-c"], s[f"key:member-c@{r}"]],
        }
        for m, acct in self.org.members.items():
            iam = self.client(acct, "iam")
            arns = [s[f"secret:{n}"] for n in grants[m]]
            arns += [a.replace(f":{PRIMARY}:", f":{r}:") for a in arns]
            iam.put_role_policy(RoleName=APP_ROLE, PolicyName="read-central-secrets",
                                PolicyDocument=pol.text(pol.reader_identity_policy(
                                    arns, keys[m], REGIONS)))
        iam = self.client(self.org.members["c"], "iam")
        iam.put_role_policy(RoleName=REPORTING_ROLE, PolicyName="read-reporting-secret",
                            PolicyDocument=pol.text(pol.reader_identity_policy(
                                [s["secret:demo/misconfig/scp-blocked"]],
                                [s["key:misconfig/scp-blocked"]], REGIONS)))
        iam = self.client(self.org.members["a"], "iam")
        iam.put_role_policy(RoleName=WILDCARD_ROLE, PolicyName="read-any-secret",
                            PolicyDocument=pol.text(pol.doc({
                                "Sid": "ReadEverything", "Effect": "Allow",
                                "Action": "secretsmanager:GetSecretValue", "Resource": "*"})))
        central_secrets = sorted(v for k, v in s.items() if k.startswith("secret:"))
        central_keys = sorted(v for k, v in s.items() if k.startswith("key:")
                              and k != ROTATION_ROLE_UNNAMED_KEY)
        self.client(self.central, "iam").put_role_policy(
            RoleName=ROTATION_ROLE, PolicyName="rotate-central-secrets",
            PolicyDocument=pol.text(pol.rotation_identity_policy(central_secrets, central_keys)))


    # ------------------------------------------------------------------ default VPCs
    def default_vpcs(self) -> None:
        """moto makes a default VPC (its subnets, route table, security group) where EC2 is
        first used in an account and Region. Made here, on this thread in a fixed order, and
        not by the scan's workers in the order they happen to run, their ids are the same on
        every run too (two demo runs' snapshots differed in six default VPCs)."""
        accounts = sorted({self.org.management, self.org.central, *self.org.members.values()})
        for account in accounts:
            for region in REGIONS:
                for vpc in self.client(account, "ec2", region).describe_vpcs(
                        Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]:
                    self.res[f"vpc-id:default:{account}@{region}"] = vpc["VpcId"]


def seed(endpoint_url: str, *, seed_value: int = DEFAULT_SEED) -> DemoEstate:
    """Reset the moto server at ``endpoint_url`` and build the demo estate on it."""
    prepare(endpoint_url, seed=seed_value)
    clients = Clients(endpoint_url)
    org = create_org(clients, PRIMARY)
    s = _Seeder(clients, org)
    for step in (s.roles, s.keys, s.central_network, s.member_networks, s.misconfig_network,
                 s.functions, s.secrets, s.break_keys, s.identity, s.default_vpcs):
        step()
    resources = dict(sorted(s.res.items()))
    return DemoEstate(
        endpoint_url=endpoint_url, org_id=org.org_id, management_account=org.management,
        central_account=org.central, members=dict(org.members),
        external_account=EXTERNAL_ACCOUNT, regions=REGIONS, primary_region=PRIMARY,
        replica_region=REPLICA, role_name=SEED_ROLE, resources=resources,
        expected=expected_findings(resources), api_calls=sum(clients.calls.values()))

