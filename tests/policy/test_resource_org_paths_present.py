"""aws:ResourceOrgPaths of a secret or key whose account is in our organization but whose place
in it was not read (IAM conformance trial round 26) -- the resource's side of round 22's
aws:PrincipalOrgPaths.

IAM User Guide, "AWS global condition context keys", aws:ResourceOrgPaths: "the AWS
Organizations path of the resource that is being accessed", "This key is included in the
request context only if the account that owns the resource is a member of an organization";
a path begins with the organization's id ("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/..."). The
account is in our organization (aws:ResourceOrgID known), so the key is present and its one
path begins with "<our org id>/": Null "false" holds, ForAnyValue:StringLike "<our org id>/*"
holds, a path of another organization does not; only a condition on the OUs below the root
depends on the path the snapshot lacks.

Before: each was CONDITIONAL "if: aws:resourceorgpaths", for the principal's path decided."""

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
KEY = f"arn:aws:kms:us-east-1:{CENTRAL}:key/1234abcd-0000-0000-0000-000000000001"
ROLE = PrincipalFacts(arn=f"arn:aws:iam::{MEMBER}:role/App", account_id=MEMBER,
                      principal_type="role", name="App")
#: the member's place is known, the central account's (the secret's and key's) is not
SETTINGS = AccessSettings(org_account_ids=frozenset({CENTRAL, MEMBER}), org_id=ORG,
                          org_paths={MEMBER: f"{ORG}/r-ab12/"})


def _decision(condition: dict[str, Any], *, kms: bool = False) -> str:
    rctx = resource_context(account_id=CENTRAL, region="us-east-1", tags={},
                            settings=SETTINGS, kms=kms, secret_arn=SECRET)
    request = build_request(ROLE, principal_context(ROLE, SETTINGS), rctx,
                            action="kms:Decrypt" if kms else "secretsmanager:GetSecretValue",
                            resource=KEY if kms else SECRET)
    policy = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}]})
    return evaluate_policy(policy, request, PolicyKind.IDENTITY).decision.value


@pytest.mark.parametrize("kms", [False, True])
@pytest.mark.parametrize("condition, expected", [
    ({"Null": {"aws:ResourceOrgPaths": "false"}}, "ALLOWED"),
    ({"Null": {"aws:ResourceOrgPaths": "true"}}, "DENIED"),
    ({"ForAnyValue:StringLike": {"aws:ResourceOrgPaths": f"{ORG}/*"}}, "ALLOWED"),
    ({"ForAllValues:StringLike": {"aws:ResourceOrgPaths": f"{ORG}/*"}}, "ALLOWED"),
    ({"ForAnyValue:StringNotLike": {"aws:ResourceOrgPaths": f"{ORG}/*"}}, "DENIED"),
    ({"ForAnyValue:StringLike": {"aws:ResourceOrgPaths": "o-zzzzzzzzzz/*"}}, "DENIED"),
    # which OU the account is in: not read
    ({"ForAnyValue:StringLike": {"aws:ResourceOrgPaths": f"{ORG}/r-ab12/ou-ab12-1111/*"}},
     "CONDITIONAL"),
])
def test_a_resource_whose_accounts_place_was_not_read_has_one_path_under_our_organization(
        condition: dict[str, Any], expected: str, kms: bool) -> None:
    assert _decision(condition, kms=kms) == expected


def test_a_resource_whose_place_was_read_keeps_its_path() -> None:
    settings = AccessSettings(org_account_ids=frozenset({CENTRAL, MEMBER}), org_id=ORG,
                              org_paths={CENTRAL: f"{ORG}/r-ab12/ou-ab12-1111/"})
    rctx = resource_context(account_id=CENTRAL, region="us-east-1", tags={},
                            settings=settings, kms=False, secret_arn=SECRET)
    request = build_request(ROLE, principal_context(ROLE, settings), rctx,
                            action="secretsmanager:GetSecretValue", resource=SECRET)
    assert request.context["aws:resourceorgpaths"] == (f"{ORG}/r-ab12/ou-ab12-1111/",)


def test_a_resource_outside_any_organization_has_none() -> None:
    settings = AccessSettings(no_org_accounts=frozenset({CENTRAL}))
    rctx = resource_context(account_id=CENTRAL, region="us-east-1", tags={},
                            settings=settings, kms=False, secret_arn=SECRET)
    request = build_request(ROLE, principal_context(ROLE, settings), rctx,
                            action="secretsmanager:GetSecretValue", resource=SECRET)
    assert request.key_state("aws:resourceorgpaths").value == "absent"
