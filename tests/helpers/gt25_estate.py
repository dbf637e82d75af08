"""Ground-truth trial round 25: an organization over three Regions, unlike the demo's and rounds
19 to 24, built in moto through sts.assume_role into each account, and what a careful auditor
says about it; and a standalone account (no organization at all) scanned with --accounts.

Shape:

* management 123456789012 (holds nothing); OUs Security (sec: the central secrets, keys and
  rotation VPCs, in eu-north-1), Workloads (app: secrets of its own in ca-central-1, an IAM
  user reading through its group; ops: a rotation Lambda serving a secret of sec) and Data (db:
  the database VPCs, in ca-central-1, and a role reading a secret of app).
* Regions scanned: eu-north-1 and ca-central-1 (primaries), us-west-1 (replicas: one on its
  own key, one on the AWS-managed key, one of a member account's secret). ap-south-1 is not
  scanned (--regions): a public secret there and a replica of a scanned secret there are
  nobody's business tonight.
* network: inter-Region peerings between rotation VPCs in eu-north-1 and database VPCs in
  ca-central-1 -- one routed both ways, one routed from the rotation side only, one deleted by
  its accepter with the routes left behind (blackhole), one routed both ways whose Lambda's
  security group lets only HTTPS to its own VPC out (nothing to the database).
* keys: a copy of AWS's default "Allow access through Secrets Manager for all principals in the
  account" statement (Principal "*", kms:CallerAccount the key's own account, kms:ViaService
  secretsmanager.<region>) and the same statement naming the member account.
* a secret scheduled for deletion (public policy); a secret rotated by a Lambda of another
  account (ops).

Added while the scan was compared (each verdict still written before its scan ran): a replica
key carrying its primary's policy unchanged (kms:ViaService of the primary's Region), a key
statement "*" with kms:ViaService alone, grants to the member account and to the organization
by ${aws:ResourceOrgID}, users whose other group denies every read or whose group's managed
policy read ci/* only in a version no longer the default, a database VPC in ap-south-1 (not
scanned), a route back to 10/8 through an inter-Region peering; in the standalone account a
"*" grant by ${aws:ResourceOrgID} (no organization: no one) and a role that only decrypts.

``ground_truth`` was written from the AWS documentation before the scan was run: for each
resource, the rules that FAIL and who can read it. ``solo_truth`` is the standalone account's.
"""

from __future__ import annotations

from typing import Any

from helpers.groundtruth import Estate, Seeder, Truth, seed_estate
from scanner.demo import network as net
from scanner.demo import policies as pol
from scanner.demo.clients import MANAGEMENT_ACCOUNT

EN, CA, UW, AS = "eu-north-1", "ca-central-1", "us-west-1", "ap-south-1"
REGIONS = (EN, CA, UW)
ROLE = "OrganizationAccountAccessRole"
APP, DB, ROTATION = "AppRole", "DbRole", "RotationRole"
CI_USER, CI_GROUP = "ci-bot", "Readers"
FROZEN_USER, FROZEN_GROUP = "frozen-bot", "Frozen"
VERSIONED_USER, VERSIONED_GROUP = "versioned-bot", "Versioned"
PARTNER = "444455556666"
OTHER_ORG = "o-a1b2c3d4e5"
KEY_USER = "KeyUserRole"
SUPPRESSIONS = "suppressions: []\n"
#: "*" narrowed to the secret's own organization by the policy variable ${aws:ResourceOrgID}
ORG_VAR_POLICY = pol.secret_policy({
    "Sid": "OwnOrganization", "Effect": "Allow", "Principal": "*",
    "Action": "secretsmanager:GetSecretValue", "Resource": "*",
    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}})


def default_key_statement(account: str, region: str) -> dict[str, Any]:
    """AWS's own aws/secretsmanager key statement, kms:CallerAccount naming ``account``
    (KMS Developer Guide, "kms:CallerAccount": the default key policy of an AWS managed key)."""
    return {"Sid": "Allow access through AWS Secrets Manager for all principals in the "
                   "account that are authorized to use AWS Secrets Manager",
            "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:CreateGrant",
                       "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {
                "kms:CallerAccount": account,
                "kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}}}


def ground_truth(e: Estate) -> dict[str, Truth]:
    """Resource ARN -> the auditor's verdict. Readers are cross-account principals only."""
    a, r = e.accounts, e.res
    app = pol.role_arn(a["app"], APP)
    ci = r[f"user:app/{CI_USER}"]
    ops_rot = pol.role_arn(a["ops"], ROTATION)
    off = {"secret-rotation-disabled": "FAIL"}
    broken = {"secret-cross-account-access-broken": "FAIL"}
    managed = {"secret-uses-aws-managed-key": "FAIL"}
    no_path = {"secret-rotation-no-network-path": "FAIL"}
    return {
        # the standard: AppRole named by the secret and the key (through Secrets Manager in
        # eu-north-1), its replica in us-west-1 on a key of its own granting AppRole there
        r["secret:svc/app-config"]: Truth(fails=off, readers=frozenset({app})),
        r[f"replica:svc/app-config@{UW}"]: Truth(readers=frozenset({app})),
        # replica without KmsKeyId: aws/secretsmanager, which no other account can use
        r["secret:svc/legacy"]: Truth(fails=off, readers=frozenset({app})),
        r[f"replica:svc/legacy@{UW}"]: Truth(fails={
            **managed, "secret-replica-unhealthy": "FAIL", **broken}, readers=frozenset()),
        # the key copies AWS's default statement: kms:CallerAccount is the key's own account,
        # so AppRole's Decrypt (its call, its account) never matches -- the read is broken
        r["secret:svc/default-key-copy"]: Truth(fails={**off, **broken}, readers=frozenset()),
        # the same statement naming the app account: AppRole reads
        r["secret:svc/caller-app"]: Truth(fails=off, readers=frozenset({app})),
        # ci-bot reads through its group's inline policy; the key delegates to app's IAM
        r["secret:ci/deploy-token"]: Truth(fails=off, readers=frozenset({ci})),
        # frozen-bot's other group denies GetSecretValue on everything: an explicit deny
        r["secret:ci/frozen-token"]: Truth(fails={**off, **broken}, readers=frozenset()),
        # versioned-bot's group policy read ci/* only in a version no longer the default
        r["secret:ci/versioned-token"]: Truth(fails={**off, **broken}, readers=frozenset()),
        # the replica's key allows Decrypt only through Secrets Manager in eu-north-1: a
        # read of the replica (Secrets Manager in us-west-1) never matches -- broken there
        r["secret:svc/copied-policy"]: Truth(fails=off, readers=frozenset({app})),
        r[f"replica:svc/copied-policy@{UW}"]: Truth(fails=broken, readers=frozenset()),
        # kms:ViaService alone narrows nobody: any account can decrypt through Secrets
        # Manager (KMS Developer Guide: kms:ViaService "limits use of a KMS key to requests
        # from specified AWS services", not to callers) -- public (kms-key-policy-public;
        # kms-key-policy-excess-grant names accounts, and leaves "*" to that rule)
        r["secret:svc/via-only"]: Truth(fails=off, readers=frozenset({app})),
        r["key:via-only"]: Truth(fails={"kms-key-policy-public": "FAIL"}),
        # granted to the app account: its IAM decides (AppRole's identity policy reads every
        # secret of sec), and its root user needs no identity policy; the key lets every
        # principal of app decrypt through Secrets Manager
        r["secret:svc/to-app-account"]: Truth(fails=off, readers=frozenset({
            app, pol.root_arn(a["app"])})),
        # "*" in the secret's own organization: the organization's principals whose identity
        # policies read it and whom the key lets decrypt -- app's, through kms:CallerAccount
        r["secret:svc/org-var"]: Truth(fails=off, readers=frozenset({
            app, pol.root_arn(a["app"])})),
        # the database VPC is in ap-south-1 (not scanned): its route back is not seen
        r["secret:rot/south-db"]: Truth(fails={"secret-rotation-no-network-path": "UNKNOWN"}),
        r["pcx:south"]: Truth(fails={"vpc-peering-route-missing": "UNKNOWN"}),
        # replicated only to ap-south-1, not scanned: its replica is not judged
        r["secret:svc/south-copy"]: Truth(fails=off, readers=frozenset()),
        # rotated across Regions: active peering eu-north-1 <-> ca-central-1, routes both ways
        r["secret:rot/ok"]: Truth(readers=frozenset()),
        r["rtb:db-ok"]: Truth(fails={"vpc-peering-route-overbroad": "FAIL"}),
        # routes from the rotation side only
        r["secret:rot/oneway"]: Truth(fails=no_path),
        r["pcx:oneway"]: Truth(fails={"vpc-peering-route-missing": "FAIL"}),
        # the accepter deleted the peering; both sides' routes point at it
        r["secret:rot/blackhole"]: Truth(fails=no_path),
        r["rtb:rot-bh"]: Truth(fails={"vpc-peering-route-blackhole": "FAIL"}),
        r["rtb:db-bh"]: Truth(fails={"vpc-peering-route-blackhole": "FAIL"}),
        # the Lambda's security group lets only HTTPS to its own VPC out: no database traffic
        r["secret:rot/sg-closed"]: Truth(fails=no_path),
        # rotated by ops's Lambda (its execution role granted what rotation needs): fine
        r["secret:rot/cross-account"]: Truth(readers=frozenset({ops_rot})),
        # member-account secrets: app's own, replicated on its own keys
        r["secret:app/own-db"]: Truth(fails=off, readers=frozenset()),
        r[f"replica:app/own-db@{UW}"]: Truth(readers=frozenset()),
        # a member secret shared with db's role on the AWS-managed key: broken
        r["secret:app/for-db"]: Truth(fails={**off, **managed, **broken},
                                      readers=frozenset()),
    }


def solo_truth(e: Estate) -> dict[str, Truth]:
    """The standalone account (no organization), scanned alone with --accounts."""
    r = e.res
    off = {"secret-rotation-disabled": "FAIL"}
    external = {"secret-policy-external-account": "FAIL"}
    return {
        r["key:solo"]: Truth(fails={"kms-key-rotation-disabled": "FAIL"}),
        # a partner account: outside, since there is no organization
        r["secret:solo/partner"]: Truth(fails={**off, **external}),
        # "*" narrowed to another organization's id: every account of it is outside
        r["secret:solo/other-org"]: Truth(fails={**off, **external}),
        r["secret:solo/plain"]: Truth(fails={**off, "secret-uses-aws-managed-key": "FAIL"}),
        # ${aws:ResourceOrgID} is absent for an account in no organization ("This key is
        # included in the request context only if the account that owns the resource is a
        # member of an organization", IAM User Guide, aws:ResourceOrgID): the condition never
        # holds, so the statement grants no one -- not public, nobody outside
        r["secret:solo/org-var"]: Truth(fails=off),
    }


class _Seeder(Seeder):
    TAG, REGION, DB_ACCOUNT, ROTATION = "gt25", EN, "db", ROTATION

    def org(self) -> str:
        org = self.c.get(MANAGEMENT_ACCOUNT, "organizations", "us-east-1")
        org_id = str(org.create_organization(FeatureSet="ALL")["Organization"]["Id"])
        root = org.list_roots()["Roots"][0]["Id"]
        ous = {name: str(org.create_organizational_unit(ParentId=root, Name=name)
                         ["OrganizationalUnit"]["Id"])
               for name in ("Security", "Workloads", "Data")}
        self.acct["management"] = MANAGEMENT_ACCOUNT
        for name, ou in (("sec", "Security"), ("app", "Workloads"), ("ops", "Workloads"),
                         ("db", "Data")):
            acct = str(org.create_account(AccountName=name, Email=f"{name}@gt25.invalid")
                       ["CreateAccountStatus"]["AccountId"])
            org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=ous[ou])
            self.acct[name] = acct
        self.res["org"] = org_id
        return org_id

    # ------------------------------------------------------------------ IAM
    def roles(self) -> None:
        a = self.acct
        sec_secrets = f"arn:aws:secretsmanager:*:{a['sec']}:secret:*"
        sec_keys = f"arn:aws:kms:*:{a['sec']}:key/*"
        iam = self.cl("app", "iam")
        self.res[f"role:app/{APP}"] = str(iam.create_role(
            RoleName=APP, AssumeRolePolicyDocument=pol.text(pol.trust("ecs-tasks.amazonaws.com"))
        )["Role"]["Arn"])
        iam.put_role_policy(RoleName=APP, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy([sec_secrets], [sec_keys], REGIONS)))
        # an IAM user reading ci/* of sec through its group's inline policy
        self.res[f"user:app/{CI_USER}"] = str(iam.create_user(UserName=CI_USER)["User"]["Arn"])
        iam.create_group(GroupName=CI_GROUP)
        iam.add_user_to_group(GroupName=CI_GROUP, UserName=CI_USER)
        iam.put_group_policy(GroupName=CI_GROUP, PolicyName="ci", PolicyDocument=pol.text(
            pol.reader_identity_policy([f"arn:aws:secretsmanager:{EN}:{a['sec']}:secret:ci/*"],
                                       [sec_keys], (EN,))))
        # a second user in that group and in one whose inline policy denies every read
        self.res[f"user:app/{FROZEN_USER}"] = str(
            iam.create_user(UserName=FROZEN_USER)["User"]["Arn"])
        iam.add_user_to_group(GroupName=CI_GROUP, UserName=FROZEN_USER)
        iam.create_group(GroupName=FROZEN_GROUP)
        iam.add_user_to_group(GroupName=FROZEN_GROUP, UserName=FROZEN_USER)
        iam.put_group_policy(GroupName=FROZEN_GROUP, PolicyName="freeze",
                             PolicyDocument=pol.text(pol.doc({
                                 "Sid": "NoSecrets", "Effect": "Deny",
                                 "Action": "secretsmanager:GetSecretValue",
                                 "Resource": "*"})))
        # a user whose group's managed policy read ci/* in its first version; the default
        # version (the one in force) reads nothing
        self.res[f"user:app/{VERSIONED_USER}"] = str(
            iam.create_user(UserName=VERSIONED_USER)["User"]["Arn"])
        iam.create_group(GroupName=VERSIONED_GROUP)
        iam.add_user_to_group(GroupName=VERSIONED_GROUP, UserName=VERSIONED_USER)
        managed = iam.create_policy(PolicyName="ci-read", PolicyDocument=pol.text(
            pol.reader_identity_policy([f"arn:aws:secretsmanager:{EN}:{a['sec']}:secret:ci/*"],
                                       [sec_keys], (EN,))))["Policy"]["Arn"]
        iam.create_policy_version(PolicyArn=managed, SetAsDefault=True, PolicyDocument=pol.text(
            pol.doc({"Sid": "ListOnly", "Effect": "Allow", "Action": "secretsmanager:ListSecrets",
                     "Resource": "*"})))
        iam.attach_group_policy(GroupName=VERSIONED_GROUP, PolicyArn=managed)
        # db's role reads app's secrets (and would decrypt with app's keys)
        dbiam = self.cl("db", "iam")
        self.res[f"role:db/{DB}"] = str(dbiam.create_role(
            RoleName=DB, AssumeRolePolicyDocument=pol.text(pol.trust("ec2.amazonaws.com"))
        )["Role"]["Arn"])
        dbiam.put_role_policy(RoleName=DB, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy([f"arn:aws:secretsmanager:*:{a['app']}:secret:*"],
                                       [f"arn:aws:kms:*:{a['app']}:key/*"], REGIONS)))
        for owner, secrets, keys in (("sec", [f"{sec_secrets.rsplit(':', 1)[0]}:rot/*"],
                                      [sec_keys]),
                                     ("ops", [f"{sec_secrets.rsplit(':', 1)[0]}:rot/*"],
                                      [sec_keys])):
            oiam = self.cl(owner, "iam")
            self.res[f"role:{owner}/{ROTATION}"] = str(oiam.create_role(
                RoleName=ROTATION,
                AssumeRolePolicyDocument=pol.text(pol.trust("lambda.amazonaws.com")))
                ["Role"]["Arn"])
            oiam.put_role_policy(RoleName=ROTATION, PolicyName="rotate",
                                 PolicyDocument=pol.text(pol.rotation_identity_policy(
                                     secrets, keys)))

    # ------------------------------------------------------------------ KMS
    def keys(self) -> None:
        a = self.acct
        app, ops_rot = pol.role_arn(a["app"], APP), pol.role_arn(a["ops"], ROTATION)
        self.key("sec", "app", pol.key_policy(a["sec"], [app], (EN,)))
        self.key("sec", "app-uw", pol.key_policy(a["sec"], [app], (UW,)), UW)
        self.key("sec", "default-copy", pol.text(pol.doc(
            pol.key_admin_statement(a["sec"]), default_key_statement(a["sec"], EN))))
        self.key("sec", "caller-app", pol.text(pol.doc(
            pol.key_admin_statement(a["sec"]), default_key_statement(a["app"], EN))))
        self.key("sec", "ci", pol.key_policy(a["sec"], [pol.root_arn(a["app"])], (EN,)))
        # ops's rotation role decrypts and, to put the new version, generates data keys
        # (Secrets Manager User Guide, "Lambda rotation function execution role permissions")
        self.key("sec", "ops", pol.key_policy(a["sec"], [ops_rot], (EN,), extra=[{
            "Sid": "RotationPutsVersions", "Effect": "Allow", "Principal": {"AWS": ops_rot},
            "Action": "kms:GenerateDataKey", "Resource": "*",
            "Condition": pol.via_secretsmanager((EN,))}]))
        # the primary's key policy copied to the replica's key unchanged: Decrypt through
        # Secrets Manager in eu-north-1 only, on a key in us-west-1
        self.key("sec", "uw-copied", pol.key_policy(a["sec"], [app], (EN,)), UW)
        # "*" through Secrets Manager, no kms:CallerAccount: any account's principal
        self.key("sec", "via-only", pol.text(pol.doc(pol.key_admin_statement(a["sec"]), {
            "Sid": "AnyoneThroughSecretsManager", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*",
            "Condition": {"StringEquals": {
                "kms:ViaService": f"secretsmanager.{EN}.amazonaws.com"}}})))
        self.key("app", "own", pol.key_policy(a["app"]), CA)
        self.key("app", "own-uw", pol.key_policy(a["app"]), UW)

    # ------------------------------------------------------------------ network
    def _peered(self, name: str, cidr: str, db_cidr: str, *, back: bool = True,
                owner: str = "sec", db_region: str = CA) -> tuple[str, str, str, str]:
        """A rotation VPC of ``owner`` in eu-north-1 peered with a database VPC of db in
        ca-central-1 (accepted), routed from the rotation side, and back when ``back``."""
        sec_ec2, db_ec2 = self.cl(owner, "ec2"), self.cl("db", "ec2", db_region)
        vpc, sub, sg = self.rotation_vpc(owner, EN, cidr, f"rot-{name}")
        dvpc, drtb = self.db_vpc(db_region, db_cidr, f"db-{name}")
        pcx = net.request_peering(sec_ec2, vpc, dvpc, self.acct["db"], db_region, name)
        db_ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        net.route(sec_ec2, self.res[f"rtb:rot-{name}"].rsplit("/", 1)[1], db_cidr, pcx)
        if back:
            net.route(db_ec2, drtb, cidr, pcx)
        self.res[f"pcx:{name}"] = net.arn(EN, self.acct[owner], "vpc-peering-connection", pcx)
        self.res[f"pcx-id:{name}"] = pcx
        return sub, sg, pcx, vpc

    def network(self) -> None:
        for name, cidr, db_cidr, back in (("ok", "10.10.0.0/16", "10.20.0.0/16", True),
                                          ("oneway", "10.11.0.0/16", "10.21.0.0/16", False),
                                          ("bh", "10.12.0.0/16", "10.22.0.0/16", True),
                                          ("sg", "10.13.0.0/16", "10.23.0.0/16", True)):
            sub, sg, pcx, _ = self._peered(name, cidr, db_cidr, back=back)
            if name == "ok":
                # besides the rotation VPC's /16, the database side routes all of 10/8 back
                # through the peering: broader than the peer VPC (longest prefix still sends
                # the Lambda's subnet through the /16)
                net.route(self.cl("db", "ec2", CA),
                          self.res["rtb:db-ok"].rsplit("/", 1)[1], "10.0.0.0/8", pcx)
            if name == "bh":
                # the accepter deletes the peering; the routes stay (blackhole)
                self.cl("db", "ec2", CA).delete_vpc_peering_connection(
                    VpcPeeringConnectionId=pcx)
            if name == "sg":
                ec2 = self.cl("sec", "ec2")
                ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=[
                    {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
                ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                     "IpRanges": [{"CidrIp": cidr}]}])
            self.lam("sec", EN, f"rotate-{name}", sub, sg)
        # a database VPC in ap-south-1, not scanned: the way back is not seen
        sub, sg, _, _ = self._peered("south", "10.15.0.0/16", "10.25.0.0/16", db_region=AS)
        self.lam("sec", EN, "rotate-south", sub, sg)
        # ops's rotation Lambda, in a VPC of ops with a Secrets Manager endpoint, peered
        # with a database VPC of db in ca-central-1 (routed both ways)
        sub, sg, _, _ = self._peered("ops", "10.14.0.0/16", "10.24.0.0/16", owner="ops")
        self.lam("ops", EN, "rotate-cross", sub, sg)

    # ------------------------------------------------------------------ secrets
    def secrets(self) -> None:
        a, r = self.acct, self.res
        app, db = pol.role_arn(a["app"], APP), pol.role_arn(a["db"], DB)
        read_app = pol.secret_policy(pol.allow_read([app]))
        self.secret("sec", "svc/app-config", key="app", replica=(UW, "app-uw"), policy=read_app)
        self.secret("sec", "svc/legacy", key="app", replica=(UW, None), policy=read_app)
        self.secret("sec", "svc/default-key-copy", key="default-copy", policy=read_app)
        self.secret("sec", "svc/caller-app", key="caller-app", policy=read_app)
        self.secret("sec", "ci/deploy-token", key="ci",
                    policy=pol.secret_policy(pol.allow_read([r[f"user:app/{CI_USER}"]])))
        self.secret("sec", "ci/frozen-token", key="ci",
                    policy=pol.secret_policy(pol.allow_read([r[f"user:app/{FROZEN_USER}"]])))
        self.secret("sec", "ci/versioned-token", key="ci",
                    policy=pol.secret_policy(pol.allow_read([r[f"user:app/{VERSIONED_USER}"]])))
        self.secret("sec", "svc/copied-policy", key="app", replica=(UW, "uw-copied"),
                    policy=read_app)
        self.secret("sec", "svc/via-only", key="via-only", policy=read_app)
        self.secret("sec", "svc/to-app-account", key="caller-app",
                    policy=pol.secret_policy(pol.allow_read([pol.root_arn(a["app"])])))
        self.secret("sec", "svc/org-var", key="caller-app", policy=ORG_VAR_POLICY)
        self.secret("sec", "svc/south-copy", key="app", replica=(AS, None))
        retired = self.secret("sec", "old/retired", key="app", policy=pol.secret_policy({
            "Sid": "Everyone", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
        self.cl("sec", "secretsmanager").delete_secret(SecretId=retired,
                                                       RecoveryWindowInDays=7)
        # not scanned: a public secret in ap-south-1
        self.secret("sec", "south/public", key=None, region=AS, policy=pol.secret_policy({
            "Sid": "Everyone", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
        for name in ("ok", "oneway", "bh", "sg"):
            secret = {"bh": "blackhole", "sg": "sg-closed"}.get(name, name)
            self.secret("sec", f"rot/{secret}", key="app", rotation=f"rotate-{name}",
                        db_vpc=r[f"vpc-id:db-{name}"])
        self.secret("sec", "rot/south-db", key="app", rotation="rotate-south",
                    db_vpc=r["vpc-id:db-south"])
        ops_rot = pol.role_arn(a["ops"], ROTATION)
        # moto looks the rotation function up in the secret's own account (AWS takes a
        # function of another account whose resource policy lets Secrets Manager invoke it):
        # a stand-in of that name in sec while RotateSecret runs, deleted after
        stand_in = self.cl("sec", "lambda")
        stand_in.create_function(
            FunctionName="rotate-cross", Runtime="python3.12",
            Role=r[f"role:sec/{ROTATION}"], Handler="rotate.handler",
            Code={"ZipFile": self.zip}, Timeout=30)
        self.secret("sec", "rot/cross-account", key="ops", rotation="rotate-cross",
                    db_vpc=r["vpc-id:db-ops"],
                    policy=pol.secret_policy(pol.allow_read([ops_rot], [
                        "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
                        "secretsmanager:PutSecretValue",
                        "secretsmanager:UpdateSecretVersionStage"])))
        stand_in.delete_function(FunctionName="rotate-cross")
        # member-account secrets (app, ca-central-1)
        self.secret("app", "app/own-db", region=CA, key="own", replica=(UW, "own-uw"))
        self.secret("app", "app/for-db", region=CA, key=None,
                    policy=pol.secret_policy(pol.allow_read([db])))


class _SoloSeeder(Seeder):
    """One account, in no organization: the credentials' own (moto's default account)."""

    TAG, REGION = "gt25solo", EN

    def org(self) -> str:
        self.acct["solo"] = MANAGEMENT_ACCOUNT
        return ""

    def solo(self) -> None:
        solo = self.acct["solo"]
        self.key("solo", "solo", pol.key_policy(solo, [pol.root_arn(PARTNER)], (EN,)),
                 rotate=False)
        self.secret("solo", "solo/partner", key="solo",
                    policy=pol.secret_policy(pol.allow_read([pol.root_arn(PARTNER)])))
        self.secret("solo", "solo/other-org", key="solo", policy=pol.secret_policy({
            "Sid": "OtherOrg", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": OTHER_ORG}}}))
        self.secret("solo", "solo/plain", key=None)
        self.secret("solo", "solo/org-var", key="solo", policy=ORG_VAR_POLICY)
        # a role of the account that may decrypt with its keys but reads no secret by its
        # own identity policy: only a resource policy could let it read
        iam = self.cl("solo", "iam")
        self.res[f"role:solo/{KEY_USER}"] = str(iam.create_role(
            RoleName=KEY_USER,
            AssumeRolePolicyDocument=pol.text(pol.trust("ecs-tasks.amazonaws.com")))["Role"]["Arn"])
        iam.put_role_policy(RoleName=KEY_USER, PolicyName="decrypt", PolicyDocument=pol.text(
            pol.doc({"Sid": "DecryptOwnKeys", "Effect": "Allow", "Action": "kms:Decrypt",
                     "Resource": f"arn:aws:kms:*:{solo}:key/*"})))


def seed(endpoint_url: str) -> Estate:
    """Reset the moto server and build the organization's estate (groundtruth.seed_estate)."""
    return seed_estate(_Seeder, endpoint_url, seed=25,
                       steps=(_Seeder.roles, _Seeder.keys, _Seeder.network, _Seeder.secrets))


def seed_solo(endpoint_url: str) -> Estate:
    """Reset the moto server and build the standalone account."""
    return seed_estate(_SoloSeeder, endpoint_url, seed=25, steps=(_SoloSeeder.solo,))
