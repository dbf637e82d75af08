"""remediate re-analyses each planned change over what it can change, not over every secret of
its key.

Planning the FAILs of bench/synth.py's 10 accounts (1,000 secrets) did not finish in 15
minutes: each of 1,782 grant-key-decrypt statements (one key policy, one per broken reader)
re-analysed the access of every secret of that key, twice. A statement confined to one
secret's Decrypt (kms:EncryptionContext:SecretARN) changes that secret's read alone; a change
to one secret changes that secret's alone (the key's other secrets stay in the re-analysis,
unjudged, for the key's own findings). The plan is the one a re-analysis of the whole accounts
gives.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

import pytest

from bench.synth import make_snapshot
from helpers.remediate_records import ACCT, KEY_ARN, SECRET_ARN, snapshot
from remediations import REMEDIATORS, resolve_remediation_id
from scanner.access import AccessSettings, analyze_access
from scanner.changes import (PlannedChange, PolicyDiff, RemediationConfig, StatementDiff,
                             make_change)
from scanner.engine import evaluate, load_ruleset
from scanner.engine.config import EngineConfig
from scanner.findings import Finding, Status
from scanner.graph.builder import build_graph
from scanner.model import IamPrincipal, IamSnapshot, Snapshot
from scanner.remediate import effects
from scanner.remediate.planner import Selection, build_plan

RULESET = load_ruleset()
NOW = dt.datetime(2026, 12, 8, tzinfo=dt.timezone.utc)
B_ARN = SECRET_ARN.replace("app/db-AbCdEf", "app/b-AbCdEf")
C_ARN = SECRET_ARN.replace("app/db-AbCdEf", "app/c-AbCdEf")
APP = f"arn:aws:iam::{ACCT}:role/App"
UNREAD_ROLE = "arn:aws:iam::222222222222:role/App"


def _three_secrets_one_key() -> Snapshot:
    """One key, three secrets; the account's IAM read (its role App), account 222222222222's
    not."""
    snap = snapshot()
    (acct,) = snap.accounts
    (region,) = acct.regions
    (a,) = region.secrets
    b = replace(a, arn=B_ARN, name="app/b")
    c = replace(a, arn=C_ARN, name="app/c")
    app = IamPrincipal(arn=APP, name="App", account_id=ACCT, principal_type="role")
    return replace(snap, accounts=(replace(acct, iam=IamSnapshot(principals=(app,)), regions=(
        replace(region, secrets=(a, b, c)),)),))


def _key_policy_change(statement: dict[str, Any]) -> PlannedChange:
    """A key-policy edit adding ``statement`` (its diff as remediations.policy_edit writes
    it: the kept statement unchanged, the new one added)."""
    root = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
            "Action": "kms:*", "Resource": "*"}
    before = json.dumps({"Version": "2012-10-17", "Statement": [root]})
    after = json.dumps({"Version": "2012-10-17", "Statement": [root, statement]})
    change = make_change(remediation_id="grant-key-decrypt", finding=_finding(),
                         account_id=ACCT, region="us-east-1", resource_arn=KEY_ARN,
                         target=f"key-policy:{KEY_ARN}", summary="", calls=(), pre_state={},
                         desired_state={}, details={})
    diff = PolicyDiff(kind="kms-key-policy", before=before, after=after, statements=(
        StatementDiff(op="unchanged", index=0, sid="Root", before=root, after=root),
        StatementDiff(op="added", index=1, sid="Grant", before=None, after=statement)),
        size_after=len(after), size_limit=32768)
    return replace(change, policy_diff=diff)


def _finding() -> Finding:
    from helpers.remediate_records import finding

    return finding("secret-cross-account-access-broken", "grant-key-decrypt")


def _decrypt(condition: dict[str, Any] | None, principal: Any = None) -> dict[str, Any]:
    st: dict[str, Any] = {"Sid": "Grant", "Effect": "Allow",
                          "Principal": principal or {"AWS": APP},
                          "Action": "kms:Decrypt", "Resource": "*"}
    if condition is not None:
        st["Condition"] = condition
    return st


def _judged(change: PlannedChange) -> frozenset[str] | None:
    snap = _three_secrets_one_key()
    use = effects.KeyUse(build_graph(snap), RULESET)
    return use.scope([change], frozenset({ACCT})).judged


def test_a_statement_for_one_secrets_decrypt_judges_that_secret_alone() -> None:
    assert _judged(_key_policy_change(_decrypt(ONE_SECRET))) == {B_ARN}


ONE_SECRET = {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com",
                              "kms:EncryptionContext:SecretARN": B_ARN}}


@pytest.mark.parametrize("principal", [
    {"AWS": UNREAD_ROLE}, {"AWS": "arn:aws:iam::222222222222:root"}, {"AWS": "222222222222"},
    {"AWS": "*"}, "*", {"AWS": [APP, UNREAD_ROLE]}, {"Service": "lambda.amazonaws.com"},
], ids=["unread-account's-role", "account-root", "account-id", "AWS-star", "star",
        "one-known-one-not", "service"])
def test_a_statement_for_one_secret_naming_others_than_known_roles_judges_the_whole_key(
        principal: Any) -> None:
    """Whom a key policy names changes who is listed for every secret of the key: a role of an
    account whose IAM was not read becomes a reader of its own beside its account's stand-in
    (the overbroad-actions fixture: the whole-account re-analysis refused such a grant for
    "gaining" a secret its account already read)."""
    assert _judged(_key_policy_change(_decrypt(ONE_SECRET, principal))) == \
        {SECRET_ARN, B_ARN, C_ARN}


@pytest.mark.parametrize("condition", [
    None,
    {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}},
    {"StringLike": {"kms:EncryptionContext:SecretARN": B_ARN}},
    {"StringEquals": {"kms:EncryptionContext:SecretARN": B_ARN[:-6] + "*"}},
    {"StringEquals": {"kms:EncryptionContext:SecretARN": "${aws:PrincipalTag/secret}"}},
    {"ForAnyValue:StringEquals": {"kms:EncryptionContext:SecretARN": [B_ARN]}},
    {"StringNotEquals": {"kms:EncryptionContext:SecretARN": B_ARN}},
], ids=["no-condition", "via-service-only", "StringLike", "wildcard", "policy-variable",
        "ForAnyValue", "negated"])
def test_a_statement_that_may_reach_other_secrets_judges_every_secret_of_the_key(
        condition: dict[str, Any] | None) -> None:
    assert _judged(_key_policy_change(_decrypt(condition))) == {SECRET_ARN, B_ARN, C_ARN}


def test_a_change_to_one_secret_judges_that_secret_and_keeps_the_keys_others_unjudged() -> None:
    change = make_change(remediation_id="x", finding=_finding(), account_id=ACCT,
                         region="us-east-1", resource_arn=B_ARN, target=f"secret-policy:{B_ARN}",
                         summary="", calls=(), pre_state={}, desired_state={}, details={})
    snap = _three_secrets_one_key()
    scope = effects.KeyUse(build_graph(snap), RULESET).scope([change], frozenset({ACCT}))
    assert scope.judged == {B_ARN}
    assert scope.secrets == {SECRET_ARN, B_ARN, C_ARN}, "the key's findings read its secrets"


def test_the_judged_secrets_get_the_verdicts_and_the_key_the_report_of_the_whole_analysis(
        ) -> None:
    snap = make_snapshot(3, 8, 4, day=dt.date(2026, 12, 1))
    settings = AccessSettings.from_snapshot(snap)
    whole = analyze_access(build_graph(snap), snap, settings)
    some = frozenset(sorted(whole.secrets)[::5])
    part = analyze_access(build_graph(snap), snap, settings, judged=some)
    assert set(part.secrets) == set(some)
    assert all(part.secrets[a] == whole.secrets[a] for a in some)
    assert part.keys == whole.keys, "a key's report reads every secret of the key"
    assert {a for a in part.rotation} <= some


def _plan(snap: Snapshot, whole_accounts: bool, monkeypatch: pytest.MonkeyPatch
          ) -> dict[str, Any]:
    config = EngineConfig()
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    found = evaluate(graph, snap, access, RULESET, config, NOW)
    failing = [f for f in found if f.status is Status.FAIL
               and resolve_remediation_id(f)[0] in REMEDIATORS]
    with monkeypatch.context() as mp:
        if whole_accounts:
            mp.setattr(effects.KeyUse, "scope",
                       lambda self, changes, accounts: effects.Scope(accounts=accounts))
        plan = build_plan(failing, snap, RemediationConfig(org_id="o-synth00001"),
                          Selection(rules=tuple(sorted({f.rule_id for f in failing}))),
                          now=NOW)
    out = plan.to_json()
    for k in ("plan_id", "created_at"):
        out.pop(k, None)
    return out


def test_a_synthetic_organizations_plan_is_the_one_a_whole_account_re_analysis_gives(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """bench/synth.py's shape: secrets sharing one key, readers the key policy leaves out
    (grant-key-decrypt, one statement per reader), secrets on the AWS-managed key
    (move-secret-to-cmk with its companion statement), rotation to enable."""
    snap = make_snapshot(3, 12, 4, day=dt.date(2026, 12, 1))
    judged = _plan(snap, False, monkeypatch)
    planned = {c["remediation_id"] for c in judged["changes"]}
    assert {"grant-key-decrypt", "move-secret-to-cmk"} <= planned, planned
    assert judged == _plan(snap, True, monkeypatch)
