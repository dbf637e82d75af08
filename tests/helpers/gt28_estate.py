"""Ground-truth trial round 28: an organization aimed at scale and shape repetition, unlike the
demo's and rounds 19 to 27, built in moto through sts.assume_role into each account, and what a
careful auditor says about it.

Shape:

* management 123456789012 (holds nothing); OUs Security (sec: the central secrets and keys, the
  hub VPCs), Apps (pay: the readers, and a secret of its own; shop: a reader, and secrets of
  its own read by pay) and Data (net: the database VPCs); 444433332222 is outside.
* Regions us-west-2 (everything) and eu-central-1 (the replicas and their keys).
* 200 central secrets in five shapes of 40 (one reader; public, on a key letting shop decrypt
  only bulk/public-01* (kms:EncryptionContext:SecretARN) beside a role of pay reading only
  bulk/public-00*; an outside account besides the reader; the AWS-managed key with a reader;
  "*" narrowed to the organization and to the caller's tag team being the secret's tag team,
  tags alternating payments / search): each shape must give each of its secrets the same
  verdicts, about that secret, and the readers its name and tags let in.
* replicas in eu-central-1: on a key that grants the reader there too, on the AWS-managed key,
  on a key that grants only shop, on a key disabled after the replica was made.
* resource policies of exactly 0.8 x 20,480 = 16,384 characters (whitespace padding: it
  counts) and of 16,383; one of 16,300 characters that is longer in UTF-8 bytes; one whose
  \\u escapes make 16,500 characters of what decodes to fewer. A key policy 30 bytes
  under 32 KB, under a secret granting a role the key does not (no edit of it fits).
* tag-based access on a key: a key tagged team=payments whose policy lets "*" of the
  organization decrypt when aws:ResourceTag/team (the key's tag, KMS's resource) is the
  caller's aws:PrincipalTag/team, under a secret tagged team=search granted to SearchRole
  (team=search) and AppRole (team=payments); a role whose identity policy decrypts only with
  keys tagged team=shared (the key main is, the key pub is not).
* peering quotas: a hub with 40 active peerings (0.8 x 50), one with 39 active and one pending
  acceptance, one with 40 active under a quota raised to 125 (config), and a database VPC that
  accepts 40 peerings (the quota is per VPC, either side).

``ground_truth`` was written from the AWS documentation before the scan was run: for each
resource, the rules that do not pass and who can read it.
"""

from __future__ import annotations

import json
from typing import Any

from helpers.groundtruth import Estate, Seeder, Truth, seed_estate
from scanner.demo import network as net
from scanner.demo import policies as pol
from scanner.demo.clients import MANAGEMENT_ACCOUNT

W, C = "us-west-2", "eu-central-1"
REGIONS = (W, C)
ROLE = "OrganizationAccountAccessRole"
OUTSIDER = "444433332222"
APP, SEARCH, PLAIN, SHOP = "AppRole", "SearchRole", "PlainRole", "ShopRole"
KEYTAG = "KeyTagRole"
SUPPRESSIONS = "suppressions: []\n"
SHAPES = ("one", "public", "outside", "managed", "tagged")
PER_SHAPE = 40
LIMIT = 20_480
FILLERS = 40
#: the big key policy's length: 30 bytes under KMS's 32,768
KEY_POLICY_NEAR = 32_738

OFF = {"secret-rotation-disabled": "FAIL"}
BROKEN = {"secret-cross-account-access-broken": "FAIL"}


def bulk_name(shape: str, i: int) -> str:
    return f"bulk/{shape}-{i:03d}"


def team_of(i: int) -> str:
    return "payments" if i % 2 == 0 else "search"


def padded(document: dict[str, Any], length: int, *, ensure_ascii: bool = True) -> str:
    """``document`` as compact JSON padded with spaces before its last brace to ``length``
    characters (whitespace counts toward the 20,480: AWS_FACTS.md)."""
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=ensure_ascii)
    assert len(body) <= length, (len(body), length)
    return body[:-1] + " " * (length - len(body)) + "}"


def compact(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))


def deny_list(values: list[str]) -> dict[str, Any]:
    """A Deny of DeleteSecret to callers whose team tag is one of ``values`` (narrows only)."""
    return {"Sid": "DenyDeleteByTeam", "Effect": "Deny", "Principal": "*",
            "Action": "secretsmanager:DeleteSecret", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": values}}}


def ground_truth(e: Estate) -> dict[str, Truth]:
    """Resource ARN -> the auditor's verdict on night 1. Readers are cross-account only."""
    a, r = e.accounts, e.res
    app, search, plain = (pol.role_arn(a["pay"], n) for n in (APP, SEARCH, PLAIN))
    shop = pol.role_arn(a["shop"], SHOP)
    t: dict[str, Truth] = {}
    for i in range(PER_SHAPE):
        t[r[f"secret:{bulk_name('one', i)}"]] = Truth(fails=OFF, readers=frozenset({app}))
        # "*" without a condition: every principal whose identity policy reads the secret and
        # whose account the key pub lets decrypt it (pay's root: its IAM decides; shop's root
        # only for the secrets named bulk/public-01*, by kms:EncryptionContext:SecretARN),
        # and those accounts' root users (no identity policy governs them). PlainRole's
        # identity policy reads bulk/public-00* only. One policy text, one key, and per
        # secret other readers
        public = {app, search, pol.root_arn(a["pay"])}
        if i < 10:
            public.add(plain)
        elif i < 20:
            public.update({shop, pol.root_arn(a["shop"])})
        t[r[f"secret:{bulk_name('public', i)}"]] = Truth(
            fails={**OFF, "secret-policy-public": "FAIL"}, readers=frozenset(public))
        # the outsider's root is granted (its account decides); the key does not let it
        # decrypt, but a grant nobody intended is not "broken"
        t[r[f"secret:{bulk_name('outside', i)}"]] = Truth(
            fails={**OFF, "secret-policy-external-account": "FAIL"},
            readers=frozenset({app}))
        # aws/secretsmanager: no other account can decrypt
        t[r[f"secret:{bulk_name('managed', i)}"]] = Truth(
            fails={**OFF, "secret-uses-aws-managed-key": "FAIL", **BROKEN},
            readers=frozenset())
        # "*" of the organization whose team tag is the secret's: AppRole (payments) or
        # SearchRole (search); PlainRole has no team tag (the variable matches nothing)
        t[r[f"secret:{bulk_name('tagged', i)}"]] = Truth(
            fails=OFF, readers=frozenset({app if team_of(i) == "payments" else search}))
    # replicas (eu-central-1)
    t[r["secret:rep/eu-cmk"]] = Truth(fails=OFF, readers=frozenset({app}))
    t[r[f"replica:rep/eu-cmk@{C}"]] = Truth(readers=frozenset({app}))
    t[r["secret:rep/eu-default"]] = Truth(fails=OFF, readers=frozenset({app}))
    t[r[f"replica:rep/eu-default@{C}"]] = Truth(
        fails={"secret-uses-aws-managed-key": "FAIL", "secret-replica-unhealthy": "FAIL",
               **BROKEN}, readers=frozenset())
    t[r["secret:rep/eu-narrow"]] = Truth(fails=OFF, readers=frozenset({app, shop}))
    t[r[f"replica:rep/eu-narrow@{C}"]] = Truth(fails=BROKEN, readers=frozenset({shop}))
    t[r["secret:rep/eu-off"]] = Truth(fails=OFF, readers=frozenset({app}))
    t[r[f"replica:rep/eu-off@{C}"]] = Truth(
        fails={"secret-replica-unhealthy": "FAIL", **BROKEN}, readers=frozenset())
    # the replica carries its primary's tags ("Secrets Manager replicates the encrypted secret
    # data and metadata such as tags and resource policies", Secrets Manager User Guide,
    # "Replicate secrets across Regions"); eu-main lets pay decrypt, not shop
    t[r["secret:rep/tagged-payments"]] = Truth(fails=OFF, readers=frozenset({app}))
    t[r[f"replica:rep/tagged-payments@{C}"]] = Truth(readers=frozenset({app}))
    t[r["secret:rep/tagged-search"]] = Truth(fails=OFF, readers=frozenset({search}))
    t[r[f"replica:rep/tagged-search@{C}"]] = Truth(readers=frozenset({search}))
    # policy sizes: 16,384 characters is 0.8 of 20,480 (at least: FAIL); 16,383 is not;
    # characters, not UTF-8 bytes; the \u escapes are characters of the policy as sent
    size = {"secret-policy-size-near-limit": "FAIL"}
    t[r["secret:size/at-ratio"]] = Truth(fails={**OFF, **size}, readers=frozenset({app}))
    t[r["secret:size/under-ratio"]] = Truth(fails=OFF, readers=frozenset({app}))
    t[r["secret:size/unicode"]] = Truth(fails=OFF, readers=frozenset({app}))
    t[r["secret:size/escaped"]] = Truth(fails={**OFF, **size}, readers=frozenset({app}))
    # a key policy 30 bytes under the 32 KB quota: nothing wrong with it; SearchRole is
    # granted by the secret's policy, not by the key's
    t[r["secret:size/big-key"]] = Truth(fails=OFF, readers=frozenset({app}))
    t[r["secret:size/big-key-search"]] = Truth(fails={**OFF, **BROKEN}, readers=frozenset({app}))
    # the key's tag team=payments: AppRole decrypts, SearchRole does not (its tag is search;
    # the secret's own tag team=search is not the key's resource tag)
    t[r["secret:abac/key-tag"]] = Truth(fails={**OFF, **BROKEN}, readers=frozenset({app}))
    # KeyTagRole's identity policy decrypts with keys tagged team=shared: main is, pub is not
    # (so it reads none of the public secrets)
    t[r["secret:abac/identity-key-tag"]] = Truth(
        fails=OFF, readers=frozenset({pol.role_arn(a["pay"], KEYTAG)}))
    # member accounts' own secrets
    t[r["secret:shop/own-db"]] = Truth(fails=OFF, readers=frozenset({app}))
    t[r["secret:shop/own-managed"]] = Truth(
        fails={**OFF, "secret-uses-aws-managed-key": "FAIL", **BROKEN}, readers=frozenset())
    t[r["secret:pay/local"]] = Truth(
        fails={**OFF, "secret-uses-aws-managed-key": "FAIL"}, readers=frozenset())
    # peering quotas
    quota = {"vpc-peering-quota-near-limit": "FAIL"}
    t[r["vpc:hub40"]] = Truth(fails=quota)
    t[r["vpc:dbhub"]] = Truth(fails=quota)
    # the key disabled under rep/eu-off's replica: no rule of keys judges a disabled key's
    # rotation (KMS rotates an enabled key only) -- nothing for it
    return t




def night2_truth(e: Estate) -> dict[str, Truth]:
    """After ``remediate --apply`` of night 1's plan (without --rule or --finding; nothing
    else changed): the public statements limited to the organization, shop/own-managed moved
    to shop's one CMK (which lets AppRole decrypt), SearchRole added to the abac key's Decrypt
    statement. Not planned: SearchRole's Decrypt on the big key (its policy would pass 32,768
    bytes), the outside grants (remove-external-grant runs only when selected), the 40
    managed secrets (three CMKs in the account: remediation.cmk must choose), pay/local (no
    CMK in its account), the replicas (a replica's key is fixed by hand), sizes and quotas
    (manual)."""
    a, r = e.accounts, e.res
    app, search = pol.role_arn(a["pay"], APP), pol.role_arn(a["pay"], SEARCH)
    t = ground_truth(e)
    for i in range(PER_SHAPE):
        # "*" of the organization: the same readers (all of them are of the organization)
        arn = r[f"secret:{bulk_name('public', i)}"]
        t[arn] = Truth(fails=OFF, readers=t[arn].readers)
    t[r["secret:shop/own-managed"]] = Truth(fails=OFF, readers=frozenset({app}))
    t[r["secret:abac/key-tag"]] = Truth(fails=OFF, readers=frozenset({app, search}))
    return t


class _Seeder(Seeder):
    TAG, REGION, DB_ACCOUNT = "gt28", W, "net"

    def org(self) -> str:
        org = self.c.get(MANAGEMENT_ACCOUNT, "organizations", W)
        org_id = str(org.create_organization(FeatureSet="ALL")["Organization"]["Id"])
        root = org.list_roots()["Roots"][0]["Id"]
        self.acct["management"] = MANAGEMENT_ACCOUNT
        self.res["org"], self.res["root"] = org_id, root
        for ou in ("Security", "Apps", "Data"):
            self.res[f"ou:{ou}"] = str(org.create_organizational_unit(
                ParentId=root, Name=ou)["OrganizationalUnit"]["Id"])
        for name, ou in (("sec", "Security"), ("pay", "Apps"), ("shop", "Apps"),
                         ("net", "Data")):
            acct = str(org.create_account(AccountName=name, Email=f"{name}@gt28.invalid")
                       ["CreateAccountStatus"]["AccountId"])
            org.move_account(AccountId=acct, SourceParentId=root,
                             DestinationParentId=self.res[f"ou:{ou}"])
            self.acct[name] = acct
        return org_id

    # ------------------------------------------------------------------ IAM
    def roles(self) -> None:
        a = self.acct
        secrets = [f"arn:aws:secretsmanager:{r}:{a[o]}:secret:*" for r in REGIONS
                   for o in ("sec", "shop")]
        keys = [f"arn:aws:kms:{r}:{a[o]}:key/*" for r in REGIONS for o in ("sec", "shop")]
        reader = pol.text(pol.reader_identity_policy(secrets, keys, REGIONS))
        ecs = pol.text(pol.trust("ecs-tasks.amazonaws.com"))
        for owner, name, team in (("pay", APP, "payments"), ("pay", SEARCH, "search"),
                                  ("pay", PLAIN, None), ("shop", SHOP, "shop")):
            iam = self.cl(owner, "iam")
            tags = [{"Key": "team", "Value": team}] if team else []
            self.res[f"role:{owner}/{name}"] = str(iam.create_role(
                RoleName=name, AssumeRolePolicyDocument=ecs, Tags=tags)["Role"]["Arn"])
            iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=(
                reader if name != PLAIN else pol.text(pol.reader_identity_policy(
                    [f"arn:aws:secretsmanager:{W}:{a['sec']}:secret:bulk/public-00*"], keys,
                    REGIONS))))
        # decrypts with any key whose own tag team is shared (aws:ResourceTag on kms:Decrypt
        # is the key's tag): the key main only
        iam = self.cl("pay", "iam")
        self.res[f"role:pay/{KEYTAG}"] = str(iam.create_role(
            RoleName=KEYTAG, AssumeRolePolicyDocument=ecs)["Role"]["Arn"])
        iam.put_role_policy(RoleName=KEYTAG, PolicyName="read", PolicyDocument=pol.text(pol.doc(
            {"Sid": "ReadCentral", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": secrets},
            {"Sid": "DecryptSharedKeys", "Effect": "Allow", "Action": "kms:Decrypt",
             "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "shared"}}})))

    # ------------------------------------------------------------------ KMS
    def keys(self) -> None:
        a = self.acct
        pay_root, shop_root = pol.root_arn(a["pay"]), pol.root_arn(a["shop"])
        app = pol.role_arn(a["pay"], APP)
        self.cl("sec", "kms").tag_resource(KeyId=self.key(
            "sec", "main", pol.key_policy(a["sec"], [pay_root, shop_root], (W,))),
            Tags=[{"TagKey": "team", "TagValue": "shared"}])
        self.key("sec", "pub", pol.key_policy(a["sec"], [pay_root], (W,), extra=[
            {"Sid": "ShopReadsPublic01", "Effect": "Allow", "Principal": {"AWS": shop_root},
             "Action": "kms:Decrypt", "Resource": "*", "Condition": {
                 "StringEquals": {"kms:ViaService": f"secretsmanager.{W}.amazonaws.com"},
                 "StringLike": {"kms:EncryptionContext:SecretARN": (
                     f"arn:aws:secretsmanager:{W}:{a['sec']}:secret:bulk/public-01*")}}}]))
        self.key("sec", "eu-main", pol.key_policy(a["sec"], [pay_root], (C,)), C)
        self.key("sec", "eu-narrow", pol.key_policy(a["sec"], [shop_root], (C,)), C)
        self.key("sec", "eu-off", pol.key_policy(a["sec"], [pay_root], (C,)), C)
        # tag-based: the key's own tag team decides (aws:ResourceTag on a KMS request is the
        # key's: KMS Developer Guide, "aws:ResourceTag")
        arn = self.key("sec", "abac", pol.text(pol.doc(
            pol.key_admin_statement(a["sec"]),
            {"Sid": "DecryptOwnTeam", "Effect": "Allow", "Principal": "*",
             "Action": "kms:Decrypt", "Resource": "*", "Condition": {
                 "StringEquals": {"aws:PrincipalOrgID": self.res["org"],
                                  "aws:ResourceTag/team": "${aws:PrincipalTag/team}",
                                  "kms:ViaService": f"secretsmanager.{W}.amazonaws.com"}}})))
        self.cl("sec", "kms").tag_resource(KeyId=arn, Tags=[
            {"TagKey": "team", "TagValue": "payments"}])
        # near 32 KB (32,768 bytes): root delegation, Decrypt for AppRole, and a long list of
        # break-glass roles alone allowed to schedule the key's deletion; compact, so that no
        # edit of it (one more principal) fits
        base = json.loads(pol.key_policy(a["sec"], [app], (W,)))
        names = [pol.role_arn(a["sec"], f"break-glass-{i:04d}") for i in range(700)]
        deny = {"Sid": "DenyDeletionExceptBreakGlass", "Effect": "Deny", "Principal": "*",
                "Action": ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"], "Resource": "*",
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": names}}}
        while len(compact(pol.doc(*base["Statement"], deny))) > KEY_POLICY_NEAR:
            names.pop()
        self.key("sec", "big", compact(pol.doc(*base["Statement"], deny)))
        self.key("shop", "shopkey", pol.key_policy(a["shop"], [app], (W,)))

    # ------------------------------------------------------------------ secrets
    def secrets(self) -> None:
        a, org = self.acct, self.res["org"]
        app = pol.role_arn(a["pay"], APP)
        search = pol.role_arn(a["pay"], SEARCH)
        shop = pol.role_arn(a["shop"], SHOP)
        read_app = pol.secret_policy(pol.allow_read([app]))
        for i in range(PER_SHAPE):
            self.secret("sec", bulk_name("one", i), key="main", policy=read_app)
            self.secret("sec", bulk_name("public", i), key="pub", policy=pol.secret_policy(
                {"Sid": "Everyone", "Effect": "Allow", "Principal": "*",
                 "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
            self.secret("sec", bulk_name("outside", i), key="main", policy=pol.secret_policy(
                pol.allow_read([app, pol.root_arn(OUTSIDER)])))
            self.secret("sec", bulk_name("managed", i), key=None, policy=read_app)
            self.secret("sec", bulk_name("tagged", i), key="main",
                        tags={"team": team_of(i)}, policy=pol.secret_policy(
                            {"Sid": "OwnTeam", "Effect": "Allow", "Principal": "*",
                             "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                             "Condition": {"StringEquals": {
                                 "aws:PrincipalOrgID": org,
                                 "aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}))
        # replicas
        self.secret("sec", "rep/eu-cmk", key="main", replica=(C, "eu-main"), policy=read_app)
        self.secret("sec", "rep/eu-default", key="main", replica=(C, None), policy=read_app)
        self.secret("sec", "rep/eu-narrow", key="main", replica=(C, "eu-narrow"),
                    policy=pol.secret_policy(pol.allow_read([app, shop])))
        self.secret("sec", "rep/eu-off", key="main", replica=(C, "eu-off"), policy=read_app)
        # tags and the resource policy are replicated with the secret: the replica's team tag
        # is the primary's
        for team in ("payments", "search"):
            self.secret("sec", f"rep/tagged-{team}", key="main", replica=(C, "eu-main"),
                        tags={"team": team}, policy=pol.secret_policy(
                            {"Sid": "OwnTeam", "Effect": "Allow", "Principal": "*",
                             "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                             "Condition": {"StringEquals": {
                                 "aws:PrincipalOrgID": org,
                                 "aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}))
        self.cl("sec", "kms", C).disable_key(KeyId=self.res["key:eu-off"].rsplit("/", 1)[1])
        # policy sizes
        grant = pol.doc(pol.allow_read([app]))
        self.secret("sec", "size/at-ratio", key="main", policy=padded(grant, 16_384))
        self.secret("sec", "size/under-ratio", key="main", policy=padded(grant, 16_383))
        teams = [f"équipe-ñ-{i:04d}" for i in range(1000)]
        while len(json.dumps(pol.doc(pol.allow_read([app]), deny_list(teams)),
                             separators=(",", ":"), ensure_ascii=False)) > 16_300:
            teams.pop()
        doc = pol.doc(pol.allow_read([app]), deny_list(teams))
        unicode_text = padded(doc, 16_300, ensure_ascii=False)
        assert len(unicode_text.encode()) > 16_384
        self.secret("sec", "size/unicode", key="main", policy=unicode_text)
        teams = [f"équipe-{i:04d}" for i in range(1000)]
        while len(json.dumps(pol.doc(pol.allow_read([app]), deny_list(teams)),
                             separators=(",", ":"))) > 16_500:
            teams.pop()
        doc = pol.doc(pol.allow_read([app]), deny_list(teams))
        escaped = padded(doc, 16_500)
        assert len(json.dumps(doc, separators=(",", ":"), ensure_ascii=False)) < 16_384
        self.secret("sec", "size/escaped", key="main", policy=escaped)
        self.secret("sec", "size/big-key", key="big", policy=read_app)
        self.secret("sec", "size/big-key-search", key="big",
                    policy=pol.secret_policy(pol.allow_read([app, search])))
        # the key's tag decides
        self.secret("sec", "abac/key-tag", key="abac", tags={"team": "search"},
                    policy=pol.secret_policy(pol.allow_read([app, search])))
        self.secret("sec", "abac/identity-key-tag", key="main",
                    policy=pol.secret_policy(pol.allow_read([pol.role_arn(a["pay"], KEYTAG)])))
        # member accounts' own secrets
        self.secret("shop", "shop/own-db", key="shopkey", policy=read_app)
        self.secret("shop", "shop/own-managed", key=None, policy=read_app)
        self.secret("pay", "pay/local", key=None)

    # ------------------------------------------------------------------ network
    def _hub(self, owner: str, name: str, cidr: str) -> tuple[str, str]:
        ec2 = self.cl(owner, "ec2")
        vpc = net.vpc(ec2, cidr, name)
        sub = net.subnet(ec2, vpc, cidr.replace(".0.0/16", ".1.0/24"), name, f"{W}a")
        rtb = net.route_table(ec2, vpc, name, [sub])
        self.res[f"vpc-id:{name}"] = vpc
        self.res[f"vpc:{name}"] = net.arn(W, self.acct[owner], "vpc", vpc)
        self.res[f"rtb:{name}"] = net.arn(W, self.acct[owner], "route-table", rtb)
        return vpc, rtb

    def _peer(self, req: str, req_vpc: str, req_rtb: str, req_cidr: str, acc: str,
              acc_vpc: str, acc_rtb: str, acc_cidr: str, name: str, *,
              accept: bool = True) -> str:
        pcx = net.request_peering(self.cl(req, "ec2"), req_vpc, acc_vpc, self.acct[acc], W,
                                  name)
        self.res[f"pcx:{name}"] = net.arn(W, self.acct[req], "vpc-peering-connection", pcx)
        if accept:
            self.cl(acc, "ec2").accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
            net.route(self.cl(req, "ec2"), req_rtb, acc_cidr, pcx)
            net.route(self.cl(acc, "ec2"), acc_rtb, req_cidr, pcx)
        return pcx

    def network(self) -> None:
        hubs = {"hub40": "10.0.0.0/16", "hub39": "10.1.0.0/16", "hub-raised": "10.2.0.0/16"}
        made = {h: self._hub("sec", h, cidr) for h, cidr in hubs.items()}
        for i in range(FILLERS):
            cidr = f"10.{100 + i}.0.0/16"
            dvpc, drtb = self._hub("net", f"db-{i:02d}", cidr)
            for h, (hvpc, hrtb) in made.items():
                if h == "hub39" and i == FILLERS - 1:
                    # requested, never accepted: not active, not counted
                    self._peer("sec", hvpc, hrtb, hubs[h], "net", dvpc, drtb, cidr,
                               f"{h}-{i:02d}", accept=False)
                    continue
                self._peer("sec", hvpc, hrtb, hubs[h], "net", dvpc, drtb, cidr, f"{h}-{i:02d}")
        # a database VPC of net accepting 40 peerings from 40 spokes of shop
        dbhub, dbrtb = self._hub("net", "dbhub", "10.250.0.0/16")
        for i in range(FILLERS):
            cidr = f"10.{200 + i}.0.0/16"
            svpc, srtb = self._hub("shop", f"spoke-{i:02d}", cidr)
            self._peer("shop", svpc, srtb, cidr, "net", dbhub, dbrtb, "10.250.0.0/16",
                       f"spoke-{i:02d}")


def seed(endpoint_url: str) -> Estate:
    """Reset the moto server and build night 1's estate (groundtruth.seed_estate)."""
    return seed_estate(_Seeder, endpoint_url, seed=28,
                       steps=(_Seeder.roles, _Seeder.keys, _Seeder.secrets, _Seeder.network))


def config(e: Estate) -> str:
    """The scan's --config: hub-raised's peering quota raised to 125."""
    return ("quotas:\n"
            f"  - {{code: L-7E9ECCDB, value: 125, account_id: \"{e.accounts['sec']}\", "
            f"region: {W}, vpc_id: {e.res['vpc-id:hub-raised']}}}\n")
