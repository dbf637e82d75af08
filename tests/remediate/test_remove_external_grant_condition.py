"""remove-external-grant on a ``*`` statement that names the external account in its
condition (aws:PrincipalAccount), not in Principal (ground-truth organization trial round 8:
partner/cond -- Principal ``*``, StringEquals aws:PrincipalAccount 210987654321 -- was not
planned "removing the principal would leave an empty policy": the Principal is ``*``)."""

from __future__ import annotations

import json
from typing import Any

from helpers.remediate_records import MEMBER_ROLE, finding, snapshot
from scanner.changes import RemediationConfig
from scanner.remediate.planner import Selection, build_plan

RULE = "secret-policy-external-account"
PARTNER = "210987654321"


def _cond(*accounts: str) -> dict[str, Any]:
    return {"Sid": "PartnerCond", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount":
                                           accounts[0] if len(accounts) == 1 else
                                           list(accounts)}}}


def _plan(*statements: dict[str, Any]) -> Any:
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": list(statements)})
    return build_plan([finding(RULE, "remove-external-grant", principal=PARTNER)], snap,
                      RemediationConfig(), Selection(rules=(RULE,)))


def test_the_only_statement_naming_the_partner_in_its_condition_says_what_it_would_take() -> None:
    plan = _plan(_cond(PARTNER))
    assert not plan.changes
    (skipped,) = plan.skipped
    reason = skipped.reason
    assert "removing the principal" not in reason, reason
    assert "aws:PrincipalAccount" in reason and "statement 0 (PartnerCond)" in reason, reason
    assert "open" in reason and "everyone" in reason, reason  # why not just drop the value
    assert "DeleteResourcePolicy" in reason, reason  # what it would have to do


def test_a_multi_valued_condition_loses_the_partner_only() -> None:
    plan = _plan(_cond("222222222222", PARTNER))
    (change,) = plan.changes
    after = json.loads(change.calls[0].params["ResourcePolicy"])
    (st,) = after["Statement"]
    assert st["Principal"] == "*"
    assert st["Condition"]["StringEquals"]["aws:PrincipalAccount"] == "222222222222"


def test_a_statement_left_with_an_empty_condition_is_dropped_and_the_others_kept() -> None:
    member = {"Sid": "Member", "Effect": "Allow", "Principal": {"AWS": MEMBER_ROLE},
              "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    plan = _plan(_cond(PARTNER), member)
    (change,) = plan.changes
    after = json.loads(change.calls[0].params["ResourcePolicy"])
    assert after["Statement"] == [member]


FOREIGN_PATH = "o-zz9zz9zz9z/r-zz99/ou-zz99-partners/*"


def _path_plan(*paths: str) -> Any:
    stmt = {"Sid": "PartnerOU", "Effect": "Allow", "Principal": "*",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*",
            "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": list(paths)}}}
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [stmt]})
    return build_plan([finding(RULE, "remove-external-grant", principal=FOREIGN_PATH)], snap,
                      RemediationConfig(), Selection(rules=(RULE,)))


def test_another_organizations_path_as_the_only_value_is_not_called_an_account() -> None:
    """Ground-truth trial round 17: the refusal for a ``*`` statement narrowed only by another
    organization's aws:PrincipalOrgPaths said "taking the account out of the condition" --
    the value is an organization path (every account under it), not an account."""
    plan = _path_plan(FOREIGN_PATH)
    assert not plan.changes
    (skipped,) = plan.skipped
    reason = skipped.reason
    assert "the account out" not in reason, reason
    assert f"taking {FOREIGN_PATH} out of the condition" in reason, reason
    assert "aws:PrincipalOrgPaths" in reason and "DeleteResourcePolicy" in reason, reason


def test_another_organizations_path_beside_ours_is_the_value_removed() -> None:
    ours = "o-abc123def4/r-ab12/ou-ab12-11111111/*"
    plan = _path_plan(ours, FOREIGN_PATH)
    (change,) = plan.changes
    after = json.loads(change.calls[0].params["ResourcePolicy"])
    (st,) = after["Statement"]
    assert st["Condition"]["ForAnyValue:StringLike"]["aws:PrincipalOrgPaths"] == ours
