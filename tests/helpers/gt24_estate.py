"""Ground-truth trial round 24: an organization that changes between two nights, unlike the
demo's and rounds 19 to 23, built in moto through sts.assume_role into each account, and what a
careful auditor says about each night and about what changed.

Shape:

* management 123456789012; OUs Vault (vault: the secrets, keys and rotation VPCs), Platform
  (db: the database VPCs), an OU named with unicode and HTML (web -- an account whose name is
  HTML --, api, leaver, retiring) and Quarantine (quar, under two SCPs: GetSecretValue only of
  secrets tagged quarantine-ok=true, kms:Decrypt only through Secrets Manager).
* secrets in ap-northeast-2, one replicated to ap-northeast-3; names with '/', '+', '=', '.',
  '@', '_' (the characters Secrets Manager allows besides letters and digits) and unicode in
  a tag value.
* rotation: two Lambdas outside any VPC (one serving a database VPC it cannot reach), secrets
  with many versions (AWSPENDING on the current version; AWSPENDING stuck on another one), a
  Lambda in a VPC with two peerings to the same database VPC (one active, one deleted) and
  overlapping routes (the database's /16 through the active one, a /24 inside it through the
  deleted one).

Night 2 (``night2``): the KMS grant letting ApiRole decrypt is revoked, the key of web/orders
is disabled, the active peering of the rotation VPC is deleted, the statement granting ApiRole
is taken out of api/shared's policy, the leaver account leaves the organization, the retiring
account is closed (SUSPENDED), and recreated/db is deleted and created again under the same
name.

``night1_truth`` / ``night2_truth`` and ``CHANGES`` were written from the AWS documentation
before the scans ran: for each resource, the rules that FAIL and who can read it; and what a
diff of the two nights must say.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from helpers.groundtruth import Estate, Seeder, Truth, seed_estate
from scanner.demo import network as net
from scanner.demo import policies as pol
from scanner.demo.clients import MANAGEMENT_ACCOUNT

NE2, NE3 = "ap-northeast-2", "ap-northeast-3"
REGIONS = (NE2, NE3)
ROLE = "OrganizationAccountAccessRole"
WEB, API, LEAVER, QUAR, ROTATION = "WebRole", "ApiRole", "LeaverRole", "QuarRole", "RotationRole"
RETIRING = "RetiringRole"
#: HTML and unicode where AWS allows them: an account name (printable ASCII), an OU name, a tag
WEB_ACCOUNT_NAME = 'web <img src=x onerror="alert(1)"> & co'
APPS_OU_NAME = "Apps \u00fcn\u00efc\u00f8d\u00e9 <b>bold</b>"
OWNER_TAG = {"owner": "Zo\u00eb \u0141ukasz \u65e5\u672c"}
#: a name with every punctuation character Secrets Manager allows in a name
ODD_NAME = "web/db+ro=main.v2@team_a-1"
SUPPRESSIONS = "suppressions: []\n"


def night1_truth(e: Estate) -> dict[str, Truth]:
    """Resource ARN -> the auditor's verdict on night 1. Readers are cross-account only."""
    a, r = e.accounts, e.res
    web, api = pol.role_arn(a["web"], WEB), pol.role_arn(a["api"], API)
    leaver, quar = pol.role_arn(a["leaver"], LEAVER), pol.role_arn(a["quar"], QUAR)
    retiring = pol.role_arn(a["retiring"], RETIRING)
    off = {"secret-rotation-disabled": "FAIL"}
    broken = {"secret-cross-account-access-broken": "FAIL"}
    return {
        # the odd name and its replica (own key in ap-northeast-3 granting WebRole there)
        r[f"secret:{ODD_NAME}"]: Truth(fails=off, readers=frozenset({web})),
        r[f"replica:{ODD_NAME}@{NE3}"]: Truth(readers=frozenset({web})),
        # ApiRole decrypts through a KMS grant (the key policy names nobody of api)
        r["secret:api/granted"]: Truth(fails=off, readers=frozenset({api})),
        r["secret:web/orders"]: Truth(fails=off, readers=frozenset({web})),
        r["secret:api/shared"]: Truth(fails=off, readers=frozenset({web, api})),
        # granted to the leaver account (in the organization tonight); the key names its role
        r["secret:partner/leaver"]: Truth(fails=off, readers=frozenset({leaver})),
        # Quarantine: GetSecretValue only of secrets tagged quarantine-ok=true (the SCP's
        # StringNotEquals matches when the tag is absent: "negated condition operators"), and
        # kms:Decrypt only through Secrets Manager -- which the read's Decrypt is
        r["secret:quar/ok"]: Truth(fails=off, readers=frozenset({quar})),
        r["secret:quar/blocked"]: Truth(fails={**off, **broken}, readers=frozenset()),
        r["secret:recreated/db"]: Truth(fails=off, readers=frozenset({web})),
        # "*" narrowed by aws:PrincipalOrgID: the organization's principals the key names --
        # not QuarRole (the tag gate SCP)
        r["secret:org/wide"]: Truth(fails=off, readers=frozenset({
            web, api, leaver, retiring})),
        # shared with the retiring account's role (ACTIVE tonight)
        r["secret:retiring/report"]: Truth(fails=off, readers=frozenset({retiring})),
        # rotated by a Lambda outside any VPC (it reaches the public Secrets Manager endpoint);
        # many versions, AWSPENDING on the AWSCURRENT one: a finished rotation
        r["secret:rot/many-versions"]: Truth(readers=frozenset()),
        # AWSPENDING on a version other than AWSCURRENT: stuck
        r["secret:rot/stuck"]: Truth(fails={"secret-rotation-failing": "FAIL"}),
        # a Lambda outside any VPC cannot reach a database VPC (no peering can name it)
        r["secret:rot/outside-db"]: Truth(fails={"secret-rotation-no-network-path": "FAIL"}),
        # two peerings to orders-db: the active one routed both ways; the deleted one's /24
        # route left in the Lambda's table (longest prefix: 10.80.5.0/24 is dropped; the
        # database's subnet 10.80.1.0/24 goes through the active one)
        r["secret:rot/twin"]: Truth(),
        r["rtb:rot-twin"]: Truth(fails={"vpc-peering-route-blackhole": "FAIL"}),
        # the deleted peering's route is the database's /16, the active one's its subnet's
        # /24: the database is reached (longest prefix match); the /16 route is dropped
        r["secret:rot/narrow"]: Truth(),
        r["rtb:rot-narrow"]: Truth(fails={"vpc-peering-route-blackhole": "FAIL"}),
    }


def night2_truth(e: Estate) -> dict[str, Truth]:
    """The verdict on night 2 (``e`` is night 2's estate: recreated/db is the new secret)."""
    a, r = e.accounts, e.res
    web = pol.role_arn(a["web"], WEB)
    off = {"secret-rotation-disabled": "FAIL"}
    broken = {"secret-cross-account-access-broken": "FAIL"}
    truth = night1_truth(e)
    truth.update({
        # the grant revoked: the key lets ApiRole in no more
        r["secret:api/granted"]: Truth(fails={**off, **broken}, readers=frozenset()),
        # the statement granting ApiRole removed from its policy: ApiRole's identity policy
        # still asks, but the owner no longer grants it -- no intended read is broken
        r["secret:api/shared"]: Truth(fails=off, readers=frozenset({web})),
        # its key disabled
        r["secret:web/orders"]: Truth(fails={**off, **broken, "secret-key-unusable": "FAIL"},
                                      readers=frozenset()),
        # the leaver account is outside the organization now (and not scanned: its role's
        # identity policy is not read, so no confident reader)
        r["secret:partner/leaver"]: Truth(fails={
            **off, "secret-policy-external-account": "FAIL"}, readers=frozenset()),
        # the active peering deleted: no way to the database; both tables route into nothing
        r["secret:rot/twin"]: Truth(fails={"secret-rotation-no-network-path": "FAIL"}),
        r["rtb:orders-db"]: Truth(fails={"vpc-peering-route-blackhole": "FAIL"}),
        # the leaver account's principals are no longer in the organization: the policy's
        # aws:PrincipalOrgID lets them in no more, whatever their identity policies say
        r["secret:org/wide"]: Truth(fails=off, readers=frozenset({
            web, pol.role_arn(a["api"], API)})),
        # the retiring account was closed (SUSPENDED, no longer scanned): nobody signs in to
        # it (the analysis says CONDITIONAL, "identity policies not collected")
        r["secret:retiring/report"]: Truth(fails=off, readers=frozenset()),
        # the new secret of the same name: the same verdict as the old one had
        r["secret:recreated/db"]: Truth(fails=off, readers=frozenset({web})),
    })
    return truth


def changes(n1: Estate, n2: Estate) -> dict[str, set[tuple[str, str]]]:
    """What ``secretgraph diff`` of night 1 -> night 2 must say, by ARN or id: new, resolved
    and changed findings (rule, resource), readers gained and lost (secret, principal),
    resources added, removed and changed (kind, id), and what was not assessed (scope,
    subject) -- nothing else."""
    r1, r2, a = n1.res, n2.res, n1.accounts
    web, api = pol.role_arn(a["web"], WEB), pol.role_arn(a["api"], API)
    # the vault's rotation role reads its own account's secrets (groundtruth's
    # rotation permissions): it reads the re-created secret, and the disabled key stops it
    rotation = pol.role_arn(a["vault"], ROTATION)
    return {
        "new": {
            ("secret-cross-account-access-broken", r2["secret:api/granted"]),
            ("secret-cross-account-access-broken", r2["secret:web/orders"]),
            ("secret-key-unusable", r2["secret:web/orders"]),
            ("secret-policy-external-account", r2["secret:partner/leaver"]),
            ("secret-rotation-no-network-path", r2["secret:rot/twin"]),
            ("vpc-peering-route-blackhole", r2["rtb:orders-db"]),
            # the new secret of the same name is another secret (another ARN)
            ("secret-rotation-disabled", r2["secret:recreated/db"]),
        },
        "resolved": {("secret-rotation-disabled", r1["secret:recreated/db"])},
        # still failing, now over two routes
        "changed": {("vpc-peering-route-blackhole", r2["rtb:rot-twin"])},
        "gained": {(r2["secret:recreated/db"], web), (r2["secret:recreated/db"], rotation)},
        # a deleted secret's readers go with it (docs/history.md: it shows under resources);
        # the leaver's role is outside the organization that org/wide is shared with
        "lost": {(r1["secret:api/granted"], api), (r1["secret:api/shared"], api),
                 (r1["secret:web/orders"], web), (r1["secret:web/orders"], rotation),
                 (r1["secret:org/wide"], pol.role_arn(a["leaver"], LEAVER))},
        "added": {("secret", r2["secret:recreated/db"])},
        "removed": {("secret", r1["secret:recreated/db"]), ("org_account", a["leaver"])},
        "changed_resources": {
            ("kms_key", r2["key:orders"]),           # Enabled -> Disabled
            ("kms_key", r2["key:granted"]),          # its grant to ApiRole revoked
            ("peering", f"{a['vault']}/{NE2}/{r2['pcx:twin-new']}"),  # active -> deleted
            ("secret", r2["secret:api/shared"]),     # the statement granting ApiRole removed
            # the leaver account no longer a target of the policies attached to every account
            ("scp", "p-FullAWSAccess"), ("rcp", "p-RCPFullAWSAccess"),
            ("org_account", a["retiring"])},                 # ACTIVE -> SUSPENDED
        # the leaver and the closed account are no longer scanned: their resources are not
        # assessed, never removed (nor is the closed account's role's read: known wording)
        "not_assessed": {
            ("account", a["leaver"]), ("account", a["retiring"]),
            ("resources", f"15 resource(s) seen only in the old scan: account {a['leaver']} "
                          "was not in the scan"),
            ("resources", f"15 resource(s) seen only in the old scan: account "
                          f"{a['retiring']} was not in the scan")},
    }


class _Seeder(Seeder):
    TAG, REGION, DB_ACCOUNT, ROTATION = "gt24", NE2, "db", ROTATION

    def org(self) -> str:
        org = self.c.get(MANAGEMENT_ACCOUNT, "organizations", "us-east-1")
        org_id = str(org.create_organization(FeatureSet="ALL")["Organization"]["Id"])
        root = org.list_roots()["Roots"][0]["Id"]

        def ou(name: str) -> str:
            return str(org.create_organizational_unit(ParentId=root, Name=name)
                       ["OrganizationalUnit"]["Id"])

        vault, platform, apps, quarantine = (ou("Vault"), ou("Platform"), ou(APPS_OU_NAME),
                                             ou("Quarantine"))
        self.acct["management"] = MANAGEMENT_ACCOUNT
        for name, parent in (("vault", vault), ("db", platform), ("web", apps), ("api", apps),
                             ("leaver", apps), ("quar", quarantine), ("retiring", apps)):
            shown = WEB_ACCOUNT_NAME if name == "web" else name
            acct = str(org.create_account(AccountName=shown, Email=f"{name}@gt24.invalid")
                       ["CreateAccountStatus"]["AccountId"])
            org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=parent)
            self.acct[name] = acct
        org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
        for name, statement in (
                ("QuarantineTagGate", {
                    "Sid": "OnlyTaggedSecrets", "Effect": "Deny",
                    "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                    "Condition": {"StringNotEquals": {
                        "aws:ResourceTag/quarantine-ok": "true"}}}),
                ("NoDirectDecrypt", {
                    "Sid": "DecryptOnlyThroughSecretsManager", "Effect": "Deny",
                    "Action": "kms:Decrypt", "Resource": "*",
                    "Condition": {"StringNotLike": {
                        "kms:ViaService": "secretsmanager.*.amazonaws.com"}}})):
            policy = org.create_policy(Name=name, Description=name,
                                       Type="SERVICE_CONTROL_POLICY",
                                       Content=pol.text(pol.doc(statement)))
            org.attach_policy(PolicyId=policy["Policy"]["PolicySummary"]["Id"],
                              TargetId=quarantine)
        self.res["org"] = org_id
        return org_id

    # ------------------------------------------------------------------ IAM
    def roles(self) -> None:
        vault = self.acct["vault"]
        sm = f"arn:aws:secretsmanager:*:{vault}:secret:*"
        keys = f"arn:aws:kms:*:{vault}:key/*"
        wide = pol.text(pol.reader_identity_policy([sm], [keys], REGIONS))
        for owner, name in (("web", WEB), ("api", API), ("leaver", LEAVER), ("quar", QUAR),
                            ("retiring", RETIRING)):
            iam = self.cl(owner, "iam")
            out = iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=pol.text(pol.trust("ecs-tasks.amazonaws.com")))
            iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=wide)
            self.res[f"role:{owner}/{name}"] = str(out["Role"]["Arn"])
        self.res[f"role:vault/{ROTATION}"] = str(self.cl("vault", "iam").create_role(
            RoleName=ROTATION,
            AssumeRolePolicyDocument=pol.text(pol.trust("lambda.amazonaws.com")))
            ["Role"]["Arn"])

    # ------------------------------------------------------------------ KMS
    def keys(self) -> None:
        a = self.acct
        web, api = pol.role_arn(a["web"], WEB), pol.role_arn(a["api"], API)
        self.key("vault", "app", pol.key_policy(a["vault"], [
            web, api, pol.role_arn(a["leaver"], LEAVER), pol.role_arn(a["retiring"], RETIRING),
            pol.role_arn(a["quar"], QUAR)], (NE2,)))
        self.key("vault", "granted", pol.key_policy(a["vault"]))
        kms = self.cl("vault", "kms")
        self.res["grant:api"] = str(kms.create_grant(
            KeyId=self.res["key:granted"], GranteePrincipal=api,
            Operations=["Decrypt"])["GrantId"])
        self.key("vault", "orders", pol.key_policy(a["vault"], [web], (NE2,)))
        self.key("vault", "ne3", pol.key_policy(a["vault"], [web], (NE3,)), NE3)

    # ------------------------------------------------------------------ network
    def network(self) -> None:
        a = self.acct
        rtb_id = lambda k: self.res[k].rsplit("/", 1)[1]  # noqa: E731
        dvpc, drtb = self.db_vpc(NE2, "10.80.0.0/16", "orders-db")
        vault_ec2, db_ec2 = self.cl("vault", "ec2"), self.cl("db", "ec2")
        vpc, sub, sg = self.rotation_vpc("vault", NE2, "10.71.0.0/16", "rot-twin")
        old = net.request_peering(vault_ec2, vpc, dvpc, a["db"], NE2, "twin-old")
        db_ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=old)
        # the old peering's narrower route stays behind once it is deleted
        net.route(vault_ec2, rtb_id("rtb:rot-twin"), "10.80.5.0/24", old)
        vault_ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=old)
        new = net.request_peering(vault_ec2, vpc, dvpc, a["db"], NE2, "twin-new")
        db_ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=new)
        net.route(vault_ec2, rtb_id("rtb:rot-twin"), "10.80.0.0/16", new)
        net.route(db_ec2, drtb, "10.71.0.0/16", new)
        self.res["pcx:twin-old"], self.res["pcx:twin-new"] = old, new
        self.lam("vault", NE2, "rotate-twin", sub, sg)
        # the other way round: the deleted peering keeps the database's whole /16, the active
        # one the database's subnet /24 (longest prefix: the database is reached)
        vpc, sub, sg = self.rotation_vpc("vault", NE2, "10.72.0.0/16", "rot-narrow")
        old = net.request_peering(vault_ec2, vpc, dvpc, a["db"], NE2, "narrow-old")
        db_ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=old)
        net.route(vault_ec2, rtb_id("rtb:rot-narrow"), "10.80.0.0/16", old)
        vault_ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=old)
        new = net.request_peering(vault_ec2, vpc, dvpc, a["db"], NE2, "narrow-new")
        db_ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=new)
        net.route(vault_ec2, rtb_id("rtb:rot-narrow"), "10.80.1.0/24", new)
        net.route(db_ec2, drtb, "10.72.0.0/16", new)
        self.lam("vault", NE2, "rotate-narrow", sub, sg)
        out = self.cl("vault", "lambda").create_function(
            FunctionName="rotate-public", Runtime="python3.12",
            Role=self.res[f"role:vault/{ROTATION}"], Handler="rotate.handler",
            Code={"ZipFile": self.zip}, Timeout=30)
        self.res["lambda:rotate-public"] = str(out["FunctionArn"])

    # ------------------------------------------------------------------ secrets
    def secrets(self) -> None:
        a, r = self.acct, self.res
        web, api = pol.role_arn(a["web"], WEB), pol.role_arn(a["api"], API)
        quar = pol.role_arn(a["quar"], QUAR)
        self.secret("vault", ODD_NAME, key="app", replica=(NE3, "ne3"), tags=OWNER_TAG,
                    policy=pol.secret_policy(pol.allow_read([web])))
        self.secret("vault", "api/granted", key="granted",
                    policy=pol.secret_policy(pol.allow_read([api])))
        self.secret("vault", "web/orders", key="orders",
                    policy=pol.secret_policy(pol.allow_read([web])))
        self.secret("vault", "api/shared", key="app", policy=pol.secret_policy(
            pol.allow_read([web], sid="Web"), pol.allow_read([api], sid="Api")))
        self.secret("vault", "partner/leaver", key="app", policy=pol.secret_policy(
            pol.allow_read([pol.root_arn(a["leaver"])])))
        self.secret("vault", "quar/ok", key="app", tags={"quarantine-ok": "true"},
                    policy=pol.secret_policy(pol.allow_read([quar])))
        self.secret("vault", "quar/blocked", key="app",
                    policy=pol.secret_policy(pol.allow_read([quar])))
        self.secret("vault", "org/wide", key="app", policy=pol.secret_policy({
            "Sid": "Organization", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": r["org"]}}}))
        self.secret("vault", "retiring/report", key="app", policy=pol.secret_policy(
            pol.allow_read([pol.role_arn(a["retiring"], RETIRING)])))
        self.recreated()
        sm = self.cl("vault", "secretsmanager")
        for name in ("rot/many-versions", "rot/stuck"):
            arn = self.secret("vault", name, key="app", rotation="rotate-public")
            for i in range(6):
                sm.put_secret_value(SecretId=arn, SecretString=f'{{"password":"v{i}"}}')
            if name == "rot/many-versions":
                # a finished rotation: AWSPENDING left on the version that became AWSCURRENT
                current = _version(sm, arn, "AWSCURRENT")
                sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSPENDING",
                                               MoveToVersionId=current)
            else:
                # a rotation that never finished: AWSPENDING on a newer version
                out = sm.put_secret_value(SecretId=arn, SecretString='{"password":"pending"}',
                                          VersionStages=["AWSPENDING"])
                r["version:rot/stuck"] = str(out["VersionId"])
        self.secret("vault", "rot/outside-db", key="app", rotation="rotate-public",
                    db_vpc=r["vpc-id:orders-db"])
        self.secret("vault", "rot/twin", key="app", rotation="rotate-twin",
                    db_vpc=r["vpc-id:orders-db"])
        self.secret("vault", "rot/narrow", key="app", rotation="rotate-narrow",
                    db_vpc=r["vpc-id:orders-db"])

    def recreated(self) -> None:
        web = pol.role_arn(self.acct["web"], WEB)
        self.secret("vault", "recreated/db", key="app",
                    policy=pol.secret_policy(pol.allow_read([web])))

    # ------------------------------------------------------------------ night 2
    def night2(self) -> None:
        a, r = self.acct, self.res
        self.cl("vault", "kms").revoke_grant(KeyId=r["key:granted"], GrantId=r["grant:api"])
        self.cl("vault", "secretsmanager").put_resource_policy(
            SecretId=r["secret:api/shared"], ResourcePolicy=pol.secret_policy(
                pol.allow_read([pol.role_arn(a["web"], WEB)], sid="Web")))
        self.cl("vault", "kms").disable_key(KeyId=r["key:orders"].rsplit("/", 1)[1])
        self.cl("vault", "ec2").delete_vpc_peering_connection(
            VpcPeeringConnectionId=r["pcx:twin-new"])
        org = self.c.get(MANAGEMENT_ACCOUNT, "organizations", "us-east-1")
        org.remove_account_from_organization(AccountId=a["leaver"])
        org.close_account(AccountId=a["retiring"])
        self.cl("vault", "secretsmanager").delete_secret(
            SecretId=r["secret:recreated/db"], ForceDeleteWithoutRecovery=True)
        self.recreated()


def _version(sm: Any, arn: str, stage: str) -> str:
    versions = sm.list_secret_version_ids(SecretId=arn)["Versions"]
    return next(str(v["VersionId"]) for v in versions if stage in v.get("VersionStages", []))


def seed(endpoint_url: str) -> Estate:
    """Reset the moto server and build night 1's estate (groundtruth.seed_estate)."""
    return seed_estate(_Seeder, endpoint_url, seed=24,
                       steps=(_Seeder.roles, _Seeder.keys, _Seeder.network, _Seeder.secrets))


def night2(estate: Estate) -> Estate:
    """Change night 1's estate (on the same moto server) into night 2's; the new estate names
    the re-created secret's new ARN."""
    s = _Seeder(estate.endpoint_url)
    s.acct, s.res = dict(estate.accounts), dict(estate.res)
    s.night2()
    return replace(estate, res=dict(sorted(s.res.items())))


#: night 1's verdicts, as every round names them (groundtruth)
ground_truth = night1_truth
