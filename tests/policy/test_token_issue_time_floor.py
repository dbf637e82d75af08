"""aws:TokenIssueTime is never more than 36 hours before the request (IAM conformance trial
round 26).

IAM User Guide, "Disabling permissions for temporary security credentials": temporary security
credentials "are valid for the specified duration, from 900 seconds (15 minutes) up to a
maximum of 129,600 seconds (36 hours)"; "AWS global condition context keys", aws:TokenIssueTime:
"the date and time that temporary security credentials were issued", in the request context
"only when the principal uses temporary credentials". A request made from the scan on
(AccessSettings.time_floor, the snapshot's started_at) carries a token issued at the earliest
36 hours before the scan started.

"Revoking IAM role temporary security credentials": the console's "Revoke active sessions"
attaches AWSRevokeOlderSessions to the role -- Deny * if DateLessThan aws:TokenIssueTime <the
time of revoking> -- a Deny that "applies the restrictions only if the user assumed the role
before the point in time when you revoke the permissions". Revoked months before the scan it
can deny no request any more: every reader role that ever had its sessions revoked was
CONDITIONAL "if: aws:tokenissuetime" on every secret it reads, for ever.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, MEMBER, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, secret_policy_for)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy_text
from scanner.policy.request import PRESENT

GSV = "secretsmanager:GetSecretValue"
#: the estate's scan start (helpers.access_estate: started_at 2026-11-29T00:00:00Z)
SCAN_START = datetime(2026, 11, 29, tzinfo=timezone.utc).timestamp()
HOUR = 3600.0
ROLE = "arn:aws:iam::222222222222:role/app"
USER = "arn:aws:iam::222222222222:user/alice"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _revoked_at(epoch: float) -> dict[str, Any]:
    """AWSRevokeOlderSessions, as the IAM console writes it."""
    return {"Effect": "Deny", "Action": ["*"], "Resource": ["*"],
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": _iso(epoch)}}}


def _decision(*statements: dict[str, Any], principal: str = ROLE) -> str:
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": GSV, "Resource": "*"}, *statements]}))
    role_like = ":role/" in principal
    request = Request(principal_arn=principal, principal_account="222222222222", action=GSV,
                      resource=SECRET_ARN, principal_type="role" if role_like else "user",
                      excluded={"aws:tokenissuetime": PRESENT} if role_like else {},
                      time_floor=SCAN_START)
    return evaluate_policy(policy, request, PolicyKind.IDENTITY).decision.value


@pytest.mark.parametrize("principal", [ROLE, USER])
def test_sessions_revoked_long_before_the_scan_deny_nothing(principal: str) -> None:
    # a role signs with temporary credentials only; a user's request carries the key only
    # when it does (long-term keys: absent, and DateLessThan is false without its key)
    assert _decision(_revoked_at(SCAN_START - 200 * 24 * HOUR), principal=principal) \
        == "ALLOWED"
    assert _decision(_revoked_at(SCAN_START - 37 * HOUR), principal=principal) == "ALLOWED"


def test_sessions_revoked_within_36_hours_of_the_scan_may_still_be_in_use() -> None:
    assert _decision(_revoked_at(SCAN_START - HOUR)) == "CONDITIONAL"
    assert _decision(_revoked_at(SCAN_START - 35 * HOUR)) == "CONDITIONAL"


def test_a_grant_to_tokens_issued_since_a_date_long_past_holds_for_a_role() -> None:
    since = {"Effect": "Deny", "Action": GSV, "Resource": "*", "Condition": {
        "DateLessThanEquals": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}}
    assert _decision(since) == "ALLOWED"
    only_since = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": GSV, "Resource": "*", "Condition": {
            "DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}}]}))

    def only(principal: str, ptype: str, excluded: dict[str, Any]) -> str:
        return evaluate_policy(only_since, Request(
            principal_arn=principal, principal_account="222222222222", action=GSV,
            resource=SECRET_ARN, principal_type=ptype, excluded=excluded,
            time_floor=SCAN_START), PolicyKind.IDENTITY).decision.value

    assert only(ROLE, "role", {"aws:tokenissuetime": PRESENT}) == "ALLOWED"
    # a user with long-term keys sends no aws:TokenIssueTime: DateGreaterThan is false then
    assert only(USER, "user", {}) == "CONDITIONAL"


def test_a_date_to_come_stays_undecided() -> None:
    later = {"Effect": "Deny", "Action": GSV, "Resource": "*", "Condition": {
        "DateGreaterThan": {"aws:TokenIssueTime": "2099-01-01T00:00:00Z"}}}
    assert _decision(later) == "CONDITIONAL"


def test_a_reader_role_whose_sessions_were_once_revoked_reads() -> None:
    identity = allow_read_identity()
    identity["Statement"].append(_revoked_at(
        datetime(2024, 5, 7, 23, 47, tzinfo=timezone.utc).timestamp()))
    snap = estate(secret_policy=secret_policy_for(APP_ROLE),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, identity),))
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    [path] = [p for p in sa.paths if p.principal == APP_ROLE]
    assert (path.decision, path.conditions) == ("ALLOWED", ())


def test_the_solver_reads_the_floor_too() -> None:
    pytest.importorskip("z3")
    from scanner.policy.smt.questions import check_policy

    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": GSV, "Resource": "*"},
        _revoked_at(SCAN_START - 200 * 24 * HOUR)]}))
    request = Request(principal_arn=ROLE, principal_account="222222222222", action=GSV,
                      resource=SECRET_ARN, excluded={"aws:tokenissuetime": PRESENT},
                      context={"aws:principalarn": (ROLE,)}, time_floor=SCAN_START)
    assert check_policy(policy, request, PolicyKind.IDENTITY, timeout_s=20).decision == \
        "ALLOWED"
