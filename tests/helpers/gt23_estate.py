"""Ground-truth trial round 23: a six-account organization unlike the demo's and rounds 19 to
22, built in moto through sts.assume_role into each account, and what a careful auditor says
about it.

Shape:

* management 123456789012 (holds nothing); OUs Security (sec, the secrets' account, and keys,
  which holds a key sec's secrets are encrypted with), Prod (pay, shop) and Dev (dev);
  333344445555 is outside the organization.
* SCPs: the Prod OU reads secrets in ap-southeast-1 and eu-west-3 only (aws:RequestedRegion);
  the Dev OU reads secrets only from roles named DevReader* (aws:PrincipalArn).
* sec's secrets are in ap-southeast-1, a replica in eu-west-3 on its own key and one in
  sa-east-1 on the AWS-managed key.
* readers: roles tagged team=pay / team=shop let in by a resource policy comparing
  secretsmanager:ResourceTag/team with ${aws:PrincipalTag/team} (ABAC); an IAM user reading
  through its group's attached customer-managed policy; a role whose permissions boundary
  stops the read; a role assumable only from another role (a role chain); a role allowed
  everything but IAM (NotAction); grants to an OU path, the organization, everyone and an
  outside account.
* rotation: one Lambda deleted after rotation was set up; one whose security group lets only
  the database port out (no HTTPS to the Secrets Manager endpoint); one that works.

``ground_truth`` was written from the AWS documentation before the scan was run: for each
resource, the rules that FAIL (or are MUTED by the suppression file) and who can read it.
"""

from __future__ import annotations

from helpers.groundtruth import Estate, Seeder, Truth, seed_estate
from scanner.demo import network as net
from scanner.demo import policies as pol
from scanner.demo.clients import MANAGEMENT_ACCOUNT

AP, PA, SA = "ap-southeast-1", "eu-west-3", "sa-east-1"
REGIONS = (AP, PA, SA)
OUTSIDER = "333344445555"
ROLE = "OrganizationAccountAccessRole"
PAY, SHOP, BOUNDED, ENTRY, CHAIN, POWER = (
    "PayRole", "ShopRole", "BoundedRole", "EntryRole", "ChainRole", "PowerRole")
DEV, DEV_READER, ROTATION = "DevRole", "DevReaderRole", "RotationRole"
AUDIT = "AuditRole"
BOT, READERS = "batch-bot", "Readers"
TAGGED_BOT, ABAC = "tagged-bot", "AbacRole"
OPS_USER, OPS_GROUP = "ops-user", "Ops"
#: the unique id a role's ARN becomes in a resource policy once the role is deleted
DELETED_ROLE_ID = "AROAZ5DELETEDROLE01"
SKIP_TAG = {"audit": "skip"}

SUPPRESSIONS = """\
suppressions:
  - rule: "*"
    tags: {audit: skip}
    reason: secrets tagged audit=skip are out of this audit's scope
    expires: "2099-01-01"
"""


def ground_truth(e: Estate) -> dict[str, Truth]:
    """Resource ARN -> the auditor's verdict. Readers are cross-account principals only."""
    a, r = e.accounts, e.res
    pay, shop = pol.role_arn(a["pay"], PAY), pol.role_arn(a["shop"], SHOP)
    pay_root = pol.root_arn(a["pay"])
    dev_reader = pol.role_arn(a["dev"], DEV_READER)
    bot = r[f"user:pay/{BOT}"]
    tagged_bot = r[f"user:pay/{TAGGED_BOT}"]
    abac = pol.role_arn(a["shop"], ABAC)
    audit = pol.role_arn(MANAGEMENT_ACCOUNT, AUDIT)
    broken = {"secret-cross-account-access-broken": "FAIL"}
    off = {"secret-rotation-disabled": "FAIL"}
    # who reads what the organization (or everyone) is granted on the local key: the roles
    # whose identity policies read every secret of sec and whom the key lets decrypt, the pay
    # account's root user (the key names it; it needs no identity policy), DevReaderRole (the
    # Dev SCP lets DevReader* read); not DevRole (that SCP), not BoundedRole (its boundary),
    # not PowerRole (the key does not name it), not batch-bot (its group reads batch/* only)
    everyone_in_org = frozenset({pay, shop, pay_root, dev_reader, tagged_bot})
    return {
        # ABAC: the policy lets pay's and shop's principals in when the secret's team tag
        # equals the caller's: PayRole (team=pay) reads pay/abac, ShopRole (team=shop)
        # shop/abac; the other role's tag differs -- access the policy never meant to give,
        # not a broken read (docs/access.md); an untagged user or root user has no team
        # an IAM user tagged team=pay reads pay/abac as PayRole does; AbacRole's own identity
        # policy asks the same of the secret's team tag (identity-side ABAC)
        r["secret:pay/abac"]: Truth(fails=off, readers=frozenset({pay, tagged_bot})),
        r["secret:shop/abac"]: Truth(fails=off, readers=frozenset({shop, abac})),
        # granted to the shop account, tagged team=shop: ShopRole (every secret of sec) and
        # AbacRole (its team's); the shop root user cannot use the key (not named)
        r["secret:shop/account"]: Truth(fails=off, readers=frozenset({shop, abac})),
        # KmsKeyId is the keys account's alias ARN (cross-account keys are named by ARN; an
        # alias ARN is one of the accepted forms)
        r["secret:pay/xacct-alias"]: Truth(fails=off, readers=frozenset({pay, shop})),
        # granted to the pay account: batch-bot reads through its group's attached
        # customer-managed policy (batch/*), PayRole through its wide identity policy, the
        # root user needs none (the key names it)
        r["secret:batch/creds"]: Truth(fails=off, readers=frozenset({
            bot, pay, pay_root, tagged_bot})),
        # BoundedRole's boundary allows s3:* only: the intended read is broken
        r["secret:shop/bounded-db"]: Truth(fails={**off, **broken}, readers=frozenset()),
        # ChainRole can only be assumed from EntryRole's session; granted, it reads
        r["secret:shop/chain-db"]: Truth(fails=off, readers=frozenset({
            pol.role_arn(a["shop"], CHAIN)})),
        # its key lets ShopRole decrypt only via Secrets Manager in eu-west-3; the secret is
        # in ap-southeast-1
        r["secret:shop/wrong-region"]: Truth(fails={**off, **broken}, readers=frozenset()),
        # encrypted with the keys account's key (cross-account CMK): its policy lets sec use
        # it through Secrets Manager and PayRole and ShopRole decrypt
        r["secret:pay/xacct-key"]: Truth(fails=off, readers=frozenset({pay, shop})),
        # granted to the pay account, on a key whose "*" is confined to pay's callers through
        # Secrets Manager (kms:CallerAccount, the AWS-managed key's own pattern): not public;
        # the pay principals whose identity policies read it, and its root user
        r["secret:pay/caller-key"]: Truth(fails=off, readers=frozenset({
            pay, tagged_bot, pay_root})),
        # on a key of the keys account that was disabled: nothing decrypts the secret
        r["secret:pay/xacct-disabled"]: Truth(fails={
            **off, **broken, "secret-key-unusable": "FAIL"}, readers=frozenset()),
        # "*" narrowed by aws:PrincipalOrgPaths to the Prod OU: not public, not external
        r["secret:org/prod-paths"]: Truth(fails=off, readers=frozenset({
            pay, shop, pay_root, tagged_bot})),
        # "*" narrowed by aws:PrincipalOrgID: the whole organization
        r["secret:org/all"]: Truth(fails=off, readers=everyone_in_org),
        # "*" outright: public (the key still limits the readers to those it names)
        r["secret:public/open"]: Truth(fails={**off, "secret-policy-public": "FAIL"},
                                       readers=everyone_in_org),
        # the outside account's root: external; the key does not let it decrypt
        r["secret:ext/vendor"]: Truth(fails={**off, "secret-policy-external-account": "FAIL"},
                                      readers=frozenset()),
        # replicas: eu-west-3 on a key granting PayRole there; sa-east-1 on the AWS-managed
        # key (no other account can use it), and the Prod SCP keeps Prod out of sa-east-1
        r["secret:pay/replicated"]: Truth(fails=off, readers=frozenset({pay})),
        r[f"replica:pay/replicated@{PA}"]: Truth(readers=frozenset({pay})),
        r[f"replica:pay/replicated@{SA}"]: Truth(fails={
            "secret-uses-aws-managed-key": "FAIL", "secret-replica-unhealthy": "FAIL",
            **broken}, readers=frozenset()),
        # in sa-east-1, which the root's SCP fences off -- for the member accounts: SCPs do
        # not affect the management account's roles, AuditRole reads; PayRole's read is broken
        r["secret:mgmt/sa"]: Truth(fails={**off, **broken}, readers=frozenset({audit})),
        # the key lets ShopRole decrypt only under the encryption context of shop/ctx-a
        # (kms:EncryptionContext:SecretARN): its read of shop/ctx-b is broken
        r["secret:shop/ctx-a"]: Truth(fails=off, readers=frozenset({shop})),
        r["secret:shop/ctx-b"]: Truth(fails={**off, **broken}, readers=frozenset()),
        # replicated to eu-west-3, where a secret of that name already exists: that
        # replication Failed and made no replica (nothing there to judge or read) -- the
        # secret is missing the replica its owner asked for; the sa-east-1 one is on a key
        # granting PayRole there, but the root's SCP fences sa-east-1 off
        r["secret:pay/conflict"]: Truth(fails={**off, "secret-not-replicated": "FAIL"},
                                        readers=frozenset({pay})),
        r[f"replica:pay/conflict@{SA}"]: Truth(fails=broken, readers=frozenset()),
        # the eu-west-3 secret of the same name, its own primary: nobody else's
        r["secret:pay/conflict@pa"]: Truth(fails=off),
        # rotation set up, then the function deleted
        r["secret:rot/fn-deleted"]: Truth(fails={"secret-rotation-function-missing": "FAIL"}),
        # the Lambda's security group lets out only tcp 5432 to the database: no HTTPS to the
        # Secrets Manager endpoint
        r["secret:rot/egress"]: Truth(fails={"secret-rotation-no-network-path": "FAIL"}),
        # endpoint, active peering routed both sides, egress open: nothing to say
        # (its function's role lacks kms:GenerateDataKey: no rule of the catalog reads the
        # rotation role's permissions)
        r["secret:rot/ok"]: Truth(),
        # a 19,500-character policy (of 20,480)
        r["secret:big/policy"]: Truth(fails={**off, "secret-policy-size-near-limit": "FAIL"},
                                      readers=frozenset({pay})),
        # on a key without automatic rotation
        r["secret:pay/norot-key"]: Truth(fails=off, readers=frozenset({pay})),
        r["key:norot"]: Truth(fails={"kms-key-rotation-disabled": "FAIL"}),
        # reads every secret ("*") through its group's inline policy
        r[f"user:shop/{OPS_USER}"]: Truth(fails={"identity-policy-secret-wildcard": "FAIL"}),
        # granted to a role since deleted (the policy holds its unique id): nobody reads it,
        # nor can a role made again under that name ("the new role has a different ID")
        r["secret:stale/deleted-role"]: Truth(fails=off, readers=frozenset()),
        # Allow NotAction iam/organizations/account on "*": reads every secret, decrypts with
        # every key
        r[f"role:shop/{POWER}"]: Truth(fails={"identity-policy-secret-wildcard": "FAIL"}),
        # tagged audit=skip: public, on the AWS-managed key, never rotated -- all muted (no
        # identity policy names it: nobody's read of it is intended, so none is broken)
        r["secret:skip/excluded"]: Truth(fails={
            "secret-policy-public": "MUTED", "secret-uses-aws-managed-key": "MUTED",
            "secret-rotation-disabled": "MUTED"}),
    }


class _Seeder(Seeder):
    TAG, REGION, DB_ACCOUNT, ROTATION = "gt23", AP, "shop", ROTATION

    def org(self) -> str:
        org = self.c.get(MANAGEMENT_ACCOUNT, "organizations", "us-east-1")
        org_id = str(org.create_organization(FeatureSet="ALL")["Organization"]["Id"])
        root = org.list_roots()["Roots"][0]["Id"]

        def ou(name: str) -> str:
            return str(org.create_organizational_unit(ParentId=root, Name=name)
                       ["OrganizationalUnit"]["Id"])

        security, prod, dev = ou("Security"), ou("Prod"), ou("Dev")
        payments = str(org.create_organizational_unit(ParentId=prod, Name="Payments")
                       ["OrganizationalUnit"]["Id"])
        self.res["path:prod"] = f"{org_id}/{root}/{prod}/"
        self.acct["management"] = MANAGEMENT_ACCOUNT
        for name, parent in (("sec", security), ("keys", security), ("pay", payments),
                             ("shop", prod), ("dev", dev)):
            acct = str(org.create_account(AccountName=name, Email=f"{name}@gt23.invalid")
                       ["CreateAccountStatus"]["AccountId"])
            org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=parent)
            self.acct[name] = acct
        org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
        regions = org.create_policy(
            Name="TwoRegions", Description="secrets are read in two Regions",
            Type="SERVICE_CONTROL_POLICY", Content=pol.text(pol.doc({
                "Sid": "TwoRegions", "Effect": "Deny",
                "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": [AP, PA]}}})))
        org.attach_policy(PolicyId=regions["Policy"]["PolicySummary"]["Id"], TargetId=root)
        readers = org.create_policy(
            Name="DevReadersOnly", Description="only DevReader roles read secrets",
            Type="SERVICE_CONTROL_POLICY", Content=pol.text(pol.doc({
                "Sid": "DevReadersOnly", "Effect": "Deny",
                "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                "Condition": {"ArnNotLike": {
                    "aws:PrincipalArn": "arn:aws:iam::*:role/DevReader*"}}})))
        org.attach_policy(PolicyId=readers["Policy"]["PolicySummary"]["Id"], TargetId=dev)
        self.res["org"] = org_id
        return org_id

    # ------------------------------------------------------------------ IAM
    def roles(self) -> None:
        a = self.acct
        tags = {PAY: {"team": "pay"}, SHOP: {"team": "shop"}}
        tags[ABAC] = {"team": "shop"}
        for owner, name in (("pay", PAY), ("shop", SHOP), ("shop", BOUNDED), ("shop", ENTRY),
                            ("shop", ABAC),
                            ("shop", POWER), ("dev", DEV), ("dev", DEV_READER)):
            out = self.cl(owner, "iam").create_role(
                RoleName=name,
                AssumeRolePolicyDocument=pol.text(pol.trust("ecs-tasks.amazonaws.com")),
                Tags=[{"Key": k, "Value": v} for k, v in tags.get(name, {}).items()])["Role"]
            self.res[f"role:{owner}/{name}"] = str(out["Arn"])
        # ChainRole: only EntryRole's sessions may assume it
        self.res[f"role:shop/{CHAIN}"] = str(self.cl("shop", "iam").create_role(
            RoleName=CHAIN, AssumeRolePolicyDocument=pol.text(pol.doc({
                "Effect": "Allow", "Principal": {"AWS": pol.role_arn(a["shop"], ENTRY)},
                "Action": "sts:AssumeRole"})))["Role"]["Arn"])
        self.res[f"role:sec/{ROTATION}"] = str(self.cl("sec", "iam").create_role(
            RoleName=ROTATION,
            AssumeRolePolicyDocument=pol.text(pol.trust("lambda.amazonaws.com")))
            ["Role"]["Arn"])
        self.res[f"role:management/{AUDIT}"] = str(self.cl("management", "iam").create_role(
            RoleName=AUDIT,
            AssumeRolePolicyDocument=pol.text(pol.trust("ecs-tasks.amazonaws.com")))
            ["Role"]["Arn"])
        siam = self.cl("shop", "iam")
        self.res[f"user:shop/{OPS_USER}"] = str(siam.create_user(UserName=OPS_USER)
                                                ["User"]["Arn"])
        siam.create_group(GroupName=OPS_GROUP)
        siam.add_user_to_group(GroupName=OPS_GROUP, UserName=OPS_USER)
        siam.put_group_policy(GroupName=OPS_GROUP, PolicyName="all", PolicyDocument=pol.text(
            pol.doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                     "Resource": "*"})))
        piam = self.cl("pay", "iam")
        self.res[f"user:pay/{BOT}"] = str(piam.create_user(UserName=BOT)["User"]["Arn"])
        piam.create_group(GroupName=READERS)
        piam.add_user_to_group(GroupName=READERS, UserName=BOT)
        self.res[f"user:pay/{TAGGED_BOT}"] = str(piam.create_user(
            UserName=TAGGED_BOT, Tags=[{"Key": "team", "Value": "pay"}])["User"]["Arn"])

    def identity(self) -> None:
        a, r = self.acct, self.res
        sec = a["sec"]
        sm = lambda name: f"arn:aws:secretsmanager:*:{sec}:secret:{name}"  # noqa: E731
        keys = [r["key:local"], r["key:shared"], r["key:pa"], r["key:wrong-region"],
                r["key:norot"], r["key:sa"], r["key:ctx"], r["key:shared-off"],
                r["key:caller"]]
        wide = pol.text(pol.reader_identity_policy([sm("*")], keys, REGIONS))
        self.cl("pay", "iam").put_role_policy(RoleName=PAY, PolicyName="read",
                                              PolicyDocument=wide)
        self.cl("pay", "iam").put_user_policy(UserName=TAGGED_BOT, PolicyName="read",
                                              PolicyDocument=wide)

        self.cl("shop", "iam").put_role_policy(RoleName=SHOP, PolicyName="read",
                                               PolicyDocument=wide)
        self.cl("management", "iam").put_role_policy(RoleName=AUDIT, PolicyName="read",
                                                     PolicyDocument=wide)
        for name in (DEV, DEV_READER):
            self.cl("dev", "iam").put_role_policy(RoleName=name, PolicyName="read",
                                                  PolicyDocument=wide)
        siam = self.cl("shop", "iam")
        siam.put_role_policy(RoleName=BOUNDED, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy([sm("shop/bounded-*")], [r["key:local"]], REGIONS)))
        s3_only = siam.create_policy(PolicyName="S3Only", PolicyDocument=pol.text(pol.doc(
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})))["Policy"]["Arn"]
        siam.put_role_permissions_boundary(RoleName=BOUNDED, PermissionsBoundary=s3_only)
        siam.put_role_policy(RoleName=ABAC, PolicyName="team", PolicyDocument=pol.text(pol.doc(
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": sm("*"),
             "Condition": {"StringEquals": {
                 "aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}},
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": r["key:local"],
             "Condition": pol.via_secretsmanager(REGIONS)})))
        siam.put_role_policy(RoleName=CHAIN, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy([sm("shop/chain-*")], [r["key:local"]], REGIONS)))
        siam.put_role_policy(RoleName=POWER, PolicyName="power", PolicyDocument=pol.text(
            pol.doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"],
                     "Resource": "*"})))
        piam = self.cl("pay", "iam")
        batch = piam.create_policy(PolicyName="BatchRead", PolicyDocument=pol.text(pol.doc(
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": sm("batch/*")})))["Policy"]["Arn"]
        piam.attach_group_policy(GroupName=READERS, PolicyArn=batch)
        piam.put_group_policy(GroupName=READERS, PolicyName="decrypt", PolicyDocument=pol.text(
            pol.doc({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": r["key:local"],
                     "Condition": pol.via_secretsmanager(REGIONS)})))
        # the rotation role: everything rotation needs but kms:GenerateDataKey
        self.cl("sec", "iam").put_role_policy(
            RoleName=ROTATION, PolicyName="rotate", PolicyDocument=pol.text(pol.doc(
                {"Effect": "Allow",
                 "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                            "secretsmanager:PutSecretValue",
                            "secretsmanager:UpdateSecretVersionStage"],
                 "Resource": sm("rot/*")},
                {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": r["key:local"]})))

    # ------------------------------------------------------------------ KMS
    def keys(self) -> None:
        a = self.acct
        pay, shop = pol.role_arn(a["pay"], PAY), pol.role_arn(a["shop"], SHOP)
        self.key("keys", "shared", pol.key_policy(a["keys"], [pay, shop], (AP,), extra=[{
            "Sid": "SecUsesThroughSecretsManager", "Effect": "Allow",
            "Principal": {"AWS": pol.root_arn(a["sec"])},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            "Resource": "*", "Condition": pol.via_secretsmanager((AP,))}]))
        self.key("keys", "shared-off", pol.key_policy(a["keys"], [pay], (AP,), extra=[{
            "Sid": "SecUsesThroughSecretsManager", "Effect": "Allow",
            "Principal": {"AWS": pol.root_arn(a["sec"])},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            "Resource": "*", "Condition": pol.via_secretsmanager((AP,))}]))
        self.key("sec", "caller", pol.text(pol.doc(pol.key_admin_statement(a["sec"]), {
            "Sid": "PayThroughSecretsManager", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*", "Condition": {
                "StringEquals": {"kms:CallerAccount": a["pay"],
                                 "kms:ViaService": f"secretsmanager.{AP}.amazonaws.com"}}})))
        self.key("sec", "local", pol.key_policy(a["sec"], [
            pay, shop, f"arn:aws:iam::{a['pay']}:user/{BOT}", pol.role_arn(a["shop"], BOUNDED),
            pol.role_arn(a["shop"], CHAIN), pol.role_arn(a["dev"], DEV),
            pol.role_arn(a["dev"], DEV_READER), pol.root_arn(a["pay"]),
            f"arn:aws:iam::{a['pay']}:user/{TAGGED_BOT}",
pol.role_arn(a["shop"], ABAC)],
            (AP,)))
        self.key("sec", "wrong-region", pol.key_policy(a["sec"], [shop], (PA,)))
        self.key("sec", "pa", pol.key_policy(a["sec"], [pay], (PA,)), PA)
        self.key("sec", "norot", pol.key_policy(a["sec"], [pay], (AP,)), rotate=False)
        self.key("sec", "sa", pol.key_policy(a["sec"], [
            pay, pol.role_arn(MANAGEMENT_ACCOUNT, AUDIT)], (SA,)), SA)
        self.key("sec", "ctx", pol.text(pol.doc(pol.key_admin_statement(a["sec"]), {
            "Sid": "ShopDecryptsCtxA", "Effect": "Allow", "Principal": {"AWS": shop},
            "Action": "kms:Decrypt", "Resource": "*", "Condition": {
                **pol.via_secretsmanager((AP,)),
                "StringLike": {"kms:EncryptionContext:SecretARN":
                               f"arn:aws:secretsmanager:{AP}:{a['sec']}:secret:shop/ctx-a-*"}}})))

    # ------------------------------------------------------------------ network
    def network(self) -> None:
        a = self.acct
        rtb_id = lambda k: self.res[k].rsplit("/", 1)[1]  # noqa: E731
        dvpc, drtb = self.db_vpc(AP, "172.50.0.0/16", "shop-db")
        sec_ec2, db_ec2 = self.cl("sec", "ec2"), self.cl("shop", "ec2")
        for name, cidr in (("rot-egress", "10.91.0.0/16"), ("rot-ok", "10.92.0.0/16")):
            vpc, sub, sg = self.rotation_vpc("sec", AP, cidr, name)
            pcx = net.request_peering(sec_ec2, vpc, dvpc, a["shop"], AP, name)
            db_ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
            net.route(sec_ec2, rtb_id(f"rtb:{name}"), "172.50.0.0/16", pcx)
            net.route(db_ec2, drtb, cidr, pcx)
            if name == "rot-egress":
                # only the database port goes out
                sec_ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=[
                    {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
                sec_ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                     "IpRanges": [{"CidrIp": "172.50.0.0/16"}]}])
            self.lam("sec", AP, f"rotate-{name.removeprefix('rot-')}", sub, sg)
        vpc, sub, sg = self.rotation_vpc("sec", AP, "10.93.0.0/16", "rot-gone")
        self.lam("sec", AP, "rotate-gone", sub, sg)

    # ------------------------------------------------------------------ secrets
    def secrets(self) -> None:
        a, r = self.acct, self.res
        pay, shop = pol.role_arn(a["pay"], PAY), pol.role_arn(a["shop"], SHOP)
        abac = pol.secret_policy({
            "Sid": "TeamReadsItsOwn", "Effect": "Allow",
            "Principal": {"AWS": [pol.root_arn(a["pay"]), pol.root_arn(a["shop"])]},
            "Action": "secretsmanager:GetSecretValue", "Resource": "*",
            "Condition": {"StringEquals": {
                "secretsmanager:ResourceTag/team": "${aws:PrincipalTag/team}"}}})
        self.secret("sec", "pay/abac", key="local", policy=abac, tags={"team": "pay"})
        self.secret("sec", "shop/abac", key="local", policy=abac, tags={"team": "shop"})
        self.secret("sec", "batch/creds", key="local", policy=pol.secret_policy(
            pol.allow_read([pol.root_arn(a["pay"])])))
        self.secret("sec", "shop/account", key="local", tags={"team": "shop"},
                    policy=pol.secret_policy(pol.allow_read([pol.root_arn(a["shop"])])))
        self.secret("sec", "pay/xacct-alias", key=None,
                    kms_key_id=f"arn:aws:kms:{AP}:{a['keys']}:alias/{self.TAG}-shared",
                    policy=pol.secret_policy(pol.allow_read([pay, shop])))
        r["secret:pay/conflict@pa"] = self.secret("sec", "pay/conflict", key="pa", region=PA)
        arn = self.secret("sec", "pay/conflict", key="local", replica=(PA, "pa"),
                          policy=pol.secret_policy(pol.allow_read([pay])))
        self.cl("sec", "secretsmanager").replicate_secret_to_regions(
            SecretId=arn, AddReplicaRegions=[{"Region": SA, "KmsKeyId": r["key:sa"]}])
        r[f"replica:pay/conflict@{SA}"] = arn.replace(f":{AP}:", f":{SA}:")
        self.secret("sec", "stale/deleted-role", key="local", policy=pol.secret_policy({
            "Sid": "FormerReader", "Effect": "Allow", "Principal": {"AWS": DELETED_ROLE_ID},
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
        self.secret("sec", "mgmt/sa", key="sa", region=SA, policy=pol.secret_policy(
            pol.allow_read([pay, pol.role_arn(MANAGEMENT_ACCOUNT, AUDIT)])))
        for name in ("shop/ctx-a", "shop/ctx-b"):
            self.secret("sec", name, key="ctx", policy=pol.secret_policy(pol.allow_read([shop])))
        self.secret("sec", "shop/bounded-db", key="local", policy=pol.secret_policy(
            pol.allow_read([pol.role_arn(a["shop"], BOUNDED)])))
        self.secret("sec", "shop/chain-db", key="local", policy=pol.secret_policy(
            pol.allow_read([pol.role_arn(a["shop"], CHAIN)])))
        self.secret("sec", "shop/wrong-region", key="wrong-region", policy=pol.secret_policy(
            pol.allow_read([shop])))
        self.secret("sec", "pay/xacct-key", key="shared", policy=pol.secret_policy(
            pol.allow_read([pay, shop])))
        self.secret("sec", "pay/xacct-disabled", key="shared-off", policy=pol.secret_policy(
            pol.allow_read([pay])))
        self.cl("keys", "kms").disable_key(KeyId=r["key:shared-off"].rsplit("/", 1)[1])
        self.secret("sec", "pay/caller-key", key="caller", policy=pol.secret_policy(
            pol.allow_read([pol.root_arn(a["pay"])])))
        self.secret("sec", "org/prod-paths", key="local", policy=pol.secret_policy({
            "Sid": "ProdOu", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*",
            "Condition": {"ForAnyValue:StringLike": {
                "aws:PrincipalOrgPaths": f"{r['path:prod']}*"}}}))
        self.secret("sec", "org/all", key="local", policy=pol.secret_policy({
            "Sid": "Organization", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": r["org"]}}}))
        everyone = pol.secret_policy({
            "Sid": "Everyone", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
        self.secret("sec", "public/open", key="local", policy=everyone)
        self.secret("sec", "ext/vendor", key="local", policy=pol.secret_policy(
            pol.allow_read([pol.root_arn(OUTSIDER)])))
        arn = self.secret("sec", "pay/replicated", key="local", replica=(PA, "pa"),
                          policy=pol.secret_policy(pol.allow_read([pay])))
        self.cl("sec", "secretsmanager").replicate_secret_to_regions(
            SecretId=arn, AddReplicaRegions=[{"Region": SA}])
        r[f"replica:pay/replicated@{SA}"] = arn.replace(f":{AP}:", f":{SA}:")
        self.secret("sec", "rot/fn-deleted", key="local", rotation="rotate-gone")
        self.cl("sec", "lambda").delete_function(FunctionName="rotate-gone")
        self.secret("sec", "rot/egress", key="local", rotation="rotate-egress",
                    db_vpc=r["vpc-id:shop-db"])
        self.secret("sec", "rot/ok", key="local", rotation="rotate-ok",
                    db_vpc=r["vpc-id:shop-db"])
        big = pol.padded_secret_policy(pay, a["sec"], 19_500)
        assert 18_000 < len(big) <= 20_480
        self.secret("sec", "big/policy", key="local", policy=big)
        self.secret("sec", "pay/norot-key", key="norot", policy=pol.secret_policy(
            pol.allow_read([pay])))
        self.secret("sec", "skip/excluded", key=None, tags=SKIP_TAG, policy=everyone)
        gone = self.secret("sec", "old/deleted", key="local", policy=everyone)
        self.cl("sec", "secretsmanager").delete_secret(SecretId=gone, RecoveryWindowInDays=7)


def seed(endpoint_url: str) -> Estate:
    """Reset the moto server and build the estate (groundtruth.seed_estate)."""
    return seed_estate(_Seeder, endpoint_url, seed=23,
                       steps=(_Seeder.roles, _Seeder.keys, _Seeder.network, _Seeder.secrets,
                              _Seeder.identity))
