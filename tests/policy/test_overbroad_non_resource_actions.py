"""secret-policy-overbroad-actions and actions a secret's resource policy cannot grant
(ground-truth trial round 5: a read-only ``secretsmanager:Get*`` grant to another account was
flagged, because the wildcard was expanded to GetRandomPassword, which has no resource type).

The Service Authorization Reference lists no resource type for GetRandomPassword, ListSecrets
and BatchGetSecretValue ("If there is no value for this column, you must specify all resources
("*")"): a resource policy on a secret never grants them, so a wildcard reaching them grants
nothing more there."""

from __future__ import annotations

import json

from scanner.policy.exposure import excess_actions, overbroad_grants
from scanner.policy.parse import parse_policy

ALLOWED = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
           "secretsmanager:ListSecretVersionIds", "secretsmanager:GetResourcePolicy")


def test_get_star_grants_only_read_actions_on_a_secret() -> None:
    assert excess_actions(("secretsmanager:Get*",), ALLOWED) == ()


def test_naming_a_non_resource_action_grants_nothing_more() -> None:
    assert excess_actions(("secretsmanager:ListSecrets", "secretsmanager:GetRandomPassword",
                           "secretsmanager:BatchGetSecretValue"), ALLOWED) == ()


def test_list_star_still_reaches_list_resource_policies() -> None:
    assert excess_actions(("secretsmanager:List*",), ALLOWED) == (
        "secretsmanager:ListResourcePolicies",)


def test_write_wildcards_are_still_overbroad() -> None:
    extra = excess_actions(("secretsmanager:*",), ALLOWED)
    assert "secretsmanager:PutResourcePolicy" in extra
    assert not {"secretsmanager:ListSecrets", "secretsmanager:GetRandomPassword",
                "secretsmanager:BatchGetSecretValue"} & set(extra)


def test_a_get_star_grant_to_another_account_is_not_overbroad() -> None:
    policy = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:role/App"},
        "Action": "secretsmanager:Get*", "Resource": "*"}]}))
    assert overbroad_grants(policy, own_account="111111111111", allowed_actions=ALLOWED) == ()
