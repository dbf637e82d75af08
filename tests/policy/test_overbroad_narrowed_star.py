"""secret-policy-overbroad-actions and a ``*`` statement narrowed by a condition: whom the
statement grants is what the same narrowing logic as secret-policy-public and
secret-policy-external-account says (scanner.policy.exposure ``narrows`` /
``condition_accounts``), not ``*`` whatever the condition (concept review round 1, defect 2:
``Principal "*"`` + ``secretsmanager:*`` + ``aws:PrincipalAccount = <the secret's own account>``
was flagged as granting everyone, while -public, -external-account and ``access`` all said
only the own account is let in)."""

from __future__ import annotations

import json
from typing import Any

from scanner.policy.exposure import overbroad_grants
from scanner.policy.parse import parse_policy

OWN = "111111111111"
MEMBER = "222222222222"
ALLOWED = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
           "secretsmanager:ListSecretVersionIds", "secretsmanager:GetResourcePolicy")


def _admin_for_everyone(condition: dict[str, Any] | None, version: str = "2012-10-17") -> Any:
    st: dict[str, Any] = {"Sid": "Admins", "Effect": "Allow", "Principal": "*",
                          "Action": "secretsmanager:*", "Resource": "*"}
    if condition is not None:
        st["Condition"] = condition
    return parse_policy(json.dumps({"Version": version, "Statement": [st]}))


def _grantees(policy: Any) -> list[str]:
    return [p for m in overbroad_grants(policy, own_account=OWN, allowed_actions=ALLOWED)
            for p in m.principals]


def test_a_star_narrowed_to_the_own_account_grants_no_other_account() -> None:
    for condition in ({"StringEquals": {"aws:PrincipalAccount": OWN}},
                      {"StringEquals": {"kms:CallerAccount": [OWN]}},
                      {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OWN}:role/Admin*"}},
                      {"StringEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}}):
        assert _grantees(_admin_for_everyone(condition)) == [], condition


def test_a_star_narrowed_to_the_organization_still_grants_other_accounts() -> None:
    """Narrowed to the organization: other accounts of the organization are granted."""
    assert _grantees(_admin_for_everyone(
        {"StringEquals": {"aws:PrincipalOrgID": "o-abcdef1234"}})) == ["*"]


def test_a_star_narrowed_to_named_accounts_grants_the_other_ones() -> None:
    assert _grantees(_admin_for_everyone(
        {"StringEquals": {"aws:PrincipalAccount": [OWN, MEMBER]}})) == [MEMBER]


def test_a_condition_that_narrows_nothing_leaves_everyone() -> None:
    for condition in (None,
                      {"StringEqualsIfExists": {"aws:PrincipalAccount": OWN}},
                      {"StringNotEquals": {"aws:PrincipalAccount": MEMBER}},
                      {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}}):
        assert _grantees(_admin_for_everyone(condition)) == ["*"], condition
    # without policy variables (Version 2008-10-17) "${aws:ResourceAccount}" is literal text
    assert _grantees(_admin_for_everyone(
        {"StringEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}},
        version="2008-10-17")) == ["*"]


def test_a_star_narrowed_to_the_organization_says_by_what_not_everyone() -> None:
    """The finding named principal ``*`` for a grant limited to the organization, which reads as
    everyone (ground-truth trial round 6): the match carries the narrowing key, and the rule's
    message says "narrowed by aws:principalorgid, not everyone"."""
    from datetime import datetime, timezone

    from helpers.access_estate import estate
    from scanner.engine import evaluate, load_ruleset, parse_config
    from scanner.engine.loader import Ruleset
    from scanner.graph.builder import build_graph

    [match] = overbroad_grants(_admin_for_everyone(
        {"StringEquals": {"aws:PrincipalOrgID": "o-abcdef1234"}}), own_account=OWN,
        allowed_actions=ALLOWED)
    assert match.condition_key == "aws:principalorgid"  # keys are compared lower-case
    [bare] = overbroad_grants(_admin_for_everyone(None), own_account=OWN,
                              allowed_actions=ALLOWED)
    assert bare.condition_key is None
    snap = estate(secret_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "OrgAdmins", "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:*",
        "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]}))
    rule = load_ruleset().get("secret-policy-overbroad-actions")
    assert rule is not None
    [fail] = [f for f in evaluate(build_graph(snap), snap, None, Ruleset(rules=(rule,)),
                                  parse_config({}, path="(test)"),
                                  datetime(2026, 11, 29, tzinfo=timezone.utc))
              if f.status.value == "FAIL"]
    assert fail.principal == "*"
    assert "grants * (narrowed by aws:principalorgid, not everyone)" in fail.message
