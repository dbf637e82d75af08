"""An account whose place in the organization was not read (ListAccountsForParent failed):
the SCPs attached to the account itself still decide an explicit Deny, and what they cannot
decide is UNKNOWN (not read), never a CONDITIONAL that the rules read as "passes"."""

from __future__ import annotations

from dataclasses import replace

from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, SECRET_ARN, allow_read_identity,
                                   control, estate, key_policy_for, role, secret_policy_for)
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Status
from scanner.graph.builder import build_graph
from scanner.model import OrgAccount, Snapshot

FULL = {"Effect": "Allow", "Action": "*", "Resource": "*"}
DENY_SECRETS = {"Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*"}


def _estate(*member_scp: dict) -> Snapshot:
    scps = (control("p-full", "SERVICE_CONTROL_POLICY", ("r-root", CENTRAL, MEMBER,
                                                         "333333333333"), FULL),)
    if member_scp:
        scps += (control("p-member", "SERVICE_CONTROL_POLICY", (MEMBER,), *member_scp),)
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),), scps=scps)
    org = snap.organization
    assert org is not None
    # the accounts were listed, their parents not: no account's path to the root is known
    return replace(snap, organization=replace(org, accounts=tuple(
        OrgAccount(account_id=a.account_id) for a in org.accounts)))


def _scp_gate(snap: Snapshot) -> str:
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    [path] = [p for p in report.for_secret(SECRET_ARN).paths if p.principal == APP_ROLE]
    return path.gates["scp"].status


def _broken_rule(snap: Snapshot) -> Status:
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rules = Ruleset(rules=(load_ruleset().get("secret-cross-account-access-broken"),))
    config = parse_config({"emit_pass": True}, path="test")
    [finding] = [f for f in evaluate(graph, snap, access, rules, config)
                 if f.resource.arn == SECRET_ARN]
    return finding.status


def test_a_deny_attached_to_the_account_denies_whatever_its_path() -> None:
    snap = _estate(FULL, DENY_SECRETS)
    assert _scp_gate(snap) == "DENIED"
    assert _broken_rule(snap) is Status.FAIL


def test_an_unread_path_is_unknown_not_a_pass() -> None:
    snap = _estate()
    assert _scp_gate(snap) == "UNKNOWN"
    assert _broken_rule(snap) is Status.UNKNOWN
