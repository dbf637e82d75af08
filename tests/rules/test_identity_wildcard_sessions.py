"""identity-policy-secret-wildcard judges IAM roles and users: the identity policies of an STS
session a secret policy names (a federated user, an assumed-role session) are not its resources
(conformance trial round 8: "identity-policy-secret-wildcard UNKNOWN
arn:aws:sts::222...:federated-user/bob: ... (IAM of account 222222222222 not read)" although
that account's IAM was read)."""

from __future__ import annotations

from datetime import datetime, timezone

from helpers.access_estate import (APP_ROLE, MEMBER, allow_read_identity, estate,
                                   key_policy_for, role, secret_policy_for)
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Finding
from scanner.graph.builder import build_graph

RULE = "identity-policy-secret-wildcard"
FEDERATED = f"arn:aws:sts::{MEMBER}:federated-user/bob"
SESSION = f"arn:aws:sts::{MEMBER}:assumed-role/Gone/s1"
GONE_ROLE = f"arn:aws:iam::{MEMBER}:role/Gone"
#: a role of the same account whose identity policy reads every secret: the rule's FAIL
WILD = f"arn:aws:iam::{MEMBER}:role/wild"


def _findings(*named: str) -> dict[str, Finding]:
    snap = estate(secret_policy=secret_policy_for(APP_ROLE, *named),
                  key_policy=key_policy_for(APP_ROLE, *named),
                  principals=(role(APP_ROLE, allow_read_identity()), role(WILD, {
                      "Version": "2012-10-17", "Statement": [{
                          "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                          "Resource": "*"}]})))
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get(RULE)
    assert rule is not None
    return {f.resource.arn: f for f in evaluate(graph, snap, access, Ruleset(rules=(rule,)),
                                                parse_config({}, path="(test)"),
                                                datetime(2026, 11, 29, tzinfo=timezone.utc))}


def test_a_federated_user_or_session_named_by_a_policy_is_not_judged() -> None:
    """A secret policy naming a federated user and an assumed-role session: neither is an
    IAM role or user, so the rule has no finding for them -- no UNKNOWN saying the IAM of
    their account was not read (it was) -- while the roles of that account are judged."""
    found = _findings(FEDERATED, SESSION)
    assert FEDERATED not in found and SESSION not in found, {
        a: (f.status, f.message) for a, f in found.items()}
    assert found[WILD].status.value == "FAIL"


def test_a_role_named_by_a_policy_but_absent_from_its_read_account_is_said_so() -> None:
    """A secret policy naming a role that the read IAM of its account does not hold: the
    account's IAM was read, so the message does not say it was not, but that the role is not
    among those read (conformance trial round 8: the wording claimed the IAM was not read)."""
    found = _findings(GONE_ROLE)
    f = found[GONE_ROLE]
    assert f.status.value == "UNKNOWN"
    assert "IAM of account" not in f.message, f.message
    assert f"not among the IAM roles and users read in account {MEMBER}" in f.message
