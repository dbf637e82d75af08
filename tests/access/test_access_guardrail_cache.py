"""The guardrail (SCP / RCP) answers of an OU tree are cached by what the control policies can
see, and the cache gives the answers an uncached walk gives.

SCPs judge the caller's account path, RCPs the resource's: an SCP answer is shared by every
secret (of any account) the SCPs cannot tell apart, an RCP answer by every caller they cannot
tell apart. Organization-scale robustness trial (tenth session): with a 5-level OU tree and
50 SCPs / 50 RCPs, guardrail evaluation ran once per (caller path, resource account) pair and
the walks of the tree grew with the number of accounts."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest
from helpers.access_estate import control, text
from helpers.access_reference import full_report

from scanner.access import AccessReport, AccessSettings, analyze_access
from scanner.access.guard_share import SharedGuardrails
from scanner.access.scp import RCP, SCP, Guardrails
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
from scanner.policy.request import EVERY_LITERAL, Request

REGION = "us-east-1"
ORG_ID = "o-guardcache1"
READ = "secretsmanager:GetSecretValue"
DECRYPT = "kms:Decrypt"
FULL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def _acct(i: int) -> str:
    return f"{510000000000 + i:012d}"


def _key_arn(acct: str) -> str:
    return f"arn:aws:kms:{REGION}:{acct}:key/0000{acct}"


def _tree(rng: random.Random, accounts: int, depth: int) -> tuple[
        list[OrgUnit], list[OrgAccount], list[str]]:
    """A random OU tree under r-root, ``depth`` levels deep, accounts under random OUs."""
    units: list[OrgUnit] = []
    levels: list[list[str]] = [["r-root"]]
    for d in range(1, depth + 1):
        level = []
        for n in range(rng.randint(1, 3)):
            ou = f"ou-{d}-{n}"
            units.append(OrgUnit(ou_id=ou, name=ou, parent_id=rng.choice(levels[-1])))
            level.append(ou)
        levels.append(level)
    nodes = [n for level in levels for n in level]
    accts = [OrgAccount(account_id=_acct(i), parent_id=rng.choice(nodes))
             for i in range(accounts)]
    return units, accts, nodes


def _random_controls(rng: random.Random, nodes: list[str], accounts: list[str],
                     n: int) -> tuple[ControlPolicy, ...]:
    """SCPs and RCPs with conditions on aws:PrincipalArn, aws:PrincipalOrgID,
    aws:ResourceAccount and with Resource / NotResource patterns, on random levels."""
    out: list[ControlPolicy] = []
    for i in range(n):
        kind = rng.choice((SCP, RCP))
        action = rng.choice((READ, DECRYPT, "secretsmanager:*", "kms:*"))
        st: dict[str, Any] = {"Effect": "Deny", "Action": action}
        if kind == RCP:
            st["Principal"] = "*"
        shape = rng.randrange(5)
        if shape == 0:
            st["Resource"] = f"arn:aws:secretsmanager:*:*:secret:app-{rng.randint(0, 2)}-*"
        elif shape == 1:
            st["NotResource"] = f"arn:aws:secretsmanager:*:{rng.choice(accounts)}:secret:*"
        else:
            st["Resource"] = "*"
        cond = rng.randrange(4)
        if cond == 0:
            st["Condition"] = {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin-*"}}
        elif cond == 1:
            st["Condition"] = {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID}}
        elif cond == 2:
            st["Condition"] = {"StringEquals": {"aws:ResourceAccount": rng.sample(accounts, 2)}}
        targets = tuple(rng.sample(nodes + accounts, rng.randint(1, 3)))
        out.append(control(f"p-{kind[:1].lower()}{i}", kind, targets, st))
    return tuple(out)


def _org(rng: random.Random, accounts: int, depth: int, controls: int,
         management: str | None = None) -> Organization:
    units, accts, nodes = _tree(rng, accounts, depth)
    ids = [a.account_id for a in accts]
    everywhere = ("r-root",) + tuple(u.ou_id for u in units) + tuple(ids)
    full = (ControlPolicy(policy_id="p-full", name="FullAWSAccess", policy_type=SCP,
                          content=text(FULL), targets=everywhere),
            ControlPolicy(policy_id="p-rfull", name="RCPFullAWSAccess", policy_type=RCP,
                          content=text({**FULL, "Principal": "*"}), targets=everywhere))
    return Organization(org_id=ORG_ID, management_account_id=management or "000000000000",
                        root_id="r-root", accounts=tuple(accts), units=tuple(units),
                        policies=full + _random_controls(rng, nodes, ids, controls),
                        policies_read=True, rcps_read=True)


def _request(rng: random.Random, caller: str, resource_acct: str, action: str) -> Request:
    role = rng.choice(("admin-ops", "app", "reader"))
    outsider = rng.random() < 0.2
    arn = f"arn:aws:iam::{caller if not outsider else '999999999999'}:role/{role}"
    resource = (f"arn:aws:secretsmanager:{REGION}:{resource_acct}:secret:"
                f"app-{rng.randint(0, 3)}-{rng.randint(0, 9)}-Ab12Cd") if action == READ \
        else _key_arn(resource_acct)
    ctx: dict[str, tuple[str, ...]] = {"aws:principalarn": (arn,),
                                       "aws:resourceaccount": (resource_acct,)}
    excluded = {}
    if outsider:
        excluded["aws:principalorgid"] = EVERY_LITERAL
    elif rng.random() < 0.8:
        ctx["aws:principalorgid"] = (ORG_ID,)
    return Request(principal_arn=arn, principal_account=arn.split(":")[4], action=action,
                   resource=resource, context=ctx, excluded=excluded)


@pytest.mark.parametrize("seed", range(12))
def test_guardrail_cache_returns_what_an_uncached_walk_returns(seed: int) -> None:
    """Conformance of the cache: over a randomized small OU tree, every SCP / RCP answer of one
    Guardrails (its cache shared by all requests, asked in random order) equals the answer of
    a fresh Guardrails that walks the tree for that request alone. Organization-scale
    robustness trial (tenth session)."""
    rng = random.Random(seed)
    org = _org(rng, accounts=8, depth=rng.randint(1, 4), controls=rng.randint(2, 7),
               management=_acct(0) if seed % 3 == 0 else None)
    ids = [a.account_id for a in org.accounts]
    cached = Guardrails(org)
    for _ in range(300):
        kind = rng.choice((SCP, RCP))
        caller, owner = rng.choice(ids), rng.choice(ids)
        req = _request(rng, caller, owner, rng.choice((READ, DECRYPT)))
        judged = caller if kind == SCP else owner
        assert cached.evaluate(kind, judged, req) == Guardrails(org).evaluate(kind, judged, req)


# ---------------------------------------------------------------- whole analysis


def _estate(seed: int, accounts: int, *, depth: int = 3, controls: int = 6,
            org: Organization | None = None) -> Snapshot:
    """Accounts of one organization, each with roles (one an admin-*) that read every secret
    of the organization, and secrets (some under a customer key, one under another account's
    key) shared with the organization by their resource policies."""
    rng = random.Random(seed)
    org = org or _org(rng, accounts, depth, controls)
    ids = [a.account_id for a in org.accounts]
    snaps = []
    for acct in ids:
        roles = tuple(IamPrincipal(
            arn=f"arn:aws:iam::{acct}:role/{name}", name=name, account_id=acct,
            principal_type="role", inline_policies={"read": {"Version": "2012-10-17",
                                                              "Statement": [
                {"Effect": "Allow", "Action": [READ, DECRYPT], "Resource": "*"}]}})
            for name in ("admin-ops", "app", "reader"))
        key = KmsKey(arn=_key_arn(acct), key_id=f"0000{acct}", account_id=acct, region=REGION,
                     key_manager="CUSTOMER", key_state="Enabled", policy=text(
                         {"Effect": "Allow", "Principal": "*", "Action": "kms:*",
                          "Resource": "*",
                          "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}}))
        secrets = tuple(Secret(
            arn=f"arn:aws:secretsmanager:{REGION}:{acct}:secret:app-{s % 3}-{s}-Ab12Cd",
            name=f"app-{s % 3}-{s}", account_id=acct, region=REGION,
            kms_key_id=_key_arn(rng.choice(ids)) if s == 3 else _key_arn(acct) if s % 2
            else None,
            resource_policy=text({"Effect": "Allow", "Principal": "*", "Action": READ,
                                  "Resource": "*", "Condition": {"StringEquals": {
                                      "aws:PrincipalOrgID": ORG_ID}}}))
            for s in range(4))
        snaps.append(AccountSnapshot(
            account_id=acct, name=acct,
            regions=(RegionSnapshot(region=REGION, secrets=secrets, kms_keys=(key,)),),
            iam=IamSnapshot(principals=roles)))
    return Snapshot(meta=ScanMeta(scan_id=f"guard-{seed}", started_at="2026-12-05T00:00:00Z",
                                  accounts=tuple(ids), regions=(REGION,),
                                  central_account=ids[0], org_id=ORG_ID),
                    accounts=tuple(snaps), organization=org)


def _run(snap: Snapshot) -> AccessReport:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    return analyze_access(build_graph(snap), snap, settings)


def _uncached_result(self: SharedGuardrails, p: Any, sv: Any, pctx: Any, make_sm: Any,
                     make_kms: Any) -> Any:
    """SharedGuardrails.result with no cache at any level: a fresh walk for every pair."""
    self.guard = Guardrails(self.guard.org, self.guard.membership)
    return self._intern(self._uncached(p, sv, make_sm(),
                                       make_kms() if sv.decrypt_arn else None))


@pytest.mark.parametrize("seed", range(8))
def test_analysis_with_cached_guardrails_equals_uncached_walks(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole report over a randomized OU tree is the one a fresh guardrail walk for every
    (principal, secret) pair gives. Organization-scale robustness trial (tenth session)."""
    snap = _estate(seed, accounts=6, controls=8)
    cached = full_report(_run(snap))
    monkeypatch.setattr(SharedGuardrails, "result", _uncached_result)
    assert cached == full_report(_run(snap))


def _deep_org(accounts: int) -> Organization:
    """The trial's shape in small: every account under one 3-level OU path, FullAWSAccess and
    RCPFullAWSAccess at every level; an SCP denies DeleteSecret unless an admin role asks, an
    RCP denies reads from outside the organization."""
    ids = [_acct(i) for i in range(accounts)]
    units = (OrgUnit(ou_id="ou-1", name="1", parent_id="r-root"),
             OrgUnit(ou_id="ou-2", name="2", parent_id="ou-1"),
             OrgUnit(ou_id="ou-3", name="3", parent_id="ou-2"))
    everywhere = ("r-root", "ou-1", "ou-2", "ou-3") + tuple(ids)
    return Organization(
        org_id=ORG_ID, management_account_id="000000000000", root_id="r-root",
        accounts=tuple(OrgAccount(account_id=a, parent_id="ou-3") for a in ids), units=units,
        policies=(
            ControlPolicy(policy_id="p-full", name="FullAWSAccess", policy_type=SCP,
                          content=text(FULL), targets=everywhere),
            ControlPolicy(policy_id="p-rfull", name="RCPFullAWSAccess", policy_type=RCP,
                          content=text({**FULL, "Principal": "*"}), targets=everywhere),
            control("p-delete", SCP, ("ou-2",),
                    {"Effect": "Deny", "Action": "secretsmanager:DeleteSecret",
                     "Resource": "*", "Condition": {"ArnNotLike": {
                         "aws:PrincipalArn": "arn:aws:iam::*:role/admin-*"}}}),
            control("p-outside", RCP, ("ou-1",),
                    {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*",
                     "Resource": "*", "Condition": {"StringNotEqualsIfExists": {
                         "aws:PrincipalOrgID": ORG_ID}}})),
        policies_read=True, rcps_read=True)


def _walks(accounts: int, monkeypatch: pytest.MonkeyPatch) -> int:
    calls = [0]
    walk = Guardrails._walk

    def counting(self: Guardrails, *args: Any) -> Any:
        calls[0] += 1
        return walk(self, *args)

    monkeypatch.setattr(Guardrails, "_walk", counting)
    _run(_estate(0, accounts, org=_deep_org(accounts)))
    return calls[0]


def test_guardrail_walks_do_not_grow_with_accounts_on_the_same_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Accounts with the same SCPs / RCPs along their paths get the same guardrail answers:
    the walks of the OU tree are as many for 8 accounts reading each other's secrets as for 3
    (they grew with caller paths x resource accounts). Organization-scale robustness trial
    (tenth session)."""
    assert _walks(8, monkeypatch) == _walks(3, monkeypatch)
