"""aws:PrincipalOrgPaths of a principal whose account is in our organization but whose place
in it was not read (IAM conformance trial round 22).

IAM User Guide, "AWS global condition context keys", aws:PrincipalOrgPaths: "This key is
included in the request context only if the principal is a member of an organization", and
the value is the principal's Organizations entity path, "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/
ou-ab12-22222222/" -- it begins with the organization's id. The account is in our
organization (aws:PrincipalOrgID known), so the key is present and its one path begins with
"<our org id>/": Null "false" holds, ForAnyValue:StringLike "<our org id>/*" holds, a path of
another organization does not; only a condition on the OUs below the root depends on the
path the snapshot lacks.

Before: each was CONDITIONAL "if: aws:principalorgpaths"."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.access import AccessSettings
from scanner.access.context import (PrincipalFacts, build_request, principal_context,
                                    resource_context)
from scanner.policy import PolicyKind, evaluate_policy, parse_policy

CENTRAL, MEMBER = "111111111111", "222222222222"
ORG = "o-abcdefghij"
SECRET = f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:app/db-AbCdEf"
SETTINGS = AccessSettings(org_account_ids=frozenset({CENTRAL, MEMBER}), org_id=ORG)
ROLE = PrincipalFacts(arn=f"arn:aws:iam::{MEMBER}:role/App", account_id=MEMBER,
                      principal_type="role", name="App")  # org_path None: not read


def _decision(condition: dict[str, Any], principal: PrincipalFacts = ROLE) -> str:
    rctx = resource_context(account_id=CENTRAL, region="us-east-1", tags={},
                            settings=SETTINGS, kms=False, secret_arn=SECRET)
    request = build_request(principal, principal_context(principal, SETTINGS), rctx,
                            action="secretsmanager:GetSecretValue", resource=SECRET)
    policy = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}]})
    return evaluate_policy(policy, request, PolicyKind.IDENTITY).decision.value


@pytest.mark.parametrize("condition, expected", [
    ({"Null": {"aws:PrincipalOrgPaths": "false"}}, "ALLOWED"),
    ({"Null": {"aws:PrincipalOrgPaths": "true"}}, "DENIED"),
    ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}}, "ALLOWED"),
    ({"ForAllValues:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}}, "ALLOWED"),
    ({"ForAnyValue:StringNotLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}}, "DENIED"),
    ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-zzzzzzzzzz/*"}}, "DENIED"),
    ({"ForAnyValue:StringEquals": {"aws:PrincipalOrgPaths": "o-zzzzzzzzzz/r-ab12/"}}, "DENIED"),
    ({"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": "o-zzzzzzzzzz/*"}}, "ALLOWED"),
    # which OU the account is in: not read
    ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/r-ab12/ou-ab12-1111/*"}},
     "CONDITIONAL"),
    ({"ForAnyValue:StringEquals": {"aws:PrincipalOrgPaths": f"{ORG}/r-ab12/"}},
     "CONDITIONAL"),
])
def test_a_member_whose_path_was_not_read_has_one_under_our_organization(
        condition: dict[str, Any], expected: str) -> None:
    assert _decision(condition) == expected


def test_the_solver_agrees() -> None:
    pytest.importorskip("z3")
    from scanner.policy.smt.questions import check_policy

    rctx = resource_context(account_id=CENTRAL, region="us-east-1", tags={},
                            settings=SETTINGS, kms=False, secret_arn=SECRET)
    request = build_request(ROLE, principal_context(ROLE, SETTINGS), rctx,
                            action="secretsmanager:GetSecretValue", resource=SECRET)
    other = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {
            "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-zzzzzzzzzz/*"}}}]})
    answer = check_policy(other, request, PolicyKind.IDENTITY)
    assert answer.decision == "DENIED"
