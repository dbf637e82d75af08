"""remove-external-grant on the grants the exposure concept learnt this session (IAM
conformance trial round 16): an IgnoreCase value in capitals (reported case-folded) is removed
from its condition -- the plan had left "ARN:AWS:IAM::999...:ROOT" in place and removed nothing
-- and a "*" grant an account reaches through another statement's condition (a Deny's
exception) is refused with the reason -- planning crashed ("internal error: ValueError")."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, OUTSIDER, allow_read_identity,
                                   estate, role, text)
from scanner.access import AccessSettings, analyze_access
from scanner.changes import RemediationConfig
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph
from scanner.model import Snapshot
from scanner.remediate.planner import Selection, build_plan

RULE = "secret-policy-external-account"
NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
PA = "aws:PrincipalArn"
READ = "secretsmanager:GetSecretValue"
KEY = text({"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
            "Action": "kms:*", "Resource": "*"},
           {"Sid": "Via", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
            "Resource": "*", "Condition": {"StringEquals": {
                "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}})


def _plan(*statements: dict[str, Any]) -> Any:
    snap: Snapshot = estate(secret_policy=text(*statements), key_policy=KEY,
                            principals=(role(APP_ROLE, allow_read_identity()),))
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get(RULE)
    assert rule is not None
    failed = [f for f in evaluate(graph, snap, access, Ruleset(rules=(rule,)),
                                  parse_config({}, path="(test)"), NOW)
              if f.status.value == "FAIL"]
    assert failed
    return build_plan(failed, snap, RemediationConfig(), Selection(rules=(RULE,)))


def test_an_ignorecase_value_in_capitals_leaves_its_condition() -> None:
    plan = _plan({"Sid": "Pub", "Effect": "Allow", "Principal": "*", "Action": READ,
                  "Resource": "*", "Condition": {"StringEqualsIgnoreCase": {
                      PA: [f"ARN:AWS:IAM::{OUTSIDER}:ROOT", f"arn:aws:iam::{MEMBER}:root"]}}})
    (change,) = plan.changes
    written = json.loads(change.calls[0].params["ResourcePolicy"])
    assert OUTSIDER not in json.dumps(written)
    assert written["Statement"][0]["Condition"]["StringEqualsIgnoreCase"][PA] == \
        f"arn:aws:iam::{MEMBER}:root"


def test_a_grant_a_denys_exception_spares_is_refused_with_the_reason() -> None:
    plan = _plan({"Sid": "Pub", "Effect": "Allow", "Principal": "*", "Action": READ,
                  "Resource": "*"},
                 {"Sid": "Perimeter", "Effect": "Deny", "Principal": "*",
                  "Action": "secretsmanager:*", "Resource": "*",
                  "Condition": {"ArnNotLike": {PA: f"arn:aws:iam::{OUTSIDER}:*"}}})
    assert plan.changes == () or not plan.changes
    reasons = " ".join(s.reason for s in plan.skipped)
    assert "another statement's condition spares it" in reasons, reasons


def test_a_grant_a_not_principal_deny_spares_is_refused_naming_it() -> None:
    """IAM conformance trial round 25: Deny NotPrincipal [999999999999] beside Allow * --
    secret-policy-external-account now reports the account (narrowing.mentioned_accounts), and
    the refusal names the statement's NotPrincipal, not a condition it does not have."""
    plan = _plan({"Sid": "Pub", "Effect": "Allow", "Principal": "*", "Action": READ,
                  "Resource": "*"},
                 {"Sid": "AllBut", "Effect": "Deny",
                  "NotPrincipal": {"AWS": [OUTSIDER, f"arn:aws:iam::{CENTRAL}:root"]},
                  "Action": "secretsmanager:*", "Resource": "*"})
    assert not plan.changes
    reasons = " ".join(s.reason for s in plan.skipped)
    assert "NotPrincipal" in reasons and "condition spares" not in reasons, reasons
