"""Caches shared across secrets give the same answers as evaluating each secret on its own.

The guardrail (SCP / RCP) answer is shared by secrets the control policies cannot tell apart:
same accounts, same matches of the policies' Resource patterns, same resource-side condition
values. Several organizations of many secrets, with control policies that single some secrets
out by ARN pattern, by tag, by key, and an RCP, are analysed both ways."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest
from helpers.access_estate import control, text
from helpers.access_reference import full_report, use_reference_evaluation
from helpers.bench_synth import synth_snapshot

from scanner.access import AccessReport, AccessSettings, analyze_access
from scanner.access.guard_share import SharedGuardrails
from scanner.access.scp import RCP, SCP
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
ORG_ID = "o-shared0001"
READ = "secretsmanager:GetSecretValue"
ACCOUNTS = tuple(f"{400000000000 + i:012d}" for i in range(6))


def _key_arn(acct: str) -> str:
    return f"arn:aws:kms:{REGION}:{acct}:key/0000{acct}"


def _org_estate(seed: int, controls: tuple[ControlPolicy, ...], *,
                scoped: bool = False) -> Snapshot:
    """``scoped``: the grants name a Resource pattern (``app-N-*``) that some of the secrets
    match and others do not, instead of ``*``."""
    rng = random.Random(seed)
    roles = {a: [f"arn:aws:iam::{a}:role/app-{r}" for r in range(3)] for a in ACCOUNTS}
    everyone = [r for a in ACCOUNTS for r in roles[a]]
    accounts = []
    for n, acct in enumerate(ACCOUNTS):
        principals = tuple(IamPrincipal(
            arn=arn, name=f"app-{r}", account_id=acct, principal_type="role",
            inline_policies={"read": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": READ,
                 "Resource": f"arn:aws:secretsmanager:{REGION}:*:secret:app-{r}-*" if r else "*"},
                {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}})
            for r, arn in enumerate(roles[acct]))
        key = KmsKey(arn=_key_arn(acct), key_id=f"0000{acct}", account_id=acct, region=REGION,
                     key_manager="CUSTOMER", key_state="Enabled", policy=text(
                         {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                          "Action": "kms:*", "Resource": "*"},
                         {"Effect": "Allow", "Principal": {"AWS": rng.sample(everyone, 4)},
                          "Action": "kms:Decrypt", "Resource": "*"}))
        secrets = []
        for s in range(8):
            arn = f"arn:aws:secretsmanager:{REGION}:{acct}:secret:app-{s % 3}-{s}-Ab12Cd"
            resource = f"arn:aws:secretsmanager:{REGION}:*:secret:app-{rng.randint(0, 2)}-*" \
                if scoped else "*"
            statements: list[dict[str, Any]] = [
                {"Effect": "Allow", "Principal": {"AWS": rng.sample(everyone, rng.randint(1, 3))},
                 "Action": READ, "Resource": resource}]
            if s % 4 == 0:
                statements.append({"Effect": "Allow", "Principal": "*", "Action": READ,
                                   "Resource": "*", "Condition": {"StringEquals": {
                                       "aws:PrincipalOrgID": ORG_ID}}})
            secrets.append(Secret(
                arn=arn, name=f"app-{s % 3}-{s}", account_id=acct, region=REGION,
                kms_key_id=_key_arn(acct) if s % 5 else None,
                tags={"team": f"team-{s % 3}"}, resource_policy=text(*statements)))
        accounts.append(AccountSnapshot(
            account_id=acct, name=f"account-{n}",
            regions=(RegionSnapshot(region=REGION, secrets=tuple(secrets), kms_keys=(key,)),),
            iam=IamSnapshot(principals=principals)))
    org = Organization(
        org_id=ORG_ID, management_account_id=ACCOUNTS[0], root_id="r-root",
        accounts=tuple(OrgAccount(account_id=a, parent_id="ou-a" if i % 2 else "ou-b")
                       for i, a in enumerate(ACCOUNTS)),
        units=(OrgUnit(ou_id="ou-a", name="a", parent_id="r-root"),
               OrgUnit(ou_id="ou-b", name="b", parent_id="r-root")),
        policies=(ControlPolicy(policy_id="p-full", name="FullAWSAccess", policy_type=SCP,
                                content=text({"Effect": "Allow", "Action": "*",
                                              "Resource": "*"}),
                                targets=("r-root", "ou-a", "ou-b") + ACCOUNTS),) + controls,
        policies_read=True)
    return Snapshot(meta=ScanMeta(scan_id=f"shared-{seed}", started_at="2026-11-29T00:00:00Z",
                                  accounts=ACCOUNTS, regions=(REGION,),
                                  central_account=ACCOUNTS[0], org_id=ORG_ID),
                    accounts=tuple(accounts), organization=org)


CONTROLS: dict[str, tuple[ControlPolicy, ...]] = {
    "full access only": (),
    "deny by resource pattern": (control(
        "p-deny-app1", SCP, ("ou-a",),
        {"Effect": "Deny", "Action": READ,
         "Resource": "arn:aws:secretsmanager:*:*:secret:app-1-*"}),),
    "deny outside a pattern, by tag and by key": (
        control("p-notres", SCP, ("ou-b",),
                 {"Effect": "Deny", "Action": READ,
                  "NotResource": f"arn:aws:secretsmanager:*:{ACCOUNTS[1]}:secret:*"}),
        control("p-tag", SCP, (ACCOUNTS[3],),
                 {"Effect": "Deny", "Action": READ, "Resource": "*", "Condition": {
                     "StringEquals": {"aws:ResourceTag/team": "team-2"}}}),
        control("p-key", SCP, ("ou-a",),
                 {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": _key_arn(ACCOUNTS[2])}),
    ),
    "resource control policy": (control(
        "p-rcp", RCP, ("r-root",),
        {"Effect": "Deny", "Principal": "*", "Action": READ, "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID},
                       "Bool": {"aws:PrincipalIsAWSService": "false"}}},
    ),),
}


def _run(snap: Snapshot, record_denied: bool) -> AccessReport:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=record_denied)
    return analyze_access(build_graph(snap), snap, settings)


def _paths(report: AccessReport) -> dict[tuple[str, str], tuple[object, ...]]:
    return {(p.principal, arn): (p.decision, p.gate_statuses(), p.conditions,
                                         p.reasons, p.intended, p.broken_at)
            for arn, p in report.secret_paths()}


@pytest.mark.parametrize("name", sorted(CONTROLS))
@pytest.mark.parametrize("record_denied", [False, True])
def test_guardrails_shared_across_secrets_equal_per_secret_evaluation(
        name: str, record_denied: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    snap = _org_estate(seed=len(name), controls=CONTROLS[name])
    shared = _paths(_run(snap, record_denied))
    monkeypatch.setattr(SharedGuardrails, "scope", lambda self, sv: sv.arn)
    per_secret = _paths(_run(snap, record_denied))
    assert shared == per_secret
    decisions = {v[0] for v in shared.values()}
    assert "ALLOWED" in decisions and (not record_denied or "DENIED" in decisions)


def _synth(accounts: int, secrets: int, roles: int) -> Snapshot:
    return synth_snapshot(accounts, secrets, roles)


@pytest.mark.parametrize("name", sorted(CONTROLS) + ["bench/synth.py"])
@pytest.mark.parametrize("record_denied", [False, True])
def test_own_account_verdicts_shared_across_secrets_equal_per_secret_evaluation(
        name: str, record_denied: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pair verdict of a principal of the secret's own account is shared by secrets with the
    same look (scanner.access.pair_eval.PairEvaluator._look): the report is the one evaluating
    each secret's pairs on their own gives."""
    from scanner.access.pair_eval import PairEvaluator

    snap = _synth(12, 25, 9) if name == "bench/synth.py" else \
        _org_estate(seed=len(name), controls=CONTROLS[name])
    shared_ids: list[int | None] = []
    look = PairEvaluator._look

    def spy(self: PairEvaluator, *args: Any) -> int | None:
        out = look(self, *args)
        shared_ids.append(out)
        return out

    monkeypatch.setattr(PairEvaluator, "_look", spy)
    shared = full_report(_run(snap, record_denied))
    assert any(i is not None for i in shared_ids), "some verdicts are shared"
    monkeypatch.setattr(PairEvaluator, "_look", lambda self, *args: None)
    assert shared == full_report(_run(snap, record_denied))


@pytest.mark.parametrize("name", sorted(CONTROLS) + ["resource-scoped grants",
                                                   "bench/synth.py"])
def test_optimised_analysis_equals_the_reference_evaluation(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cross-secret shortcut at once (helpers.access_reference) changes nothing."""
    snap = _synth(12, 25, 9) if name == "bench/synth.py" else \
        _org_estate(seed=3, controls=(), scoped=True) if name == "resource-scoped grants" \
        else _org_estate(seed=len(name), controls=CONTROLS[name])
    optimised = full_report(_run(snap, False))
    use_reference_evaluation(monkeypatch)
    assert optimised == full_report(_run(snap, False))
