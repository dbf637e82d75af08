"""A policy variable with no value in NotResource excludes nothing (IAM conformance trial round
35).

IAM User Guide, "IAM policy elements: Variables and tags", Policy variables with no value: "If
a variable that has no value in the authorization context is used as part of the Resource or
NotResource element of a policy, the resource that includes a policy variable with no value
will not match any resource." The ABAC guard "Deny GetSecretValue on every secret outside my
team's prefix" -- NotResource ``secret:${aws:PrincipalTag/team}/*`` -- denies a principal
without a team tag every secret. secretgraph left such a user a CONDITIONAL reader ("a policy
variable's key is absent"), as if the entry might still exclude something."""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers.access_estate import (CENTRAL, SECRET_ARN, doc, estate, key_policy_for, role,
                                   secret_policy_for)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy

USER = f"arn:aws:iam::{CENTRAL}:user/dev"
GSV = "secretsmanager:GetSecretValue"
GUARD = {"Effect": "Deny", "Action": GSV,
         "NotResource": f"arn:aws:secretsmanager:*:{CENTRAL}:secret:${{aws:PrincipalTag/team}}/*"}
READ = doc({"Effect": "Allow", "Action": [GSV, "kms:Decrypt"], "Resource": "*"}, GUARD)


@pytest.mark.parametrize("tags,expected", [
    ({}, "DENIED"),  # no team tag: the entry excludes nothing, the Deny covers app/db
    ({"team": "app"}, "ALLOWED"),  # app/db is under app/: excluded from the Deny
    ({"team": "ops"}, "DENIED"),
])
def test_the_read_of_a_user_under_the_team_guard(tags: dict[str, str], expected: str) -> None:
    """An IAM user's tags are all its aws:PrincipalTag keys: without team the key is absent.
    The secret's policy names the user (it alone would let the user read, in its own account);
    the guard's explicit Deny overrides it."""
    user = replace(role(USER, READ), tags=tags)
    snap = estate(secret_policy=secret_policy_for(USER), key_policy=key_policy_for(USER),
                  principals=(user,))
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    paths = {p.principal: p for p in sa.paths}
    assert paths[USER].decision == expected, paths[USER].reasons


def _decide(statement: dict, *, absent: bool) -> str:
    request = Request(principal_arn=USER, principal_account=CENTRAL, action=GSV,
                      resource=SECRET_ARN, principal_type="user",
                      absent=frozenset({"aws:principaltag/team"}) if absent else frozenset())
    policy = parse_policy(doc({"Effect": "Allow", "Action": GSV, "Resource": "*"}, statement)
                          if statement["Effect"] == "Deny" else doc(statement))
    return evaluate_policy(policy, request, PolicyKind.IDENTITY).decision.value


def test_an_allow_not_resource_with_no_value_covers_every_resource() -> None:
    """The same sentence read for Allow: the entry excludes nothing, the Allow applies."""
    allow = {**GUARD, "Effect": "Allow"}
    assert _decide(allow, absent=True) == "ALLOWED"


def test_a_tag_not_known_stays_undecided() -> None:
    """Whether the key has a value is what the snapshot cannot know: CONDITIONAL."""
    assert _decide(GUARD, absent=False) == "CONDITIONAL"
    assert _decide(GUARD, absent=True) == "DENIED"
