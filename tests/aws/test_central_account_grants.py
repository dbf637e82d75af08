"""Central-account inference counts a secret as shared when its resource policy's Allow names
a principal of another account: read with the one policy parser and the one reading of a
principal's account (scanner.policy.arn.principal_account), not a regex of its own."""

from __future__ import annotations

import json

from scanner.central_account import policy_grant_accounts
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
