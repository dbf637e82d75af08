"""The stand-in for an account whose IAM was not read ("account:<id>", docs/access.md) is any
principal of that account the policies do not name -- a role, a user or the root user -- not
the root user alone: its principal-identity keys (aws:PrincipalArn, aws:PrincipalType,
aws:username, aws:userid, aws:PrincipalTag/*) are unknown, its account is known.

IAM User Guide, global condition keys, aws:PrincipalArn: "the ARN of the principal that made
the request" (for a role, the role's ARN); docs/access.md, Reach: a class's decision is "the
best decision of any member". IAM conformance trial round 10 (root_standin_condition.py,
member_keycond_broken.py): the stand-in was judged as the root user (aws:PrincipalArn
arn:aws:iam::<acct>:root, aws:PrincipalType Account), so a condition selecting the account's
roles was false for it and the whole account read DENIED though its roles can read.
"""

from __future__ import annotations

from typing import Any

from helpers.access_estate import (CENTRAL, MEMBER, MEMBER2, SECRET_ARN, estate, text)

from scanner.access import AccessReport, AccessSettings, analyze_access
from scanner.access.verdicts import SecretAccess
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Finding, Status
from scanner.graph.builder import build_graph
from scanner.model import Snapshot

PARTNER = "210987654321"
PARTNER_ROOT = f"arn:aws:iam::{PARTNER}:root"
PARTNER_ROLE = f"arn:aws:iam::{PARTNER}:role/PartnerReader"
PARTNER_ROLES = f"arn:aws:iam::{PARTNER}:role/*"
READ = "secretsmanager:GetSecretValue"


def _principal(p: str) -> Any:
    return "*" if p == "*" else {"AWS": p}


def secret_grant(principal: str, condition: dict[str, Any] | None = None) -> str:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": _principal(principal),
                          "Action": READ, "Resource": "*"}
    if condition:
        st["Condition"] = condition
    return text(st)


def key_grant(principal: str, condition: dict[str, Any] | None = None) -> str:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": _principal(principal),
                          "Action": ["kms:Decrypt"], "Resource": "*"}
    if condition:
        st["Condition"] = condition
    return text({"Sid": "Root", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                 "Resource": "*"}, st)


def _run(snap: Snapshot) -> tuple[AccessReport, SecretAccess]:
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    return report, sa


def _reach(sa: SecretAccess, acct: str) -> tuple[str, tuple[str, ...]]:
    (r,) = [r for r in sa.reach if r.subject == f"account:{acct}"]
    return r.decision, r.blocked_by


def _findings(snap: Snapshot, rule_id: str, **config: Any) -> list[Finding]:
    graph = build_graph(snap)
    report = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get(rule_id)
    assert rule is not None
    return evaluate(graph, snap, report, Ruleset(rules=(rule,)),
                    parse_config(dict(config), path="(test)"))


ROLE_ARN_LIKE = {"ArnLike": {"aws:PrincipalArn": PARTNER_ROLES}}

CASES = {
    # A: the key lets in any role of the account; the secret grants the account whole
    "A": (secret_grant(PARTNER_ROOT), key_grant("*", ROLE_ARN_LIKE)),
    # B: the secret grants the account's roles only; the key names the account
    "B": (secret_grant(PARTNER_ROOT, ROLE_ARN_LIKE), key_grant(PARTNER_ROOT)),
    # C: the secret grants the account's role sessions only (aws:PrincipalType)
    "C": (secret_grant(PARTNER_ROOT, {"StringEquals": {"aws:PrincipalType": "AssumedRole"}}),
          key_grant(PARTNER_ROOT)),
    # D: the secret grants one role of the account, by aws:PrincipalArn
    "D": (secret_grant(PARTNER_ROOT, {"StringEquals": {"aws:PrincipalArn": PARTNER_ROLE}}),
          key_grant(PARTNER_ROOT)),
}


def test_a_condition_selecting_the_accounts_roles_leaves_its_reach_conditional() -> None:
    """IAM conformance trial round 10, cases A-D: each was "DENIED, blocked by key_policy /
    resource_policy" (the root user does not match role/*, is not an AssumedRole); a role of
    the account matches, so the account's reach is CONDITIONAL -- as with no condition."""
    for name, (sp, kp) in CASES.items():
        _, sa = _run(estate(secret_policy=sp, key_policy=kp))
        assert _reach(sa, PARTNER) == ("CONDITIONAL", ()), name
        (stand_in,) = [p for p in sa.paths if p.principal == PARTNER_ROOT]
        assert stand_in.decision == "CONDITIONAL", name


def test_the_stand_ins_request_holds_its_account_but_not_who_it_is() -> None:
    """IAM conformance trial round 10: the stand-in's aws:PrincipalAccount is known (a
    condition on another account is still false for it) while its aws:PrincipalArn and
    aws:PrincipalType are unknown (a condition on them is reported, never guessed)."""
    other_account = secret_grant(PARTNER_ROOT,
                                 {"StringEquals": {"aws:PrincipalAccount": "444444444444"}})
    _, sa = _run(estate(secret_policy=other_account, key_policy=key_grant(PARTNER_ROOT)))
    assert _reach(sa, PARTNER) == ("DENIED", ("resource_policy",))
    _, sa = _run(estate(secret_policy=CASES["C"][0], key_policy=CASES["C"][1]))
    (stand_in,) = [p for p in sa.paths if p.principal == PARTNER_ROOT]
    assert any("aws:principaltype" in c.lower() for c in stand_in.conditions), \
        stand_in.conditions


def test_a_condition_naming_the_root_user_still_lets_the_root_in() -> None:
    """IAM conformance trial round 10 (control): the root user is a member of the account too:
    a grant narrowed to the root's own ARN or to aws:PrincipalType Account is CONDITIONAL for
    the account, not DENIED."""
    for cond in ({"StringEquals": {"aws:PrincipalArn": PARTNER_ROOT}},
                 {"StringEquals": {"aws:PrincipalType": "Account"}}):
        _, sa = _run(estate(secret_policy=secret_grant(PARTNER_ROOT, cond),
                            key_policy=key_grant(PARTNER_ROOT)))
        assert _reach(sa, PARTNER) == ("CONDITIONAL", ()), cond


def test_the_external_grant_is_not_reported_as_blocked_by_a_role_condition() -> None:
    """IAM conformance trial round 10 (caseA_rules_prove.py): secret-policy-external-account
    said "currently blocked by key_policy" while a role of the account reads."""
    for name in ("A", "B"):
        sp, kp = CASES[name]
        (fail,) = [f for f in _findings(estate(secret_policy=sp, key_policy=kp),
                                        "secret-policy-external-account")
                   if f.status is Status.FAIL]
        assert fail.principal == PARTNER_ROOT, name
        assert fail.evidence["blocked_by"] == [], name
        assert "currently blocked" not in fail.message, name


def test_the_real_root_of_an_account_whose_iam_was_read_is_unchanged() -> None:
    """IAM conformance trial round 10: only the unread account's stand-in changes. A member
    whose IAM was read has its own roles and users evaluated one by one; its root user is
    not a stand-in for them."""
    _, sa = _run(estate(secret_policy=secret_grant(f"arn:aws:iam::{MEMBER}:root",
                                                   {"ArnLike": {"aws:PrincipalArn":
                                                                f"arn:aws:iam::{MEMBER}:role/*"}}),
                        key_policy=key_grant(f"arn:aws:iam::{MEMBER}:root")))
    assert f"arn:aws:iam::{MEMBER}:root" not in {p.principal for p in sa.paths}


def test_an_unread_member_limited_to_its_roles_is_not_broken_access() -> None:
    """IAM conformance trial round 10 (member_keycond_broken.py): an organization member whose
    IAM was not read, granted whole by the secret, while the key lets in any ROLE of it: its
    root stand-in was DENIED by the key, reported as broken intended access (and a
    grant-key-decrypt for the account root would widen a key deliberately limited to roles)."""
    snap = estate(secret_policy=secret_grant(f"arn:aws:iam::{MEMBER}:root"),
                  key_policy=key_grant("*", {"ArnLike": {
                      "aws:PrincipalArn": f"arn:aws:iam::{MEMBER}:role/*"}}),
                  iam_accounts=(CENTRAL, MEMBER2))
    _, sa = _run(snap)
    assert _reach(sa, MEMBER) == ("CONDITIONAL", ())
    assert all(not p.broken_at for p in sa.paths if p.principal_account == MEMBER)
    fails = [f for f in _findings(snap, "secret-cross-account-access-broken")
             if f.status is Status.FAIL]
    assert fails == []


def _solver_on_stand_in(snap: Snapshot, acct: str) -> tuple[str, Any, Any]:
    """(the evaluator's decision for the account's stand-in, check_pair's verdict,
    principal_read's answer) -- the solver reads the principal as the access analysis resolves
    it (questions.principal_of)."""
    from dataclasses import replace

    from scanner.access.graph_io import secret_views
    from scanner.access.scp import Guardrails
    from scanner.policy.smt.questions import check_pair, principal_of, principal_read

    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    graph = build_graph(snap)
    sa = analyze_access(graph, snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    root = f"arn:aws:iam::{acct}:root"
    evaluator = next(p.decision for p in sa.paths if p.principal == root)
    sv = {s.arn: s for s in secret_views(graph, settings)[0]}[SECRET_ARN]
    who = principal_of(snap, root, acct, "root", partition=sv.partition)
    guard = Guardrails(snap.organization)
    return (evaluator, check_pair(sv, who, settings, guard, timeout_s=20),
            principal_read(sv, who, settings, guard, 20))


def test_the_solver_agrees_with_the_evaluator_on_the_stand_in() -> None:
    """IAM conformance trial round 10 (caseA_rules_prove.py): access --prove found a WITNESS (a
    role of the account) that the evaluator's DENIED contradicted. The solver reads the
    stand-in as the evaluator does: under a role condition its request context passes the
    resource and key policies (replayed: both ALLOWED), left UNKNOWN only by the account's
    identity policies nobody read; a condition naming another account is a proof (DENIED)."""
    for name in ("A", "B", "C", "D"):
        sp, kp = CASES[name]
        evaluator, pair, read = _solver_on_stand_in(estate(secret_policy=sp, key_policy=kp),
                                                    PARTNER)
        assert evaluator == "CONDITIONAL", name
        assert pair.decision == "UNKNOWN", (name, pair)
        assert pair.not_encoded and all("not collected" in x for x in pair.not_encoded), name
        assert read.status == "UNKNOWN", (name, read)
        assert (read.replay["resource_policy"], read.replay["key_policy"],
                read.replay["decision"]) == ("ALLOWED", "ALLOWED", "CONDITIONAL"), name
    other = secret_grant(PARTNER_ROOT, {"StringEquals": {"aws:PrincipalAccount": "444444444444"}})
    evaluator, pair, read = _solver_on_stand_in(
        estate(secret_policy=other, key_policy=key_grant(PARTNER_ROOT)), PARTNER)
    assert (evaluator, pair.decision, read.status) == ("DENIED", "DENIED", "PROVEN_NONE")


def test_a_wildcard_arn_in_the_key_policy_is_no_principal() -> None:
    """IAM conformance trial round 10 (wildcard_key_principal.py): a key policy entry
    arn:aws:iam::<acct>:role/app-* (a wildcard inside a principal ARN names no principal:
    IAM User Guide, "Principal": "You cannot use a wildcard to match part of a principal name
    or ARN") became an evaluated principal "role/app-*" with a CONDITIONAL path of its own,
    counted as a conditional reader."""
    wildcard = f"arn:aws:iam::{PARTNER}:role/app-*"
    _, sa = _run(estate(secret_policy=secret_grant(PARTNER_ROOT),
                        key_policy=key_grant(wildcard)))
    # the account's stand-in is the one candidate of the account (the key's wildcard entry
    # is UNKNOWN for it: principals.match_aws_entry)
    assert {p.principal for p in sa.paths} == {PARTNER_ROOT}
    assert sa.breadth.conditional_principals == 1
