"""A condition value whose policy variable cannot be substituted decides nothing it cannot
change (IAM conformance trial round 35).

IAM User Guide, "Conditions with multiple context keys or values": "If a single condition
operator includes multiple values for a context key, those values are evaluated using a logical
OR" -- once a known value matches, a value not known adds nothing (the positive operators are
true, the negated ones false). And "Variables and tags": "the policy variables are replaced
with values that come from the conditional context keys passed in the request" -- the text
around the variable stays, so a value whose literal head (before the variable, and before a
wildcard of StringLike / the ARN operators) begins no request value matches none, whatever the
variable holds. secretgraph answered UNKNOWN for the whole clause as soon as one value held a
variable it could not substitute: a secret tagged owner=ops under StringLike
aws:ResourceTag/owner "team-${aws:PrincipalTag/team}" was CONDITIONAL on the role's tag."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, secret_policy_for)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy_text

GSV = "secretsmanager:GetSecretValue"
ROLE = "arn:aws:iam::222222222222:role/ApplicationRole"
TEAM = "${aws:PrincipalTag/team}"  # the role's tags are not known: not substituted


def _decide(operator: str, key: str, values: Any, known: dict[str, tuple[str, ...]]) -> str:
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": GSV, "Resource": "*",
         "Condition": {operator: {key: values}}}]}))
    request = Request(principal_arn=ROLE, principal_account="222222222222", action=GSV,
                      resource=SECRET_ARN, principal_type="role", context=known)
    return evaluate_policy(policy, request, PolicyKind.IDENTITY).decision.value


OWNER = "aws:ResourceTag/owner"


@pytest.mark.parametrize("operator,values,owner,expected", [
    # the literal head decides
    ("StringLike", f"team-{TEAM}", "ops", "DENIED"),
    ("StringEquals", f"team-{TEAM}", "ops", "DENIED"),
    ("StringEqualsIgnoreCase", f"TEAM-{TEAM}", "ops-a", "DENIED"),
    ("StringNotLike", f"team-{TEAM}", "ops", "ALLOWED"),
    ("StringNotEquals", f"team-{TEAM}", "ops", "ALLOWED"),
    # ... or not: which team the role carries decides
    ("StringLike", f"team-{TEAM}", "team-a", "CONDITIONAL"),
    ("StringEqualsIgnoreCase", f"TEAM-{TEAM}", "team-a", "CONDITIONAL"),
    ("StringLike", f"*{TEAM}", "ops", "CONDITIONAL"),
    # values are ORed: a known value that matches decides
    ("StringEquals", ["ops", TEAM], "ops", "ALLOWED"),
    ("StringNotEquals", ["ops", TEAM], "ops", "DENIED"),
    ("StringEquals", ["ops", TEAM], "dev", "CONDITIONAL"),
    ("StringNotEquals", ["ops", TEAM], "dev", "CONDITIONAL"),
])
def test_a_value_not_known_decides_only_what_it_can_change(operator: str, values: Any,
                                                          owner: str, expected: str) -> None:
    """concept: IAM conformance trial round 35 -- each was CONDITIONAL."""
    assert _decide(operator, OWNER, values, {"aws:resourcetag/owner": (owner,)}) == expected


@pytest.mark.parametrize("value,expected", [
    (f"arn:aws:iam::111111111111:role/{TEAM}", "DENIED"),  # another account's roles
    (f"arn:aws:iam::222222222222:role/{TEAM}", "CONDITIONAL"),
    (f"arn:aws:iam::*:role/{TEAM}", "CONDITIONAL"),
])
def test_an_arn_value_not_known_is_decided_by_its_components_before_it(value: str,
                                                                      expected: str) -> None:
    """IAM User Guide, ARN condition operators: "Each of the six colon-delimited components of
    the ARN is checked separately" -- the account component is literal before the variable."""
    known = {"aws:principalarn": (ROLE,)}
    assert _decide("ArnLike", "aws:PrincipalArn", value, known) == expected


def test_an_abac_guard_on_another_teams_secret_denies_the_role() -> None:
    """The user-facing form: the secret (tagged owner=ops) is shared with the role's account,
    whose identity policy lets it read secrets of its own team only ("team-<its team tag>");
    the role's tags may come from its session (its trust policy was not read): which team is
    not known, but no team matches "ops" -- DENIED, not CONDITIONAL."""
    identity = allow_read_identity()
    identity["Statement"][0]["Condition"] = {"StringLike": {OWNER: f"team-{TEAM}"}}
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, identity),), tags={"owner": "ops"})
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    path = {p.principal: p for p in sa.paths}[APP_ROLE]
    assert path.decision == "DENIED", path.reasons
    assert path.gates["identity_policy"].status == "DENIED"


OPEN_KEY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]})


def test_a_star_grant_to_our_own_roles_by_tag_is_not_public() -> None:
    """Allow ``*`` if ArnLike aws:PrincipalArn ``arn:aws:iam::<the secret's account>:role/${aws:
    PrincipalTag/team}``: whatever the tag, the ARN is one of that account's -- never the
    caller of the ``*`` path (an account no policy names). Was public, the ``*`` path
    CONDITIONAL on the tag."""
    statement = {"Effect": "Allow", "Principal": "*", "Action": GSV, "Resource": "*",
                 "Condition": {"ArnLike": {"aws:PrincipalArn":
                                           f"arn:aws:iam::111111111111:role/{TEAM}"}}}
    snap = estate(secret_policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
                  key_policy=OPEN_KEY)
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    assert not sa.breadth.public
    assert [p.decision for p in sa.paths if p.principal == "*"] in ([], ["DENIED"])


SAME = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf"
OTHER = "arn:aws:secretsmanager:us-east-1:333333333333:secret:app/db-AbCdEf"
BY_TEAM = f"arn:aws:secretsmanager:us-east-1:111111111111:secret:{TEAM}/*"


@pytest.mark.parametrize("statements,resource,expected", [
    # the pattern's account is 111111111111: another account's secret is never it
    ([{"Effect": "Allow", "Action": GSV, "Resource": BY_TEAM}], OTHER, "DENIED"),
    ([{"Effect": "Allow", "Action": GSV, "Resource": BY_TEAM}], SAME, "CONDITIONAL"),
    # NotResource: it excludes no secret of another account
    ([{"Effect": "Allow", "Action": GSV, "Resource": "*"},
      {"Effect": "Deny", "Action": GSV, "NotResource": BY_TEAM}], OTHER, "DENIED"),
    # Resource entries are ORed: one that matches decides
    ([{"Effect": "Allow", "Action": GSV, "Resource": [SAME, BY_TEAM]}], SAME, "ALLOWED"),
])
def test_a_resource_pattern_not_known_is_decided_by_its_head(statements: list[dict[str, Any]],
                                                            resource: str,
                                                            expected: str) -> None:
    """IAM User Guide, "Resource": the pattern's text is matched as it is, wildcards aside --
    a resource its literal head (before the variable and any wildcard) does not begin is not
    matched, whatever the variable holds. Was CONDITIONAL for another account's secret."""
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": statements}))
    request = Request(principal_arn=ROLE, principal_account="222222222222", action=GSV,
                      resource=resource, principal_type="role")
    assert evaluate_policy(policy, request, PolicyKind.IDENTITY).decision.value == expected


def test_a_star_grant_on_another_accounts_secrets_by_tag_is_not_public() -> None:
    """A secret's policy whose ``*`` grant names, by the caller's tag, secrets of another
    account (``arn:...:333333333333:secret:${aws:PrincipalTag/x}/*``) grants nothing on this
    secret: not public, and --prove proves no outsider reads (was public, --prove UNKNOWN "a
    policy variable in Resource")."""
    from scanner.policy.smt.questions import Prover
    from scanner.policy.smt.solve import PROVEN_NONE

    statement = {"Effect": "Allow", "Principal": "*", "Action": GSV,
                 "Resource": f"arn:aws:secretsmanager:us-east-1:333333333333:secret:{TEAM}/*"}
    snap = estate(secret_policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
                  key_policy=OPEN_KEY)
    settings = AccessSettings.from_snapshot(snap)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    assert not sa.breadth.public
    proof = Prover(build_graph(snap), snap, settings, timeout_s=20).secret(SECRET_ARN)
    assert proof.read.status == PROVEN_NONE, proof.read
