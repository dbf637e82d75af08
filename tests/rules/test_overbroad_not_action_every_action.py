"""A secret policy's NotAction that leaves no Secrets Manager action grants nothing on the
secret (IAM conformance trial round 29).

IAM User Guide, "IAM JSON policy elements: NotAction": NotAction "explicitly matches everything
except the specified list of actions" -- ``NotAction: secretsmanager:*`` (or ``*``) matches no
Secrets Manager action, and no other service's action acts on a secret (Service Authorization
Reference: the Secret resource type is Secrets Manager's). secret-policy-external-account
already PASSed such a grant to an outside account (exposure.granted_actions);
secret-policy-overbroad-actions FAILed it as "NotAction (everything except
secretsmanager:*)". A NotAction that leaves some action -- one listed action, or every write
action named one by one (a new one would be granted) -- stays over-broad."""

from __future__ import annotations

from typing import Any

import pytest

from helpers.access_estate import (APP_ROLE, OUTSIDER, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, text)
from helpers.rule_results import rule_statuses


def _status(not_action: Any, rule: str = "secret-policy-overbroad-actions") -> str:
    grant = {"Sid": "Partner", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{OUTSIDER}:root"}, "NotAction": not_action,
             "Resource": "*"}
    snap = estate(secret_policy=text(grant), key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    return rule_statuses(snap, rule, prove=False)[SECRET_ARN]


@pytest.mark.parametrize("not_action", ["secretsmanager:*", "*", ["kms:*", "SecretsManager:*"]],
                         ids=["secretsmanager:*", "*", "SecretsManager:* in a list"])
def test_a_not_action_of_every_secrets_manager_action_grants_nothing(not_action: Any) -> None:
    assert _status(not_action) == "PASS"
    assert _status(not_action, "secret-policy-external-account") == "PASS"


@pytest.mark.parametrize("not_action", ["secretsmanager:Get*", "kms:*", [
    "secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret"]],
                         ids=["Get*", "another service", "two write actions"])
def test_a_not_action_that_leaves_some_action_is_over_broad(not_action: Any) -> None:
    assert _status(not_action) == "FAIL"
