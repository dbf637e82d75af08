"""Small hand-built estates for access tests: a central account, members, an outsider."""

from __future__ import annotations

import json
from typing import Any, Mapping

from scanner.model import (
    AccountSnapshot,
    ControlPolicy,
    IamPrincipal,
    IamSnapshot,
    KmsKey,
    ManagedPolicy,
    Organization,
    OrgAccount,
    RegionSnapshot,
    ScanMeta,
    Secret,
    Snapshot,
)

REGION = "us-east-1"
CENTRAL = "111111111111"
MEMBER = "222222222222"
MEMBER2 = "333333333333"
OUTSIDER = "999999999999"
ORG_ID = "o-abc123"
KEY_ID = "1234abcd-0000-0000-0000-000000000001"
KEY_ARN = f"arn:aws:kms:{REGION}:{CENTRAL}:key/{KEY_ID}"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:app/db-AbCdEf"
APP_ROLE = f"arn:aws:iam::{MEMBER}:role/ApplicationRole"
APP_ROLE2 = f"arn:aws:iam::{MEMBER2}:role/ApplicationRole"
OTHER_ROLE = f"arn:aws:iam::{MEMBER}:role/OtherRole"
CENTRAL_ROLE = f"arn:aws:iam::{CENTRAL}:role/CentralApp"


def doc(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def text(*statements: Mapping[str, Any]) -> str:
    return json.dumps(doc(*statements))


def control(pid: str, kind: str, targets: tuple[str, ...],
            *statements: Mapping[str, Any]) -> ControlPolicy:
    """An SCP or RCP (``kind``) attached to ``targets``."""
    return ControlPolicy(policy_id=pid, name=pid, policy_type=kind, content=text(*statements),
                         targets=targets)


def allow_read_identity(secret: str = f"arn:aws:secretsmanager:*:{CENTRAL}:secret:app/*",
                        key: str = f"arn:aws:kms:*:{CENTRAL}:key/*") -> dict[str, Any]:
    return doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret},
               {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key})


def secret_policy_for(*principals: str, extra: Mapping[str, Any] | None = None) -> str:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": list(principals)},
                          "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    if extra:
        st.update(extra)
    return text(st)


def key_policy_for(*principals: str, via: bool = True) -> str:
    grant: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": list(principals)},
                             "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}
    if via:
        grant["Condition"] = {"StringEquals": {
            "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}
    return text({"Sid": "Root", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                 "Resource": "*"}, grant)


def role(arn: str, policy: Mapping[str, Any] | None = None, *, boundary: str | None = None,
         attached: tuple[str, ...] = (), unique_id: str | None = None) -> IamPrincipal:
    account = arn.split(":")[4]
    return IamPrincipal(arn=arn, name=arn.rsplit("/", 1)[-1], account_id=account,
                        principal_type="user" if ":user/" in arn else "role",
                        inline_policies={"read": policy} if policy else {},
                        attached_policy_arns=attached, permissions_boundary_arn=boundary,
                        unique_id=unique_id)


def estate(*, secret_policy: str | None, key_policy: str | None = None,
           kms_key_id: str | None = KEY_ARN, principals: tuple[IamPrincipal, ...] = (),
           managed: tuple[ManagedPolicy, ...] = (), key_state: str = "Enabled",
           scps: tuple[ControlPolicy, ...] | None = None, tags: Mapping[str, str] | None = None,
           members: tuple[str, ...] = (MEMBER, MEMBER2), iam_accounts: tuple[str, ...] | None
           = None, management: str = CENTRAL) -> Snapshot:
    """A snapshot: one secret in CENTRAL encrypted by KEY_ARN, roles in the member accounts.

    ``scps`` None: an organization with no policy type enabled at the root, so SCPs and RCPs
    have no effect (the ``scp`` gate is NOT_APPLICABLE). SCPs / RCPs that were not read (the
    gate UNKNOWN, the read CONDITIONAL: fault-injection trial round 5) are a state a test
    asks for: ``policies_read=False`` with the policy types enabled (or not known)."""
    secret = Secret(arn=SECRET_ARN, name="app/db", account_id=CENTRAL, region=REGION,
                    kms_key_id=kms_key_id, resource_policy=secret_policy, tags=tags or {})
    key = KmsKey(arn=KEY_ARN, key_id=KEY_ID, account_id=CENTRAL, region=REGION,
                 key_manager="CUSTOMER", key_state=key_state, policy=key_policy)
    all_accounts = (CENTRAL,) + members
    iam_accounts = all_accounts if iam_accounts is None else iam_accounts
    accounts = []
    for acct in all_accounts:
        regions = (RegionSnapshot(region=REGION, secrets=(secret,), kms_keys=(key,)),) \
            if acct == CENTRAL else (RegionSnapshot(region=REGION),)
        iam = IamSnapshot(principals=tuple(p for p in principals if p.account_id == acct),
                          policies=tuple(m for m in managed if m.account_id in (acct, "aws"))) \
            if acct in iam_accounts else None
        accounts.append(AccountSnapshot(account_id=acct, regions=regions, iam=iam))
    org = Organization(
        org_id=ORG_ID, management_account_id=management, root_id="r-root",
        accounts=tuple(OrgAccount(account_id=a, parent_id="r-root") for a in all_accounts),
        policies=scps or (), policies_read=scps is not None,
        policy_types_enabled=() if scps is None else None)
    return Snapshot(meta=ScanMeta(scan_id="t", started_at="2026-11-29T00:00:00Z",
                                  accounts=all_accounts, regions=(REGION,),
                                  central_account=CENTRAL, org_id=ORG_ID),
                    accounts=tuple(accounts), organization=org)


def with_keys(snap: Snapshot, **changes: Any) -> Snapshot:
    """The snapshot with ``changes`` made to every KMS key record (``grants=...``,
    ``unread=("grants",)``, ...)."""
    from dataclasses import replace

    return replace(snap, accounts=tuple(replace(a, regions=tuple(
        replace(r, kms_keys=tuple(replace(k, **changes) for k in r.kms_keys))
        for r in a.regions)) for a in snap.accounts))


def replica_estate() -> Any:
    """The estate with a replica of app/db in eu-west-1 and an alias on the primary's key."""
    from dataclasses import replace

    from scanner.model import RegionSnapshot, ReplicaStatus

    snap = estate(secret_policy=secret_policy_for(APP_ROLE),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    accounts = []
    for account in snap.accounts:
        if account.account_id == CENTRAL:
            region = account.regions[0]
            primary = replace(region.secrets[0], replicas=(
                ReplicaStatus(region="eu-west-1", kms_key_id=None, status="InSync"),))
            key = replace(region.kms_keys[0], aliases=("alias/app-secrets",))
            replica = replace(primary, arn=REPLICA_ARN, region="eu-west-1",
                              primary_region=REGION, replicas=(), kms_key_id=None)
            account = replace(account, regions=(
                replace(region, secrets=(primary,), kms_keys=(key,)),
                RegionSnapshot(region="eu-west-1", secrets=(replica,))))
        accounts.append(account)
    return replace(snap, accounts=tuple(accounts),
                   meta=replace(snap.meta, regions=(REGION, "eu-west-1")))


REPLICA_ARN = SECRET_ARN.replace(REGION, "eu-west-1")
