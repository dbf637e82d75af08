"""The access view rolls reader accounts up by organizational unit (issue: the HTML report at
organization scale; "aggregated by account (and OU)")."""

from __future__ import annotations

import networkx as nx

from reports.html.access_view import NO_OU, build_access_view
from scanner.access.report import AccessPath, AccessReport, GateVerdict, SecretAccess


SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf"
READERS = [("222222222222", "prod", "ALLOWED", ()),
           ("333333333333", "prod", "DENIED", ("key_policy",)),
           ("444444444444", "dev", "CONDITIONAL", ()),
           ("555555555555", None, "ALLOWED", ())]


def _access() -> AccessReport:
    paths = tuple(AccessPath(
        principal=f"arn:aws:iam::{acct}:role/App", principal_account=acct, principal_type="role",
        secret_account="111111111111", decision=decision, cross_account=True,
        gates={"resource_policy": GateVerdict(status="ALLOWED")}, broken_at=broken,
        intended=bool(broken)) for acct, _, decision, broken in READERS)
    return AccessReport(secrets={SECRET: SecretAccess(
        secret_arn=SECRET, name="db", account_id="111111111111", region="us-east-1",
        key_arn=None, aws_managed_key=True, paths=paths)})


def _graph() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    secret = SECRET
    g.add_node(secret, kind="Secret", account_id="111111111111", name="db")
    for acct, ou, _decision, _broken in READERS:
        role = f"arn:aws:iam::{acct}:role/App"
        g.add_node(role, kind="Principal", account_id=acct, name="App")
        g.add_node(f"account:{acct}", kind="Account", account_id=acct, ou=ou)
    return g


def test_reader_accounts_are_rolled_up_by_ou_broken_first() -> None:
    ous = {"222222222222": "prod", "333333333333": "prod", "444444444444": "dev"}
    view = build_access_view(_graph(), _access(), account_names={}, account_ous=ous)
    rows = [(o.ou, o.accounts, o.principals, o.counts) for o in view.ous]
    assert rows == [
        ("prod", 2, 2, {"broken": 1, "allowed": 1, "conditional": 0}),
        ("dev", 1, 1, {"broken": 0, "allowed": 0, "conditional": 1}),
        (NO_OU, 1, 1, {"broken": 0, "allowed": 1, "conditional": 0}),
    ]


def test_no_roll_up_without_any_ou() -> None:
    assert build_access_view(_graph(), _access(), account_names={}, account_ous={}).ous == []
