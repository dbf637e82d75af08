"""Ground-truth trial round 20: a seven-account organization unlike the demo's and round 19's,
built in moto through sts.assume_role into each account, and what a careful auditor says.

Shape:

* management 123456789012; OUs Core (vault-east, vault-apac, netdb), Apps/Payments (payments),
  Apps/Search (search) and Batch (batch, under an SCP that denies GetSecretValue);
  888888888888 is outside the organization.
* two secret-holding accounts: vault-east (us-east-2 and eu-central-1) and vault-apac
  (ap-southeast-2 and eu-central-1); the database VPCs live in netdb.
* rotation Lambdas: rotate-pay (us-east-2, interface endpoint; one database peering active and
  routed both sides, one active but routed only on the Lambda's side), rotate-apac
  (ap-southeast-2, endpoint, its database peering still pending-acceptance yet routed) and
  rotate-isolated (eu-central-1, no endpoint and no NAT: it cannot reach Secrets Manager).

``GROUND_TRUTH`` was written from the AWS documentation before the scan was run: for each
resource, the rules that FAIL (or are MUTED by the suppression file) and who can read it.
"""

from __future__ import annotations


from helpers.groundtruth import Estate, Seeder, Truth, seed_estate
from scanner.demo import network as net
from scanner.demo import policies as pol
from scanner.demo.clients import MANAGEMENT_ACCOUNT

E2, EC, AP = "us-east-2", "eu-central-1", "ap-southeast-2"
REGIONS = (E2, EC, AP)
OUTSIDER = "888888888888"
ROLE = "OrganizationAccountAccessRole"
PAY, LEDGER, SEARCH, BATCH, ROTATION = ("PayRole", "LedgerRole", "SearchRole", "BatchRole",
                                        "RotationRole")
JOBS, REFUND, VERSIONED, AUDIT = "JobsRole", "RefundRole", "VersionedRole", "AuditRole"
EXACT, SUFFIXED = "ExactArnRole", "SuffixedArnRole"
PAYOUT, PAYOUT_PATH = "PayoutRole", "/svc/"
CI_USER, CI_GROUP = "ci-bot", "secret-readers"
EXCLUDED_TAG = {"audit": "exclude"}

SUPPRESSIONS = """\
suppressions:
  - rule: "*"
    tags: {audit: exclude}
    reason: secrets tagged audit=exclude are outside this audit
    expires: "2099-01-01"
"""


def ground_truth(e: Estate) -> dict[str, Truth]:
    """Resource ARN -> the auditor's verdict. Readers are cross-account principals only."""
    a, r = e.accounts, e.res
    pay = pol.role_arn(a["payments"], PAY)
    search = pol.role_arn(a["search"], SEARCH)
    broken = {"secret-cross-account-access-broken": "FAIL"}
    return {
        # CMK, rotated over an active peering routed both sides: nothing to say
        r["secret:pay/db"]: Truth(readers=frozenset({pay})),
        # the eu-central-1 replica is encrypted with a key that grants only its own account:
        # after a failover PayRole's read fails
        r["replica:pay/db@eu-central-1"]: Truth(fails=broken, readers=frozenset()),
        # LedgerRole's permissions boundary allows GetSecretValue on search/* only
        r["secret:pay/ledger"]: Truth(fails=broken, readers=frozenset()),
        # Principal "*" narrowed by aws:PrincipalOrgPaths to the Apps OU (and below): not
        # public, not external; only SearchRole's identity policy reads shared/*. The other Apps
        # principals never meant to read it (their identity policies do not ask for it).
        # ... but the Search OU's SCP denies GetSecretValue on any account's secret but
        # vault-apac's: SearchRole's read (its identity policy names shared/*) is broken.
        # AuditRole (payments, in Apps) reads every secret but vault-east's pay/*: it reads it
        r["secret:shared/feature-flags"]: Truth(
            fails=broken, readers=frozenset({pol.role_arn(a["payments"], AUDIT)})),
        # GetSecretValue on every secret but pay/* (NotResource), Decrypt with every key
        r[f"role:payments/{AUDIT}"]: Truth(fails={"identity-policy-secret-wildcard": "FAIL"}),
        # the Batch OU's SCP denies secretsmanager:GetSecretValue: the grant to the account is
        # broken for JobsRole, whose identity policy names the secret (BatchRole's reads every
        # secret: not an intended reader of this one, and it cannot read it either)
        r["secret:batch/jobs"]: Truth(fails=broken, readers=frozenset()),
        r[f"role:batch/{BATCH}"]: Truth(fails={"identity-policy-secret-wildcard": "FAIL"}),
        # shared with a bare account id outside the organization; never rotated; its key has
        # no automatic rotation
        r["secret:partner/webhook"]: Truth(fails={
            "secret-policy-external-account": "FAIL", "secret-rotation-disabled": "FAIL"}),
        r["key:partner"]: Truth(fails={"kms-key-rotation-disabled": "FAIL"}),
        r["secret:pay/huge-policy"]: Truth(fails={"secret-policy-size-near-limit": "FAIL"},
                                           readers=frozenset({pay})),
        r["secret:ops/excluded"]: Truth(fails={
            "secret-uses-aws-managed-key": "MUTED", "secret-rotation-disabled": "MUTED"}),
        # its replica carries its tags, so it is muted too (on the AWS-managed key as well)
        r["replica:ops/excluded@ap-southeast-2"]: Truth(fails={
            "secret-uses-aws-managed-key": "MUTED", "secret-replica-unhealthy": "MUTED"}),
        # the database peering is active but the database side has no route back
        r["secret:pay/archive"]: Truth(fails={"secret-rotation-no-network-path": "FAIL"},
                                       readers=frozenset()),
        r["pcx:archive"]: Truth(fails={"vpc-peering-route-missing": "FAIL"}),
        # the rotation Lambda's VPC has no endpoint and no NAT
        r["secret:eu/reports"]: Truth(fails={"secret-rotation-no-network-path": "FAIL"}),
        # the key allows Decrypt only via Secrets Manager in eu-* Regions; the secret is in
        # ap-southeast-2; its rotation Lambda routes to a peering never accepted
        r["secret:search/index"]: Truth(fails={
            **broken, "secret-rotation-no-network-path": "FAIL"}, readers=frozenset()),
        r["rtb:vault-apac"]: Truth(fails={"vpc-peering-route-blackhole": "FAIL"}),
        # a key with the same eu-* condition, for a secret in eu-central-1: readable
        r["secret:eu/search-cfg"]: Truth(fails={"secret-rotation-disabled": "FAIL"},
                                         readers=frozenset({search})),
        # its key is disabled
        r["secret:apac/legacy"]: Truth(fails={
            "secret-key-unusable": "FAIL", "secret-rotation-disabled": "FAIL"}),
        # granted to the payments account for its Pay* roles: PayRole reads; RefundRole and
        # svc/PayoutRole (role/svc/PayoutRole is not role/Pay*), whose identity policies ask
        # for pay/*, are not let in by the resource policy
        r["secret:pay/tokens"]: Truth(readers=frozenset({pay})),
        # the same key lets payments decrypt only under pay/tokens' encryption context
        r["secret:pay/other-ctx"]: Truth(fails=broken, readers=frozenset()),
        # the outsider's grant is taken back by the Deny for everyone outside the organization
        r["secret:partner/guarded"]: Truth(fails={"secret-rotation-disabled": "FAIL"},
                                           readers=frozenset()),
        # aws:PrincipalOrgPaths StringEquals the Apps OU's own path: accounts of its child OUs
        # have longer paths, so nobody matches
        r["secret:shared/exact-ou"]: Truth(readers=frozenset()),
        # its eu-central-1 replica's key lets SearchRole decrypt via Secrets Manager in eu-*
        r["secret:search/catalog"]: Truth(fails={"secret-rotation-disabled": "FAIL"},
                                          readers=frozenset({search})),
        r["replica:search/catalog@eu-central-1"]: Truth(readers=frozenset({search})),
        # the endpoint's security group admits HTTPS from 192.168.0.0/16 only
        r["secret:eu/sg-blocked"]: Truth(fails={"secret-rotation-no-network-path": "FAIL"}),
        # its rotation Lambda was deleted
        r["secret:apac/orphan"]: Truth(fails={"secret-rotation-function-missing": "FAIL"}),
        # granted to the payments principals tagged team=payments: PayRole is
        r["secret:pay/tagged"]: Truth(readers=frozenset({pay})),
        # its KmsKeyId is the alias ARN of the pay key
        r["secret:pay/by-alias"]: Truth(readers=frozenset({pay})),
        # a role with a path, named by its full ARN in the secret and key policies
        r["secret:pay/payout"]: Truth(readers=frozenset({r[f"role:payments/{PAYOUT}"]})),
        # a multi-Region key whose replica holds its primary's policy (naming both Regions):
        # no drift, both copies of the secret readable
        r["secret:pay/mrk"]: Truth(readers=frozenset({pay})),
        r["replica:pay/mrk@eu-central-1"]: Truth(readers=frozenset({pay})),
        # one whose replica policy grants less than its primary's: the secret's eu-central-1
        # replica (on that replica key) is unreadable to PayRole
        r["secret:pay/mrk-narrow"]: Truth(readers=frozenset({pay})),
        r["replica:pay/mrk-narrow@eu-central-1"]: Truth(fails=broken, readers=frozenset()),
        r["key:mrk-narrow@eu"]: Truth(fails={"kms-replica-key-policy-drift": "FAIL"}),
        # ExactArnRole's identity policy names the secret without its random suffix: no match;
        # SuffixedArnRole's adds -?????? and reads it
        r["secret:pay/exact"]: Truth(fails=broken, readers=frozenset(
            {pol.role_arn(a["payments"], SUFFIXED)})),
        # "*" narrowed to any account's roles under the path /svc/: anyone can make one
        r["secret:svc/any-account"]: Truth(fails={
            "secret-policy-public": "FAIL", "secret-rotation-disabled": "FAIL"}),
        # "*" for any principal in any organization: every AWS customer can make one
        r["secret:any/org-member"]: Truth(fails={
            "secret-policy-public": "FAIL", "secret-rotation-disabled": "FAIL"}),
        # PayRole's grant ended on 2025-01-01: nobody reads it (not a broken read: the owner's
        # own policy no longer grants it)
        r["secret:pay/expired"]: Truth(readers=frozenset()),
        # Get*, Describe*, List* on a secret are the read actions (GetRandomPassword and
        # ListSecrets act on no secret)
        r["secret:pay/get-star"]: Truth(readers=frozenset({pay})),
        # VersionedRole's managed policy reads ver/* in its default version (v2; v1 described
        # only); ci-bot reads through its group's inline policy; the account's root user needs
        # no identity policy
        r["secret:ver/search"]: Truth(fails={"secret-rotation-disabled": "FAIL"},
                                      readers=frozenset({r[f"role:search/{VERSIONED}"],
                                                         r[f"user:search/{CI_USER}"],
                                                         pol.root_arn(a["search"])})),
        # "*" narrowed by kms:CallerAccount to two accounts of the organization: not public,
        # and both are granted by the secret; the payments root user and AuditRole (every
        # secret but vault-east's pay/*) read it -- search's root not, for its OU's SCP
        r["secret:fleet/config"]: Truth(fails={"secret-rotation-disabled": "FAIL"},
                                        readers=frozenset({pol.root_arn(a["payments"]),
                                                           pol.role_arn(a["payments"], AUDIT)})),
        # the Lambda's only subnet has no explicit route table: the main one routes to the
        # database, which routes back
        r["secret:pay/main-rt"]: Truth(),
        # one of the Lambda's two subnets has a route table without the database route
        r["secret:pay/split"]: Truth(fails={"secret-rotation-no-network-path": "FAIL"}),
        # the route to the database VPC covers 172.50.128.0/17; its subnet is 172.50.1.0/24
        r["secret:pay/narrow-route"]: Truth(fails={"secret-rotation-no-network-path": "FAIL"}),
        # secretsmanager:* to another account
        r["secret:search/api"]: Truth(fails={
            "secret-policy-overbroad-actions": "FAIL", "secret-rotation-disabled": "FAIL"},
            readers=frozenset({search})),
    }


class _Seeder(Seeder):
    TAG, REGION, DB_ACCOUNT, ROTATION = "gt20", E2, "netdb", ROTATION

    def __init__(self, endpoint_url: str) -> None:
        super().__init__(endpoint_url)
        self.org_id = ""

    def org(self) -> str:
        org = self.c.get(MANAGEMENT_ACCOUNT, "organizations", "us-east-1")
        org_id = str(org.create_organization(FeatureSet="ALL")["Organization"]["Id"])
        root = org.list_roots()["Roots"][0]["Id"]

        def ou(parent: str, name: str) -> str:
            return str(org.create_organizational_unit(ParentId=parent, Name=name)
                       ["OrganizationalUnit"]["Id"])

        core, apps, batch = ou(root, "Core"), ou(root, "Apps"), ou(root, "Batch")
        payments, search = ou(apps, "Payments"), ou(apps, "Search")
        self.res["path:apps"] = f"{org_id}/{root}/{apps}/"
        self.acct["management"] = MANAGEMENT_ACCOUNT
        for name, parent in (("vault-east", core), ("vault-apac", core), ("netdb", core),
                             ("payments", payments), ("search", search), ("batch", batch)):
            acct = str(org.create_account(AccountName=name, Email=f"{name}@gt20.invalid")
                       ["CreateAccountStatus"]["AccountId"])
            org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=parent)
            self.acct[name] = acct
        org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
        scp = org.create_policy(
            Name="DenySecretReads", Description="batch jobs read no secrets",
            Type="SERVICE_CONTROL_POLICY", Content=pol.text(pol.doc({
                "Sid": "DenySecretReads", "Effect": "Deny",
                "Action": "secretsmanager:GetSecretValue", "Resource": "*"})))
        org.attach_policy(PolicyId=scp["Policy"]["PolicySummary"]["Id"], TargetId=batch)
        self.org_id = org_id
        # the Search OU reads secrets of vault-apac only
        fence = org.create_policy(
            Name="SearchReadsApacOnly", Description="search reads vault-apac secrets only",
            Type="SERVICE_CONTROL_POLICY", Content=pol.text(pol.doc({
                "Sid": "OnlyVaultApac", "Effect": "Deny",
                "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                "Condition": {"StringNotEquals": {
                    "aws:ResourceAccount": [self.acct["vault-apac"]]}}})))
        org.attach_policy(PolicyId=fence["Policy"]["PolicySummary"]["Id"], TargetId=search)
        # the Payments OU runs on an allow-list: FullAWSAccess detached, what it may do listed
        allow = org.create_policy(
            Name="PaymentsAllowList", Description="what payments may call",
            Type="SERVICE_CONTROL_POLICY", Content=pol.text(pol.doc({
                "Sid": "Listed", "Effect": "Allow",
                "Action": ["secretsmanager:*", "kms:*", "sts:*", "s3:*"], "Resource": "*"})))
        org.attach_policy(PolicyId=allow["Policy"]["PolicySummary"]["Id"], TargetId=payments)
        org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=payments)
        return org_id

    # ------------------------------------------------------------------ IAM
    def roles(self) -> None:
        for owner, name in (("payments", PAY), ("payments", LEDGER), ("payments", REFUND),
                            ("payments", AUDIT), ("payments", EXACT), ("payments", SUFFIXED),
                            ("search", SEARCH),
                            ("batch", BATCH), ("batch", JOBS)):
            self.res[f"role:{owner}/{name}"] = str(self.cl(owner, "iam").create_role(
                RoleName=name,
                AssumeRolePolicyDocument=pol.text(pol.trust("ecs-tasks.amazonaws.com")))
                ["Role"]["Arn"])
        self.cl("payments", "iam").tag_role(RoleName=PAY,
                                            Tags=[{"Key": "team", "Value": "payments"}])
        self.res[f"role:payments/{PAYOUT}"] = str(self.cl("payments", "iam").create_role(
            RoleName=PAYOUT, Path=PAYOUT_PATH,
            AssumeRolePolicyDocument=pol.text(pol.trust("ecs-tasks.amazonaws.com")))
            ["Role"]["Arn"])
        self.res[f"role:search/{VERSIONED}"] = str(self.cl("search", "iam").create_role(
            RoleName=VERSIONED,
            AssumeRolePolicyDocument=pol.text(pol.trust("ecs-tasks.amazonaws.com")))
            ["Role"]["Arn"])
        siam = self.cl("search", "iam")
        self.res[f"user:search/{CI_USER}"] = str(siam.create_user(UserName=CI_USER)["User"]["Arn"])
        siam.create_group(GroupName=CI_GROUP)
        siam.add_user_to_group(GroupName=CI_GROUP, UserName=CI_USER)
        for owner in ("vault-east", "vault-apac"):
            self.res[f"role:{owner}/{ROTATION}"] = str(self.cl(owner, "iam").create_role(
                RoleName=ROTATION,
                AssumeRolePolicyDocument=pol.text(pol.trust("lambda.amazonaws.com")))
                ["Role"]["Arn"])

    def identity(self) -> None:
        a, r = self.acct, self.res
        east, apac = a["vault-east"], a["vault-apac"]
        sm = lambda acct, name: f"arn:aws:secretsmanager:*:{acct}:secret:{name}"  # noqa: E731
        keys = lambda *ns: [r[f"key:{n}"] for n in ns]  # noqa: E731
        iam_p = self.cl("payments", "iam")
        iam_p.put_role_policy(RoleName=PAY, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy(
                [sm(east, "pay/*")],
                keys("pay", "pay@eu", "pay-ctx", "mrk", "mrk@eu", "mrk-narrow", "mrk-narrow@eu"),
                REGIONS)))
        iam_p.put_role_policy(RoleName=REFUND, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy([sm(east, "pay/*")], keys("pay-ctx"), REGIONS)))
        iam_p.put_role_policy(RoleName=LEDGER, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy([r["secret:pay/ledger"]], keys("pay"), REGIONS)))
        boundary = iam_p.create_policy(PolicyName="search-only", PolicyDocument=pol.text(pol.doc(
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": "arn:aws:secretsmanager:*:*:secret:search/*"},
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})))["Policy"]["Arn"]
        iam_p.put_role_permissions_boundary(RoleName=LEDGER, PermissionsBoundary=boundary)
        self.cl("search", "iam").put_role_policy(
            RoleName=SEARCH, PolicyName="read", PolicyDocument=pol.text(
                pol.reader_identity_policy(
                    [sm(east, "shared/*"), sm(apac, "search/*"), sm(apac, "eu/*")],
                    keys("shared", "search@ap", "search-cfg@eu", "apac"), REGIONS)))
        iam_p.put_role_policy(RoleName=PAYOUT, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy([sm(east, "pay/*")], keys("pay-ctx", "payout"), REGIONS)))
        narrow = iam_p.create_policy(PolicyName="payout-boundary", PolicyDocument=pol.text(
            pol.doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})))["Policy"]["Arn"]
        iam_p.create_policy_version(PolicyArn=narrow, SetAsDefault=True, PolicyDocument=pol.text(
            pol.doc({"Effect": "Allow", "Action": ["s3:*", "secretsmanager:GetSecretValue",
                                                   "kms:Decrypt"], "Resource": "*"})))
        iam_p.put_role_permissions_boundary(RoleName=PAYOUT, PermissionsBoundary=narrow)
        iam_p.put_role_policy(RoleName=AUDIT, PolicyName="read", PolicyDocument=pol.text(pol.doc(
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "NotResource": f"arn:aws:secretsmanager:*:{east}:secret:pay/*"},
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})))
        # the secret's ARN without Secrets Manager's six random characters matches no secret
        exact = f"arn:aws:secretsmanager:{E2}:{east}:secret:pay/exact"
        iam_p.put_role_policy(RoleName=EXACT, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy([exact], keys("exact"), REGIONS)))
        iam_p.put_role_policy(RoleName=SUFFIXED, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy([exact + "-??????"], keys("exact"), REGIONS)))
        siam = self.cl("search", "iam")
        ver = [sm(apac, "ver/*")]
        v1 = siam.create_policy(PolicyName="ver-read", PolicyDocument=pol.text(pol.doc(
            {"Effect": "Allow", "Action": "secretsmanager:DescribeSecret", "Resource": ver})))
        siam.create_policy_version(
            PolicyArn=v1["Policy"]["Arn"], SetAsDefault=True, PolicyDocument=pol.text(
                pol.reader_identity_policy(ver, keys("ver"), REGIONS)))
        siam.attach_role_policy(RoleName=VERSIONED, PolicyArn=v1["Policy"]["Arn"])
        siam.put_group_policy(GroupName=CI_GROUP, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy(ver, keys("ver"), REGIONS)))
        self.cl("batch", "iam").put_role_policy(
            RoleName=BATCH, PolicyName="read-all", PolicyDocument=pol.text(pol.doc(
                {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"],
                 "Resource": "*"})))
        self.cl("batch", "iam").put_role_policy(
            RoleName=JOBS, PolicyName="read", PolicyDocument=pol.text(
                pol.reader_identity_policy([r["secret:batch/jobs"]], keys("batch"), REGIONS)))

    # ------------------------------------------------------------------ KMS
    def keys(self) -> None:
        a = self.acct
        east, apac = a["vault-east"], a["vault-apac"]
        pay, ledger = pol.role_arn(a["payments"], PAY), pol.role_arn(a["payments"], LEDGER)
        search = pol.role_arn(a["search"], SEARCH)
        self.key("vault-east", "pay", pol.key_policy(east, [pay, ledger], (E2,)))
        self.key("vault-east", "pay@eu", pol.key_policy(east), EC)
        self.key("vault-east", "shared", pol.key_policy(east, extra=[{
            "Sid": "AppsOuDecrypt", "Effect": "Allow", "Principal": "*",
            "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"ForAnyValue:StringLike": {
                "aws:PrincipalOrgPaths": [self.res["path:apps"] + "*"]},
                "StringEquals": {"kms:ViaService": f"secretsmanager.{E2}.amazonaws.com"}}}]))
        self.key("vault-east", "batch", pol.key_policy(east, [pol.root_arn(a["batch"])], (E2,)))
        self.key("vault-east", "partner", pol.key_policy(east, [pol.root_arn(OUTSIDER)], (E2,)),
                 rotate=False)
        self.cl("vault-east", "kms", E2).update_key_description(
            KeyId=self.res["key:partner"].rsplit("/", 1)[1],
            Description='partner <img src=x onerror="alert(1)"> & key')
        eu_only = lambda: [{  # noqa: E731
            "Sid": "SearchDecryptInEurope", "Effect": "Allow", "Principal": {"AWS": search},
            "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"StringLike": {"kms:ViaService": "secretsmanager.eu-*.amazonaws.com"},
                          "StringEquals": {"kms:CallerAccount": a["search"]}}}]
        self.key("vault-apac", "search@ap", pol.key_policy(apac, extra=eu_only()), AP)
        self.key("vault-apac", "search-cfg@eu", pol.key_policy(apac, extra=eu_only()), EC)
        self.key("vault-apac", "apac", pol.key_policy(apac, [search], (AP,)), AP)
        # payments may decrypt through Secrets Manager in us-east-2, for pay/tokens only (its
        # encryption context is set once the secret exists)
        self.key("vault-east", "pay-ctx", pol.key_policy(east), E2)
        self.key("vault-east", "payout", pol.key_policy(
            east, [f"arn:aws:iam::{a['payments']}:role{PAYOUT_PATH}{PAYOUT}"], (E2,)))
        # multi-Region keys granting PayRole through Secrets Manager in both Regions: mrk's
        # replica holds the same policy text (ReplicateKey copies it in moto), mrk-narrow's
        # replica policy grants only its own account
        kms = self.cl("vault-east", "kms", E2)
        for name in ("mrk", "mrk-narrow"):
            meta = kms.create_key(Policy=pol.key_policy(east, [pay], (E2, EC)), MultiRegion=True,
                                  Description=f"gt20 {name}")["KeyMetadata"]
            kms.enable_key_rotation(KeyId=meta["KeyId"])
            self.res[f"key:{name}"] = str(meta["Arn"])
            replica = kms.replicate_key(KeyId=meta["KeyId"], ReplicaRegion=EC)
            self.res[f"key:{name}@eu"] = str(replica["ReplicaKeyMetadata"]["Arn"])
        self.cl("vault-east", "kms", EC).put_key_policy(
            KeyId=self.res["key:mrk-narrow@eu"], PolicyName="default", Policy=pol.key_policy(east))
        # the payments account named by its bare id, as AWS accepts in a Principal
        self.key("vault-east", "exact", pol.key_policy(east, [a["payments"]], (E2,)))
        self.key("vault-apac", "ver", pol.key_policy(apac, [pol.root_arn(a["search"])], (AP,)),
                 AP)
        self.key("vault-east", "fleet", pol.key_policy(east, extra=[{
            "Sid": "FleetAccounts", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"StringEquals": {
                "kms:CallerAccount": [a["payments"], a["search"]],
                "kms:ViaService": f"secretsmanager.{E2}.amazonaws.com"}}}]))
        legacy = self.key("vault-apac", "legacy@ap", pol.key_policy(apac), AP)
        self.cl("vault-apac", "kms", AP).disable_key(KeyId=legacy.rsplit("/", 1)[1])

    # ------------------------------------------------------------------ network
    def network(self) -> None:
        netdb = self.acct["netdb"]
        rtb_id = lambda k: self.res[k].rsplit("/", 1)[1]  # noqa: E731
        # us-east-2: one database peering active and routed both sides, one routed one side
        vpc, sub, sg = self.rotation_vpc("vault-east", E2, "10.20.0.0/16", "vault-east")
        ec2, dec2 = self.cl("vault-east", "ec2", E2), self.cl("netdb", "ec2", E2)
        dvpc, drtb = self.db_vpc(E2, "172.20.0.0/16", "netdb-east")
        pcx = net.request_peering(ec2, vpc, dvpc, netdb, E2, "vault-east-to-netdb-east")
        dec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        net.route(ec2, rtb_id("rtb:vault-east"), "172.20.0.0/16", pcx)
        net.route(dec2, drtb, "10.20.0.0/16", pcx)
        avpc, _ = self.db_vpc(E2, "172.21.0.0/16", "netdb-archive")
        pcx = net.request_peering(ec2, vpc, avpc, netdb, E2, "vault-east-to-netdb-archive")
        dec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        net.route(ec2, rtb_id("rtb:vault-east"), "172.21.0.0/16", pcx)
        self.res["pcx:archive"] = net.arn(E2, self.acct["vault-east"],
                                          "vpc-peering-connection", pcx)
        self.lam("vault-east", E2, "rotate-pay", sub, sg)
        # a second rotation VPC: its Lambda subnets use the main route table (no explicit
        # association) or one without the database route; a third database VPC is routed to a
        # part of its CIDR that holds no subnet
        self.split_network()
        # eu-central-1: no endpoint, no NAT, no database
        _, sub, sg = self.rotation_vpc("vault-east", EC, "10.30.0.0/16", "vault-east-eu",
                                       endpoint=False)
        self.lam("vault-east", EC, "rotate-isolated", sub, sg)
        # ap-southeast-2: the peering was never accepted; vault-apac routes to it already
        vpc, sub, sg = self.rotation_vpc("vault-apac", AP, "10.40.0.0/16", "vault-apac")
        dvpc, _ = self.db_vpc(AP, "172.40.0.0/16", "netdb-apac")
        ec2 = self.cl("vault-apac", "ec2", AP)
        pcx = net.request_peering(ec2, vpc, dvpc, netdb, AP, "vault-apac-to-netdb-apac")
        net.route(ec2, rtb_id("rtb:vault-apac"), "172.40.0.0/16", pcx)
        self.lam("vault-apac", AP, "rotate-apac", sub, sg)
        self.lam("vault-apac", AP, "rotate-gone", sub, sg)
        # eu-central-1: an endpoint whose security group admits HTTPS from elsewhere only
        vpc, sub, sg = self.rotation_vpc("vault-apac", EC, "10.50.0.0/16", "vault-apac-eu",
                                         endpoint=False)
        ec2 = self.cl("vault-apac", "ec2", EC)
        ep_sg = net.security_group(ec2, vpc, "vault-apac-eu-endpoint", "endpoint",
                                   [(443, "192.168.0.0/16")])
        ec2.create_vpc_endpoint(VpcId=vpc, VpcEndpointType="Interface",
                                ServiceName=f"com.amazonaws.{EC}.secretsmanager",
                                SubnetIds=[sub], SecurityGroupIds=[ep_sg], PrivateDnsEnabled=True)
        self.lam("vault-apac", EC, "rotate-sg", sub, sg)

    def split_network(self) -> None:
        netdb, cidr = self.acct["netdb"], "10.80.0.0/16"
        ec2, dec2 = self.cl("vault-east", "ec2", E2), self.cl("netdb", "ec2", E2)
        vpc = net.vpc(ec2, cidr, "vault-east-split")
        main_sub = net.subnet(ec2, vpc, "10.80.1.0/24", "split-main", f"{E2}a")
        other_sub = net.subnet(ec2, vpc, "10.80.2.0/24", "split-other", f"{E2}b")
        net.route_table(ec2, vpc, "split-other", [other_sub])
        main = ec2.describe_route_tables(Filters=[
            {"Name": "vpc-id", "Values": [vpc]},
            {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]
        lam_sg = net.security_group(ec2, vpc, "split-lambda", "rotation lambda")
        ep_sg = net.security_group(ec2, vpc, "split-endpoint", "endpoint", [(443, cidr)])
        ec2.create_vpc_endpoint(VpcId=vpc, VpcEndpointType="Interface",
                                ServiceName=f"com.amazonaws.{E2}.secretsmanager",
                                SubnetIds=[main_sub], SecurityGroupIds=[ep_sg],
                                PrivateDnsEnabled=True)
        dvpc, drtb = self.db_vpc(E2, "172.60.0.0/16", "netdb-main")
        pcx = net.request_peering(ec2, vpc, dvpc, netdb, E2, "split-to-netdb-main")
        dec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        net.route(ec2, main, "172.60.0.0/16", pcx)
        net.route(dec2, drtb, cidr, pcx)
        nvpc, nrtb = self.db_vpc(E2, "172.50.0.0/16", "netdb-narrow")
        pcx = net.request_peering(ec2, vpc, nvpc, netdb, E2, "split-to-netdb-narrow")
        dec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        net.route(ec2, main, "172.50.128.0/17", pcx)
        net.route(dec2, nrtb, cidr, pcx)
        self.lam("vault-east", E2, "rotate-main", main_sub, lam_sg)
        out = self.cl("vault-east", "lambda", E2).create_function(
            FunctionName="rotate-split", Runtime="python3.12",
            Role=self.res[f"role:vault-east/{ROTATION}"], Handler="rotate.handler",
            Code={"ZipFile": self.zip}, Timeout=30,
            VpcConfig={"SubnetIds": [main_sub, other_sub], "SecurityGroupIds": [lam_sg]})
        self.res["lambda:rotate-split"] = str(out["FunctionArn"])

    # ------------------------------------------------------------------ secrets
    def huge_policy(self, reader: str) -> str:
        """Read for the reader, and a Deny of policy changes to everyone but the secret
        administrators, named one team path at a time: about 19,500 characters (95% of the
        20,480 limit)."""
        owner = self.acct["vault-east"]
        patterns: list[str] = []
        last = ""
        while True:
            team = f"arn:aws:iam::{owner}:role/secret-admins/team-{len(patterns):04d}-*"
            more = patterns + [team]
            text = pol.secret_policy(pol.allow_read([reader]), {
                "Sid": "OnlyAdminsChangeThePolicy", "Effect": "Deny", "Principal": "*",
                "Action": ["secretsmanager:PutResourcePolicy",
                           "secretsmanager:DeleteResourcePolicy"],
                "Resource": "*",
                "Condition": {"StringNotLike": {"aws:PrincipalArn": more}}})
            if len(text) > 19_500:
                return last
            patterns, last = more, text

    def secrets(self) -> None:
        a = self.acct
        pay, ledger = pol.role_arn(a["payments"], PAY), pol.role_arn(a["payments"], LEDGER)
        search = pol.role_arn(a["search"], SEARCH)
        db_east, db_archive = self.res["vpc-id:netdb-east"], self.res["vpc-id:netdb-archive"]
        self.secret("vault-east", "pay/db", key="pay", replica=(EC, "pay@eu"),
                    policy=pol.secret_policy(pol.allow_read([pay])), rotation="rotate-pay",
                    db_vpc=db_east)
        self.secret("vault-east", "pay/ledger", key="pay", rotation="rotate-pay",
                    db_vpc=db_east, policy=pol.secret_policy(pol.allow_read([ledger])))
        self.secret("vault-east", "shared/feature-flags", key="shared", rotation="rotate-pay",
                    policy=pol.secret_policy({
                        "Sid": "AppsOu", "Effect": "Allow", "Principal": "*",
                        "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                        "Condition": {"ForAnyValue:StringLike": {
                            "aws:PrincipalOrgPaths": [self.res["path:apps"] + "*"]}}}))
        self.secret("vault-east", "batch/jobs", key="batch", rotation="rotate-pay",
                    policy=pol.secret_policy(pol.allow_read([pol.root_arn(a["batch"])])))
        self.secret("vault-east", "partner/webhook", key="partner", policy=pol.secret_policy({
            "Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": OUTSIDER},
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
        self.secret("vault-east", "pay/huge-policy", key="pay", rotation="rotate-pay",
                    policy=self.huge_policy(pay))
        self.secret("vault-east", "ops/excluded", key=None, tags=EXCLUDED_TAG,
                    replica=(AP, None))
        self.secret("vault-east", "pay/archive", key="pay", rotation="rotate-pay",
                    db_vpc=db_archive)
        self.secret("vault-east", "eu/reports", key="pay@eu", region=EC,
                    rotation="rotate-isolated")
        gone = self.secret("vault-east", "old/retired", key=None, region=EC,
                           policy=pol.secret_policy(pol.allow_read([pol.root_arn(OUTSIDER)])))
        self.cl("vault-east", "secretsmanager", EC).delete_secret(SecretId=gone,
                                                                  RecoveryWindowInDays=30)
        self.secret("vault-apac", "search/index", key="search@ap", region=AP,
                    rotation="rotate-apac", db_vpc=self.res["vpc-id:netdb-apac"],
                    policy=pol.secret_policy(pol.allow_read([search])))
        self.secret("vault-apac", "eu/search-cfg", key="search-cfg@eu", region=EC,
                    policy=pol.secret_policy(pol.allow_read([search])))
        self.secret("vault-apac", "apac/legacy", key="legacy@ap", region=AP)
        tokens = self.secret("vault-east", "pay/tokens", key="pay-ctx", rotation="rotate-pay",
                             policy=pol.secret_policy({
                                 "Sid": "PayRolesOnly", "Effect": "Allow",
                                 "Principal": {"AWS": pol.root_arn(a["payments"])},
                                 "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                                 "Condition": {"ArnLike": {"aws:PrincipalArn":
                                     f"arn:aws:iam::{a['payments']}:role/Pay*"}}}))
        self.secret("vault-east", "pay/other-ctx", key="pay-ctx", rotation="rotate-pay",
                    policy=pol.secret_policy(pol.allow_read([pay])))
        self.cl("vault-east", "kms", E2).put_key_policy(
            KeyId=self.res["key:pay-ctx"], PolicyName="default", Policy=pol.key_policy(
                a["vault-east"], extra=[{
                    "Sid": "PaymentsDecryptTokens", "Effect": "Allow",
                    "Principal": {"AWS": pol.root_arn(a["payments"])},
                    "Action": "kms:Decrypt", "Resource": "*",
                    "Condition": {"StringEquals": {
                        "kms:ViaService": f"secretsmanager.{E2}.amazonaws.com",
                        "kms:EncryptionContext:SecretARN": tokens}}}]))
        self.secret("vault-east", "partner/guarded", key="partner", policy=pol.secret_policy(
            {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": pol.root_arn(OUTSIDER)},
             "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
            {"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*",
             "Action": "secretsmanager:GetSecretValue", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": self.org_id}}}))
        self.secret("vault-east", "shared/exact-ou", key="shared", rotation="rotate-pay",
                    policy=pol.secret_policy({
                        "Sid": "AppsOuItself", "Effect": "Allow", "Principal": "*",
                        "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                        "Condition": {"ForAnyValue:StringEquals": {
                            "aws:PrincipalOrgPaths": [self.res["path:apps"]]}}}))
        self.secret("vault-apac", "search/catalog", key="apac", region=AP,
                    replica=(EC, "search-cfg@eu"),
                    policy=pol.secret_policy(pol.allow_read([search])))
        self.secret("vault-apac", "eu/sg-blocked", key="search-cfg@eu", region=EC,
                    rotation="rotate-sg")
        self.secret("vault-apac", "apac/orphan", key="apac", region=AP, rotation="rotate-gone")
        self.cl("vault-apac", "lambda", AP).delete_function(FunctionName="rotate-gone")
        self.secret("vault-east", "pay/tagged", key="pay", rotation="rotate-pay", db_vpc=db_east,
                    policy=pol.secret_policy({
                        "Sid": "PaymentsTeam", "Effect": "Allow",
                        "Principal": {"AWS": pol.root_arn(a["payments"])},
                        "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "payments"}}}))
        by_alias = self.secret("vault-east", "pay/by-alias", key=None, rotation="rotate-pay",
                               db_vpc=db_east, policy=pol.secret_policy(pol.allow_read([pay])))
        self.cl("vault-east", "secretsmanager", E2).update_secret(
            SecretId=by_alias, KmsKeyId=self.res["key:pay"].split(":key/")[0] + ":alias/gt20-pay")
        self.secret("vault-east", "pay/payout", key="payout", rotation="rotate-pay",
                    db_vpc=db_east, policy=pol.secret_policy(pol.allow_read(
                        [f"arn:aws:iam::{a['payments']}:role{PAYOUT_PATH}{PAYOUT}"])))
        for name in ("mrk", "mrk-narrow"):
            self.secret("vault-east", f"pay/{name}", key=name, replica=(EC, f"{name}@eu"),
                        rotation="rotate-pay", db_vpc=db_east,
                        policy=pol.secret_policy(pol.allow_read([pay])))
        self.secret("vault-east", "pay/main-rt", key="pay", rotation="rotate-main",
                    db_vpc=self.res["vpc-id:netdb-main"])
        self.secret("vault-east", "pay/split", key="pay", rotation="rotate-split",
                    db_vpc=self.res["vpc-id:netdb-main"])
        self.secret("vault-east", "pay/narrow-route", key="pay", rotation="rotate-main",
                    db_vpc=self.res["vpc-id:netdb-narrow"])
        self.secret("vault-east", "pay/exact", key="exact", rotation="rotate-pay",
                    db_vpc=db_east, policy=pol.secret_policy(pol.allow_read(
                        [pol.role_arn(a["payments"], EXACT),
                         pol.role_arn(a["payments"], SUFFIXED)])))
        self.secret("vault-east", "svc/any-account", key="pay", policy=pol.secret_policy({
            "Sid": "AnySvcRole", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/svc/*"}}}))
        self.secret("vault-east", "any/org-member", key="pay", policy=pol.secret_policy({
            "Sid": "AnyOrganization", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*",
            "Condition": {"Null": {"aws:PrincipalOrgID": "false"}}}))
        self.secret("vault-east", "pay/expired", key="pay", rotation="rotate-pay",
                    db_vpc=db_east, policy=pol.secret_policy({
                        **pol.allow_read([pay]),
                        "Condition": {"DateLessThan": {"aws:CurrentTime":
                                                       "2025-01-01T00:00:00Z"}}}))
        self.secret("vault-east", "pay/get-star", key="pay", rotation="rotate-pay",
                    db_vpc=db_east, policy=pol.secret_policy(pol.allow_read(
                        [pay], ["secretsmanager:Get*", "secretsmanager:Describe*",
                                "secretsmanager:List*"])))
        self.secret("vault-apac", "ver/search", key="ver", region=AP, policy=pol.secret_policy(
            pol.allow_read([pol.root_arn(a["search"])])))
        self.secret("vault-east", "fleet/config", key="fleet", policy=pol.secret_policy(
            pol.allow_read([pol.root_arn(a["payments"]), pol.root_arn(a["search"])])))
        self.secret("vault-apac", "search/api", key="apac", region=AP,
                    policy=pol.secret_policy(pol.allow_read([search], "secretsmanager:*")))


def seed(endpoint_url: str) -> Estate:
    """Reset the moto server and build the estate (groundtruth.seed_estate)."""
    return seed_estate(_Seeder, endpoint_url, seed=20,
                       steps=(_Seeder.roles, _Seeder.keys, _Seeder.network, _Seeder.secrets,
                              _Seeder.identity))
