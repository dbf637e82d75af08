"""Secrets that differ only in their ARN and name share their whole verdict
(scanner.access.secret_memo): the report equals the one evaluating every secret on its own,
over estates whose copies are told apart by identity patterns, a resource-policy pattern,
tags, the name's first path segment, account-wildcard grants, SCPs and an RCP."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from helpers.access_reference import full_report

from scanner.access import AccessReport, AccessSettings, analyze_access
from scanner.access.scp import RCP, SCP
from scanner.access.secret_memo import SecretMemo
from scanner.graph.builder import build_graph
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


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _key(n: int) -> str:
    return f"arn:aws:kms:{REGION}:{CENTRAL}:key/0000000{n}"


def _secret_arn(name: str) -> str:
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


def _estate(controls: tuple[ControlPolicy, ...]) -> Snapshot:
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
        _doc({"Effect": "Allow", "Principal": {"AWS": [roles[MEMBERS[0]][0],
                                                       f"arn:aws:iam::{MEMBERS[1]}:root"]},
              "Action": READ, "Resource": "*"}),
        _doc({"Effect": "Allow", "Principal": {"AWS": [roles[MEMBERS[2]][2]]},
              "Action": READ, "Resource": "*"},
             {"Effect": "Allow", "Principal": "*", "Action": READ,
              "Resource": f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:app/a-*",
              "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}}),
    ]
    org_key = _doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
                    "Action": "kms:*", "Resource": "*"},
                   {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                    "Resource": "*", "Condition": {"StringEquals": {
                        "aws:PrincipalOrgID": ORG_ID}}})
    # the second key lets in only what its encryption context names: no memo on its secrets
    context_key = _doc({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                        "Resource": "*", "Condition": {"StringLike": {
                            "kms:EncryptionContext:SecretARN": _secret_arn("app/a-1") + "*"}}})
    keys = (KmsKey(arn=_key(1), key_id="00000001", account_id=CENTRAL, region=REGION,
                   key_manager="CUSTOMER", key_state="Enabled", policy=org_key),
            KmsKey(arn=_key(2), key_id="00000002", account_id=CENTRAL, region=REGION,
                   key_manager="CUSTOMER", key_state="Enabled", policy=context_key))
    secrets = []
    names = [f"{prefix}-{i}" for prefix in ("app/a", "app/b", "db/c", "other") for i in range(18)]
    for n, name in enumerate(names):
        policy = templates[n % 2] if n % 7 else _doc(
            {"Effect": "Allow", "Principal": {"AWS": roles[MEMBERS[n % 4]][n % 5]},
             "Action": READ, "Resource": "*"})
        secrets.append(Secret(arn=_secret_arn(name), name=name, account_id=CENTRAL,
                              region=REGION, kms_key_id=_key(1 + n % 3 // 2) if n % 5 else None,
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
                                content=_doc({"Effect": "Allow", "Action": "*",
                                              "Resource": "*"}),
                                targets=("r-root", "ou-a", "ou-b") + ALL),) + controls,
        policies_read=True)
    return Snapshot(meta=ScanMeta(scan_id="memo", started_at="2026-12-03T00:00:00Z",
                                  accounts=ALL, regions=(REGION,), central_account=CENTRAL,
                                  org_id=ORG_ID),
                    accounts=accounts, organization=org)


def _control(pid: str, kind: str, targets: tuple[str, ...], *st: dict[str, Any]) -> ControlPolicy:
    return ControlPolicy(policy_id=pid, name=pid, policy_type=kind, content=_doc(*st),
                         targets=targets)


CONTROLS: dict[str, tuple[ControlPolicy, ...]] = {
    "full access only": (),
    "SCP denying one copy's pattern": (_control(
        "p-deny", SCP, ("ou-a",), {"Effect": "Deny", "Action": READ,
                                   "Resource": _secret_arn("app/b-2")[:-7] + "*"}),),
    "SCP by tag": (_control(
        "p-tag", SCP, ("ou-b",), {"Effect": "Deny", "Action": READ, "Resource": "*",
                                  "Condition": {"StringEquals": {"aws:ResourceTag/team": "b"}}}),),
    "RCP": (_control(
        "p-rcp", RCP, ("r-root",),
        {"Effect": "Deny", "Principal": "*", "Action": READ, "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID},
                       "Bool": {"aws:PrincipalIsAWSService": "false"}}}),),
}


def _run(snap: Snapshot, record_denied: bool) -> AccessReport:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=record_denied)
    return analyze_access(build_graph(snap), snap, settings)


@pytest.mark.parametrize("name", sorted(CONTROLS))
@pytest.mark.parametrize("record_denied", [False, True])
def test_secrets_sharing_a_verdict_get_the_report_of_evaluating_each_alone(
        name: str, record_denied: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    snap = _estate(CONTROLS[name])
    hits: list[bool] = []
    get = SecretMemo.get

    def spy(self: SecretMemo, *args: Any) -> Any:
        out = get(self, *args)
        hits.append(out is not None)
        return out

    monkeypatch.setattr(SecretMemo, "get", spy)
    memo = full_report(_run(snap, record_denied))
    # the memo is used, except with record_denied (every denied pair is recorded)
    assert any(hits) is (not record_denied)
    monkeypatch.setattr(SecretMemo, "key", lambda self, sv: None)
    alone = full_report(_run(snap, record_denied))
    assert memo == alone
    paths = memo[1].values()
    assert {p["decision"] for p in paths} >= {"ALLOWED", "DENIED"}


def test_what_tells_copies_apart_keeps_their_verdicts_apart() -> None:
    """Copies of one policy document and key get different verdicts where their names
    differ: AppReader's identity grants app/* only, and the second template's org-wide
    statement covers app/a-* only."""
    report = _run(_estate(()), record_denied=False)
    by_name = {sa.name: sa for sa in report.secrets.values()}
    reader = f"arn:aws:iam::{MEMBERS[0]}:role/AppReader"

    def decision(name: str) -> str | None:
        return {p.principal: p.decision for p in by_name[name].paths}.get(reader)

    assert decision("app/b-6") == decision("app/b-16") == "ALLOWED"
    assert decision("db/c-12") == decision("db/c-16") == "DENIED"
    org_wide = {n for n, sa in by_name.items() if sa.breadth.organization_wide}
    assert org_wide and all(n and n.startswith("app/a-") for n in org_wide)
    assert "app/b-1" not in org_wide  # the same document, another name
