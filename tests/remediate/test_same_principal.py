"""An account id and its root ARN are one principal in every partition ("AWS": "123456789012"
and "arn:aws:iam::123456789012:root" name the same principal; IAM User Guide, "AWS account
principals"). The remediators that take a principal out of a policy compared against the root ARN
of the ``aws`` partition only, so in GovCloud or China a bare id never matched its root (concept
review round 1: ARN parsing in one module)."""

from __future__ import annotations

import pytest

from remediations.policy_edit import same_principal
from remediations.remove_external_grant import without_principal
from scanner.policy.arn import account_entry


@pytest.mark.parametrize("partition", ["aws", "aws-us-gov", "aws-cn"])
def test_an_account_id_and_its_root_arn_are_one_principal_in_every_partition(partition: str) -> None:
    root = f"arn:{partition}:iam::999999999999:root"
    assert same_principal("999999999999", root)
    assert same_principal(root, "999999999999")
    assert account_entry(root) == "999999999999"


def test_a_role_is_not_its_account_and_other_accounts_differ() -> None:
    assert not same_principal("999999999999", "arn:aws-us-gov:iam::999999999999:role/app")
    assert not same_principal("999999999999", "arn:aws:iam::888888888888:root")
    assert account_entry("arn:aws:sts::999999999999:assumed-role/r/s") is None
    assert account_entry("arn:aws:iam::999999999999:user/root") is None


def test_remove_external_grant_takes_a_govcloud_root_out_for_its_account_id() -> None:
    statement = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                 "Principal": {"AWS": ["arn:aws-us-gov:iam::999999999999:root",
                                       "arn:aws-us-gov:iam::111111111111:role/app"]}}
    out = without_principal(statement, "999999999999")
    assert out is not None
    assert out["Principal"] == {"AWS": "arn:aws-us-gov:iam::111111111111:role/app"}
