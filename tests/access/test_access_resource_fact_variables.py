"""The resource's own account and organization by their policy variables, inside a value: a
data-perimeter ``*`` grant reads as the same grant with the literal ids (IAM conformance trial
round 36).

IAM User Guide, "Variables and tags": "the policy variables are replaced with values that come
from the conditional context keys passed in the request" -- ``${aws:ResourceAccount}`` and
``${aws:ResourceOrgID}`` are the secret's own account and organization whoever asks, so
``arn:aws:iam::${aws:ResourceAccount}:role/*`` names the roles of that one account, as
``arn:aws:iam::111111111111:role/*`` does, and ``${aws:ResourceOrgID}/*`` every path of the
secret's organization. Only the whole-value forms (``aws:PrincipalAccount =
${aws:ResourceAccount}``, ``aws:PrincipalOrgID = ${aws:ResourceOrgID}``) were read so: a
``*`` grant of secretsmanager:* to the secret's own account's roles by the variable was an
over-broad grant "to *" (the literal ARN passed), the same confined by aws:SourceAccount or a
source ARN too, and one headed ``${aws:ResourceAccount}:*`` in aws:userid public. A caller's
own value (``${aws:PrincipalAccount}``) where the account is still names everyone."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, CENTRAL, ORG_ID, SECRET_ARN, allow_read_identity,
                                   estate, key_policy_for, role, text)

from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph

RULES = ("secret-policy-public", "secret-policy-external-account",
         "secret-policy-overbroad-actions")
RULESET = load_ruleset()


def _estate(condition: dict[str, Any]) -> Any:
    return estate(secret_policy=text({"Effect": "Allow", "Principal": "*",
                                      "Action": "secretsmanager:*", "Resource": "*",
                                      "Condition": condition}),
                  key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),))


def _rules(snap: Any) -> dict[str, tuple[str, str]]:
    """rule id -> (status, message) of the secret's finding under each rule of RULES."""
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rules = tuple(r for r in (RULESET.get(i) for i in RULES) if r is not None)
    findings = evaluate(graph, snap, access, Ruleset(rules=rules),
                        parse_config({"emit_pass": True}, path="test"),
                        datetime(2026, 11, 29, tzinfo=timezone.utc))
    return {f.rule_id: (f.status.value, f.message or "") for f in findings
            if f.resource.arn == SECRET_ARN}


def _reach(snap: Any) -> list[tuple[str, bool]]:
    sa = analyze_access(build_graph(snap), snap,
                        AccessSettings.from_snapshot(snap)).for_secret(SECRET_ARN)
    assert sa is not None
    return [(r.subject, r.reads) for r in sa.reach]


OWN_ROLES = {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{CENTRAL}:role/*"}}


@pytest.mark.parametrize("variable, literal", [
    # the secret's own account's roles, by ARN
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:ResourceAccount}:role/*"}},
     OWN_ROLES),
    ({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::${aws:ResourceAccount}:role/Admin"}},
     {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{CENTRAL}:role/Admin"}}),
    ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:ResourceAccount}:*"}},
     {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{CENTRAL}:*"}}),
    # the confused-deputy keys: only a service acting for the own account's resources
    ({"StringEquals": {"aws:SourceAccount": "${aws:ResourceAccount}"}},
     {"StringEquals": {"aws:SourceAccount": CENTRAL}}),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:lambda:*:${aws:ResourceAccount}:function:*"}},
     {"ArnLike": {"aws:SourceArn": f"arn:aws:lambda:*:{CENTRAL}:function:*"}}),
    ({"StringEquals": {"aws:SourceOrgID": "${aws:ResourceOrgID}"}},
     {"StringEquals": {"aws:SourceOrgID": ORG_ID}}),
    # the own account's federated users
    ({"StringLike": {"aws:userid": "${aws:ResourceAccount}:*"}},
     {"StringLike": {"aws:userid": f"{CENTRAL}:*"}}),
    # the organization, by its paths (the case of the variable's name does not matter)
    ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "${aws:ResourceOrgID}/*"}},
     {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG_ID}/*"}}),
    ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "${aws:resourceorgid}/r-root/ou-x/*"}},
     {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG_ID}/r-root/ou-x/*"}}),
])
def test_the_resource_variable_reads_as_its_literal_id(variable: dict[str, Any],
                                                      literal: dict[str, Any]) -> None:
    by_variable, by_literal = _estate(variable), _estate(literal)
    assert _rules(by_variable) == _rules(by_literal)
    assert _reach(by_variable) == _reach(by_literal)


def test_the_own_accounts_roles_by_variable_are_no_over_broad_grant() -> None:
    """As a user meets it: the data-perimeter form PASSes the three rules, as the literal
    form does (it was secret-policy-overbroad-actions FAIL "statement 0 grants *")."""
    got = _rules(_estate({"ArnLike": {
        "aws:PrincipalArn": "arn:aws:iam::${aws:ResourceAccount}:role/*"}}))
    assert {rule: status for rule, (status, _) in got.items()} == dict.fromkeys(RULES, "PASS")


def test_the_organizations_paths_by_variable_are_narrowed_not_everyone() -> None:
    status, message = _rules(_estate({"ForAnyValue:StringLike": {
        "aws:PrincipalOrgPaths": "${aws:ResourceOrgID}/*"}}))["secret-policy-overbroad-actions"]
    assert status == "FAIL"  # secretsmanager:* to the other accounts of the organization
    assert "narrowed by aws:principalorgpaths, not everyone" in message, message
    assert _reach(_estate({"ForAnyValue:StringLike": {
        "aws:PrincipalOrgPaths": "${aws:ResourceOrgID}/*"}}))[0] == (f"organization:{ORG_ID}",
                                                                    True)


@pytest.mark.parametrize("condition", [
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:role/*"}},
    {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "${aws:PrincipalOrgID}/*"}},
    {"StringLike": {"aws:userid": "${aws:PrincipalAccount}:*"}},
])
def test_the_callers_own_value_where_the_account_is_still_names_everyone(
        condition: dict[str, Any]) -> None:
    got = _rules(_estate(condition))
    assert got["secret-policy-public"][0] == "FAIL", got
    assert got["secret-policy-overbroad-actions"][0] == "FAIL", got
