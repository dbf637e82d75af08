"""Ground-truth trial round 30: an organization aimed at shapes rounds 19 to 29 did not build --
a secret's key in each KMS key state (disabled, pending deletion, pending import) and back; a
key whose policy names no reader, read through a KMS grant that is retired; public and
organization-wide resource policies; rotation schedules given as cron() and rate()
expressions, a rotation long overdue and one that failed; a database reached only through a
transit gateway; an account of a second organization trusted by the configuration -- and what a
careful auditor says about it on each of three nights.

Shape:

* management 123456789012 (holds nothing); OUs Security (sec: the central secrets, their keys,
  the rotation function) and Apps (app: AppRole reads the central secrets; data: the database
  VPC); one Region, us-east-1.
* partner 555566667777, the management account of a second organization, trusted by the
  configuration (trusted_accounts); stranger 888899990000, in no organization and not trusted.
* keys of sec: main, off (disabled on night 1, enabled on night 2), doomed (pending deletion
  on night 1; remediate --apply cancels it), import (EXTERNAL origin: pending import on night 1,
  its material imported by night 2), grantonly (a policy of root delegation only: AppRole
  decrypts through a KMS grant, retired on night 2), rot (the rotated secrets').
* one rotation function, rotate, in rotvpc (an interface endpoint for Secrets Manager), with a
  route to the database VPC of data through a transit gateway and no peering.
* rotation schedules: every 30 days (rot/days), cron() weekly (rot/cron), rate(120 days)
  (rot/rate-long), every 30 days last rotated 200 days ago (rot/old), AWSPENDING left on a
  version after a failed rotation (rot/failed), a database behind the transit gateway
  (rot/tgw).

moto cannot hold a ScheduleExpression, a LastRotatedDate of its own or the PendingImport key
state (MOTO_NOTES.md): ``moto_fidelity`` sets them on the in-process server's backends as AWS
reports them.

Night 2 (after remediate --apply of night 1's plan): key off enabled, import's material
imported, the grant retired, pub/later's condition removed. Night 3: the apply undone
(remediate --undo).

``ground_truth`` (and ``night2_truth``, ``night3_truth``) were written from the AWS
documentation before the scans were run: for each resource, the rules that do not pass and the
cross-account principals that can read it.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Iterator

from helpers.groundtruth import Estate, Seeder, Truth, seed_estate
from scanner.demo import policies as pol
from scanner.demo.clients import MANAGEMENT_ACCOUNT, Clients

W = "us-east-1"
REGIONS = (W,)
ROLE = "OrganizationAccountAccessRole"
APP = "AppRole"
PARTNER = "555566667777"
STRANGER = "888899990000"
DAY = 86400

CONFIG = f"""\
trusted_accounts: ["{PARTNER}"]
"""
SUPPRESSIONS = "suppressions: []\n"

OFF = {"secret-rotation-disabled": "FAIL"}
UNUSABLE = {"secret-key-unusable": "FAIL"}
BROKEN = {"secret-cross-account-access-broken": "FAIL"}
PUBLIC = {"secret-policy-public": "FAIL"}
EXTERNAL = {"secret-policy-external-account": "FAIL"}
EXCESS = {"kms-key-policy-excess-grant": "FAIL"}
OVERDUE = {"secret-rotation-overdue": "FAIL"}
FAILING = {"secret-rotation-failing": "FAIL"}
NET_RULE = "secret-rotation-no-network-path"

#: rotated secret -> (ScheduleExpression or None for AutomaticallyAfterDays 30, days since the
#: last rotation, days until the next)
SCHEDULES: dict[str, tuple[str | None, int, int]] = {
    "rot/days": (None, 3, 27),
    "rot/cron": ("cron(0 4 ? * SUN *)", 2, 5),
    "rot/rate-long": ("rate(120 days)", 10, 110),
    "rot/old": (None, 200, -170),
    "rot/failed": (None, 5, 25),
    "rot/tgw": (None, 3, 27),
}


def ground_truth(e: Estate) -> dict[str, Truth]:
    """Resource ARN -> the auditor's verdict on night 1. Readers are cross-account only."""
    a, r = e.accounts, e.res
    app, app_root = pol.role_arn(a["app"], APP), pol.root_arn(a["app"])
    t: dict[str, Truth] = {}
    # "Disabled: the KMS key is disabled ... cannot be used in cryptographic operations";
    # "PendingDeletion"; "PendingImport: ... the key material has not been imported"
    # (KMS Developer Guide, "Key states of AWS KMS keys"): nobody decrypts
    # (KMS Developer Guide, "Key states of AWS KMS keys"): nobody decrypts, and AppRole, whom
    # the secret and the key name, cannot read (round 23's disabled key)
    for name in ("key/disabled", "key/doomed", "key/import"):
        t[r[f"secret:{name}"]] = Truth(fails={**OFF, **UNUSABLE, **BROKEN},
                                       readers=frozenset())
    # their keys let partner's and stranger's accounts decrypt, which no secret on them grants
    for name in ("off", "doomed", "import"):
        t[r[f"key:{name}"]] = Truth(fails=EXCESS)
    # the key policy names no one but the account's IAM; the grant lets AppRole decrypt
    t[r["secret:grant/only"]] = Truth(fails=OFF, readers=frozenset({app}))
    # "*" with aws:PrincipalOrgID: the organization's principals that the key lets decrypt
    # (main: app's account, partner's, stranger's) -- app's
    t[r["secret:pub/org"]] = Truth(fails=OFF, readers=frozenset({app, app_root}))
    t[r["secret:pub/later"]] = Truth(fails=OFF, readers=frozenset({app, app_root}))
    # "*" with no condition: anyone the key lets decrypt -- app's principals, and partner's
    # and stranger's accounts, whose own policies (SCPs of partner's organization, their
    # identity policies) were not read: readers on a condition, not certain ones (OUTSIDE)
    t[r["secret:pub/open"]] = Truth(fails={**OFF, **PUBLIC}, readers=frozenset(
        {app, app_root}))
    # the partner's account is trusted by the configuration; the stranger's is not
    t[r["secret:ext/partner"]] = Truth(fails=OFF, readers=frozenset())
    t[r["secret:ext/stranger"]] = Truth(fails={**OFF, **EXTERNAL}, readers=frozenset())
    # rotation: rate(120 days) allows 120 days between rotations; rot/old's last rotation
    # was 200 days ago and its next one was due 170 days ago; rot/failed has AWSPENDING on a
    # version that is not AWSCURRENT
    for name in ("rot/days", "rot/cron"):
        t[r[f"secret:{name}"]] = Truth(readers=frozenset())
    t[r["secret:rot/rate-long"]] = Truth(fails=OVERDUE, readers=frozenset())
    t[r["secret:rot/old"]] = Truth(fails={**OVERDUE, **FAILING}, readers=frozenset())
    t[r["secret:rot/failed"]] = Truth(fails=FAILING, readers=frozenset())
    # the database VPC is reached through a transit gateway whose route tables secretgraph
    # does not read: not a FAIL, an UNKNOWN
    t[r["secret:rot/tgw"]] = Truth(fails={NET_RULE: "UNKNOWN"}, readers=frozenset())
    return t


def night2_truth(e: Estate) -> dict[str, Truth]:
    """After remediate --apply of night 1's plan and night 2's changes."""
    a, r = e.accounts, e.res
    app, app_root = pol.role_arn(a["app"], APP), pol.root_arn(a["app"])
    t = ground_truth(e)
    # the keys usable again: AppRole reads (CancelKeyDeletion leaves a key Disabled, "the key
    # state is Disabled", KMS API Reference; the fix enables it too)
    for name in ("key/disabled", "key/import", "key/doomed"):
        t[r[f"secret:{name}"]] = Truth(fails=OFF, readers=frozenset({app}))
    t[r["secret:grant/only"]] = Truth(fails={**OFF, **BROKEN}, readers=frozenset())
    t[r["secret:pub/later"]] = Truth(fails={**OFF, **PUBLIC}, readers=frozenset(
        {app, app_root}))
    t[r["secret:pub/open"]] = Truth(fails=OFF, readers=frozenset({app, app_root}))
    return t


def night3_truth(e: Estate) -> dict[str, Truth]:
    """Night 2 with night 1's fixes undone."""
    t = night2_truth(e)
    t0 = ground_truth(e)
    r = e.res
    t[r["secret:pub/open"]] = t0[r["secret:pub/open"]]
    return t


class _Seeder(Seeder):
    TAG, REGION, DB_ACCOUNT = "gt30", W, "data"

    def org(self) -> str:
        org = self.c.get(MANAGEMENT_ACCOUNT, "organizations", W)
        org_id = str(org.create_organization(FeatureSet="ALL")["Organization"]["Id"])
        root = org.list_roots()["Roots"][0]["Id"]
        self.acct["management"] = MANAGEMENT_ACCOUNT
        self.res["org"], self.res["root"] = org_id, root
        for ou in ("Security", "Apps"):
            self.res[f"ou:{ou}"] = str(org.create_organizational_unit(
                ParentId=root, Name=ou)["OrganizationalUnit"]["Id"])
        for name, ou in (("sec", "Security"), ("app", "Apps"), ("data", "Apps")):
            acct = str(org.create_account(AccountName=name, Email=f"{name}@gt30.invalid")
                       ["CreateAccountStatus"]["AccountId"])
            org.move_account(AccountId=acct, SourceParentId=root,
                             DestinationParentId=self.res[f"ou:{ou}"])
            self.acct[name] = acct
        # the partner's own organization
        other = self.c.get(PARTNER, "organizations", W)
        self.res["org:partner"] = str(other.create_organization(FeatureSet="ALL")
                                      ["Organization"]["Id"])
        return org_id

    def roles(self) -> None:
        a = self.acct
        lam = pol.text(pol.trust("lambda.amazonaws.com"))
        self.res["role:sec/RotationRole"] = str(self.cl("sec", "iam").create_role(
            RoleName="RotationRole", AssumeRolePolicyDocument=lam)["Role"]["Arn"])
        iam = self.cl("app", "iam")
        self.res[f"role:app/{APP}"] = str(iam.create_role(
            RoleName=APP, AssumeRolePolicyDocument=pol.text(pol.trust("ecs-tasks.amazonaws.com"))
        )["Role"]["Arn"])
        iam.put_role_policy(RoleName=APP, PolicyName="read", PolicyDocument=pol.text(
            pol.reader_identity_policy([f"arn:aws:secretsmanager:{W}:{a['sec']}:secret:*"],
                                       [f"arn:aws:kms:{W}:{a['sec']}:key/*"], REGIONS)))

    def keys(self) -> None:
        a = self.acct
        readers = [pol.root_arn(a["app"]), pol.root_arn(PARTNER), pol.root_arn(STRANGER)]
        for name in ("main", "off", "doomed"):
            self.key("sec", name, pol.key_policy(a["sec"], readers, REGIONS))
        self.key("sec", "rot", pol.key_policy(a["sec"]))
        self.key("sec", "grantonly", pol.key_policy(a["sec"]))
        kms = self.cl("sec", "kms")
        meta = kms.create_key(Policy=pol.key_policy(a["sec"], readers, REGIONS),
                              Description="gt30 import", Origin="EXTERNAL")["KeyMetadata"]
        kms.create_alias(AliasName="alias/gt30-import", TargetKeyId=meta["KeyId"])
        self.res["key:import"] = str(meta["Arn"])
        grant = kms.create_grant(KeyId=self.res["key:grantonly"],
                                 GranteePrincipal=self.res[f"role:app/{APP}"],
                                 Operations=["Decrypt", "DescribeKey"], Name="app-reads")
        self.res["grant:app"] = str(grant["GrantId"])

    def network(self) -> None:
        _, sub, sg = self.rotation_vpc("sec", W, "10.30.0.0/16", "rotvpc")
        ec2 = self.cl("sec", "ec2")
        rot_vpc = ec2.describe_subnets(SubnetIds=[sub])["Subnets"][0]["VpcId"]
        db_vpc, db_rtb = self.db_vpc(W, "10.40.0.0/16", "db")
        tgw = str(ec2.create_transit_gateway(Description="gt30 hub")["TransitGateway"]
                  ["TransitGatewayId"])
        ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=rot_vpc,
                                                  SubnetIds=[sub])
        ec2.create_route(RouteTableId=self.res["rtb:rotvpc"].rsplit("/", 1)[1],
                         DestinationCidrBlock="10.40.0.0/16", TransitGatewayId=tgw)
        # the gateway shared with data (RAM, which moto does not model across accounts):
        # data's route back through it
        self.cl("data", "ec2").create_route(RouteTableId=db_rtb, DestinationCidrBlock="10.30.0.0/16",
                          TransitGatewayId=tgw)
        self.res["tgw"] = tgw
        # moto keeps a route to another account's transit gateway without its target (RAM
        # sharing is not modelled): the route as AWS lists it
        from moto.ec2.models import ec2_backends
        gateway = ec2_backends[self.acct["sec"]][W].transit_gateways[tgw]
        table = ec2_backends[self.acct["data"]][W].route_tables[db_rtb]
        for route in table.routes:
            if route.destination_cidr_block == "10.30.0.0/16":
                route.transit_gateway = gateway
        self.lam("sec", W, "rotate", sub, sg)

    def secrets(self) -> None:
        org = self.res["org"]
        app = self.res[f"role:app/{APP}"]
        read_app = pol.secret_policy(pol.allow_read([app]))
        self.secret("sec", "key/disabled", key="off", policy=read_app)
        self.secret("sec", "key/doomed", key="doomed", policy=read_app)
        self.secret("sec", "key/import", key="import", policy=read_app)
        self.secret("sec", "grant/only", key="grantonly", policy=read_app)
        self.secret("sec", "pub/org", key="main", policy=org_policy(org))
        self.secret("sec", "pub/later", key="main", policy=org_policy(org))
        self.secret("sec", "pub/open", key="main", policy=public_policy())
        self.secret("sec", "ext/partner", key="main",
                    policy=pol.secret_policy(pol.allow_read([pol.root_arn(PARTNER)])))
        self.secret("sec", "ext/stranger", key="main",
                    policy=pol.secret_policy(pol.allow_read([pol.root_arn(STRANGER)])))
        for name in SCHEDULES:
            self.secret("sec", name, key="rot", rotation="rotate",
                        db_vpc=self.res["vpc-id:db"] if name == "rot/tgw" else "")
        kms = self.cl("sec", "kms")
        kms.disable_key(KeyId=key_id(self.res["key:off"]))
        kms.schedule_key_deletion(KeyId=key_id(self.res["key:doomed"]), PendingWindowInDays=30)
        self._failed_rotation()

    def _failed_rotation(self) -> None:
        """rot/failed: a rotation that put its AWSPENDING version and never finished."""
        sm = self.cl("sec", "secretsmanager")
        sm.put_secret_value(SecretId=self.res["secret:rot/failed"],
                            ClientRequestToken="f" * 32 + "-failed",
                            SecretString='{"password":"gt30-pending"}',
                            VersionStages=["AWSPENDING"])


def key_id(arn: str) -> str:
    """A key's id: moto's DisableKey, EnableKey and ScheduleKeyDeletion refuse its ARN."""
    return arn.rsplit("/", 1)[1]


def org_policy(org_id: str) -> str:
    return pol.secret_policy({"Sid": "Organization", "Effect": "Allow", "Principal": "*",
                              "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                              "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}}})


def public_policy() -> str:
    return pol.secret_policy({"Sid": "Everyone", "Effect": "Allow", "Principal": "*",
                              "Action": "secretsmanager:GetSecretValue", "Resource": "*"})


@contextlib.contextmanager
def moto_fidelity() -> Iterator[None]:
    """What moto 5.2 cannot hold and AWS reports (MOTO_NOTES.md: RotationRules keeps only
    AutomaticallyAfterDays, LastRotatedDate is the time of RotateSecret, an EXTERNAL key is
    Enabled at once): a secret's ``gt30_schedule`` (ScheduleExpression) in its RotationRules.
    The server runs in this process; restored on exit."""
    from moto.secretsmanager import models as sm

    original = sm.FakeSecret.to_dict

    def to_dict(self: Any) -> dict[str, Any]:
        dct: dict[str, Any] = original(self)
        expr = getattr(self, "gt30_schedule", None)
        if expr and "RotationRules" in dct:
            dct["RotationRules"] = {"ScheduleExpression": expr}
        return dct

    sm.FakeSecret.to_dict = to_dict  # type: ignore[method-assign]
    try:
        yield
    finally:
        sm.FakeSecret.to_dict = original  # type: ignore[method-assign]


def _backends(e: Estate) -> tuple[Any, Any]:
    from moto.kms.models import kms_backends
    from moto.secretsmanager.models import secretsmanager_backends

    sec = e.accounts["sec"]
    return secretsmanager_backends[sec][W], kms_backends[sec][W]


def _set_schedules(e: Estate) -> None:
    sm, _ = _backends(e)
    now = int(time.time())
    for name, (expr, since, until) in SCHEDULES.items():
        secret = sm.secrets[e.res[f"secret:{name}"]]
        secret.gt30_schedule = expr
        secret.rotation_enabled = True
        secret.auto_rotate_after_days = 0 if expr else 30
        secret.last_rotation_date = now - since * DAY
        secret.next_rotation_date = now + until * DAY


def seed(endpoint_url: str) -> Estate:
    """Reset the moto server and build night 1's estate (groundtruth.seed_estate)."""
    e = seed_estate(_Seeder, endpoint_url, seed=30,
                    steps=(_Seeder.roles, _Seeder.keys, _Seeder.network, _Seeder.secrets))
    _set_schedules(e)
    _, kms = _backends(e)
    kms.keys[e.res["key:import"].rsplit("/", 1)[1]].key_state = "PendingImport"
    return e


def night2(e: Estate) -> None:
    """Night 2: key off enabled, import's key material imported, the grant retired, pub/later's
    condition removed."""
    c, a, r = Clients(e.endpoint_url), e.accounts, e.res
    kms = c.get(a["sec"], "kms", W)
    kms.enable_key(KeyId=key_id(r["key:off"]))
    _, backend = _backends(e)
    backend.keys[r["key:import"].rsplit("/", 1)[1]].key_state = "Enabled"
    kms.retire_grant(KeyId=r["key:grantonly"], GrantId=r["grant:app"])
    c.get(a["sec"], "secretsmanager", W).put_resource_policy(
        SecretId=r["secret:pub/later"], ResourcePolicy=public_policy())
