"""An Allow statement whose Principal element is not valid IAM grants someone the policy's
text does not name: the rules that ask whom a policy grants answer UNKNOWN, naming the
statement, never PASS. IAM User Guide, "Grammar of the IAM JSON policy language":
``<principal_block> = ("Principal" | "NotPrincipal") : ("*" | <principal_map>)`` -- a string
ARN, a number, an unknown principal type are not that (exposure.unreadable_grantees).
Safe-fixes trial round 18: ``"Principal": "arn:aws:iam::999999999999:root"`` on
``secretsmanager:*`` PASSed secret-policy-external-account, -public and -overbroad-actions."""

from __future__ import annotations

import json

import pytest
from helpers.access_estate import CENTRAL, KEY_ARN, SECRET_ARN, estate
from helpers.rule_results import NOW, access_report, rule_statuses

from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph

RULES = ("secret-policy-external-account", "secret-policy-public",
         "secret-policy-overbroad-actions")


def policy(principal: object, effect: str = "Allow") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "Partner", "Effect": effect, "Principal": principal,
        "Action": "secretsmanager:*", "Resource": "*"}]})


@pytest.mark.parametrize("principal", [
    "arn:aws:iam::999999999999:root",          # a string other than "*"
    {"AWS": 999999999999},                      # not a string
    {"Aws": "arn:aws:iam::999999999999:root"},  # no such principal type
], ids=["string-arn", "number", "unknown-type"])
@pytest.mark.parametrize("rule", RULES)
def test_an_allow_to_an_unreadable_principal_is_unknown_not_pass(principal: object,
                                                                  rule: str) -> None:
    assert rule_statuses(estate(secret_policy=policy(principal)), rule)[SECRET_ARN] == "UNKNOWN"


def test_the_unknown_names_the_statement_and_what_is_wrong() -> None:
    snap = estate(secret_policy=policy("arn:aws:iam::999999999999:root"))
    found = evaluate(build_graph(snap), snap, access_report(snap),
                     Ruleset(rules=(load_ruleset().get("secret-policy-external-account"),)),
                     parse_config({"emit_pass": True}, path="(test)"), NOW)
    (finding,) = [f for f in found if f.resource.arn == SECRET_ARN]
    assert any("statement 0 (Partner)" in m and "Principal element is not valid IAM" in m
               for m in finding.missing), finding.missing


@pytest.mark.parametrize("rule", RULES)
def test_a_deny_to_an_unreadable_principal_grants_no_one(rule: str) -> None:
    assert rule_statuses(estate(secret_policy=policy("arn:aws:iam::999999999999:root",
                                                     "Deny")), rule)[SECRET_ARN] == "PASS"


def test_a_key_policy_allow_to_an_unreadable_principal_is_unknown_for_kms_key_policy_public(
        ) -> None:
    key_policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "Partner", "Effect": "Allow", "Principal": "arn:aws:iam::999999999999:root",
         "Action": "kms:Decrypt", "Resource": "*"}]})
    assert rule_statuses(estate(secret_policy=None, key_policy=key_policy),
                         "kms-key-policy-public")[KEY_ARN] == "UNKNOWN"
