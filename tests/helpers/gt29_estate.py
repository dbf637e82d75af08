"""Ground-truth trial round 29: an organization aimed at what changes from night to night,
unlike rounds 19 to 28, built in moto through sts.assume_role into each account, and what a
careful auditor says about it on each of three nights.

Shape:

* management 123456789012 (holds nothing); OUs Security (sec: the central secrets, their keys,
  the rotation function) and Apps, under it Prod (pay: reads central secrets, holds its own on
  its own keys; mover) and Dev (dev: reads central secrets and pay's); one Region, us-west-2.
* one rotation function, rotate, published twice: version 1 runs as OldRotator in a VPC with no
  way to the Secrets Manager endpoint (novpc), version 2 and $LATEST as NewRotator in a VPC with
  an interface endpoint (rotvpc); alias live names version 1, blue version 2. The key rot lets
  NewRotator decrypt and not OldRotator (its policy does not delegate to IAM: the key policy
  alone denies); both roles' identity policies allow the rotation. Secrets rotated by
  rotate:live, rotate:blue, rotate:1, rotate:$LATEST and rotate.
* alias db names version 3, published in v3vpc (an endpoint, no peering); $LATEST's rotvpc
  peers with the database VPC db that rot/db and rot/db-latest name (secretgraph:db-vpc).
* tag-based access: "*" of the organization whose aws:PrincipalTag/team is payments; pay's
  AppRole is team payments and dev's DevRole team search on night 1, swapped on night 2.
* an OU-path grant: "*" whose aws:PrincipalOrgPaths is under Apps/Prod; mover moves to Dev on
  night 2.
* the same two in key policies (teamkey, oukey) under secrets naming DevRole beside AppRole or
  MoverRole: broken for DevRole on night 1 (fixed by remediate --apply), for AppRole and
  MoverRole on night 2.
* a public secret (Principal "*", no condition), its fix applied after night 1 (remediate
  --apply) and the public statement put back on night 3.
* pay's own secrets on its own keys, read by dev's DevRole: one key grants dev, one does not
  (its Decrypt granted by remediate --apply after night 1).

Night 2: alias blue moved to version 1, the team tags swapped, mover moved to Dev, the
suppression of rot/v1's rotation role expired (the file's entry dated before the scan).
Night 3: alias blue back on version 2, the public statement of pub/open put back.

``ground_truth`` (and ``night2_truth``, ``night3_truth``) were written from the AWS
documentation before the scans were run: for each resource, the rules that do not pass and the
cross-account principals that can read it.
"""

from __future__ import annotations

from helpers.groundtruth import Estate, Seeder, Truth, seed_estate
from scanner.demo import network as net
from scanner.demo import policies as pol
from scanner.demo.clients import MANAGEMENT_ACCOUNT, Clients

W = "us-west-2"
REGIONS = (W,)
ROLE = "OrganizationAccountAccessRole"
APP, DEV, MOVER = "AppRole", "DevRole", "MoverRole"
OLD, NEW = "OldRotator", "NewRotator"
ROLE_RULE = "secret-rotation-role-cannot-read"
NET_RULE = "secret-rotation-no-network-path"

#: night 1: rot/v1's rotation role muted until after the scan; nights 2 and 3: expired
SUPPRESSION = """suppressions:
  - rule: secret-rotation-role-cannot-read
    resource: "arn:aws:secretsmanager:us-west-2:*:secret:rot/v1-*"
    reason: version 1 retires this week
    expires: {expires}
    owner: secops@gt29.invalid
"""
SUPPRESSIONS = SUPPRESSION.format(expires="2099-12-31")
EXPIRED = SUPPRESSION.format(expires="2026-12-01")

OFF = {"secret-rotation-disabled": "FAIL"}
BROKEN = {"secret-cross-account-access-broken": "FAIL"}
PUBLIC = {"secret-policy-public": "FAIL"}
ROTATED = ("rot/live", "rot/blue", "rot/v1", "rot/latest", "rot/plain")


def ground_truth(e: Estate) -> dict[str, Truth]:
    """Resource ARN -> the auditor's verdict on night 1. Readers are cross-account only."""
    a, r = e.accounts, e.res
    app, dev, mover = (pol.role_arn(a["pay"], APP), pol.role_arn(a["dev"], DEV),
                       pol.role_arn(a["mover"], MOVER))
    roots = {pol.root_arn(a[n]) for n in ("pay", "dev", "mover")}
    t: dict[str, Truth] = {}
    # version 1 (alias live, and rotate:1) runs as OldRotator, whom the key rot does not let
    # decrypt (Lambda API Reference, GetFunctionConfiguration: "Returns the version-specific
    # settings of a Lambda function or version"), in novpc: no endpoint, no NAT gateway
    old = {ROLE_RULE: "FAIL", NET_RULE: "FAIL"}
    t[r["secret:rot/live"]] = Truth(fails=old, readers=frozenset())
    t[r["secret:rot/v1"]] = Truth(fails={ROLE_RULE: "MUTED", NET_RULE: "FAIL"},
                                  readers=frozenset())
    # version 2 (alias blue), $LATEST and the unqualified function: NewRotator, rotvpc
    for name in ("rot/blue", "rot/latest", "rot/plain", "rot/db-latest"):
        t[r[f"secret:{name}"]] = Truth(readers=frozenset())
    # alias db names version 3, published in v3vpc: an endpoint there, no peering with the
    # database VPC the secret's tag names ($LATEST's rotvpc has one)
    t[r["secret:rot/db"]] = Truth(fails={NET_RULE: "FAIL"}, readers=frozenset())
    t[r["secret:app/central"]] = Truth(fails=OFF, readers=frozenset({app}))
    # "*" of the organization whose team tag is payments: AppRole (roots carry no tags)
    t[r["secret:abac/team"]] = Truth(fails=OFF, readers=frozenset({app}))
    # "*" whose organization path is under Apps/Prod: pay's and mover's principals that
    # their identity policies (the roles) or nothing (the roots) let read
    t[r["secret:ou/prod"]] = Truth(fails=OFF, readers=frozenset(
        {app, mover, pol.root_arn(a["pay"]), pol.root_arn(a["mover"])}))
    # "*" without a condition; key main lets the three member accounts decrypt
    t[r["secret:pub/open"]] = Truth(fails={**OFF, **PUBLIC},
                                    readers=frozenset({app, dev, mover, *roots}))
    # the key lets "*" of the organization decrypt when its team tag is payments (AppRole),
    # or when its account is under Apps/Prod (mover); the secrets name DevRole too
    t[r["secret:abac/key-team"]] = Truth(fails={**OFF, **BROKEN}, readers=frozenset({app}))
    t[r["secret:ou/key-prod"]] = Truth(fails={**OFF, **BROKEN}, readers=frozenset({mover}))
    # pay's own secrets on its own keys
    t[r["secret:pay/own"]] = Truth(fails=OFF, readers=frozenset({dev}))
    t[r["secret:pay/own-broken"]] = Truth(fails={**OFF, **BROKEN}, readers=frozenset())
    return t


def night2_truth(e: Estate) -> dict[str, Truth]:
    """After remediate --apply of night 1's plan (OldRotator granted on the key rot for
    rot/live only -- kms:EncryptionContext:SecretARN; pub/open limited to the organization;
    DevRole granted on paykey2), and night 2's changes: blue on version 1, the team tags
    swapped, mover in Dev, the suppression expired."""
    a, r = e.accounts, e.res
    app, dev = pol.role_arn(a["pay"], APP), pol.role_arn(a["dev"], DEV)
    t = ground_truth(e)
    t[r["secret:rot/live"]] = Truth(fails={NET_RULE: "FAIL"}, readers=frozenset())
    t[r["secret:rot/blue"]] = Truth(fails={ROLE_RULE: "FAIL", NET_RULE: "FAIL"},
                                    readers=frozenset())
    t[r["secret:rot/v1"]] = Truth(fails={ROLE_RULE: "FAIL", NET_RULE: "FAIL"},
                                  readers=frozenset())
    t[r["secret:abac/team"]] = Truth(fails=OFF, readers=frozenset({dev}))
    t[r["secret:ou/prod"]] = Truth(fails=OFF, readers=frozenset({app, pol.root_arn(a["pay"])}))
    # the organization's principals: the same readers
    t[r["secret:pub/open"]] = Truth(fails=OFF, readers=t[r["secret:pub/open"]].readers)
    t[r["secret:pay/own-broken"]] = Truth(fails=OFF, readers=frozenset({dev}))
    # DevRole granted on both keys by the fixes; AppRole (now team search) and MoverRole (now
    # under Apps/Dev) no longer let in by the key: broken for them instead
    t[r["secret:abac/key-team"]] = Truth(fails={**OFF, **BROKEN}, readers=frozenset({dev}))
    t[r["secret:ou/key-prod"]] = Truth(fails={**OFF, **BROKEN}, readers=frozenset({dev}))
    return t


def night3_truth(e: Estate) -> dict[str, Truth]:
    """Night 2, with blue back on version 2 and pub/open's public statement put back."""
    r = e.res
    t = night2_truth(e)
    t[r["secret:rot/blue"]] = Truth(readers=frozenset())
    t[r["secret:pub/open"]] = Truth(fails={**OFF, **PUBLIC},
                                    readers=t[r["secret:pub/open"]].readers)
    return t


def public_policy() -> str:
    return pol.secret_policy({"Sid": "Everyone", "Effect": "Allow", "Principal": "*",
                              "Action": "secretsmanager:GetSecretValue", "Resource": "*"})


class _Seeder(Seeder):
    TAG, REGION, DB_ACCOUNT = "gt29", W, "sec"

    def org(self) -> str:
        org = self.c.get(MANAGEMENT_ACCOUNT, "organizations", W)
        org_id = str(org.create_organization(FeatureSet="ALL")["Organization"]["Id"])
        root = org.list_roots()["Roots"][0]["Id"]
        self.acct["management"] = MANAGEMENT_ACCOUNT
        self.res["org"], self.res["root"] = org_id, root
        for ou, parent in (("Security", "root"), ("Apps", "root"), ("Prod", "ou:Apps"),
                           ("Dev", "ou:Apps")):
            self.res[f"ou:{ou}"] = str(org.create_organizational_unit(
                ParentId=self.res[parent], Name=ou)["OrganizationalUnit"]["Id"])
        for name, ou in (("sec", "Security"), ("pay", "Prod"), ("mover", "Prod"),
                         ("dev", "Dev")):
            acct = str(org.create_account(AccountName=name, Email=f"{name}@gt29.invalid")
                       ["CreateAccountStatus"]["AccountId"])
            org.move_account(AccountId=acct, SourceParentId=root,
                             DestinationParentId=self.res[f"ou:{ou}"])
            self.acct[name] = acct
        return org_id

    # ------------------------------------------------------------------ IAM
    def roles(self) -> None:
        a = self.acct
        lam = pol.text(pol.trust("lambda.amazonaws.com"))
        ecs = pol.text(pol.trust("ecs-tasks.amazonaws.com"))
        sec_secrets = [f"arn:aws:secretsmanager:{W}:{a['sec']}:secret:*"]
        sec_keys = [f"arn:aws:kms:{W}:{a['sec']}:key/*"]
        iam = self.cl("sec", "iam")
        for name in (OLD, NEW):
            self.res[f"role:sec/{name}"] = str(iam.create_role(
                RoleName=name, AssumeRolePolicyDocument=lam)["Role"]["Arn"])
            iam.put_role_policy(RoleName=name, PolicyName="rotate", PolicyDocument=pol.text(
                pol.rotation_identity_policy(sec_secrets, sec_keys)))
        pay_secrets = [f"arn:aws:secretsmanager:{W}:{a['pay']}:secret:*"]
        pay_keys = [f"arn:aws:kms:{W}:{a['pay']}:key/*"]
        for owner, name, team, secrets, keys in (
                ("pay", APP, "payments", sec_secrets, sec_keys),
                ("dev", DEV, "search", sec_secrets + pay_secrets, sec_keys + pay_keys),
                ("mover", MOVER, None, sec_secrets, sec_keys)):
            iam = self.cl(owner, "iam")
            tags = [{"Key": "team", "Value": team}] if team else []
            self.res[f"role:{owner}/{name}"] = str(iam.create_role(
                RoleName=name, AssumeRolePolicyDocument=ecs, Tags=tags)["Role"]["Arn"])
            iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=pol.text(
                pol.reader_identity_policy(secrets, keys, REGIONS)))

    # ------------------------------------------------------------------ KMS
    def keys(self) -> None:
        a = self.acct
        roots = [pol.root_arn(a[n]) for n in ("pay", "dev", "mover")]
        self.key("sec", "main", pol.key_policy(a["sec"], roots, REGIONS))
        # no delegation to sec's IAM: the key policy alone decides who decrypts
        self.key("sec", "rot", pol.text(pol.doc(
            {"Sid": "KeyAdministrator", "Effect": "Allow",
             "Principal": {"AWS": pol.role_arn(a["sec"], ROLE)}, "Action": "kms:*",
             "Resource": "*"},
            {"Sid": "RotationFunction", "Effect": "Allow",
             "Principal": {"AWS": pol.role_arn(a["sec"], NEW)},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
             "Resource": "*", "Condition": pol.via_secretsmanager(REGIONS)})))
        # tag-based and OU-path-based Decrypt in the key policy: "*" of the organization whose
        # team tag is payments; "*" whose organization path is under Apps/Prod
        org, via = self.res["org"], pol.via_secretsmanager(REGIONS)["StringEquals"]
        self.key("sec", "teamkey", pol.text(pol.doc(pol.key_admin_statement(a["sec"]), {
            "Sid": "PaymentsDecrypt", "Effect": "Allow", "Principal": "*",
            "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {
                **via, "aws:PrincipalOrgID": org, "aws:PrincipalTag/team": "payments"}}})))
        path = f"{org}/{self.res['root']}/{self.res['ou:Apps']}/{self.res['ou:Prod']}/*"
        self.key("sec", "oukey", pol.text(pol.doc(pol.key_admin_statement(a["sec"]), {
            "Sid": "ProdDecrypt", "Effect": "Allow", "Principal": "*",
            "Action": "kms:Decrypt", "Resource": "*", "Condition": {
                "StringEquals": via,
                "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [path]}}})))
        self.key("pay", "paykey", pol.key_policy(a["pay"], [pol.root_arn(a["dev"])], REGIONS))
        self.key("pay", "paykey2", pol.key_policy(a["pay"]))

    # ------------------------------------------------------------------ rotation
    def functions(self) -> None:
        r = self.res
        _, new_sub, new_sg = self.rotation_vpc("sec", W, "10.10.0.0/16", "rotvpc")
        _, old_sub, old_sg = self.rotation_vpc("sec", W, "10.11.0.0/16", "novpc",
                                               endpoint=False)
        # a VPC with an endpoint and no peering, and a database VPC peered with rotvpc only
        _, v3_sub, v3_sg = self.rotation_vpc("sec", W, "10.12.0.0/16", "v3vpc")
        db_vpc, db_rtb = self.db_vpc(W, "10.20.0.0/16", "db")
        ec2 = self.cl("sec", "ec2")
        rot_vpc = ec2.describe_subnets(SubnetIds=[new_sub])["Subnets"][0]["VpcId"]
        rot_rtb = r["rtb:rotvpc"].rsplit("/", 1)[1]
        pcx = net.request_peering(ec2, rot_vpc, db_vpc, self.acct["sec"], W, "rot-db")
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        net.route(ec2, rot_rtb, "10.20.0.0/16", pcx)
        net.route(ec2, db_rtb, "10.10.0.0/16", pcx)
        lam = self.cl("sec", "lambda")
        arn = str(lam.create_function(
            FunctionName="rotate", Runtime="python3.12", Role=r[f"role:sec/{OLD}"],
            Handler="rotate.handler", Code={"ZipFile": self.zip}, Timeout=30,
            VpcConfig={"SubnetIds": [old_sub], "SecurityGroupIds": [old_sg]})["FunctionArn"])
        lam.publish_version(FunctionName="rotate")
        lam.update_function_configuration(
            FunctionName="rotate", Role=r[f"role:sec/{NEW}"],
            VpcConfig={"SubnetIds": [new_sub], "SecurityGroupIds": [new_sg]})
        lam.publish_version(FunctionName="rotate")
        # version 3: NewRotator in v3vpc (an endpoint, no way to the database); $LATEST back
        # in rotvpc
        for sub, sg in ((v3_sub, v3_sg), (new_sub, new_sg)):
            lam.update_function_configuration(
                FunctionName="rotate", VpcConfig={"SubnetIds": [sub], "SecurityGroupIds": [sg]})
            if sub == v3_sub:
                lam.publish_version(FunctionName="rotate")
        lam.create_alias(FunctionName="rotate", Name="db", FunctionVersion="3")
        lam.create_alias(FunctionName="rotate", Name="live", FunctionVersion="1")
        lam.create_alias(FunctionName="rotate", Name="blue", FunctionVersion="2")
        r["lambda:rotate"] = arn
        for q in ("live", "blue", "db", "1", "$LATEST"):
            r[f"lambda:rotate:{q}"] = f"{arn}:{q}"

    # ------------------------------------------------------------------ secrets
    def secrets(self) -> None:
        a, org = self.acct, self.res["org"]
        app, dev = pol.role_arn(a["pay"], APP), pol.role_arn(a["dev"], DEV)
        for name, fn in zip(ROTATED, ("rotate:live", "rotate:blue", "rotate:1",
                                      "rotate:$LATEST", "rotate")):
            self.secret("sec", name, key="rot", rotation=fn)
        # serving the database VPC (its tag): through alias db (version 3, v3vpc) and $LATEST
        for name, fn in (("rot/db", "rotate:db"), ("rot/db-latest", "rotate")):
            self.secret("sec", name, key="rot", rotation=fn, db_vpc=self.res["vpc-id:db"])
        self.secret("sec", "app/central", key="main",
                    policy=pol.secret_policy(pol.allow_read([app])))
        self.secret("sec", "abac/team", key="main", policy=pol.secret_policy(
            {"Sid": "PaymentsTeam", "Effect": "Allow", "Principal": "*",
             "Action": "secretsmanager:GetSecretValue", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalOrgID": org,
                                            "aws:PrincipalTag/team": "payments"}}}))
        path = f"{org}/{self.res['root']}/{self.res['ou:Apps']}/{self.res['ou:Prod']}/*"
        self.secret("sec", "ou/prod", key="main", policy=pol.secret_policy(
            {"Sid": "ProdOnly", "Effect": "Allow", "Principal": "*",
             "Action": "secretsmanager:GetSecretValue", "Resource": "*",
             "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [path]}}}))
        self.secret("sec", "pub/open", key="main", policy=public_policy())
        mover = pol.role_arn(a["mover"], MOVER)
        self.secret("sec", "abac/key-team", key="teamkey",
                    policy=pol.secret_policy(pol.allow_read([app, dev])))
        self.secret("sec", "ou/key-prod", key="oukey",
                    policy=pol.secret_policy(pol.allow_read([mover, dev])))
        self.secret("pay", "pay/own", key="paykey",
                    policy=pol.secret_policy(pol.allow_read([dev])))
        self.secret("pay", "pay/own-broken", key="paykey2",
                    policy=pol.secret_policy(pol.allow_read([dev])))


def seed(endpoint_url: str) -> Estate:
    """Reset the moto server and build night 1's estate (groundtruth.seed_estate)."""
    return seed_estate(_Seeder, endpoint_url, seed=29,
                       steps=(_Seeder.roles, _Seeder.keys, _Seeder.functions,
                              _Seeder.secrets))


def night2(e: Estate) -> None:
    """Night 2's changes (after night 1's fixes were applied): blue on version 1, the team
    tags swapped, mover moved to Dev."""
    c, a, r = Clients(e.endpoint_url), e.accounts, e.res
    c.get(a["sec"], "lambda", W).update_alias(FunctionName="rotate", Name="blue",
                                              FunctionVersion="1")
    c.get(a["pay"], "iam", W).tag_role(RoleName=APP, Tags=[{"Key": "team",
                                                            "Value": "search"}])
    c.get(a["dev"], "iam", W).tag_role(RoleName=DEV, Tags=[{"Key": "team",
                                                            "Value": "payments"}])
    c.get(MANAGEMENT_ACCOUNT, "organizations", W).move_account(
        AccountId=a["mover"], SourceParentId=r["ou:Prod"], DestinationParentId=r["ou:Dev"])


def night3(e: Estate) -> None:
    """Night 3's changes: blue back on version 2, pub/open public again."""
    c, a, r = Clients(e.endpoint_url), e.accounts, e.res
    c.get(a["sec"], "lambda", W).update_alias(FunctionName="rotate", Name="blue",
                                              FunctionVersion="2")
    c.get(a["sec"], "secretsmanager", W).put_resource_policy(
        SecretId=r["secret:pub/open"], ResourcePolicy=public_policy())
