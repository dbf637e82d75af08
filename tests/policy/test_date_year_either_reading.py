"""Four digits alone in a date condition are decided where both readings agree (IAM
conformance trial round 29).

IAM User Guide, "Condition operators", date condition operators: "You must specify date/time
values with one of the W3C implementations of the ISO 8601 date formats or in epoch (UNIX)
time". Four digits alone are both: W3C "Year: YYYY" and that many epoch seconds; which AWS
reads is not documented (round 27 made them unparseable). But the request's time is not before
the scan's start (docs/access.md: aws:CurrentTime "never earlier than the scan's start"): a
window that closed in "2020" closed before the scan read either way (2020-01-01 or 2020 s
after 1970), and one that opened then is open either way. Before: every such clause was
UNKNOWN -- "Deny if DateLessThan aws:CurrentTime 2020" left every read CONDITIONAL, and an
Allow * under it (a grant that expired in 2020) was reported public. Where the readings
disagree ("2030": 2030 or 1970) the answer stays open, the evaluator's and the solver's."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpers.access_estate import (APP_ROLE, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, text)
from helpers.rule_results import rule_statuses
from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy_text
from scanner.policy.smt.questions import check_policy

ROLE = "arn:aws:iam::222222222222:role/App"
SCAN_START = 1796601600.0  # 2026-12-07T00:00:00Z


def _policy(*statements: dict[str, Any]) -> Any:
    return parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))


def _allow(condition: dict[str, Any] | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                          "Resource": "*"}
    if condition:
        st["Condition"] = condition
    return st


def _deny(condition: dict[str, Any]) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": condition}


def _request() -> Request:
    return Request(principal_arn=ROLE, principal_account="222222222222", principal_type="role",
                   action="secretsmanager:GetSecretValue", resource=SECRET_ARN,
                   context={"aws:principalarn": (ROLE,)}, time_floor=SCAN_START)


def _both(policy: Any) -> tuple[str, str]:
    """(the evaluator's decision, the solver's)."""
    evaluated = evaluate_policy(policy, _request(), PolicyKind.IDENTITY).decision.value
    solved = check_policy(policy, _request(), PolicyKind.IDENTITY, timeout_s=20).decision
    return evaluated, solved


@pytest.mark.parametrize("operator", ["DateLessThan", "DateLessThanEquals", "DateEquals"])
def test_a_deny_whose_window_closed_in_that_year_denies_nothing(operator: str) -> None:
    policy = _policy(_allow(), _deny({operator: {"aws:CurrentTime": "2020"}}))
    assert _both(policy) == ("ALLOWED", "ALLOWED")


@pytest.mark.parametrize("operator", ["DateGreaterThan", "DateGreaterThanEquals",
                                      "DateNotEquals"])
def test_a_grant_whose_window_opened_in_that_year_is_open(operator: str) -> None:
    assert _both(_policy(_allow({operator: {"aws:CurrentTime": "2020"}}))) == \
        ("ALLOWED", "ALLOWED")


def test_a_grant_that_expired_in_that_year_grants_nothing() -> None:
    assert _both(_policy(_allow({"DateLessThan": {"aws:CurrentTime": "2020"}}))) == \
        ("DENIED", "DENIED")


@pytest.mark.parametrize("condition", [
    {"DateGreaterThan": {"aws:CurrentTime": "2030"}},  # 2030, or 1970: open since
    {"DateLessThan": {"aws:CurrentTime": "2030"}},  # open until 2030, or closed since 1970
])
def test_where_the_readings_disagree_the_answer_stays_open(condition: dict[str, Any]) -> None:
    result = evaluate_policy(_policy(_allow(condition)), _request(), PolicyKind.IDENTITY)
    assert result.decision.value == "CONDITIONAL"
    assert any("is a year (W3C) and epoch seconds alike" in u for u in result.unresolved)
    check = check_policy(_policy(_allow(condition)), _request(), PolicyKind.IDENTITY,
                         timeout_s=20)
    assert check.decision == "UNKNOWN"
    assert any("epoch seconds alike" in n for n in check.not_encoded)


def test_a_public_grant_that_expired_in_2020_is_not_public() -> None:
    """secret-policy-public reads the same clause as the access analysis (exposure.never_holds
    on the `*` request): PASS, with --prove or without."""
    grant = {"Sid": "Expired", "Effect": "Allow", "Principal": "*",
             "Action": "secretsmanager:GetSecretValue", "Resource": "*",
             "Condition": {"DateLessThan": {"aws:CurrentTime": "2020"}}}
    snap = estate(secret_policy=text(grant), key_policy=key_policy_for("*", via=False),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    assert rule_statuses(snap, "secret-policy-public", prove=False)[SECRET_ARN] == "PASS"
    assert rule_statuses(snap, "secret-policy-public", prove=True,
                         prove_timeout=60)[SECRET_ARN] == "PASS"
