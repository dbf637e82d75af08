"""An outside account granted whole by the secret's resource policy (its root), whose IAM is
not read, while the key policy names one ROLE of that account: the role is a reader in its own
right, CONDITIONAL on its own identity policies only.

IAM User Guide, "AWS JSON policy elements: Principal" (AWS account principals): naming an
account in a resource-based policy "delegates authority to the account"; its identities then
need an identity-based policy that allows the action. The key policy names the role itself.
New-user trial round 7 (account_grant_reach.py): the account was judged by its root alone,
which the key policy does not name -- "principals of account ... -> DENIED, blocked by
key_policy", the finding "currently blocked by key_policy", no path for the role.
"""

from __future__ import annotations

from helpers.access_estate import (CENTRAL, SECRET_ARN, estate, key_policy_for,
                                   secret_policy_for, text)

from scanner.access import AccessReport, AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Status
from scanner.graph.builder import build_graph
from scanner.model import Snapshot

PARTNER = "210987654321"
PARTNER_ROOT = f"arn:aws:iam::{PARTNER}:root"
PARTNER_ROLE = f"arn:aws:iam::{PARTNER}:role/PartnerReader"


def _snapshot(secret_policy: str, key_policy: str) -> Snapshot:
    return estate(secret_policy=secret_policy, key_policy=key_policy)


def _run(snap: Snapshot) -> AccessReport:
    return analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))


def test_a_role_the_key_policy_names_reads_through_its_accounts_grant() -> None:
    """new-user trial round 7: the role is a CONDITIONAL reader, not DENIED by the key."""
    report = _run(_snapshot(secret_policy_for(PARTNER_ROOT), key_policy_for(PARTNER_ROLE)))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    paths = {p.principal: p for p in sa.paths}
    assert PARTNER_ROLE in paths
    role = paths[PARTNER_ROLE]
    assert role.decision == "CONDITIONAL"
    gates = role.gate_statuses()
    # only its own identity policies (not read) are left
    assert gates["resource_policy"] == "ALLOWED"
    assert gates["key_policy"] == "ALLOWED"
    assert gates["identity_policy"] == "UNKNOWN"
    # the account's class is reached through that role: not "blocked by key_policy"
    (reach,) = [r for r in sa.reach if r.subject == f"account:{PARTNER}"]
    assert reach.decision == "CONDITIONAL"
    assert reach.blocked_by == ()
    assert reach.conditional_principals == 1
    # the root stands for the account's other principals, which the key does not name
    assert paths[PARTNER_ROOT].gate_statuses()["key_policy"] == "DENIED"


def test_a_role_the_key_names_is_no_reader_when_the_secret_does_not_grant_its_account() -> None:
    """new-user trial round 7 (the other half): the key policy alone lets no one read; a
    cross-account read needs the secret's resource policy too."""
    other = "arn:aws:iam::444444444444:root"
    report = _run(_snapshot(secret_policy_for(other), key_policy_for(PARTNER_ROLE)))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    assert PARTNER_ROLE not in {p.principal for p in sa.paths}


def test_the_external_grant_is_not_reported_as_blocked() -> None:
    """new-user trial round 7: secret-policy-external-account said "currently blocked by
    key_policy" (evidence blocked_by ['key_policy']) for a grant a role of the account uses."""
    snap = _snapshot(secret_policy_for(PARTNER_ROOT), key_policy_for(PARTNER_ROLE))
    graph = build_graph(snap)
    report = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get("secret-policy-external-account")
    assert rule is not None
    findings = evaluate(graph, snap, report, Ruleset(rules=(rule,)),
                        parse_config({}, path="(test)"))
    (fail,) = [f for f in findings if f.status is Status.FAIL]
    assert fail.principal == PARTNER_ROOT
    assert fail.evidence["blocked_by"] == []
    assert "currently blocked" not in fail.message


def test_the_grant_stays_blocked_when_the_key_names_no_one_of_the_account() -> None:
    """new-user trial round 7 (control): with the key policy naming only the central account,
    the account's principals are DENIED by the key and the finding says so."""
    snap = _snapshot(secret_policy_for(PARTNER_ROOT),
                     key_policy_for(f"arn:aws:iam::{CENTRAL}:role/CentralApp"))
    graph = build_graph(snap)
    report = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    (reach,) = [r for r in sa.reach if r.subject == f"account:{PARTNER}"]
    assert (reach.decision, reach.blocked_by) == ("DENIED", ("key_policy",))
    rule = load_ruleset().get("secret-policy-external-account")
    assert rule is not None
    findings = evaluate(graph, snap, report, Ruleset(rules=(rule,)),
                        parse_config({}, path="(test)"))
    (fail,) = [f for f in findings if f.status is Status.FAIL]
    assert fail.evidence["blocked_by"] == ["key_policy"]


def test_a_public_grant_reaches_the_outside_role_the_key_names() -> None:
    """new-user trial round 7 (the "*" form of the same grant): the "*" class is read by the
    outside role the key policy names (CONDITIONAL on its identity policies), not "DENIED,
    blocked by key_policy" -- that is only the answer for the principals no policy names."""
    star = text({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                 "Resource": "*"})
    sa = _run(_snapshot(star, key_policy_for(PARTNER_ROLE))).for_secret(SECRET_ARN)
    assert sa is not None
    assert {p.principal: p.decision for p in sa.paths}[PARTNER_ROLE] == "CONDITIONAL"
    (everyone,) = [r for r in sa.reach if r.subject == "*"]
    assert (everyone.decision, everyone.blocked_by) == ("CONDITIONAL", ())
