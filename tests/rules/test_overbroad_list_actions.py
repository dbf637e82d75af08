"""secret-policy-overbroad-actions: the read and list actions on a secret are read access.
ListResourcePolicies "Lists the resource-based policies attached to a secret. The response
contains only the names of the policies, not their contents" (Secrets Manager API Reference)
-- less than GetResourcePolicy, which the default allows -- so a grant of secretsmanager:List*
(ListSecretVersionIds, ListResourcePolicies) or of it by name is no more than read access
(ground-truth trial round 20: Get*, Describe*, List* to a member role failed for
ListResourcePolicies)."""

from __future__ import annotations

from helpers.access_estate import MEMBER, SECRET_ARN, estate, text
from helpers.rule_results import rule_statuses

from scanner.model import Snapshot

RULE = "secret-policy-overbroad-actions"
READER = f"arn:aws:iam::{MEMBER}:role/Reader"


def _granting(actions: list[str]) -> Snapshot:
    return estate(secret_policy=text({"Sid": "Read", "Effect": "Allow",
                                      "Principal": {"AWS": READER}, "Action": actions,
                                      "Resource": "*"}))


def test_get_describe_and_list_wildcards_are_read_access() -> None:
    actions = ["secretsmanager:Get*", "secretsmanager:Describe*", "secretsmanager:List*"]
    assert rule_statuses(_granting(actions), RULE)[SECRET_ARN] == "PASS"


def test_listing_the_policy_names_is_read_access() -> None:
    actions = ["secretsmanager:GetSecretValue", "secretsmanager:ListResourcePolicies"]
    assert rule_statuses(_granting(actions), RULE)[SECRET_ARN] == "PASS"


def test_a_write_beside_the_list_actions_still_fails() -> None:
    actions = ["secretsmanager:List*", "secretsmanager:PutSecretValue"]
    assert rule_statuses(_granting(actions), RULE)[SECRET_ARN] == "FAIL"
