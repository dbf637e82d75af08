"""Ground-truth trial round 22: a five-account organization unlike the demo's and rounds 19 to
21, built in moto through sts.assume_role into each account, and what a careful auditor says
about it.

Shape:

* management 123456789012; OUs Central (vault, keyvault) and Apps (apps, opsdb, and legacy,
  closed: SUSPENDED); 555566667777 is outside the organization.
* vault holds the secrets in ca-central-1, eu-north-1 and ap-south-1 -- two of them with the
  same name in two Regions; keyvault holds a multi-Region key (ca-central-1, replica in
  eu-north-1) that some of vault's secrets are encrypted with.
* rotation: a Lambda of the apps account (a member, not the secrets' owner) in its own VPC with
  a Secrets Manager endpoint, peered with opsdb's database; a vault Lambda in ca-central-1 whose
  database is in eu-north-1 (an inter-Region peering requested by opsdb); a vault Lambda whose
  two database VPCs have the same CIDR: its one route for that CIDR goes to the first peering.
* principals named by aws:userid (the role's unique id), by an assumed-role session ARN, a
  grant to the suspended account's role, a grant to an outside account that only holds for
  principals of this organization.

``ground_truth`` was written from the AWS documentation before the scan was run: for each
resource, the rules that FAIL (or are MUTED by the suppression file) and who can read it.
"""

from __future__ import annotations

from helpers.groundtruth import Estate, Seeder, Truth, seed_estate
from scanner.demo import network as net
from scanner.demo import policies as pol
from scanner.demo.clients import MANAGEMENT_ACCOUNT

CA, EN, AS = "ca-central-1", "eu-north-1", "ap-south-1"
REGIONS = (CA, EN, AS)
OUTSIDER = "555566667777"
ROLE = "OrganizationAccountAccessRole"
APP, OPS, LEGACY, ROTATION = "AppRole", "OpsRole", "LegacyRole", "RotationRole"
LOCAL = "LocalRole"
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
    app = pol.role_arn(a["apps"], APP)
    ops = pol.role_arn(a["opsdb"], OPS)
    broken = {"secret-cross-account-access-broken": "FAIL"}
    off = {"secret-rotation-disabled": "FAIL"}
    return {
        # dup/db exists in ca-central-1 and in eu-north-1 under the same name (different ARNs:
        # Region and random suffix). AppRole's identity policy names the ca-central-1 one
        # (Region and -??????): the eu-north-1 twin's grant to AppRole is broken at the reader
        r["secret:dup/db@ca"]: Truth(fails=off, readers=frozenset({app})),
        r["secret:dup/db@en"]: Truth(fails={**off, **broken}, readers=frozenset()),
        # "*" narrowed by StringLike aws:userid "<AppRole's unique id>:*": AppRole's sessions
        # only -- not public, not external
        r["secret:app/userid"]: Truth(fails=off, readers=frozenset({app})),
        # granted to one session of AppRole (assumed-role ARN): not public, not external
        r["secret:app/session"]: Truth(fails=off),
        # granted to the outside account's root, but only when aws:PrincipalOrgID is this
        # organization's: no principal of the outside account ever has it -- the grant is
        # void, nobody outside reads
        r["secret:app/outside-org-bound"]: Truth(fails=off, readers=frozenset()),
        # granted to the outside account outright
        r["secret:app/outside"]: Truth(fails={**off, "secret-policy-external-account": "FAIL"}),
        # granted to the bare account id of opsdb (its root, which delegates to IAM): OpsRole's
        # identity policy reads app/bare-*, and the root user needs none
        r["secret:app/bare-account"]: Truth(fails=off, readers=frozenset({
            ops, pol.root_arn(a["opsdb"])})),
        # on keyvault's multi-Region key; the eu-north-1 replica on its replica key (same
        # policy): AppRole reads both copies
        r["secret:app/kv"]: Truth(fails=off, readers=frozenset({app})),
        r["replica:app/kv@eu-north-1"]: Truth(readers=frozenset({app})),
        # keyvault's second multi-Region key: its eu-north-1 replica's policy leaves out the
        # statement letting vault use it through Secrets Manager -- drift; AppRole still
        # decrypts both copies (Secrets Manager decrypts for the caller)
        r["secret:app/kv2"]: Truth(fails=off, readers=frozenset({app})),
        r["replica:app/kv2@eu-north-1"]: Truth(readers=frozenset({app})),
        r["key:kv-mrk2@en"]: Truth(fails={"kms-replica-key-policy-drift": "FAIL"}),
        # the rotation Lambda's VPC has no endpoint and no NAT: the endpoint (with private
        # DNS) of the VPC it is peered with does not serve it -- private DNS answers inside
        # the endpoint's VPC
        r["secret:ops/peer-endpoint"]: Truth(fails={"secret-rotation-no-network-path": "FAIL"}),
        # keyvault's multi-Region key has no automatic rotation (its replica follows it)
        r["key:kv-mrk"]: Truth(fails={"kms-key-rotation-disabled": "FAIL"}),
        # its ap-south-1 replica has no key: the AWS-managed key, which AppRole cannot use
        r["secret:app/replica-default"]: Truth(fails=off, readers=frozenset({app})),
        r["replica:app/replica-default@ap-south-1"]: Truth(fails={
            "secret-uses-aws-managed-key": "FAIL", "secret-replica-unhealthy": "FAIL",
            **broken}, readers=frozenset()),
        # rotated by a Lambda of the apps account, in its VPC (an endpoint there), peered with
        # opsdb's database and routed both sides; the secret and key policies grant its
        # execution role what rotation needs
        r["secret:app/member-rotated"]: Truth(readers=frozenset({
            r[f"role:apps/{ROTATION}"]})),
        # rotated over an inter-Region peering (requested by opsdb from eu-north-1, accepted
        # by vault), routed both sides
        r["secret:ops/inter-region"]: Truth(),
        # two database VPCs with the same CIDR, both peered with the rotation VPC: its one
        # route for that CIDR goes to the first peering, so the second database is unreachable
        # and its peering has no route on the rotation side
        r["secret:ops/overlap-a"]: Truth(),
        r["secret:ops/overlap-b"]: Truth(fails={"secret-rotation-no-network-path": "FAIL"}),
        r["pcx:overlap-b"]: Truth(fails={"vpc-peering-route-missing": "FAIL"}),
        # LocalRole's identity policy reads secrets of its own account only
        # (aws:ResourceAccount = ${aws:PrincipalAccount}): the owner's grant is broken
        r["secret:app/local"]: Truth(fails={**off, **broken}, readers=frozenset()),
        # ... and kms:Decrypt on "*" without a condition
        r[f"role:apps/{LOCAL}"]: Truth(fails={"identity-policy-secret-wildcard": "FAIL"}),
        # LegacyRole's account is closed (SUSPENDED, not scanned): nobody signs in to it
        r["secret:legacy/report"]: Truth(fails=off),
        # a 19,000-character policy (of 20,480)
        r["secret:app/big-policy"]: Truth(fails={**off, "secret-policy-size-near-limit": "FAIL"},
                                          readers=frozenset({app})),
        # tagged audit=skip: public and on the AWS-managed key, never rotated -- and OpsRole,
        # whose identity policy asks for ops/*, cannot use that key: all muted
        r["secret:ops/skip"]: Truth(fails={
            "secret-policy-public": "MUTED", "secret-uses-aws-managed-key": "MUTED",
            "secret-rotation-disabled": "MUTED",
            "secret-cross-account-access-broken": "MUTED"}),
    }


class _Seeder(Seeder):
    TAG, REGION, DB_ACCOUNT, ROTATION = "gt22", CA, "opsdb", ROTATION

    def org(self) -> str:
        org = self.c.get(MANAGEMENT_ACCOUNT, "organizations", "us-east-1")
        org_id = str(org.create_organization(FeatureSet="ALL")["Organization"]["Id"])
        root = org.list_roots()["Roots"][0]["Id"]

        def ou(name: str) -> str:
            return str(org.create_organizational_unit(ParentId=root, Name=name)
                       ["OrganizationalUnit"]["Id"])

        central, apps = ou("Central"), ou("Apps")
        self.acct["management"] = MANAGEMENT_ACCOUNT
        for name, parent in (("vault", central), ("keyvault", central), ("apps", apps),
                             ("opsdb", apps), ("legacy", apps)):
            acct = str(org.create_account(AccountName=name, Email=f"{name}@gt22.invalid")
                       ["CreateAccountStatus"]["AccountId"])
            org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=parent)
            self.acct[name] = acct
        self.res["org"] = org_id
        return org_id

    def close_legacy(self) -> None:
        org = self.c.get(MANAGEMENT_ACCOUNT, "organizations", "us-east-1")
        org.close_account(AccountId=self.acct["legacy"])

    # ------------------------------------------------------------------ IAM
    def roles(self) -> None:
        for owner, name in (("apps", APP), ("apps", LOCAL), ("opsdb", OPS), ("legacy", LEGACY)):
            out = self.cl(owner, "iam").create_role(
                RoleName=name,
                AssumeRolePolicyDocument=pol.text(pol.trust("ecs-tasks.amazonaws.com")))["Role"]
            self.res[f"role:{owner}/{name}"] = str(out["Arn"])
            self.res[f"role-id:{owner}/{name}"] = str(out["RoleId"])
        for owner in ("vault", "apps"):
            self.res[f"role:{owner}/{ROTATION}"] = str(self.cl(owner, "iam").create_role(
                RoleName=ROTATION,
                AssumeRolePolicyDocument=pol.text(pol.trust("lambda.amazonaws.com")))
                ["Role"]["Arn"])

    def identity(self) -> None:
        a, r = self.acct, self.res
        vault = a["vault"]
        sm = lambda name, region="*": (  # noqa: E731
            f"arn:aws:secretsmanager:{region}:{vault}:secret:{name}")
        keys = [r["key:app"], r["key:app@en"], r["key:kv-mrk"], r["key:kv-mrk@en"],
                r["key:kv-mrk2"], r["key:kv-mrk2@en"]]
        self.cl("apps", "iam").put_role_policy(
            RoleName=APP, PolicyName="read", PolicyDocument=pol.text(pol.reader_identity_policy(
                [sm("app/*"), sm("dup/db-??????", CA), sm("legacy/*")], keys, REGIONS)))
        # LocalRole reads any secret -- of its own account only (aws:ResourceAccount)
        self.cl("apps", "iam").put_role_policy(
            RoleName=LOCAL, PolicyName="own-account", PolicyDocument=pol.text(pol.doc(
                {"Sid": "OwnAccountSecrets", "Effect": "Allow",
                 "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                 "Condition": {"StringEquals": {
                     "aws:ResourceAccount": "${aws:PrincipalAccount}"}}},
                {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})))
        self.cl("opsdb", "iam").put_role_policy(
            RoleName=OPS, PolicyName="read", PolicyDocument=pol.text(pol.reader_identity_policy(
                [sm("app/bare-*"), sm("ops/*")], keys, REGIONS)))
        self.cl("legacy", "iam").put_role_policy(
            RoleName=LEGACY, PolicyName="read",
            PolicyDocument=pol.text(pol.reader_identity_policy(
                [sm("legacy/*")], keys, REGIONS)))
        self.cl("apps", "iam").put_role_policy(
            RoleName=ROTATION, PolicyName="rotate", PolicyDocument=pol.text(
                pol.rotation_identity_policy([r["secret:app/member-rotated"]],
                                             [r["key:app"]])))

    # ------------------------------------------------------------------ KMS
    def keys(self) -> None:
        a = self.acct
        vault, kv = a["vault"], a["keyvault"]
        app = pol.role_arn(a["apps"], APP)
        ops = pol.role_arn(a["opsdb"], OPS)
        legacy = pol.role_arn(a["legacy"], LEGACY)
        local = pol.role_arn(a["apps"], LOCAL)
        self.key("vault", "app", pol.key_policy(vault, [app, pol.root_arn(a["opsdb"]), legacy,
                                                        local],
                                                (CA,), extra=[{
            "Sid": "MemberRotation", "Effect": "Allow",
            "Principal": {"AWS": self.res[f"role:apps/{ROTATION}"]},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
            "Condition": pol.via_secretsmanager((CA,))}]))
        self.key("vault", "app@en", pol.key_policy(vault, [app], (EN,)), EN)
        # keyvault's multi-Region key: vault uses it through Secrets Manager, AppRole decrypts
        mrk_policy = pol.key_policy(kv, [app], (CA, EN), extra=[{
            "Sid": "VaultUsesThroughSecretsManager", "Effect": "Allow",
            "Principal": {"AWS": pol.root_arn(vault)},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            "Resource": "*", "Condition": pol.via_secretsmanager((CA, EN))}])
        kms = self.cl("keyvault", "kms")
        meta = kms.create_key(Policy=mrk_policy, MultiRegion=True,
                              Description="gt22 kv-mrk")["KeyMetadata"]
        self.res["key:kv-mrk"] = str(meta["Arn"])
        replica = kms.replicate_key(KeyId=meta["KeyId"], ReplicaRegion=EN, Policy=mrk_policy)
        self.res["key:kv-mrk@en"] = str(replica["ReplicaKeyMetadata"]["Arn"])
        # a second one, rotated, whose replica's policy leaves out vault's use of it
        meta = kms.create_key(Policy=mrk_policy, MultiRegion=True,
                              Description="gt22 kv-mrk2")["KeyMetadata"]
        kms.enable_key_rotation(KeyId=meta["KeyId"])
        self.res["key:kv-mrk2"] = str(meta["Arn"])
        replica = kms.replicate_key(KeyId=meta["KeyId"], ReplicaRegion=EN)
        self.res["key:kv-mrk2@en"] = str(replica["ReplicaKeyMetadata"]["Arn"])
        # (moto keeps the primary's policy whatever replicate_key's Policy says)
        self.cl("keyvault", "kms", EN).put_key_policy(
            KeyId=self.res["key:kv-mrk2@en"], PolicyName="default",
            Policy=pol.key_policy(kv, [app], (CA, EN)))
        del ops

    # ------------------------------------------------------------------ network
    def network(self) -> None:
        a = self.acct
        rtb_id = lambda k: self.res[k].rsplit("/", 1)[1]  # noqa: E731
        # the apps account's rotation Lambda, in its VPC, peered with opsdb's database
        dvpc, drtb = self.db_vpc(CA, "172.40.0.0/16", "opsdb-ca")
        vpc, sub, sg = self.rotation_vpc("apps", CA, "10.81.0.0/16", "apps-rot")
        aec2, dec2 = self.cl("apps", "ec2"), self.cl("opsdb", "ec2")
        pcx = net.request_peering(aec2, vpc, dvpc, a["opsdb"], CA, "apps-to-opsdb")
        dec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        net.route(aec2, rtb_id("rtb:apps-rot"), "172.40.0.0/16", pcx)
        net.route(dec2, drtb, "10.81.0.0/16", pcx)
        self.lam("apps", CA, "rotate-member", sub, sg)
        # a vault Lambda VPC with neither endpoint nor NAT, peered with vault's own VPC that has
        # a Secrets Manager endpoint with private DNS (the name resolves to it in that VPC
        # only), and with opsdb's database
        vpc2, sub2, sg2 = self.rotation_vpc("vault", CA, "10.84.0.0/16", "peer-endpoint",
                                            endpoint=False)
        vec2 = self.cl("vault", "ec2")
        evpc_id, _, _ = self.rotation_vpc("vault", CA, "10.85.0.0/16", "endpoint-hub")
        pcx = net.request_peering(vec2, vpc2, evpc_id, a["vault"], CA, "peer-to-endpoint-hub")
        vec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        net.route(vec2, rtb_id("rtb:peer-endpoint"), "10.85.0.0/16", pcx)
        net.route(vec2, rtb_id("rtb:endpoint-hub"), "10.84.0.0/16", pcx)
        pcx = net.request_peering(vec2, vpc2, dvpc, a["opsdb"], CA, "peer-endpoint-to-opsdb")
        dec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        net.route(vec2, rtb_id("rtb:peer-endpoint"), "172.40.0.0/16", pcx)
        net.route(dec2, drtb, "10.84.0.0/16", pcx)
        self.lam("vault", CA, "rotate-peer-endpoint", sub2, sg2)
        # vault's Lambda in ca-central-1, its database in eu-north-1: opsdb requests the
        # inter-Region peering, vault accepts it
        evpc, ertb = self.db_vpc(EN, "172.41.0.0/16", "opsdb-en")
        vpc, sub, sg = self.rotation_vpc("vault", CA, "10.82.0.0/16", "inter")
        een = self.cl("opsdb", "ec2", EN)
        pcx = net.request_peering(een, evpc, vpc, a["vault"], CA, "opsdb-en-to-inter")
        vec2 = self.cl("vault", "ec2")
        vec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        net.route(vec2, rtb_id("rtb:inter"), "172.41.0.0/16", pcx)
        net.route(een, ertb, "10.82.0.0/16", pcx)
        self.lam("vault", CA, "rotate-inter", sub, sg)
        # two database VPCs with the same CIDR, both peered with one rotation VPC; one route
        vpc, sub, sg = self.rotation_vpc("vault", CA, "10.83.0.0/16", "overlap")
        for name in ("overlap-a", "overlap-b"):
            ovpc, ortb = self.db_vpc(CA, "172.42.0.0/16", f"opsdb-{name}")
            pcx = net.request_peering(vec2, vpc, ovpc, a["opsdb"], CA, name)
            dec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
            net.route(dec2, ortb, "10.83.0.0/16", pcx)
            self.res[f"pcx:{name}"] = net.arn(CA, a["vault"], "vpc-peering-connection", pcx)
            if name == "overlap-a":
                net.route(vec2, rtb_id("rtb:overlap"), "172.42.0.0/16", pcx)
        self.lam("vault", CA, "rotate-overlap", sub, sg)

    # ------------------------------------------------------------------ secrets
    def secrets(self) -> None:
        a, r = self.acct, self.res
        app = pol.role_arn(a["apps"], APP)
        read_app = pol.secret_policy(pol.allow_read([app]))
        ca = self.secret("vault", "dup/db", key="app", policy=read_app)
        en = self.secret("vault", "dup/db", key="app@en", region=EN, policy=read_app)
        r["secret:dup/db@ca"], r["secret:dup/db@en"] = ca, en
        del r["secret:dup/db"]
        self.secret("vault", "app/userid", key="app", policy=pol.secret_policy({
            "Sid": "AppRoleSessions", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*",
            "Condition": {"StringLike": {"aws:userid": f"{r['role-id:apps/' + APP]}:*"}}}))
        self.secret("vault", "app/session", key="app", policy=pol.secret_policy(pol.allow_read(
            [f"arn:aws:sts::{a['apps']}:assumed-role/{APP}/nightly-batch"])))
        self.secret("vault", "app/outside-org-bound", key="app", policy=pol.secret_policy({
            **pol.allow_read([pol.root_arn(OUTSIDER)]),
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": r["org"]}}}))
        self.secret("vault", "app/outside", key="app", policy=pol.secret_policy(
            pol.allow_read([pol.root_arn(OUTSIDER)])))
        self.secret("vault", "app/bare-account", key="app", policy=pol.secret_policy(
            pol.allow_read([a["opsdb"]])))
        self.secret("vault", "app/kv", key="kv-mrk", replica=(EN, "kv-mrk@en"), policy=read_app)
        self.secret("vault", "app/kv2", key="kv-mrk2", replica=(EN, "kv-mrk2@en"),
                    policy=read_app)
        self.secret("vault", "ops/peer-endpoint", key="app", rotation="rotate-peer-endpoint",
                    db_vpc=r["vpc-id:opsdb-ca"])
        self.secret("vault", "app/replica-default", key="app", replica=(AS, None),
                    policy=read_app)
        # moto finds a rotation function by name in the secret's own account: a decoy of the
        # same name stands in while rotation is configured, then goes (as in round 21)
        decoy = self.cl("vault", "lambda")
        decoy.create_function(FunctionName="rotate-member", Runtime="python3.12",
                              Role=r[f"role:vault/{ROTATION}"], Handler="rotate.handler",
                              Code={"ZipFile": self.zip}, Timeout=30)
        self.secret("vault", "app/member-rotated", key="app", rotation="rotate-member",
                    db_vpc=r["vpc-id:opsdb-ca"], policy=pol.secret_policy(pol.allow_read(
                        [r[f"role:apps/{ROTATION}"]],
                        ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
                         "secretsmanager:PutSecretValue",
                         "secretsmanager:UpdateSecretVersionStage"])))
        decoy.delete_function(FunctionName="rotate-member")
        self.secret("vault", "ops/inter-region", key="app", rotation="rotate-inter",
                    db_vpc=r["vpc-id:opsdb-en"])
        self.secret("vault", "ops/overlap-a", key="app", rotation="rotate-overlap",
                    db_vpc=r["vpc-id:opsdb-overlap-a"])
        self.secret("vault", "ops/overlap-b", key="app", rotation="rotate-overlap",
                    db_vpc=r["vpc-id:opsdb-overlap-b"])
        self.secret("vault", "app/local", key="app", policy=pol.secret_policy(
            pol.allow_read([pol.role_arn(a["apps"], LOCAL)])))
        self.secret("vault", "legacy/report", key="app", policy=pol.secret_policy(
            pol.allow_read([pol.role_arn(a["legacy"], LEGACY)])))
        big = pol.padded_secret_policy(app, a["vault"], 19_000)
        assert 18_000 < len(big) <= 20_480
        self.secret("vault", "app/big-policy", key="app", policy=big)
        self.secret("vault", "ops/skip", key=None, tags=SKIP_TAG, policy=pol.secret_policy({
            "Sid": "Everyone", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
        gone = self.secret("vault", "old/deleted", key="app", policy=pol.secret_policy({
            "Sid": "Everyone", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
        self.cl("vault", "secretsmanager").delete_secret(SecretId=gone, RecoveryWindowInDays=7)


def seed(endpoint_url: str) -> Estate:
    """Reset the moto server and build the estate (groundtruth.seed_estate)."""
    return seed_estate(_Seeder, endpoint_url, seed=22,
                       steps=(_Seeder.roles, _Seeder.keys, _Seeder.network, _Seeder.secrets,
                              _Seeder.identity, _Seeder.close_legacy))
