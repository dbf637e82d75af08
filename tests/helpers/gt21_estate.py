"""Ground-truth trial round 21: a seven-account organization unlike the demo's and rounds 19
and 20, built in moto through sts.assume_role into each account, and what a careful auditor
says about it.

Shape:

* management 123456789012; OUs Security (vault, vault-dr), Workloads/Retail (retail),
  Workloads/Analytics (analytics), Shared (netcore) and Sandbox (sandbox, under an SCP that
  fences every Region but us-west-1 off); 999999999999 is outside the organization.
* two secret-holding accounts: vault (us-west-1, replicas in eu-west-2 and ap-northeast-1) and
  vault-dr (ap-northeast-1); the database VPCs live in netcore.
* rotation Lambdas reach Secrets Manager through a NAT gateway (rotate-nat: public NAT in a
  subnet routed to an internet gateway; rotate-natpriv: the NAT's subnet has no internet route),
  an interface endpoint without private DNS (rotate-nodns), an endpoint with private DNS
  (rotate-wide, whose database route is 172.16.0.0/12; rotate-dr, whose database peering was
  rejected, its route left behind).
* keys: KMS grants (one plain, one constrained to an encryption context Secrets Manager never
  sends), bare alias names and bare key ids as a secret's KmsKeyId, a replica key pending
  deletion, a key granting only through Secrets Manager in another Region.

``ground_truth`` was written from the AWS documentation before the scan was run: for each
resource, the rules that FAIL (or are MUTED by the suppression file) and who can read it.
"""

from __future__ import annotations

import json
from dataclasses import replace

from helpers.groundtruth import Estate, Seeder, Truth, seed_estate
from scanner.demo import network as net
from scanner.demo import policies as pol
from scanner.demo.clients import MANAGEMENT_ACCOUNT

W1, EW2, AN1 = "us-west-1", "eu-west-2", "ap-northeast-1"
REGIONS = (W1, EW2, AN1)
OUTSIDER = "999999999999"
#: a vendor outside the organization that the config trusts
VENDOR = "444455556666"
PARTNER_ROLE = f"arn:aws:iam::{OUTSIDER}:role/PartnerReader"
ROLE = "OrganizationAccountAccessRole"
RETAIL, WIDE, ANALYTICS, BOUNDED, SANDBOX, ROTATION = (
    "RetailRole", "WideRole", "AnalyticsRole", "BoundedRole", "SandboxRole", "RotationRole")
POWER, ARNPAT, PINNED = "PowerRole", "ArnPatternRole", "PinnedRole"
EXACT = "ExactNameRole"
SKIP_TAG = {"audit": "skip"}
ODD_SID = '<img src=x onerror="alert(21)">&amp;'

TEAM_TAG = {"team": "analytics"}

SUPPRESSIONS = """\
suppressions:
  - rule: "*"
    tags: {audit: skip}
    reason: secrets tagged audit=skip are out of this audit's scope
    expires: "2099-01-01"
"""

CONFIG = f"""\
trusted_accounts: ["{VENDOR}"]
"""


#: the secrets rotated by a RotationRole of an account under the Security OU's NoReads SCP
SCP_BLOCKED_ROTATIONS = (
    "retail/db", "retail/by-alias-name", "retail/by-key-id", "retail/long-schedule",
    "retail/nat-private", "retail/no-private-dns", "retail/no-vpc", "retail/no-vpc-no-db",
    "retail/pretty", "retail/sg-ref", "retail/back-route-elsewhere", "retail/stuck-pending",
    "retail/tight-egress", "retail/tight-ok", "retail/wide-route", "dr/tokyo")


def ground_truth(e: Estate) -> dict[str, Truth]:
    """Resource ARN -> the auditor's verdict. Readers are cross-account principals only."""
    a, r = e.accounts, e.res
    retail = pol.role_arn(a["retail"], RETAIL)
    analytics = pol.role_arn(a["analytics"], ANALYTICS)
    sandbox = pol.role_arn(a["sandbox"], SANDBOX)
    broken = {"secret-cross-account-access-broken": "FAIL"}
    off = {"secret-rotation-disabled": "FAIL"}
    truth = {
        # CMK, replica in eu-west-2 on a key granting RetailRole there; rotated through a
        # public NAT gateway (its subnet routed to an internet gateway) over an active peering
        # routed both sides: nothing to say
        r["secret:retail/db"]: Truth(readers=frozenset({retail})),
        r["replica:retail/db@eu-west-2"]: Truth(readers=frozenset({retail})),
        # the ap-northeast-1 replica's key is pending deletion: KMS refuses to decrypt, the
        # replica is unhealthy and RetailRole's read of it broken. Never rotated.
        r["secret:retail/orders"]: Truth(fails=off, readers=frozenset({retail})),
        r["replica:retail/orders@ap-northeast-1"]: Truth(fails={
            "secret-replica-unhealthy": "FAIL", **broken}, readers=frozenset()),
        # KmsKeyId given as the bare alias name / the bare key id of the retail key (both are
        # accepted by CreateSecret and resolved in the secret's account and Region)
        r["secret:retail/by-alias-name"]: Truth(readers=frozenset({retail})),
        r["secret:retail/by-key-id"]: Truth(readers=frozenset({retail})),
        # "*" narrowed by aws:PrincipalOrgPaths StringEquals the Analytics OU's own path (the
        # analytics account sits directly in it); the key's policy grants nobody outside, a
        # KMS grant gives AnalyticsRole Decrypt; AnalyticsRole's identity policy reads secrets
        # tagged team=analytics
        r["secret:analytics/warehouse"]: Truth(fails=off, readers=frozenset({analytics})),
        # the only grant of its key is constrained by EncryptionContextEquals {SecretARN}:
        # Secrets Manager's Decrypt carries SecretARN and SecretVersionId, so it never matches
        r["secret:analytics/ctx-equals"]: Truth(fails={**off, **broken}, readers=frozenset()),
        # BoundedRole's permissions boundary allows GetSecretValue but not kms:Decrypt
        r["secret:analytics/bounded"]: Truth(fails={**off, **broken}, readers=frozenset()),
        # the Sandbox OU's SCP denies everything outside us-west-1
        r["secret:sandbox/west"]: Truth(fails=off, readers=frozenset({sandbox})),
        r["secret:sandbox/london"]: Truth(fails={**off, **broken}, readers=frozenset()),
        # one role of an account outside the organization
        r["secret:partner/role-grant"]: Truth(fails={
            **off, "secret-policy-external-account": "FAIL"}),
        # "*" narrowed by aws:PrincipalAccount to the outside account: external, not public
        r["secret:partner/account-condition"]: Truth(fails={
            **off, "secret-policy-external-account": "FAIL"}),
        # 8,000-odd characters written compactly, but stored pretty-printed: over 16,384
        # (80% of 20,480) with its whitespace, which counts against the limit
        r["secret:retail/pretty"]: Truth(fails={"secret-policy-size-near-limit": "FAIL"},
                                         readers=frozenset({retail})),
        # the NAT gateway's subnet has no route to an internet gateway
        r["secret:retail/nat-private"]: Truth(fails={
            "secret-rotation-no-network-path": "FAIL"}),
        # the interface endpoint has no private DNS and there is no NAT gateway
        r["secret:retail/no-private-dns"]: Truth(fails={
            "secret-rotation-no-network-path": "FAIL"}),
        # rotated every 120 days: longer than the default max_days (90)
        r["secret:retail/long-schedule"]: Truth(fails={"secret-rotation-overdue": "FAIL"},
                                                readers=frozenset()),
        # the route to the database VPC (172.24.0.0/16) is 172.16.0.0/12: broader than the
        # peer, but it carries the traffic -- the path works
        r["secret:retail/wide-route"]: Truth(),
        r["rtb:wide"]: Truth(fails={"vpc-peering-route-overbroad": "FAIL"}),
        # tagged audit=skip: shared with the outside account on the AWS-managed key (which
        # cannot be used from another account), never rotated -- all muted. The grant to the
        # outsider is not an intended read that the key breaks: secret-policy-external-account
        # reports it, "currently blocked by key_policy" (by design: docs/rules.md)
        r["secret:ops/skip"]: Truth(fails={
            "secret-policy-external-account": "MUTED", "secret-uses-aws-managed-key": "MUTED",
            "secret-rotation-disabled": "MUTED"}),
        # the AWS-managed key cannot be used from another account
        r["secret:shared/managed-key"]: Truth(fails={
            **off, **broken, "secret-uses-aws-managed-key": "FAIL"}, readers=frozenset()),
        # its key allows RetailRole only via Secrets Manager in us-west-1; the secret is in
        # ap-northeast-1; its rotation Lambda's database peering was rejected
        r["secret:dr/tokyo"]: Truth(fails={
            **broken, "secret-rotation-no-network-path": "FAIL"}, readers=frozenset()),
        r["rtb:dr"]: Truth(fails={"vpc-peering-route-blackhole": "FAIL"}),
        # shared with the vendor account the config trusts: not outside, and its key grants
        # the vendor (whose IAM the scan cannot read)
        r["secret:vendor/feed"]: Truth(fails=off),
        # ... on the AWS-managed key, which the vendor can never use: an intended read broken
        r["secret:vendor/managed"]: Truth(fails={
            **off, **broken, "secret-uses-aws-managed-key": "FAIL"}, readers=frozenset()),
        # rotated by a Lambda of the database account (netcore) inside the database's own
        # VPC (an endpoint there): cross-account rotation, its execution role granted the
        # read and the two writes rotation needs by the secret and key policies
        r["secret:retail/xacct-rotation"]: Truth(readers=frozenset({
            r[f"role:netcore/{ROTATION}"]})),
        # a multi-Region key whose eu-west-2 replica's policy also lets SandboxRole decrypt:
        # drift, and a Decrypt grant no secret of the key's family makes
        r["secret:retail/mrk"]: Truth(fails=off, readers=frozenset({retail})),
        r["replica:retail/mrk@eu-west-2"]: Truth(readers=frozenset({retail})),
        r["key:mrk@ew2"]: Truth(fails={"kms-replica-key-policy-drift": "FAIL",
                                       "kms-key-policy-excess-grant": "FAIL"}),
        # RetailRole's own policy denies reading secrets tagged classification=restricted: the
        # owner's grant is broken by the reader's account
        r["secret:retail/restricted"]: Truth(fails={**off, **broken}, readers=frozenset()),
        # the Retail OU's SCP denies reading a secret whose owner tag is not the caller's team
        # tag (team=retail on RetailRole)
        r["secret:retail/abac-ok"]: Truth(fails=off, readers=frozenset({retail})),
        r["secret:retail/abac-other"]: Truth(fails={**off, **broken}, readers=frozenset()),
        # PinnedRole's identity policy names the secret in us-west-1 only: the eu-west-2
        # replica's read (after a failover) is broken at the reader's own policy
        r["secret:retail/region-pinned"]: Truth(fails=off, readers=frozenset({
            pol.role_arn(a["retail"], PINNED)})),
        r["replica:retail/region-pinned@eu-west-2"]: Truth(fails=broken, readers=frozenset()),
        # the endpoint's security group admits HTTPS from the Lambda's security group (a group
        # reference, not a CIDR); the database routes back to the Lambda's subnet only
        r["secret:retail/sg-ref"]: Truth(),
        # the database routes back to another subnet of the Lambda's VPC than the Lambda's
        r["secret:retail/back-route-elsewhere"]: Truth(fails={
            "secret-rotation-no-network-path": "FAIL"}),
        # the key also lets SandboxRole decrypt, but only through Secrets Manager in
        # eu-west-2: a us-west-1 key serves no secret there (KMS keys are regional), so that
        # statement grants nothing -- no excess grant
        r["secret:retail/dead-grant"]: Truth(fails=off, readers=frozenset({retail})),
        # KmsKeyId given as the AWS-managed key's alias, by name and by ARN: the same key
        r["secret:shared/default-alias"]: Truth(fails={
            **off, **broken, "secret-uses-aws-managed-key": "FAIL"}, readers=frozenset()),
        r["secret:shared/default-alias-arn"]: Truth(fails={
            **off, **broken, "secret-uses-aws-managed-key": "FAIL"}, readers=frozenset()),
        # a name with the characters a secret name may hold besides letters and digits
        # (/_+=.@-), named exactly (and its random suffix by ??????) in ExactNameRole's
        # identity policy; its look-alike (X for the dot: the dot is no wildcard) names the
        # role in its policy too, which the role's identity policy does not cover -- the
        # owner's grant is broken
        r["secret:retail/db.v2+blue@main=1_a"]: Truth(fails=off, readers=frozenset({
            pol.role_arn(a["retail"], EXACT)})),
        r["secret:retail/dbXv2+blue@main=1_a"]: Truth(fails={**off, **broken},
                                                      readers=frozenset()),
        # shared with the outside account by a statement whose Sid holds markup (moto keeps any
        # text; the HTML report must show it as text)
        r["secret:ops/odd-sid"]: Truth(fails={
            **off, "secret-policy-external-account": "FAIL"}),
        # rotation started and never finished: AWSPENDING stays on a version that is not
        # AWSCURRENT
        r["secret:retail/stuck-pending"]: Truth(fails={"secret-rotation-failing": "FAIL"}),
        # a hub VPC with 40 active peerings, routed both sides: 80% of the default quota (50)
        r["vpc:hub"]: Truth(fails={"vpc-peering-quota-near-limit": "FAIL"}),
        # GetSecretValue on arn:aws:secretsmanager:*:*:secret:* without a condition
        r[f"role:retail/{WIDE}"]: Truth(fails={"identity-policy-secret-wildcard": "FAIL"}),
        # everything but IAM and Organizations (NotAction) on "*"; every service's every
        # resource in the secretsmanager ARN pattern arn:aws:secretsmanager:*:*:*
        r[f"role:sandbox/{POWER}"]: Truth(fails={"identity-policy-secret-wildcard": "FAIL"}),
        r[f"role:sandbox/{ARNPAT}"]: Truth(fails={"identity-policy-secret-wildcard": "FAIL"}),
        # encrypted with a key of the other central account (vault-dr), named by its ARN or by
        # its alias ARN; the key policy lets vault use it and RetailRole decrypt through
        # Secrets Manager in us-west-1
        r["secret:retail/cross-key"]: Truth(fails=off, readers=frozenset({retail})),
        r["secret:retail/cross-alias"]: Truth(fails=off, readers=frozenset({retail})),
        # the key lets RetailRole decrypt for secrets named retail/* only
        # (kms:EncryptionContext:SecretARN); shop/ctx is not one of them
        r["secret:retail/ctx-like"]: Truth(fails=off, readers=frozenset({retail})),
        r["secret:shop/ctx"]: Truth(fails={**off, **broken}, readers=frozenset()),
        # the rotation Lambda's security group lets only the database port out: HTTPS to the
        # endpoint is not allowed; its twin allows 443 to the VPC and 5432 to the database
        r["secret:retail/tight-egress"]: Truth(fails={
            "secret-rotation-no-network-path": "FAIL"}),
        r["secret:retail/tight-ok"]: Truth(),
        # a rotation Lambda in no VPC cannot reach a database in a VPC
        r["secret:retail/no-vpc"]: Truth(fails={"secret-rotation-no-network-path": "FAIL"}),
        # ... and one with no database to reach has nothing in its way
        r["secret:retail/no-vpc-no-db"]: Truth(),
        # the policy names a deleted role by its unique id (what IAM shows once the role is
        # gone): no principal can ever match it -- nobody is granted, nobody outside
        r["secret:retail/stale-principal"]: Truth(fails=off, readers=frozenset()),
        # aws:PrincipalOrgPaths StringLike with a wildcard between OUs: o-.../*/ou-analytics/*
        r["secret:analytics/mid-wildcard"]: Truth(fails=off, readers=frozenset({analytics})),
        # the eu-west-2 replica's KmsKeyId is the bare alias name of a key in eu-west-2
        r["secret:retail/replica-alias"]: Truth(fails=off, readers=frozenset({retail})),
        r["replica:retail/replica-alias@eu-west-2"]: Truth(readers=frozenset({retail})),
        # the key allows Decrypt only when called via an AWS service (aws:CalledVia
        # secretsmanager.amazonaws.com), with the secret's encryption context keys
        r["secret:retail/called-via"]: Truth(fails=off, readers=frozenset({retail})),
    }
    # the Security OU's SCP (NoReads) denies GetSecretValue to every principal of its
    # accounts -- their rotation functions' RotationRole too, so every rotation of the
    # secrets they rotate fails at its first read (secret-rotation-role-cannot-read, a rule
    # of the thirtieth session; AWS: "An explicit deny in any of these policies overrides
    # the allow", IAM User Guide, policy evaluation logic)
    for name in SCP_BLOCKED_ROTATIONS:
        arn = r[f"secret:{name}"]
        truth[arn] = replace(truth[arn], fails={**truth[arn].fails,
                                                "secret-rotation-role-cannot-read": "FAIL"})
    return truth


class _Seeder(Seeder):
    TAG, REGION, DB_ACCOUNT, ROTATION = "gt21", W1, "netcore", ROTATION

    def org(self) -> str:
        org = self.c.get(MANAGEMENT_ACCOUNT, "organizations", "us-east-1")
        org_id = str(org.create_organization(FeatureSet="ALL")["Organization"]["Id"])
        root = org.list_roots()["Roots"][0]["Id"]

        def ou(parent: str, name: str) -> str:
            return str(org.create_organizational_unit(ParentId=parent, Name=name)
                       ["OrganizationalUnit"]["Id"])

        security, workloads = ou(root, "Security"), ou(root, "Workloads")
        shared, sandbox = ou(root, "Shared"), ou(root, "Sandbox")
        retail, analytics = ou(workloads, "Retail"), ou(workloads, "Analytics")
        self.res["path:analytics"] = f"{org_id}/{root}/{workloads}/{analytics}/"
        self.acct["management"] = MANAGEMENT_ACCOUNT
        for name, parent in (("vault", security), ("vault-dr", security), ("netcore", shared),
                             ("retail", retail), ("analytics", analytics),
                             ("sandbox", sandbox)):
            acct = str(org.create_account(AccountName=name, Email=f"{name}@gt21.invalid")
                       ["CreateAccountStatus"]["AccountId"])
            org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=parent)
            self.acct[name] = acct
        org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
        fence = org.create_policy(
            Name="SandboxUsWest1Only", Description="sandbox works in us-west-1 only",
            Type="SERVICE_CONTROL_POLICY", Content=pol.text(pol.doc({
                "Sid": "DenyOtherRegions", "Effect": "Deny",
                "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*"],
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": [W1]}}})))
        org.attach_policy(PolicyId=fence["Policy"]["PolicySummary"]["Id"], TargetId=sandbox)
        # the Security OU's own principals read no secret: an SCP limits the principals of its
        # accounts, never the callers of another account reading their resources
        deny = org.create_policy(
            Name="SecurityReadsNoSecret", Description="vault admins do not read values",
            Type="SERVICE_CONTROL_POLICY", Content=pol.text(pol.doc({
                "Sid": "NoReads", "Effect": "Deny", "Action": "secretsmanager:GetSecretValue",
                "Resource": "*"})))
        org.attach_policy(PolicyId=deny["Policy"]["PolicySummary"]["Id"], TargetId=security)
        # a data perimeter on the secret-holding OU: nobody outside the organization but the
        # trusted vendor reads its secrets or decrypts with its keys (an RCP: the outside
        # grants stay reported, "currently blocked by" it)
        org.enable_policy_type(RootId=root, PolicyType="RESOURCE_CONTROL_POLICY")
        perimeter = org.create_policy(
            Name="VaultPerimeter", Description="organization and vendor only",
            Type="RESOURCE_CONTROL_POLICY", Content=pol.text(pol.doc({
                "Sid": "OrgAndVendorOnly", "Effect": "Deny", "Principal": "*",
                "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"], "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": org_id,
                                                          "aws:PrincipalAccount": [VENDOR]},
                              "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}})))
        org.attach_policy(PolicyId=perimeter["Policy"]["PolicySummary"]["Id"],
                          TargetId=security)
        abac = org.create_policy(
            Name="RetailReadsItsTeamsSecrets", Description="owner tag = caller's team tag",
            Type="SERVICE_CONTROL_POLICY", Content=pol.text(pol.doc({
                "Sid": "OwnerTeamOnly", "Effect": "Deny",
                "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                "Condition": {"StringNotEquals": {
                                  "aws:ResourceTag/owner": "${aws:PrincipalTag/team}"},
                              "Null": {"aws:ResourceTag/owner": "false"}}})))
        org.attach_policy(PolicyId=abac["Policy"]["PolicySummary"]["Id"], TargetId=retail)
        return org_id

    # ------------------------------------------------------------------ IAM
    def roles(self) -> None:
        for owner, name in (("retail", RETAIL), ("retail", WIDE), ("retail", PINNED),
                            ("retail", EXACT), ("analytics", ANALYTICS),
                            ("analytics", BOUNDED), ("sandbox", SANDBOX),
                            ("sandbox", POWER), ("sandbox", ARNPAT)):
            self.res[f"role:{owner}/{name}"] = str(self.cl(owner, "iam").create_role(
                RoleName=name,
                AssumeRolePolicyDocument=pol.text(pol.trust("ecs-tasks.amazonaws.com")))
                ["Role"]["Arn"])
        self.cl("retail", "iam").tag_role(RoleName=RETAIL,
                                          Tags=[{"Key": "team", "Value": "retail"}])
        for owner in ("vault", "vault-dr", "netcore"):
            self.res[f"role:{owner}/{ROTATION}"] = str(self.cl(owner, "iam").create_role(
                RoleName=ROTATION,
                AssumeRolePolicyDocument=pol.text(pol.trust("lambda.amazonaws.com")))
                ["Role"]["Arn"])

    def identity(self) -> None:
        a, r = self.acct, self.res
        vault, dr = a["vault"], a["vault-dr"]
        sm = lambda acct, name: f"arn:aws:secretsmanager:*:{acct}:secret:{name}"  # noqa: E731
        keys = lambda *ns: [r[f"key:{n}"] for n in ns]  # noqa: E731
        riam = self.cl("retail", "iam")
        riam.put_role_policy(RoleName=RETAIL, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy(
                [sm(vault, "retail/*"), sm(vault, "shared/*"), sm(vault, "shop/*"),
                 sm(dr, "dr/*")],
                keys("retail", "retail@ew2", "orders@an1", "dr@an1", "central@dr", "ctx-like",
                     "called-via", "mrk", "mrk@ew2", "dead-grant"),
                REGIONS)))
        riam.put_role_policy(RoleName=RETAIL, PolicyName="no-restricted",
                             PolicyDocument=pol.text(pol.doc({
                                 "Effect": "Deny", "Action": "secretsmanager:GetSecretValue",
                                 "Resource": "*", "Condition": {"StringEquals": {
                                     "aws:ResourceTag/classification": "restricted"}}})))
        riam.put_role_policy(RoleName=PINNED, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy(
                [f"arn:aws:secretsmanager:{W1}:{vault}:secret:retail/region-pinned-??????"],
                keys("retail", "retail@ew2"), REGIONS)))
        riam.put_role_policy(RoleName=EXACT, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy(
                [f"arn:aws:secretsmanager:{W1}:{vault}:secret:retail/db.v2+blue@main=1_a-??????"],
                keys("retail"), REGIONS)))
        riam.put_role_policy(RoleName=WIDE, PolicyName="read-all", PolicyDocument=pol.text(
            pol.doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                     "Resource": "arn:aws:secretsmanager:*:*:secret:*"},
                    {"Effect": "Allow", "Action": "kms:Decrypt",
                     "Resource": keys("retail")})))
        aiam = self.cl("analytics", "iam")
        aiam.put_role_policy(RoleName=ANALYTICS, PolicyName="read", PolicyDocument=pol.text(
            pol.doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                     "Resource": sm(vault, "*"),
                     "Condition": {"StringEquals": {
                         "secretsmanager:ResourceTag/team": "analytics"}}},
                    {"Effect": "Allow", "Action": "kms:Decrypt",
                     "Resource": keys("analytics-grant", "ctx-equals"),
                     "Condition": pol.via_secretsmanager(REGIONS)})))
        aiam.put_role_policy(RoleName=BOUNDED, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy([r["secret:analytics/bounded"]], keys("analytics"),
                                       REGIONS)))
        boundary = aiam.create_policy(PolicyName="no-kms", PolicyDocument=pol.text(pol.doc(
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue",
                                           "secretsmanager:DescribeSecret", "s3:*"],
             "Resource": "*"})))["Policy"]["Arn"]
        aiam.put_role_permissions_boundary(RoleName=BOUNDED, PermissionsBoundary=boundary)
        self.cl("sandbox", "iam").put_role_policy(
            RoleName=SANDBOX, PolicyName="read", PolicyDocument=pol.text(
                pol.reader_identity_policy([sm(vault, "sandbox/*")],
                                           keys("sandbox", "sandbox@ew2"), REGIONS)))

        self.cl("netcore", "iam").put_role_policy(
            RoleName=ROTATION, PolicyName="rotate", PolicyDocument=pol.text(
                pol.rotation_identity_policy([r["secret:retail/xacct-rotation"]],
                                             keys("xrot"))))
        siam = self.cl("sandbox", "iam")
        siam.put_role_policy(RoleName=POWER, PolicyName="power", PolicyDocument=pol.text(
            pol.doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"],
                     "Resource": "*"})))
        siam.put_role_policy(RoleName=ARNPAT, PolicyName="read", PolicyDocument=pol.text(
            pol.doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                     "Resource": "arn:aws:secretsmanager:*:*:*"})))

    # ------------------------------------------------------------------ KMS
    def keys(self) -> None:
        a = self.acct
        vault, dr = a["vault"], a["vault-dr"]
        retail = pol.role_arn(a["retail"], RETAIL)
        pinned = pol.role_arn(a["retail"], PINNED)
        self.key("vault", "retail", pol.key_policy(
            vault, [retail, pinned, pol.role_arn(a["retail"], EXACT)], (W1,)))
        self.key("vault", "retail@ew2", pol.key_policy(vault, [retail, pinned], (EW2,)), EW2)
        self.key("vault", "orders@an1", pol.key_policy(vault, [retail], (AN1,)), AN1)
        self.key("vault", "analytics-grant", pol.key_policy(vault))
        self.key("vault", "ctx-equals", pol.key_policy(vault))
        self.key("vault", "analytics", pol.key_policy(
            vault, [pol.role_arn(a["analytics"], BOUNDED)], (W1,)))
        sandbox = pol.role_arn(a["sandbox"], SANDBOX)
        self.key("vault", "sandbox", pol.key_policy(vault, [sandbox], (W1,)))
        self.key("vault", "sandbox@ew2", pol.key_policy(vault, [sandbox], (EW2,)), EW2)
        self.key("vault", "partner", pol.key_policy(vault, [PARTNER_ROLE], (W1,)))
        # RetailRole may decrypt through Secrets Manager in us-west-1 only: the key is in Tokyo
        self.key("vault-dr", "dr@an1", pol.key_policy(dr, [retail], (W1,)), AN1)
        # vault-dr keeps a key for vault's secrets: vault encrypts and decrypts with it through
        # Secrets Manager, RetailRole decrypts through Secrets Manager in us-west-1
        self.key("vault-dr", "central@dr", pol.key_policy(dr, [retail], (W1,), extra=[{
            "Sid": "VaultUsesThroughSecretsManager", "Effect": "Allow",
            "Principal": {"AWS": pol.root_arn(vault)},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            "Resource": "*", "Condition": pol.via_secretsmanager((W1,))}]))
        self.key("vault", "xrot", pol.key_policy(vault, extra=[{
            "Sid": "NetcoreRotation", "Effect": "Allow",
            "Principal": {"AWS": self.res[f"role:netcore/{ROTATION}"]},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
            "Condition": pol.via_secretsmanager((W1,))}]))
        kms = self.cl("vault", "kms")
        meta = kms.create_key(Policy=pol.key_policy(vault, [retail], (W1, EW2)),
                              MultiRegion=True, Description="gt21 mrk")["KeyMetadata"]
        kms.enable_key_rotation(KeyId=meta["KeyId"])
        self.res["key:mrk"] = str(meta["Arn"])
        replica = kms.replicate_key(KeyId=meta["KeyId"], ReplicaRegion=EW2)
        self.res["key:mrk@ew2"] = str(replica["ReplicaKeyMetadata"]["Arn"])
        self.cl("vault", "kms", EW2).put_key_policy(
            KeyId=self.res["key:mrk@ew2"], PolicyName="default", Policy=pol.key_policy(
                vault, [retail, pol.role_arn(a["sandbox"], SANDBOX)], (W1, EW2)))
        self.key("vault", "dead-grant", pol.key_policy(vault, [retail], (W1,), extra=[{
            "Sid": "SandboxThroughLondon", "Effect": "Allow",
            "Principal": {"AWS": pol.role_arn(a["sandbox"], SANDBOX)},
            "Action": "kms:Decrypt", "Resource": "*",
            "Condition": pol.via_secretsmanager((EW2,))}]))
        self.key("vault", "vendor", pol.key_policy(vault, [pol.root_arn(VENDOR)], (W1,)))
        self.key("vault", "called-via", pol.key_policy(vault, extra=[{
            "Sid": "RetailThroughServices", "Effect": "Allow", "Principal": {"AWS": retail},
            "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {
                              "aws:CalledVia": ["secretsmanager.amazonaws.com"]},
                          "ForAllValues:StringEquals": {
                              "kms:EncryptionContextKeys": ["SecretARN", "SecretVersionId"]}}}]))
        self.key("vault", "ctx-like", pol.key_policy(vault, extra=[{
            "Sid": "RetailSecretsOnly", "Effect": "Allow", "Principal": {"AWS": retail},
            "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"StringLike": {"kms:EncryptionContext:SecretARN":
                                         f"arn:aws:secretsmanager:{W1}:{vault}:secret:retail/*"},
                          "StringEquals": {"kms:ViaService":
                                           f"secretsmanager.{W1}.amazonaws.com"}}}]))

    def grants(self) -> None:
        """KMS grants to AnalyticsRole, once the secrets exist (one names a secret's ARN)."""
        analytics = pol.role_arn(self.acct["analytics"], ANALYTICS)
        kms = self.cl("vault", "kms")
        kms.create_grant(KeyId=self.res["key:analytics-grant"], GranteePrincipal=analytics,
                         Operations=["Decrypt"], Name="analytics-warehouse")
        kms.create_grant(KeyId=self.res["key:ctx-equals"], GranteePrincipal=analytics,
                         Operations=["Decrypt"], Name="analytics-ctx", Constraints={
                             "EncryptionContextEquals": {
                                 "SecretARN": self.res["secret:analytics/ctx-equals"]}})

    # ------------------------------------------------------------------ network
    def nat_vpc(self, cidr: str, name: str, *, internet: bool) -> tuple[str, str, str, str]:
        """A rotation VPC without an endpoint whose Lambda subnet sends 0.0.0.0/0 to a public
        NAT gateway; the NAT's own subnet routes 0.0.0.0/0 to an internet gateway only when
        ``internet``. Returns the VPC, the Lambda subnet, its route table and security group."""
        ec2 = self.cl("vault", "ec2")
        vpc = net.vpc(ec2, cidr, name)
        lam_sub = net.subnet(ec2, vpc, cidr.replace(".0.0/16", ".1.0/24"), name, f"{W1}a")
        nat_sub = net.subnet(ec2, vpc, cidr.replace(".0.0/16", ".2.0/24"), f"{name}-nat",
                             f"{W1}a")
        lam_rtb = net.route_table(ec2, vpc, name, [lam_sub])
        nat_rtb = net.route_table(ec2, vpc, f"{name}-nat", [nat_sub])
        if internet:
            igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
            ec2.create_route(RouteTableId=nat_rtb, DestinationCidrBlock="0.0.0.0/0",
                             GatewayId=igw)
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=nat_sub, AllocationId=eip,
                                     ConnectivityType="public")["NatGateway"]["NatGatewayId"]
        ec2.create_route(RouteTableId=lam_rtb, DestinationCidrBlock="0.0.0.0/0",
                         NatGatewayId=nat)
        sg = net.security_group(ec2, vpc, f"{name}-lambda", "rotation lambda")
        self.res[f"rtb:{name}"] = net.arn(W1, self.acct["vault"], "route-table", lam_rtb)
        return vpc, lam_sub, lam_rtb, sg

    def peer(self, owner: str, region: str, vpc: str, rtb: str, db: str, db_cidr: str,
             db_rtb: str, back: str, name: str, *, route: str | None = None) -> str:
        """An accepted peering to a database VPC, routed on both sides."""
        ec2, dec2 = self.cl(owner, "ec2", region), self.cl("netcore", "ec2", region)
        pcx = net.request_peering(ec2, vpc, db, self.acct["netcore"], region, name)
        dec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        net.route(ec2, rtb, route or db_cidr, pcx)
        net.route(dec2, db_rtb, back, pcx)
        return pcx

    def hub(self, spokes: int) -> None:
        """A netcore VPC peered with ``spokes`` VPCs of its own account, routed both sides."""
        ec2 = self.cl("netcore", "ec2")
        hub = net.vpc(ec2, "172.30.0.0/16", "hub")
        hsub = net.subnet(ec2, hub, "172.30.1.0/24", "hub", f"{W1}a")
        hrtb = net.route_table(ec2, hub, "hub", [hsub])
        for i in range(spokes):
            cidr = f"192.168.{i}.0/24"
            spoke = net.vpc(ec2, cidr, f"spoke-{i}")
            sub = net.subnet(ec2, spoke, cidr, f"spoke-{i}", f"{W1}a")
            rtb = net.route_table(ec2, spoke, f"spoke-{i}", [sub])
            pcx = net.request_peering(ec2, hub, spoke, self.acct["netcore"], W1,
                                      f"hub-to-spoke-{i}")
            ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
            net.route(ec2, hrtb, cidr, pcx)
            net.route(ec2, rtb, "172.30.0.0/16", pcx)
        self.res["vpc:hub"] = net.arn(W1, self.acct["netcore"], "vpc", hub)

    def network(self) -> None:
        rtb_id = lambda k: self.res[k].rsplit("/", 1)[1]  # noqa: E731
        # us-west-1, through a public NAT gateway to Secrets Manager, peered to the database
        dvpc, drtb = self.db_vpc(W1, "172.21.0.0/16", "netcore-w1")
        vpc, sub, rtb, sg = self.nat_vpc("10.61.0.0/16", "nat", internet=True)
        self.peer("vault", W1, vpc, rtb, dvpc, "172.21.0.0/16", drtb, "10.61.0.0/16",
                  "nat-to-netcore-w1")
        self.lam("vault", W1, "rotate-nat", sub, sg)
        # the NAT gateway's subnet has no internet route
        _, sub, _, sg = self.nat_vpc("10.62.0.0/16", "natpriv", internet=False)
        self.lam("vault", W1, "rotate-natpriv", sub, sg)
        # an interface endpoint without private DNS, no NAT
        ec2 = self.cl("vault", "ec2")
        vpc = net.vpc(ec2, "10.63.0.0/16", "nodns")
        sub = net.subnet(ec2, vpc, "10.63.1.0/24", "nodns", f"{W1}a")
        net.route_table(ec2, vpc, "nodns", [sub])
        ep_sg = net.security_group(ec2, vpc, "nodns-endpoint", "endpoint",
                                   [(443, "10.63.0.0/16")])
        ec2.create_vpc_endpoint(VpcId=vpc, VpcEndpointType="Interface",
                                ServiceName=f"com.amazonaws.{W1}.secretsmanager",
                                SubnetIds=[sub], SecurityGroupIds=[ep_sg],
                                PrivateDnsEnabled=False)
        sg = net.security_group(ec2, vpc, "nodns-lambda", "rotation lambda")
        self.lam("vault", W1, "rotate-nodns", sub, sg)
        # an endpoint with private DNS; the database route is 172.16.0.0/12
        vpc, sub, sg = self.rotation_vpc("vault", W1, "10.64.0.0/16", "wide")
        wvpc, wrtb = self.db_vpc(W1, "172.24.0.0/16", "netcore-wide")
        self.peer("vault", W1, vpc, rtb_id("rtb:wide"), wvpc, "172.24.0.0/16", wrtb,
                  "10.64.0.0/16", "wide-to-netcore-wide", route="172.16.0.0/12")
        self.lam("vault", W1, "rotate-wide", sub, sg)
        # ap-northeast-1 (vault-dr): the database peering was rejected, its route left behind
        vpc, sub, sg = self.rotation_vpc("vault-dr", AN1, "10.70.0.0/16", "dr")
        tvpc, _ = self.db_vpc(AN1, "172.27.0.0/16", "netcore-tokyo")
        ec2 = self.cl("vault-dr", "ec2", AN1)
        pcx = net.request_peering(ec2, vpc, tvpc, self.acct["netcore"], AN1, "dr-to-netcore")
        net.route(ec2, rtb_id("rtb:dr"), "172.27.0.0/16", pcx)
        self.cl("netcore", "ec2", AN1).reject_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        self.lam("vault-dr", AN1, "rotate-dr", sub, sg)
        # a rotation VPC with an endpoint whose Lambda security group lets out only 5432 to
        # the database; its twin lets out 443 to the VPC too
        for name, cidr, db_cidr, ports in (
                ("tight", "10.65.0.0/16", "172.25.0.0/16", ((5432, "172.25.0.0/16"),)),
                ("tight-ok", "10.66.0.0/16", "172.26.0.0/16",
                 ((5432, "172.26.0.0/16"), (443, "10.66.0.0/16")))):
            vpc, sub, sg = self.rotation_vpc("vault", W1, cidr, name)
            tvpc, trtb = self.db_vpc(W1, db_cidr, f"netcore-{name}")
            self.peer("vault", W1, vpc, rtb_id(f"rtb:{name}"), tvpc, db_cidr, trtb, cidr,
                      f"{name}-to-netcore")
            ec2 = self.cl("vault", "ec2")
            ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=[
                {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
            ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                 "IpRanges": [{"CidrIp": to}]} for port, to in ports])
            self.lam("vault", W1, f"rotate-{name}", sub, sg)
        # the database account's own rotation Lambda, in the database VPC (with an endpoint)
        nec2 = self.cl("netcore", "ec2")
        dvpc = r_vpc = self.res["vpc-id:netcore-w1"]
        dsub = nec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [r_vpc]}])[
            "Subnets"][0]["SubnetId"]
        ep_sg = net.security_group(nec2, dvpc, "netcore-endpoint", "endpoint",
                                   [(443, "172.21.0.0/16")])
        nec2.create_vpc_endpoint(VpcId=dvpc, VpcEndpointType="Interface",
                                 ServiceName=f"com.amazonaws.{W1}.secretsmanager",
                                 SubnetIds=[dsub], SecurityGroupIds=[ep_sg],
                                 PrivateDnsEnabled=True)
        lsg = net.security_group(nec2, dvpc, "netcore-rotation", "rotation lambda")
        self.lam("netcore", W1, "rotate-shared", dsub, lsg)
        self.hub(40)
        # endpoint admitting the Lambda's security group; databases routing back to the
        # Lambda's subnet (10.67.1.0/24) or to another one (10.67.2.0/24)
        ec2, nec2 = self.cl("vault", "ec2"), self.cl("netcore", "ec2")
        vpc = net.vpc(ec2, "10.67.0.0/16", "sgref")
        sub = net.subnet(ec2, vpc, "10.67.1.0/24", "sgref", f"{W1}a")
        net.subnet(ec2, vpc, "10.67.2.0/24", "sgref-other", f"{W1}b")
        rtb = net.route_table(ec2, vpc, "sgref", [sub])
        lam_sg = net.security_group(ec2, vpc, "sgref-lambda", "rotation lambda")
        ep_sg = net.security_group(ec2, vpc, "sgref-endpoint", "endpoint")
        ec2.authorize_security_group_ingress(GroupId=ep_sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
             "UserIdGroupPairs": [{"GroupId": lam_sg}]}])
        ec2.create_vpc_endpoint(VpcId=vpc, VpcEndpointType="Interface",
                                ServiceName=f"com.amazonaws.{W1}.secretsmanager",
                                SubnetIds=[sub], SecurityGroupIds=[ep_sg],
                                PrivateDnsEnabled=True)
        for name, cidr, back in (("sgref", "172.28.0.0/16", "10.67.1.0/24"),
                                 ("elsewhere", "172.29.0.0/16", "10.67.2.0/24")):
            dvpc, drtb = self.db_vpc(W1, cidr, f"netcore-{name}")
            pcx = net.request_peering(ec2, vpc, dvpc, self.acct["netcore"], W1,
                                      f"sgref-to-{name}")
            nec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
            net.route(ec2, rtb, cidr, pcx)
            net.route(nec2, drtb, back, pcx)
        self.lam("vault", W1, "rotate-sgref", sub, lam_sg)
        # a rotation Lambda in no VPC
        out = self.cl("vault", "lambda").create_function(
            FunctionName="rotate-novpc", Runtime="python3.12",
            Role=self.res[f"role:vault/{ROTATION}"], Handler="rotate.handler",
            Code={"ZipFile": self.zip}, Timeout=30)
        self.res["lambda:rotate-novpc"] = str(out["FunctionArn"])

    # ------------------------------------------------------------------ secrets
    def pretty_policy(self, reader: str) -> str:
        """Read for the reader and a Deny of policy changes to all but the named admins,
        pretty-printed: about 8,000 characters compact, 17,000-odd as stored."""
        owner = self.acct["vault"]
        admins: list[str] = []
        last = ""
        while True:
            more = admins + [pol.role_arn(owner, f"secret-admin-{len(admins):03d}")]
            document = pol.doc(pol.allow_read([reader]), {
                "Sid": "OnlyAdminsChangeThePolicy", "Effect": "Deny", "Principal": "*",
                "Action": ["secretsmanager:PutResourcePolicy",
                           "secretsmanager:DeleteResourcePolicy"],
                "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": more}}})
            text = json.dumps(document, indent=12)
            if len(text) > 17_500:
                assert len(pol.text(json.loads(last))) < 10_000
                return last
            admins, last = more, text

    def secrets(self) -> None:
        a, r = self.acct, self.res
        retail = pol.role_arn(a["retail"], RETAIL)
        analytics = pol.role_arn(a["analytics"], ANALYTICS)
        sandbox = pol.role_arn(a["sandbox"], SANDBOX)
        db = r["vpc-id:netcore-w1"]
        read_retail = pol.secret_policy(pol.allow_read([retail]))
        self.secret("vault", "retail/db", key="retail", replica=(EW2, "retail@ew2"),
                    policy=read_retail, rotation="rotate-nat", db_vpc=db)
        self.secret("vault", "retail/orders", key="retail", replica=(AN1, "orders@an1"),
                    policy=read_retail)
        self.cl("vault", "kms", AN1).schedule_key_deletion(
            KeyId=r["key:orders@an1"].rsplit("/", 1)[1], PendingWindowInDays=7)
        self.secret("vault", "retail/by-alias-name", key=None, policy=read_retail,
                    rotation="rotate-nat", db_vpc=db, kms_key_id="alias/gt21-retail")
        self.secret("vault", "retail/by-key-id", key=None, policy=read_retail,
                    rotation="rotate-nat", db_vpc=db,
                    kms_key_id=r["key:retail"].rsplit("/", 1)[1])
        self.secret("vault", "analytics/warehouse", key="analytics-grant", tags=TEAM_TAG,
                    policy=pol.secret_policy({
                        "Sid": "AnalyticsOu", "Effect": "Allow", "Principal": "*",
                        "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                        "Condition": {"ForAnyValue:StringEquals": {
                            "aws:PrincipalOrgPaths": [r["path:analytics"]]}}}))
        self.secret("vault", "analytics/ctx-equals", key="ctx-equals", tags=TEAM_TAG,
                    policy=pol.secret_policy(pol.allow_read([analytics])))
        self.secret("vault", "analytics/bounded", key="analytics", policy=pol.secret_policy(
            pol.allow_read([pol.role_arn(a["analytics"], BOUNDED)])))
        read_sandbox = pol.secret_policy(pol.allow_read([sandbox]))
        self.secret("vault", "sandbox/west", key="sandbox", policy=read_sandbox)
        self.secret("vault", "sandbox/london", key="sandbox@ew2", region=EW2,
                    policy=read_sandbox)
        self.secret("vault", "partner/role-grant", key="partner",
                    policy=pol.secret_policy(pol.allow_read([PARTNER_ROLE])))
        self.secret("vault", "partner/account-condition", key="partner",
                    policy=pol.secret_policy({
                        "Sid": "PartnerAccount", "Effect": "Allow", "Principal": "*",
                        "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                        "Condition": {"StringEquals": {"aws:PrincipalAccount": OUTSIDER}}}))
        self.secret("vault", "retail/pretty", key="retail", rotation="rotate-nat", db_vpc=db,
                    policy=self.pretty_policy(retail))
        self.secret("vault", "retail/nat-private", key="retail", rotation="rotate-natpriv")
        self.secret("vault", "retail/no-private-dns", key="retail", rotation="rotate-nodns")
        self.secret("vault", "retail/long-schedule", key="retail", rotation="rotate-nat",
                    db_vpc=db, rotation_days=120)
        self.secret("vault", "retail/wide-route", key="retail", rotation="rotate-wide",
                    db_vpc=r["vpc-id:netcore-wide"])
        self.secret("vault", "ops/skip", key=None, tags=SKIP_TAG, policy=pol.secret_policy(
            pol.allow_read([pol.root_arn(OUTSIDER)])))
        self.secret("vault", "shared/managed-key", key=None, policy=read_retail)
        gone = self.secret("vault", "old/deleted", key="retail", policy=pol.secret_policy({
            "Sid": "Everyone", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
        self.cl("vault", "secretsmanager").delete_secret(SecretId=gone,
                                                         RecoveryWindowInDays=7)
        self.secret("vault", "retail/cross-key", key="central@dr", policy=read_retail)
        self.secret("vault", "retail/cross-alias", key=None, policy=read_retail,
                    kms_key_id=r["key:central@dr"].split(":key/")[0] + ":alias/gt21-central-dr")
        self.secret("vault", "retail/ctx-like", key="ctx-like", policy=read_retail)
        self.secret("vault", "shop/ctx", key="ctx-like", policy=read_retail)
        self.secret("vault", "retail/tight-egress", key="retail", rotation="rotate-tight",
                    db_vpc=r["vpc-id:netcore-tight"])
        self.secret("vault", "retail/tight-ok", key="retail", rotation="rotate-tight-ok",
                    db_vpc=r["vpc-id:netcore-tight-ok"])
        self.secret("vault", "retail/no-vpc", key="retail", rotation="rotate-novpc",
                    db_vpc=db)
        self.secret("vault", "retail/no-vpc-no-db", key="retail", rotation="rotate-novpc")
        self.secret("vault", "retail/stale-principal", key="retail", policy=pol.secret_policy(
            pol.allow_read(["AROA5DELETEDROLE0ID01"])))
        self.secret("vault", "analytics/mid-wildcard", key="analytics-grant", tags=TEAM_TAG,
                    policy=pol.secret_policy({
                        "Sid": "AnalyticsAnywhere", "Effect": "Allow", "Principal": "*",
                        "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                        "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [
                            r["path:analytics"].split("/")[0] + "/*/"
                            + r["path:analytics"].split("/")[-2] + "/*"]}}}))
        self.secret("vault", "retail/replica-alias", key="retail", policy=read_retail)
        self.cl("vault", "secretsmanager").replicate_secret_to_regions(
            SecretId=r["secret:retail/replica-alias"],
            AddReplicaRegions=[{"Region": EW2, "KmsKeyId": "alias/gt21-retail-ew2"}])
        r["replica:retail/replica-alias@eu-west-2"] = \
            r["secret:retail/replica-alias"].replace(f":{W1}:", f":{EW2}:")
        self.secret("vault", "retail/called-via", key="called-via", policy=read_retail)
        read_vendor = pol.secret_policy(pol.allow_read([pol.root_arn(VENDOR)]))
        self.secret("vault", "vendor/feed", key="vendor", policy=read_vendor)
        self.secret("vault", "vendor/managed", key=None, policy=read_vendor)
        # moto finds a rotation function by name in the secret's own account: a decoy of the
        # same name stands in while rotation is configured, then goes
        decoy = self.cl("vault", "lambda")
        decoy.create_function(FunctionName="rotate-shared", Runtime="python3.12",
                              Role=r[f"role:vault/{ROTATION}"], Handler="rotate.handler",
                              Code={"ZipFile": self.zip}, Timeout=30)
        self.secret("vault", "retail/xacct-rotation", key="xrot", rotation="rotate-shared",
                    db_vpc=db, policy=pol.secret_policy(pol.allow_read(
                        [r[f"role:netcore/{ROTATION}"]],
                        ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
                         "secretsmanager:PutSecretValue",
                         "secretsmanager:UpdateSecretVersionStage"])))
        decoy.delete_function(FunctionName="rotate-shared")
        self.secret("vault", "retail/mrk", key="mrk", replica=(EW2, "mrk@ew2"),
                    policy=read_retail)
        self.secret("vault", "retail/restricted", key="retail", policy=read_retail,
                    tags={"classification": "restricted"})
        self.secret("vault", "retail/abac-ok", key="retail", policy=read_retail,
                    tags={"owner": "retail"})
        self.secret("vault", "retail/abac-other", key="retail", policy=read_retail,
                    tags={"owner": "finance"})
        self.secret("vault", "retail/region-pinned", key="retail", replica=(EW2, "retail@ew2"),
                    policy=pol.secret_policy(pol.allow_read([pol.role_arn(a["retail"],
                                                                          PINNED)])))
        self.secret("vault", "retail/sg-ref", key="retail", rotation="rotate-sgref",
                    db_vpc=r["vpc-id:netcore-sgref"])
        self.secret("vault", "retail/back-route-elsewhere", key="retail",
                    rotation="rotate-sgref", db_vpc=r["vpc-id:netcore-elsewhere"])
        self.secret("vault", "retail/dead-grant", key="dead-grant", policy=read_retail)
        self.secret("vault", "shared/default-alias", key=None, policy=read_retail,
                    kms_key_id="alias/aws/secretsmanager")
        self.secret("vault", "shared/default-alias-arn", key=None, policy=read_retail,
                    kms_key_id=f"arn:aws:kms:{W1}:{a['vault']}:alias/aws/secretsmanager")
        read_exact = pol.secret_policy(pol.allow_read([pol.role_arn(a["retail"], EXACT)]))
        self.secret("vault", "retail/db.v2+blue@main=1_a", key="retail", policy=read_exact)
        self.secret("vault", "retail/dbXv2+blue@main=1_a", key="retail", policy=read_exact)
        self.secret("vault", "ops/odd-sid", key="partner", policy=pol.secret_policy(
            pol.allow_read([PARTNER_ROLE], sid=ODD_SID)))
        stuck = self.secret("vault", "retail/stuck-pending", key="retail",
                            rotation="rotate-nat", db_vpc=db)
        self.cl("vault", "secretsmanager").put_secret_value(
            SecretId=stuck, SecretString='{"password":"gt21-next"}',
            VersionStages=["AWSPENDING"])
        self.secret("vault-dr", "dr/tokyo", key="dr@an1", region=AN1, policy=read_retail,
                    rotation="rotate-dr", db_vpc=r["vpc-id:netcore-tokyo"])


def seed(endpoint_url: str) -> Estate:
    """Reset the moto server and build the estate (groundtruth.seed_estate)."""
    return seed_estate(_Seeder, endpoint_url, seed=21,
                       steps=(_Seeder.roles, _Seeder.keys, _Seeder.network, _Seeder.secrets,
                              _Seeder.grants, _Seeder.identity))
