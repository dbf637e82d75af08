"""A grant to everyone under an exact string comparison of an account key (or aws:userid, or
aws:PrincipalOrgPaths) with a value that holds ``*`` or ``?`` lets no one in: StringEquals
compares exactly -- IAM User Guide, "String condition operators": StringEquals "Exact
matching, case sensitive", while only StringLike
takes "multi-character match wildcards (*) and single-character match wildcards (?)" -- and
an account id is "a 12-digit number" (AWS Account Management Reference Guide, "View AWS
account identifiers"): no caller's aws:PrincipalAccount is the text ``*`` or
``11111111111?``. Nor does an aws:userid hold either character -- a unique id, an account id,
and a role session or federated user name ("[\\w+=,.@-]*", STS API Reference, AssumeRole
RoleSessionName / GetFederationToken Name) -- nor an organization path, ids joined by ``/``
(Organizations API Reference: "^o-[a-z0-9]{10,32}$", "^r-[0-9a-z]{4,32}$",
"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$"). IAM conformance trial round 28: secret-policy-public
FAILed CRITICAL ("allows everyone without a narrowing condition") on such a statement, while
the same
statement under StringEquals aws:PrincipalArn "arn:aws:iam::*:role/Reader" PASSed; with
--prove it PASSed."""

from __future__ import annotations

from typing import Any

import pytest

from helpers.access_estate import (APP_ROLE, MEMBER, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, text)
from helpers.rule_results import access_report, rule_statuses

READ = "secretsmanager:GetSecretValue"
MEMBER_KEY = key_policy_for(f"arn:aws:iam::{MEMBER}:root")


def _public_under(condition: dict[str, Any]) -> Any:
    return estate(secret_policy=text({"Sid": "Pub", "Effect": "Allow", "Principal": "*",
                                      "Action": READ, "Resource": "*",
                                      "Condition": condition}),
                  key_policy=MEMBER_KEY, principals=(role(APP_ROLE, allow_read_identity()),))


LETS_NO_ONE_IN = {
    "stringequals-star": {"StringEquals": {"aws:PrincipalAccount": "*"}},
    "stringequals-question-marks": {"StringEquals": {"aws:PrincipalAccount": "11111111111?"}},
    "stringequalsignorecase-star": {"StringEqualsIgnoreCase": {"aws:PrincipalAccount": "*"}},
    "foranyvalue-stringequals-star": {
        "ForAnyValue:StringEquals": {"aws:PrincipalAccount": ["*", "0*"]}},
    "userid-star": {"StringEquals": {"aws:userid": "*"}},
    "userid-role-sessions": {"StringEquals": {"aws:userid": "AROA*:*"}},
    "org-paths-star": {"StringEquals": {"aws:PrincipalOrgPaths": "o-*/r-x/"}},
    "foranyvalue-org-paths-star": {"ForAnyValue:StringEquals": {"aws:PrincipalOrgPaths":
                                                                "o-*/*"}},
}


@pytest.mark.parametrize("case", sorted(LETS_NO_ONE_IN))
def test_an_exact_comparison_with_a_value_no_caller_has_lets_no_one_in(case: str) -> None:
    snap = _public_under(LETS_NO_ONE_IN[case])
    sa = access_report(snap).for_secret(SECRET_ARN)
    assert {p.principal: p.decision for p in sa.paths}["*"] == "DENIED"
    assert not sa.breadth.public
    assert rule_statuses(snap, "secret-policy-public")[SECRET_ARN] == "PASS"
    pytest.importorskip("z3")
    # the solver's principals are of 12-digit accounts: it finds no reader either
    assert rule_statuses(snap, "secret-policy-public", prove=True)[SECRET_ARN] == "PASS"


def test_the_same_value_under_stringlike_lets_everyone_in() -> None:
    """StringLike reads ``*`` as a wildcard: every account matches -- public."""
    snap = _public_under({"StringLike": {"aws:PrincipalAccount": "*"}})
    assert rule_statuses(snap, "secret-policy-public")[SECRET_ARN] == "FAIL"
