"""Central-account inference counts a secret as shared when its resource policy's Allow names
a principal of another account: read with the one policy parser and the one reading of a
principal's account (scanner.policy.arn.principal_account), not a regex of its own."""

from __future__ import annotations

import json
from typing import Any

from scanner.central_account import (infer_central_account, policy_grant_accounts, region_stats,
                                     shared_with_other_accounts)
from scanner.model import Secret
from scanner.policy.arn import is_account_id


def _policy(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_accounts_of_allowed_principals_are_read_as_the_evaluator_reads_them() -> None:
    policy = _policy(
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Principal": {"AWS": ["111111111111", "arn:aws:iam::222222222222:role/app",
                               "arn:aws:sts::333333333333:assumed-role/app/s",
                               "arn:aws:iam::*:root", "AIDAEXAMPLEUNIQUEID"]}},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Principal": {"AWS": "arn:aws:iam::444444444444:root"}},
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"},
        # not an IAM principal: a service names no account
        {"Effect": "Allow", "Action": "*", "Resource": "*",
         "Principal": {"Service": "lambda.amazonaws.com"}},
    )
    assert policy_grant_accounts(policy) == {"111111111111", "222222222222", "333333333333"}


def test_a_policy_that_cannot_be_read_names_no_account() -> None:
    assert policy_grant_accounts("{not json") == set()
    assert policy_grant_accounts(None) == set()


def test_an_account_id_is_twelve_ascii_digits() -> None:
    assert is_account_id("123456789012")
    assert not is_account_id("١٢٣٤٥٦٧٨٩٠١٢")  # Arabic-Indic digits: str.isdigit() says yes
    assert not is_account_id("12345678901")


OWN = "999999999999"


def _star(condition: Any = None, *,
          principal: object = "*") -> dict[str, object]:
    st: dict[str, object] = {"Effect": "Allow", "Principal": principal,
                             "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    return {**st, "Condition": condition} if condition else st


def test_a_star_grant_not_confined_to_the_own_account_shares_the_secret() -> None:
    """The common way a central account shares its secrets -- "*" of the organization, of an
    OU path, of a team tag -- is sharing with other accounts' principals (ground-truth trial
    round 29: none of them counted, and a member naming two roles by ARN was inferred
    central)."""
    for condition in ({"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}},
                      {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [
                          "o-abc123def4/r-ab12/ou-ab12-11111111/*"]}},
                      {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4",
                                        "aws:PrincipalTag/team": "payments"}},
                      {"StringEquals": {"aws:PrincipalAccount": ["111111111111", OWN]}},
                      None):
        assert shared_with_other_accounts(_policy(_star(condition)), OWN), condition
    assert shared_with_other_accounts(_policy(_star(principal={"AWS": "*"})), OWN)
    assert shared_with_other_accounts(_policy(
        {"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{OWN}:role/x"},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}), OWN)
    # a role of another account named by its ARN, as before
    assert shared_with_other_accounts(_policy(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/app"},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}), OWN)


def test_a_star_grant_confined_to_the_own_account_or_a_deny_shares_nothing() -> None:
    for condition in ({"StringEquals": {"aws:PrincipalAccount": OWN}},
                      {"StringEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}},
                      {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OWN}:role/*"}}):
        assert not shared_with_other_accounts(_policy(_star(condition)), OWN), condition
    assert not shared_with_other_accounts(_policy({**_star(), "Effect": "Deny"}), OWN)
    assert not shared_with_other_accounts(_policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:role/app"},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}), OWN)
    assert not shared_with_other_accounts(None, OWN)
    assert not shared_with_other_accounts("{not json", OWN)


def test_the_account_sharing_by_organization_is_central_not_the_one_naming_roles() -> None:
    """Round 29's shape: the security account shares three secrets with "*" of the
    organization (and one by role ARN), a member two by role ARN."""
    org = _policy(_star({"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}))
    named = _policy({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                     "Resource": "*", "Principal": {"AWS": "arn:aws:iam::222222222222:role/a"}})

    def secret(account: str, name: str, policy: str) -> Secret:
        return Secret(arn=f"arn:aws:secretsmanager:us-west-2:{account}:secret:{name}",
                      name=name, account_id=account, region="us-west-2",
                      kms_key_id="arn:aws:kms:us-west-2:1:key/k", resource_policy=policy)
    stats = {OWN: region_stats([secret(OWN, f"org-{i}", org) for i in range(3)]
                               + [secret(OWN, "named", named)]),
             "333333333333": region_stats([secret("333333333333", f"m-{i}", named)
                                           for i in range(2)])}
    assert stats[OWN].shared_secrets == 4
    assert infer_central_account(stats) == OWN
