"""identity-policy-secret-wildcard does not judge principals of accounts outside the scanned
estate: a trusted account (the config's trusted_accounts, inside the trust zone but never
scanned) has no IAM the scan could read, so a role of it that a secret policy names is not a
resource of the rule -- "Service-linked roles and principals outside the scanned estate are not
judged" (the rule's description). Ground-truth trial round 12: with `trusted_accounts:
["210987654321"]` every night said "identity-policy-secret-wildcard UNKNOWN
arn:aws:iam::210987654321:role/Standalone: ... (IAM of account 210987654321 not read)", an
UNKNOWN no rescan can ever settle, while the same role with the account outside the zone was
(rightly) not judged. A scanned account whose IAM could not be read stays UNKNOWN."""

from __future__ import annotations

from datetime import datetime, timezone

from helpers.access_estate import (APP_ROLE, APP_ROLE2, MEMBER, MEMBER2, OUTSIDER,
                                   allow_read_identity, estate, key_policy_for, role,
                                   secret_policy_for)
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Finding
from scanner.graph.builder import build_graph

RULE = "identity-policy-secret-wildcard"
TRUSTED_ROLE = f"arn:aws:iam::{OUTSIDER}:role/Partner"
WILD = f"arn:aws:iam::{MEMBER}:role/wild"


def _findings(trusted: tuple[str, ...]) -> dict[str, Finding]:
    # MEMBER2 is a scanned account whose IAM was not read (its audit role missing)
    snap = estate(secret_policy=secret_policy_for(APP_ROLE, APP_ROLE2, TRUSTED_ROLE),
                  key_policy=key_policy_for(APP_ROLE, APP_ROLE2, TRUSTED_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()), role(WILD, {
                      "Version": "2012-10-17", "Statement": [{
                          "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                          "Resource": "*"}]})),
                  iam_accounts=tuple(a for a in ("111111111111", MEMBER)))
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(
        snap, trusted_accounts=trusted))
    rule = load_ruleset().get(RULE)
    assert rule is not None
    config = parse_config({"trusted_accounts": list(trusted)}, path="(test)")
    return {f.resource.arn: f for f in evaluate(graph, snap, access, Ruleset(rules=(rule,)),
                                                config,
                                                datetime(2026, 11, 29, tzinfo=timezone.utc))}


def test_a_trusted_accounts_role_is_not_judged_like_an_outsiders() -> None:
    for trusted in ((), (OUTSIDER,)):
        found = _findings(trusted)
        assert TRUSTED_ROLE not in found, (trusted, found[TRUSTED_ROLE].status,
                                           found[TRUSTED_ROLE].message)
        assert found[WILD].status.value == "FAIL"


def test_a_scanned_account_whose_iam_was_not_read_stays_unknown() -> None:
    found = _findings((OUTSIDER,))
    f = found[APP_ROLE2]
    assert f.status.value == "UNKNOWN"
    assert f"IAM of account {MEMBER2} not read" in f.message, f.message
