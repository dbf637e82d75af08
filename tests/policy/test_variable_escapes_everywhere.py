"""${*} and ${?} wherever policy variables are substituted: Resource, NotResource and the ARN
condition operators, as in StringLike (IAM conformance trial round 35).

IAM User Guide, "IAM policy elements: Variables and tags", special characters: "${*} - use
where you need an * (asterisk) character. ${?} - use where you need a ? (question mark)
character ... These predefined policy variables can be used in any string where you can use
regular policy variables." Round 19 read them as the character in StringLike only; a Deny on
the Resource ``secret:${*}`` (the secret named ``*``) left every read CONDITIONAL on "a
variable's value contains a wildcard", and ArnLike aws:PrincipalArn with an escape "expands to a
pattern" -- in the evaluator and, not encoded, in the solver.

A principal's tag never holds ``*`` or ``?`` (IAM API Reference and STS API Reference, Tag:
Value "Pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"), nor does an account id (12 digits) or an
organization id (Organizations API Reference: "^o-[a-z0-9]{10,32}$"), so a pattern an escape
puts one into, or StringEquals of a value holding one, matches no such value: decided, the
evaluator and the solver alike (the solver found a witness tagged ``a*`` once the escape was
encoded; StringLike aws:PrincipalOrgID "o-...${*}" was public without --prove, PROVEN_NONE
with it)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers.access_estate import CENTRAL, SECRET_ARN, estate, text

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy_text
from scanner.policy.smt.questions import Prover
from scanner.policy.smt.solve import PROVEN_NONE

GSV = "secretsmanager:GetSecretValue"
ROLE = "arn:aws:iam::222222222222:role/ApplicationRole"
SECRET = f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:app/db-AbCdEf"


def _decide(*statements: dict[str, Any], resource: str = SECRET,
            context: dict[str, str] | None = None) -> str:
    """The decision for the role, its ARN known, its tags not (unknown)."""
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17",
                                           "Statement": list(statements)}))
    request = Request(principal_arn=ROLE, principal_account="222222222222", action=GSV,
                      resource=resource, principal_type="role",
                      context={"aws:principalarn": (ROLE,),
                               **{k: (v,) for k, v in (context or {}).items()}})
    return evaluate_policy(policy, request, PolicyKind.IDENTITY).decision.value


ALLOW = {"Effect": "Allow", "Action": GSV, "Resource": "*"}


def test_a_deny_of_the_secret_named_star_denies_no_other_secret() -> None:
    """The Resource ``secret:${*}`` names a secret whose name is ``*`` (none: a secret name
    holds letters, digits and /_+=.@- only): app/db is read. Was CONDITIONAL."""
    deny = {"Effect": "Deny", "Action": GSV,
            "Resource": f"arn:aws:secretsmanager:*:{CENTRAL}:secret:${{*}}"}
    assert _decide(ALLOW, deny) == "ALLOWED"


def test_a_resource_escape_matches_the_character_only() -> None:
    allow = {"Effect": "Allow", "Action": GSV,
             "Resource": f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:a${{*}}-AbCdEf"}
    literal = f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:a*-AbCdEf"
    assert _decide(allow, resource=literal) == "ALLOWED"
    assert _decide(allow, resource=literal.replace("a*-", "ab-")) == "DENIED"
    assert _decide(allow) == "DENIED"


def test_a_not_resource_escape_leaves_every_other_secret_in() -> None:
    """Deny NotResource ``secret:${?}``: every secret but the one named ``?`` is denied."""
    deny = {"Effect": "Deny", "Action": GSV,
            "NotResource": f"arn:aws:secretsmanager:*:{CENTRAL}:secret:${{?}}"}
    assert _decide(ALLOW, deny) == "DENIED"


@pytest.mark.parametrize("operator,value,expected", [
    ("ArnLike", "arn:aws:iam::222222222222:role/${*}", "DENIED"),
    ("ArnNotLike", "arn:aws:iam::222222222222:role/${*}", "ALLOWED"),
    ("ArnEquals", "arn:aws:iam::222222222222:role/Application${?}ole", "DENIED"),
    ("ArnLike", "arn:aws:iam::222222222222:role/Application*${*}", "DENIED"),
])
def test_an_arn_operator_escape_is_the_character(operator: str, value: str,
                                                 expected: str) -> None:
    """aws:PrincipalArn known: the escape is compared as the character. Was CONDITIONAL ("a
    variable in ArnLike expands to a pattern")."""
    allow = {**ALLOW, "Condition": {operator: {"aws:PrincipalArn": value}}}
    assert _decide(allow) == expected


@pytest.mark.parametrize("operator,value,expected", [
    ("StringLike", "a${*}", "DENIED"),
    ("StringLike", "${?}*", "DENIED"),
    ("StringNotLike", "a${*}", "ALLOWED"),
    ("StringEquals", "*", "DENIED"),
    ("StringNotEquals", "team-?", "ALLOWED"),
    ("StringLike", "*", "CONDITIONAL"),  # present or absent: not known
])
def test_no_principal_tag_holds_a_wildcard_character(operator: str, value: str,
                                                     expected: str) -> None:
    """The role's tag team is not known, but holds no ``*`` or ``?``. Was CONDITIONAL."""
    allow = {**ALLOW, "Condition": {operator: {"aws:PrincipalTag/team": value}}}
    assert _decide(allow) == expected


def _public(condition: dict[str, Any]) -> str:
    return text({"Effect": "Allow", "Principal": "*", "Action": GSV, "Resource": "*",
                 "Condition": condition})


OPEN_KEY = text({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"})


@pytest.mark.parametrize("condition", [
    {"StringLike": {"aws:PrincipalTag/team": "a${*}"}},
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${*}:role/Reader"}},
    # an organization id is o- and lower-case letters and digits: never an asterisk
    {"StringLike": {"aws:PrincipalOrgID": "o-abc123${*}"}},
])
def test_a_star_grant_under_an_escape_no_one_matches_reads_for_no_one(
        condition: dict[str, Any]) -> None:
    """The ``*`` path (anyone of an account no policy names) is DENIED by the evaluator and
    the solver proves no outsider reads: one answer with and without --prove (before: the
    evaluator CONDITIONAL, the solver "not encoded", then -- the escape encoded, tags not
    bounded -- a witness tagged ``a*``)."""
    snap = estate(secret_policy=_public(condition), key_policy=OPEN_KEY)
    settings = AccessSettings.from_snapshot(snap)
    report = analyze_access(build_graph(snap), snap, settings)
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    assert not sa.breadth.public
    assert [p.decision for p in sa.paths if p.principal == "*"] in ([], ["DENIED"])
    proof = Prover(build_graph(snap), snap, settings, timeout_s=20).secret(SECRET_ARN)
    assert proof.read.status == PROVEN_NONE, proof.read
    assert not proof.read.not_encoded
