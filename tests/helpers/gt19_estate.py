"""Ground-truth trial round 19: a seven-account organization unlike the demo's, built in moto
through sts.assume_role into each account, and what a careful auditor says about it.

Shape (different from the demo: two secret-holding accounts, three Regions, OU paths):

* management 123456789012; OUs Security (security, platform), Workloads/Prod (app-prod-1,
  app-prod-2), Workloads/Dev (app-dev) and Data (data); 777777777777 is outside.
* security holds secrets in us-east-1 and eu-west-1 (replicas in eu-west-1 and us-west-2);
  platform holds secrets in us-west-2 and eu-west-1.
* rotation Lambdas in VPCs with a Secrets Manager interface endpoint; their database VPCs in the
  data account are peered: active (us-east-1), pending-acceptance (us-west-2), deleted
  (eu-west-1), the routes to the last two left behind.

``GROUND_TRUTH`` was written from the AWS documentation before the scan was run: for each secret,
the rules that FAIL (or are MUTED by the suppression file) and who can read it.
"""

from __future__ import annotations


from helpers.groundtruth import Estate, Seeder, Truth, seed_estate
from scanner.demo import network as net
from scanner.demo import policies as pol
from scanner.demo.clients import MANAGEMENT_ACCOUNT

EAST, WEST, EU = "us-east-1", "us-west-2", "eu-west-1"
REGIONS = (EAST, WEST, EU)
OUTSIDER = "777777777777"
ROLE = "OrganizationAccountAccessRole"
APP, ANALYTICS, DEV, ROTATION = "AppRole", "AnalyticsRole", "DevRole", "RotationRole"
REPORTS = "ReportsRole"
#: an AWS-managed policy used only as a permissions boundary: moto does not hold its document
#: (as GetAccountAuthorizationDetails may not return one that is attached to nothing)
UNREAD_BOUNDARY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
SANDBOX_TAG = {"environment": "sandbox"}

SUPPRESSIONS = """\
suppressions:
  - rule: "*"
    tags: {environment: sandbox}
    reason: sandbox secrets are excluded from the audit
    expires: "2099-01-01"
"""


def ground_truth(e: Estate) -> dict[str, Truth]:
    """Resource ARN -> the auditor's verdict. Readers are cross-account principals only."""
    a, r = e.accounts, e.res
    app1 = pol.role_arn(a["app-prod-1"], APP)
    return {
        # CMK both sides, replica in eu-west-1 on its own key that grants via eu-west-1
        r["secret:prod/app1/db"]: Truth(readers=frozenset({app1})),
        r["replica:prod/app1/db@eu-west-1"]: Truth(readers=frozenset({app1})),
        # the role's permissions boundary allows no secretsmanager action: the read is broken
        r["secret:prod/app2/api-key"]: Truth(
            fails={"secret-cross-account-access-broken": "FAIL"}, readers=frozenset()),
        # the reader's boundary document is not in the snapshot: its read cannot be assessed
        r["secret:prod/app2/reports"]: Truth(
            fails={"secret-cross-account-access-broken": "UNKNOWN"}),
        # Principal "*" narrowed by aws:PrincipalOrgPaths to the Dev OU: not public
        r["secret:shared/dev-config"]: Truth(
            readers=frozenset({pol.role_arn(a["app-dev"], DEV)})),
        r["secret:partner/feed-token"]: Truth(fails={
            "secret-policy-external-account": "FAIL", "secret-rotation-disabled": "FAIL"}),
        r["secret:legacy/big-policy"]: Truth(
            fails={"secret-policy-size-near-limit": "FAIL"}, readers=frozenset({app1})),
        r["secret:sandbox/token"]: Truth(fails={
            "secret-uses-aws-managed-key": "MUTED", "secret-rotation-disabled": "MUTED"}),
        r["secret:platform/ci-token"]: Truth(
            fails={"secret-rotation-no-network-path": "FAIL"}, readers=frozenset({app1})),
        r["secret:platform/eu-db"]: Truth(fails={"secret-rotation-no-network-path": "FAIL"}),
        r["secret:prod/app1/cache"]: Truth(readers=frozenset({app1})),
        # rotated over an inter-Region peering to eu-west-1, routed on both sides
        r["secret:prod/reporting/db"]: Truth(readers=frozenset()),
        r["replica:prod/app1/cache@us-west-2"]: Truth(fails={
            "secret-uses-aws-managed-key": "FAIL", "secret-replica-unhealthy": "FAIL",
            "secret-cross-account-access-broken": "FAIL"}, readers=frozenset()),
        # the key allows Decrypt only via Secrets Manager in us-east-1; the secret is in eu-west-1
        r["secret:eu/app2/analytics"]: Truth(fails={
            "secret-cross-account-access-broken": "FAIL", "secret-rotation-disabled": "FAIL"},
            readers=frozenset()),
        r["rtb:platform-west"]: Truth(fails={"vpc-peering-route-blackhole": "FAIL"}),
        r["rtb:platform-eu"]: Truth(fails={"vpc-peering-route-blackhole": "FAIL"}),
        r["rtb:data-eu"]: Truth(fails={"vpc-peering-route-blackhole": "FAIL"}),
    }


class _Seeder(Seeder):
    TAG, REGION, DB_ACCOUNT, ROTATION = "gt19", EAST, "data", ROTATION

    def org(self) -> str:
        org = self.c.get(MANAGEMENT_ACCOUNT, "organizations", EAST)
        org_id = str(org.create_organization(FeatureSet="ALL")["Organization"]["Id"])
        root = org.list_roots()["Roots"][0]["Id"]
        self.res["root"] = root

        def ou(parent: str, name: str) -> str:
            out = str(org.create_organizational_unit(ParentId=parent, Name=name)
                      ["OrganizationalUnit"]["Id"])
            self.res[f"ou:{name}"] = out
            return out

        security, workloads, data = ou(root, "Security"), ou(root, "Workloads"), ou(root, "Data")
        prod, dev = ou(workloads, "Prod"), ou(workloads, "Dev")
        self.res["path:dev"] = f"{org_id}/{root}/{workloads}/{dev}/"
        self.acct["management"] = MANAGEMENT_ACCOUNT
        for name, parent in (("security", security), ("platform", security),
                             ("app-prod-1", prod), ("app-prod-2", prod), ("app-dev", dev),
                             ("data", data)):
            acct = str(org.create_account(AccountName=name, Email=f"{name}@gt19.invalid")
                       ["CreateAccountStatus"]["AccountId"])
            org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=parent)
            self.acct[name] = acct
        return org_id

    # ------------------------------------------------------------------ IAM
    def roles(self) -> None:
        for owner, name in (("app-prod-1", APP), ("app-prod-2", APP),
                            ("app-prod-2", ANALYTICS), ("app-prod-2", REPORTS),
                            ("app-dev", DEV)):
            self.cl(owner, "iam").create_role(
                RoleName=name, AssumeRolePolicyDocument=pol.text(pol.trust("ec2.amazonaws.com")))
        for owner in ("security", "platform"):
            self.res[f"role:{owner}/{ROTATION}"] = str(self.cl(owner, "iam").create_role(
                RoleName=ROTATION,
                AssumeRolePolicyDocument=pol.text(pol.trust("lambda.amazonaws.com")))
                ["Role"]["Arn"])

    def identity(self) -> None:
        r, a = self.res, self.acct
        s = lambda n: r[f"secret:{n}"]  # noqa: E731
        app1_secrets = [s("prod/app1/db"), s("prod/app1/db").replace(EAST, EU),
                        s("prod/app1/cache"), s("prod/app1/cache").replace(EAST, WEST),
                        s("legacy/big-policy"), s("platform/ci-token")]
        self.cl("app-prod-1", "iam").put_role_policy(
            RoleName=APP, PolicyName="read", PolicyDocument=pol.text(pol.reader_identity_policy(
                app1_secrets, [r["key:app1"], r["key:app1@eu"], r["key:platform-west"]],
                REGIONS)))
        iam2 = self.cl("app-prod-2", "iam")
        iam2.put_role_policy(RoleName=APP, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy([s("prod/app2/api-key")], [r["key:app2"]], REGIONS)))
        boundary = iam2.create_policy(PolicyName="workload-boundary", PolicyDocument=pol.text(
            pol.doc({"Effect": "Allow", "Action": ["s3:*", "kms:Decrypt", "sqs:*"],
                     "Resource": "*"})))["Policy"]["Arn"]
        iam2.put_role_permissions_boundary(RoleName=APP, PermissionsBoundary=boundary)
        iam2.put_role_policy(RoleName=REPORTS, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy([s("prod/app2/reports")], [r["key:app2"]], REGIONS)))
        iam2.put_role_permissions_boundary(RoleName=REPORTS, PermissionsBoundary=UNREAD_BOUNDARY)
        iam2.put_role_policy(RoleName=ANALYTICS, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy([s("eu/app2/analytics")], [r["key:eu-analytics"]],
                                       REGIONS)))
        self.cl("app-dev", "iam").put_role_policy(
            RoleName=DEV, PolicyName="read", PolicyDocument=pol.text(pol.reader_identity_policy(
                [f"arn:aws:secretsmanager:{EAST}:{a['security']}:secret:shared/*"],
                [r["key:dev"]], REGIONS)))

    # ------------------------------------------------------------------ KMS
    def keys(self) -> None:
        a = self.acct
        sec, plat = a["security"], a["platform"]
        app1 = pol.role_arn(a["app-prod-1"], APP)
        self.key("security", "app1", pol.key_policy(sec, [app1], (EAST,)))
        self.key("security", "app1@eu", pol.key_policy(sec, [app1], (EU,)), EU)
        self.key("security", "app2", pol.key_policy(
            sec, [pol.role_arn(a["app-prod-2"], APP), pol.role_arn(a["app-prod-2"], REPORTS)],
            (EAST,)))
        # only via Secrets Manager in us-east-1, for a secret that lives in eu-west-1
        self.key("security", "eu-analytics",
                 pol.key_policy(sec, [pol.role_arn(a["app-prod-2"], ANALYTICS)], (EAST,)), EU)
        self.key("security", "dev", pol.key_policy(sec, extra=[{
            "Sid": "DevOuDecrypt", "Effect": "Allow", "Principal": "*",
            "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"ForAnyValue:StringLike": {
                "aws:PrincipalOrgPaths": [self.res["path:dev"] + "*"]},
                "StringEquals": {"kms:ViaService": f"secretsmanager.{EAST}.amazonaws.com"}}}]))
        self.key("security", "partner",
                 pol.key_policy(sec, [pol.root_arn(OUTSIDER)], (EAST,)))
        self.key("platform", "platform-west", pol.key_policy(plat, [app1], (WEST,)), WEST)
        self.key("platform", "platform-eu", pol.key_policy(plat), EU)

    # ------------------------------------------------------------------ network
    def network(self) -> None:
        data = self.acct["data"]
        rtb_id = lambda k: self.res[k].rsplit("/", 1)[1]  # noqa: E731
        # us-east-1: active peering, routes both sides
        vpc, sub, sg = self.rotation_vpc("security", EAST, "10.1.0.0/16", "security-east")
        dvpc, drtb = self.db_vpc(EAST, "172.22.0.0/16", "data-east")
        ec2 = self.cl("security", "ec2", EAST)
        pcx = net.request_peering(ec2, vpc, dvpc, data, EAST, "security-to-data-east")
        self.cl("data", "ec2", EAST).accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        net.route(ec2, rtb_id("rtb:security-east"), "172.22.0.0/16", pcx)
        net.route(self.cl("data", "ec2", EAST), drtb, "10.1.0.0/16", pcx)
        self.lam("security", EAST, "rotate-app1", sub, sg)
        # eu-west-1 database of the same Lambda, over an inter-Region peering (routes both sides)
        xvpc, xrtb = self.db_vpc(EU, "172.41.0.0/16", "data-eu-reporting")
        pcx = net.request_peering(ec2, vpc, xvpc, data, EU, "security-to-data-eu-reporting")
        self.cl("data", "ec2", EU).accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        net.route(ec2, rtb_id("rtb:security-east"), "172.41.0.0/16", pcx)
        net.route(self.cl("data", "ec2", EU), xrtb, "10.1.0.0/16", pcx)
        self.res["pcx:security-to-data-eu-reporting"] = pcx
        # us-west-2: the peering was never accepted; the platform side routes to it already
        vpc, sub, sg = self.rotation_vpc("platform", WEST, "10.50.0.0/16", "platform-west")
        dvpc, _ = self.db_vpc(WEST, "172.30.0.0/16", "data-west")
        ec2 = self.cl("platform", "ec2", WEST)
        pcx = net.request_peering(ec2, vpc, dvpc, data, WEST, "platform-to-data-west")
        net.route(ec2, rtb_id("rtb:platform-west"), "172.30.0.0/16", pcx)
        self.res["pcx:platform-west"] = pcx
        self.lam("platform", WEST, "rotate-ci", sub, sg)
        # eu-west-1: active, routed both sides, then deleted; both routes left behind
        vpc, sub, sg = self.rotation_vpc("platform", EU, "10.60.0.0/16", "platform-eu")
        dvpc, drtb = self.db_vpc(EU, "172.40.0.0/16", "data-eu")
        ec2 = self.cl("platform", "ec2", EU)
        pcx = net.request_peering(ec2, vpc, dvpc, data, EU, "platform-to-data-eu")
        self.cl("data", "ec2", EU).accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        net.route(ec2, rtb_id("rtb:platform-eu"), "172.40.0.0/16", pcx)
        net.route(self.cl("data", "ec2", EU), drtb, "10.60.0.0/16", pcx)
        ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        self.res["pcx:platform-eu"] = pcx
        self.lam("platform", EU, "rotate-eu-db", sub, sg)

    # ------------------------------------------------------------------ secrets
    def secrets(self) -> None:
        a = self.acct
        app1 = pol.role_arn(a["app-prod-1"], APP)
        read1 = pol.secret_policy(pol.allow_read([app1]))
        self.secret("security", "prod/app1/db", key="app1", replica=(EU, "app1@eu"),
                    policy=read1, rotation="rotate-app1", db_vpc=self.res["vpc-id:data-east"])
        self.secret("security", "prod/reporting/db", key="app1", rotation="rotate-app1",
                    db_vpc=self.res["vpc-id:data-eu-reporting"])
        self.secret("security", "prod/app2/api-key", key="app2", rotation="rotate-app1",
                    policy=pol.secret_policy(pol.allow_read([pol.role_arn(a["app-prod-2"],
                                                                          APP)])))
        self.secret("security", "prod/app2/reports", key="app2", rotation="rotate-app1",
                    policy=pol.secret_policy(pol.allow_read([pol.role_arn(a["app-prod-2"],
                                                                          REPORTS)])))
        self.secret("security", "shared/dev-config", key="dev", rotation="rotate-app1",
                    policy=pol.secret_policy({
                        "Sid": "DevOu", "Effect": "Allow", "Principal": "*",
                        "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                        "Condition": {"ForAnyValue:StringLike": {
                            "aws:PrincipalOrgPaths": [self.res["path:dev"] + "*"]}}}))
        self.secret("security", "partner/feed-token", key="partner",
                    policy=pol.secret_policy(pol.allow_read([pol.root_arn(OUTSIDER)])))
        self.secret("security", "legacy/big-policy", key="app1", rotation="rotate-app1",
                    policy=pol.padded_secret_policy(app1, a["security"], 19_900))
        self.secret("security", "sandbox/token", key=None, tags=SANDBOX_TAG)
        gone = self.secret("security", "old/decommissioned", key=None, policy=pol.secret_policy({
            "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
            "Resource": "*"}))
        self.cl("security", "secretsmanager").delete_secret(SecretId=gone,
                                                            RecoveryWindowInDays=7)
        self.secret("security", "prod/app1/cache", key="app1", replica=(WEST, None),
                    policy=read1, rotation="rotate-app1")
        self.secret("security", "eu/app2/analytics", key="eu-analytics", region=EU,
                    policy=pol.secret_policy(pol.allow_read([pol.role_arn(a["app-prod-2"],
                                                                          ANALYTICS)])))
        self.secret("platform", "platform/ci-token", key="platform-west", region=WEST,
                    policy=pol.secret_policy(pol.allow_read([app1])), rotation="rotate-ci",
                    db_vpc=self.res["vpc-id:data-west"])
        self.secret("platform", "platform/eu-db", key="platform-eu", region=EU,
                    rotation="rotate-eu-db", db_vpc=self.res["vpc-id:data-eu"])


def seed(endpoint_url: str) -> Estate:
    """Reset the moto server and build the estate (groundtruth.seed_estate)."""
    return seed_estate(_Seeder, endpoint_url, seed=19,
                       steps=(_Seeder.roles, _Seeder.keys, _Seeder.network, _Seeder.secrets,
                              _Seeder.identity))
