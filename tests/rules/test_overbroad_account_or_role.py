"""secret-policy-overbroad-actions says whom a grant reaches: a grant to an account (its root
ARN or its id) delegates to the account -- "When you specify an AWS account in the Principal
element ... you delegate authority to that account", and every identity there whose
identity-based policies allow it gets the actions (IAM User Guide, "AWS JSON policy elements:
Principal", AWS account principals) -- not to its root user alone; a grant to one role reaches
that role. The message read "grants arn:aws:iam::222222222222:root: secretsmanager:..." for
both, as if the root user were the one grantee (ground-truth trial round 26)."""

from __future__ import annotations

from datetime import datetime, timezone

from helpers.access_estate import MEMBER, SECRET_ARN, estate, text
from helpers.rule_results import access_report

from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph

RULE = "secret-policy-overbroad-actions"
ROLE = f"arn:aws:iam::{MEMBER}:role/AppRole"


def _message(principal: str) -> str:
    snap = estate(secret_policy=text({"Sid": "Admin", "Effect": "Allow",
                                      "Principal": {"AWS": principal},
                                      "Action": "secretsmanager:*", "Resource": "*"}))
    rule = load_ruleset().get(RULE)
    assert rule is not None
    out = evaluate(build_graph(snap), snap, access_report(snap), Ruleset(rules=(rule,)),
                   parse_config({}, path="(test)"), datetime(2026, 11, 29, tzinfo=timezone.utc))
    [finding] = [f for f in out if f.resource.arn == SECRET_ARN and f.status.value == "FAIL"]
    return str(finding.message)


def test_a_grant_to_an_account_root_says_it_reaches_the_accounts_principals() -> None:
    message = _message(f"arn:aws:iam::{MEMBER}:root")
    assert f"grants arn:aws:iam::{MEMBER}:root (account {MEMBER}: every principal of it " \
        "whose identity policies allow)" in message
    assert "secretsmanager:PutResourcePolicy" in message


def test_a_grant_to_an_account_id_says_the_same() -> None:
    assert f"grants {MEMBER} (account {MEMBER}: every principal of it whose identity " \
        "policies allow)" in _message(MEMBER)


def test_a_grant_to_one_role_names_the_role_only() -> None:
    message = _message(ROLE)
    assert f"grants {ROLE}: secretsmanager:" in message
    assert "every principal" not in message
