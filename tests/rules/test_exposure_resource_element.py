"""An Allow of a secret's resource policy whose Resource (or NotResource) element leaves the
secret out grants nothing on it (IAM conformance trial round 23).

IAM User Guide, "IAM JSON policy elements: Resource": "The Resource element in an IAM policy
statement defines the object or objects that the statement applies to"; "NotResource":
"explicitly matches every resource except those specified". A statement of the secret's policy
naming another secret (``secret:other-*``, a policy copied from another secret) or
NotResource-excepting this one does not apply to a request on this secret, whoever asks: the
access analysis' readers and reader classes already say so (the ``*`` path DENIED). The
exposure rules read it once, with the Allow's own conditions (scanner.policy.exposure.
never_holds), the same with --prove and without.

Before: secret-policy-public FAILed ("allows everyone without a narrowing condition") without
--prove and PASSed with it; secret-policy-external-account FAILed with and without."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, OUTSIDER, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, text)

from test_exposure_own_conditions_round13 import _same_with_and_without_prove

from scanner.policy.exposure import (never_holds, public_statements, public_withheld,
                                      withheld_text)
from scanner.policy.parse import parse_policy_text
from scanner.policy.request import Request

READ = "secretsmanager:GetSecretValue"
OTHER = "arn:aws:secretsmanager:*:*:secret:other-*"


def _secret(statement: dict[str, Any]) -> Any:
    policy = text({"Effect": "Allow", "Principal": {"AWS": APP_ROLE}, "Action": READ,
                   "Resource": "*"}, statement)
    return estate(secret_policy=policy, key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),))


@pytest.mark.parametrize("where", [{"Resource": OTHER}, {"NotResource": SECRET_ARN},
                                   {"NotResource": ["arn:aws:secretsmanager:*:*:secret:app/*"]}])
def test_a_public_grant_on_other_resources_is_not_public(where: dict[str, Any]) -> None:
    snap = _secret({"Effect": "Allow", "Principal": "*", "Action": READ, **where})
    assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "PASS"


def test_a_public_grant_naming_the_secret_is_public() -> None:
    for where in ({"Resource": SECRET_ARN}, {"Resource": "*"}, {"NotResource": OTHER}):
        snap = _secret({"Effect": "Allow", "Principal": "*", "Action": READ, **where})
        assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "FAIL"


def test_an_external_grant_on_other_resources_is_no_grant_here() -> None:
    outsider = f"arn:aws:iam::{OUTSIDER}:root"
    snap = _secret({"Effect": "Allow", "Principal": {"AWS": outsider}, "Action": READ,
                    "Resource": OTHER})
    assert _same_with_and_without_prove(snap, "secret-policy-external-account",
                                        SECRET_ARN) == "PASS"
    named = _secret({"Effect": "Allow", "Principal": {"AWS": outsider}, "Action": READ,
                     "Resource": SECRET_ARN})
    assert _same_with_and_without_prove(named, "secret-policy-external-account",
                                        SECRET_ARN) == "FAIL"


def test_never_holds_names_the_resource_element() -> None:
    policy = parse_policy_text(text({"Effect": "Allow", "Principal": "*", "Action": READ,
                                     "Resource": OTHER}))
    request = Request(principal_arn="*", principal_account=None, action=READ,
                      resource=SECRET_ARN)
    assert never_holds(policy, policy.statements[0], request) == ("Resource",)
    on_it = Request(principal_arn="*", principal_account=None, action=READ,
                    resource="arn:aws:secretsmanager:us-east-1:111111111111:secret:other-AbCdEf")
    assert never_holds(policy, policy.statements[0], on_it) == ()
    [match] = public_statements(policy)
    labels = public_withheld(policy, match, lambda action: replace(request, action=action))
    assert withheld_text(labels, "a caller outside") == \
        "the condition Resource of statement 0 never holds for a caller outside"


@pytest.mark.parametrize("actions", [["secretsmanager:ListSecrets"],
                                     ["secretsmanager:BatchGetSecretValue",
                                      "secretsmanager:GetRandomPassword"],
                                     ["kms:Decrypt"]])
def test_a_public_grant_of_no_action_on_a_secret_is_not_public(actions: list[str]) -> None:
    """Service Authorization Reference, Secrets Manager: ListSecrets, BatchGetSecretValue and
    GetRandomPassword have no resource type ("you must specify all resources ("*")"), and a
    kms: action is no action on a secret -- a secret's resource policy grants none of them
    (exposure.NON_RESOURCE_ACTIONS, SECRET_RESOURCE_ACTIONS). Before: FAIL without --prove,
    PASS with it."""
    snap = _secret({"Effect": "Allow", "Principal": "*", "Action": actions, "Resource": "*"})
    assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "PASS"
    policy = parse_policy_text(text({"Effect": "Allow", "Principal": "*", "Action": actions,
                                     "Resource": "*"}))
    request = Request(principal_arn="*", principal_account=None, action=READ,
                      resource=SECRET_ARN)
    [match] = public_statements(policy)
    assert public_withheld(policy, match, lambda action: replace(request, action=action))


def test_an_overbroad_grant_on_other_resources_is_none_here() -> None:
    """secret-policy-overbroad-actions: secretsmanager:* to an outside account on
    ``secret:other-*`` grants nothing on this secret; on ``*`` it does."""
    from test_exposure_own_conditions_round13 import _findings

    outsider = f"arn:aws:iam::{OUTSIDER}:root"
    for where, expected in (({"Resource": OTHER}, "PASS"), ({"NotResource": SECRET_ARN}, "PASS"),
                            ({"Resource": "*"}, "FAIL")):
        snap = _secret({"Effect": "Allow", "Principal": {"AWS": outsider},
                        "Action": "secretsmanager:*", **where})
        status = _findings(snap, "secret-policy-overbroad-actions", prove=False)[SECRET_ARN][0]
        assert status == expected, (where, status)


@pytest.mark.parametrize("actions", [["secretsmanager:ListSecrets"],
                                     ["secretsmanager:GetRandomPassword"], ["kms:Decrypt"]])
def test_an_external_grant_of_no_action_on_a_secret_is_no_grant(actions: list[str]) -> None:
    """The same for an outside account named in the secret's policy (the doubt IAM conformance
    trial round 23 left: secret-policy-external-account still FAILed it, with and without
    --prove); a grant of GetSecretValue beside it still FAILs."""
    outsider = f"arn:aws:iam::{OUTSIDER}:root"
    snap = _secret({"Effect": "Allow", "Principal": {"AWS": outsider}, "Action": actions,
                    "Resource": "*"})
    assert _same_with_and_without_prove(snap, "secret-policy-external-account",
                                        SECRET_ARN) == "PASS"
    snap = _secret({"Effect": "Allow", "Principal": {"AWS": outsider},
                    "Action": actions + [READ], "Resource": "*"})
    assert _same_with_and_without_prove(snap, "secret-policy-external-account",
                                        SECRET_ARN) == "FAIL"
