"""secret-policy-external-account's evidence on the other gates of a grant made through a
condition of a ``*`` statement (aws:PrincipalAccount, aws:PrincipalOrgID naming an outsider):
the access analysis evaluates the principals a Principal element names, not a grantee named
only by a condition, so it has no verdict for that grantee -- the evidence says so
(``blocked_by`` null, a ``gates_note``), never an empty list that reads as "nothing blocks it"
(ground-truth trial round 6: the same grant written as a bare Principal got blocked_by
['key_policy', 'scp'], the condition form ``gates: None, blocked_by: []``)."""

from __future__ import annotations

import json
from typing import Any

from helpers.rule_fixture import FIXTURES
from test_rule_evidence import OUTSIDER_ROOT, _evaluate

from scanner.findings import Finding, Status

OUTSIDER = "999999999999"


def _external(statement: dict[str, Any], *, access: bool = True) -> Finding:
    data = json.loads((FIXTURES / "secret-cross-account-access-broken" / "snapshot.json")
                      .read_text())
    secret = data["accounts"][0]["regions"][0]["secrets"][1]  # key-denies: key policy denies
    secret["resource_policy"] = json.dumps({"Version": "2012-10-17", "Statement": [dict(
        {"Sid": "Vendor", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": "*"}, **statement)]})
    (fail,) = [f for f in _evaluate("secret-policy-external-account", data, access=access)
               if f.status is Status.FAIL]
    return fail


def test_a_bare_principal_grant_names_the_gates_that_block_it() -> None:
    fail = _external({"Principal": {"AWS": OUTSIDER_ROOT}})
    assert fail.evidence["blocked_by"] == ["key_policy"]
    assert "gates_note" not in fail.evidence


def test_an_account_named_by_a_condition_is_not_reported_as_unblocked() -> None:
    fail = _external({"Principal": "*", "Condition": {
        "StringEquals": {"aws:PrincipalAccount": OUTSIDER}}})
    assert fail.principal == OUTSIDER
    assert fail.evidence["gates"] is None
    assert fail.evidence["blocked_by"] is None
    assert "not evaluated" in fail.evidence["gates_note"]
    assert "other gates not evaluated" in fail.message


def test_another_organization_named_by_a_condition_is_not_reported_as_unblocked() -> None:
    fail = _external({"Principal": "*", "Condition": {
        "StringEquals": {"aws:PrincipalOrgID": "o-otherorg123"}}})
    assert fail.principal == "o-otherorg123"
    assert fail.evidence["blocked_by"] is None
    assert "not evaluated" in fail.evidence["gates_note"]


def test_without_access_analysis_the_gates_are_not_evaluated_either() -> None:
    fail = _external({"Principal": {"AWS": OUTSIDER_ROOT}}, access=False)
    assert fail.evidence["blocked_by"] is None
    assert "access analysis" in fail.evidence["gates_note"]
