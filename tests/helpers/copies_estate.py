"""Copies of a few secret policy documents in a central account, read by member roles of
several identity shapes: secrets that share whole verdicts (scanner.access.secret_memo) and
are told apart by identity patterns, a resource-policy pattern, tags, the name, a key that
reads the encryption context, SCPs and an RCP (``CONTROLS``)."""

from __future__ import annotations

from typing import Any

from helpers.access_estate import control, text

from scanner.access.scp import RCP, SCP
from scanner.model import (
    AccountSnapshot,
    ControlPolicy,
    IamPrincipal,
    IamSnapshot,
    KmsKey,
    Organization,
    OrgAccount,
    OrgUnit,
    RegionSnapshot,
    ScanMeta,
    Secret,
    Snapshot,
)

REGION = "us-east-1"
ORG_ID = "o-memo00001"
READ = "secretsmanager:GetSecretValue"
CENTRAL = "500000000000"
MEMBERS = tuple(f"{500000000001 + i:012d}" for i in range(4))
ALL = (CENTRAL,) + MEMBERS


def key_arn(n: int) -> str:
    return f"arn:aws:kms:{REGION}:{CENTRAL}:key/0000000{n}"


def secret_arn(name: str) -> str:
    return f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:{name}-Ab12Cd"


#: what the member roles' identities grant: by name prefix, in any account, everything, by
#: tag, everything but db/*
IDENTITIES: dict[str, dict[str, Any]] = {
    "AppReader": {"Resource": f"arn:aws:secretsmanager:*:{CENTRAL}:secret:app/*"},
    "AnyAccount": {"Resource": "arn:aws:secretsmanager:*:*:secret:app/*"},
    "Admin": {"Resource": "*"},
    "TeamA": {"Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "a"}}},
    "NotDb": {"NotResource": f"arn:aws:secretsmanager:*:{CENTRAL}:secret:db/*"},
}


def copies_estate(controls: tuple[ControlPolicy, ...]) -> Snapshot:
    roles = {a: [f"arn:aws:iam::{a}:role/{n}" for n in IDENTITIES] for a in MEMBERS}
    members = tuple(IamPrincipal(
        arn=arn, name=arn.rsplit("/", 1)[1], account_id=acct, principal_type="role",
        inline_policies={"read": {"Version": "2012-10-17", "Statement": [
            dict(IDENTITIES[arn.rsplit("/", 1)[1]], Effect="Allow", Action=READ),
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
             "Condition": {"StringEquals": {
                 "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}}]}})
        for acct in MEMBERS for arn in roles[acct])
    central_roles = (IamPrincipal(
        arn=f"arn:aws:iam::{CENTRAL}:role/Ops", name="Ops", account_id=CENTRAL,
        principal_type="role", inline_policies={"read": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": READ,
             "Resource": f"arn:aws:secretsmanager:*:{CENTRAL}:secret:app/*"},
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}),)
    # templates: one document shared by many secrets (copies); the second names member roles
    # and lets the organization in for app/a-* only; the third is one secret's own
    templates = [
        text({"Effect": "Allow", "Principal": {"AWS": [roles[MEMBERS[0]][0],
                                                       f"arn:aws:iam::{MEMBERS[1]}:root"]},
              "Action": READ, "Resource": "*"}),
        text({"Effect": "Allow", "Principal": {"AWS": [roles[MEMBERS[2]][2]]},
              "Action": READ, "Resource": "*"},
             {"Effect": "Allow", "Principal": "*", "Action": READ,
              "Resource": f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:app/a-*",
              "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}}),
    ]
    org_key = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
                    "Action": "kms:*", "Resource": "*"},
                   {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                    "Resource": "*", "Condition": {"StringEquals": {
                        "aws:PrincipalOrgID": ORG_ID}}})
    # the second key lets in only what its encryption context names: no memo on its secrets
    context_key = text({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                        "Resource": "*", "Condition": {"StringLike": {
                            "kms:EncryptionContext:SecretARN": secret_arn("app/a-1") + "*"}}})
    keys = (KmsKey(arn=key_arn(1), key_id="00000001", account_id=CENTRAL, region=REGION,
                   key_manager="CUSTOMER", key_state="Enabled", policy=org_key),
            KmsKey(arn=key_arn(2), key_id="00000002", account_id=CENTRAL, region=REGION,
                   key_manager="CUSTOMER", key_state="Enabled", policy=context_key))
    secrets = []
    names = [f"{prefix}-{i}" for prefix in ("app/a", "app/b", "db/c", "other") for i in range(18)]
    for n, name in enumerate(names):
        policy = templates[n % 2] if n % 7 else text(
            {"Effect": "Allow", "Principal": {"AWS": roles[MEMBERS[n % 4]][n % 5]},
             "Action": READ, "Resource": "*"})
        secrets.append(Secret(arn=secret_arn(name), name=name, account_id=CENTRAL,
                              region=REGION, kms_key_id=key_arn(1 + n % 3 // 2) if n % 5 else None,
                              tags={"team": "a" if n % 3 else "b"},
                              resource_policy=None if n % 11 == 0 else policy))
    accounts = tuple(AccountSnapshot(
        account_id=a, name=f"account-{i}",
        regions=(RegionSnapshot(region=REGION, secrets=tuple(secrets), kms_keys=keys),)
        if a == CENTRAL else (RegionSnapshot(region=REGION),),
        iam=IamSnapshot(principals=central_roles if a == CENTRAL else
                        tuple(p for p in members if p.account_id == a)))
        for i, a in enumerate(ALL))
    org = Organization(
        org_id=ORG_ID, management_account_id=CENTRAL, root_id="r-root",
        accounts=tuple(OrgAccount(account_id=a, parent_id="ou-a" if i % 2 else "ou-b")
                       for i, a in enumerate(ALL)),
        units=(OrgUnit(ou_id="ou-a", name="a", parent_id="r-root"),
               OrgUnit(ou_id="ou-b", name="b", parent_id="r-root")),
        policies=(ControlPolicy(policy_id="p-full", name="FullAWSAccess", policy_type=SCP,
                                content=text({"Effect": "Allow", "Action": "*",
                                              "Resource": "*"}),
                                targets=("r-root", "ou-a", "ou-b") + ALL),) + controls,
        policies_read=True)
    return Snapshot(meta=ScanMeta(scan_id="memo", started_at="2026-12-03T00:00:00Z",
                                  accounts=ALL, regions=(REGION,), central_account=CENTRAL,
                                  org_id=ORG_ID),
                    accounts=accounts, organization=org)


CONTROLS: dict[str, tuple[ControlPolicy, ...]] = {
    "full access only": (),
    "SCP denying one copy's pattern": (control(
        "p-deny", SCP, ("ou-a",), {"Effect": "Deny", "Action": READ,
                                   "Resource": secret_arn("app/b-2")[:-7] + "*"}),),
    "SCP by tag": (control(
        "p-tag", SCP, ("ou-b",), {"Effect": "Deny", "Action": READ, "Resource": "*",
                                  "Condition": {"StringEquals": {"aws:ResourceTag/team": "b"}}}),),
    "RCP": (control(
        "p-rcp", RCP, ("r-root",),
        {"Effect": "Deny", "Principal": "*", "Action": READ, "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID},
                       "Bool": {"aws:PrincipalIsAWSService": "false"}}}),),
}
