"""aws:PrincipalOrgPaths of a principal outside our organization (conformance trial round 6:
it was unknown, so a grant scoped to our organization's paths looked CONDITIONAL for an
outsider). IAM User Guide, global condition keys, aws:PrincipalOrgPaths: "This key is included
in the request context only if the principal is a member of an organization"; its paths begin
with that organization's id. The outsider may belong to another organization, so its paths are
known only to lie outside ours -- as aws:PrincipalOrgID is "not ours" for it."""

from __future__ import annotations

import json

import pytest

from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy_text
from scanner.policy.request import not_under
from scanner.policy.smt.questions import check_policy

ORG = "o-abc123def4"
OUTSIDER = "arn:aws:iam::999999999999:role/Partner"


def _outsider() -> Request:
    return Request(principal_arn=OUTSIDER, principal_account="999999999999",
                   action="secretsmanager:GetSecretValue", resource="*",
                   excluded={"aws:principalorgid": frozenset({ORG}),
                             "aws:principalorgpaths": not_under(f"{ORG}/")})


def _grant(operator: str, pattern: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*", "Condition": {operator: {"aws:PrincipalOrgPaths": pattern}}}]})


@pytest.mark.parametrize("operator, pattern, expect", [
    # a pattern under our organization id never matches an outsider
    ("ForAnyValue:StringLike", f"{ORG}/*", "DENIED"),
    ("ForAnyValue:StringLike", f"{ORG}/r-ab12/ou-ab12-11111111/*", "DENIED"),
    ("ForAnyValue:StringEquals", f"{ORG}/r-ab12/", "DENIED"),
    ("StringLike", f"{ORG}/*", "DENIED"),
    # review: organization ids and paths are lower case, so an upper-case spelling compared
    # without case is ours too (the solver invented "O-ABC123DEF4/R-AB12/")
    ("StringEqualsIgnoreCase", f"{ORG.upper()}/R-AB12/", "DENIED"),
    ("ForAnyValue:StringEqualsIgnoreCase", f"{ORG.upper()}/R-AB12/", "DENIED"),
    # another organization's paths, or any path: the outsider may be in some organization
    ("ForAnyValue:StringLike", "o-other12345/*", "CONDITIONAL"),
    ("ForAnyValue:StringLike", "*", "CONDITIONAL"),
    ("ForAnyValue:StringLike", "o-abc*/*", "CONDITIONAL"),
])
def test_an_outsiders_org_paths_lie_outside_ours(operator: str, pattern: str,
                                                 expect: str) -> None:
    policy = parse_policy_text(_grant(operator, pattern))
    result = evaluate_policy(policy, _outsider(), PolicyKind.RESOURCE)
    assert result.decision.value == expect, result
    # the solver reads the same fact (no path under our id), and agrees where definite
    chk = check_policy(policy, _outsider(), PolicyKind.RESOURCE, timeout_s=20)
    if "IgnoreCase" in operator:
        # the case-insensitive regexes are slow for the solver: a timeout (UNKNOWN) is an
        # honest answer, a CONDITIONAL (an invented upper-case path) is not
        assert chk.decision in (expect, "UNKNOWN"), chk
    else:
        assert chk.decision == expect, chk


def test_a_deny_outside_our_org_paths_applies_to_an_outsider() -> None:
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
         "Condition": {"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}}}]}))
    result = evaluate_policy(policy, _outsider(), PolicyKind.RESOURCE)
    assert result.decision.value == "DENIED" and result.explicit_deny


def test_the_excluded_prefix_is_part_of_the_request_projection() -> None:
    ours, theirs = _outsider(), Request(
        principal_arn=OUTSIDER, principal_account="999999999999",
        action="secretsmanager:GetSecretValue", resource="*",
        excluded={"aws:principalorgpaths": not_under("o-other12345/")})
    keys = frozenset({"aws:principalorgpaths"})
    assert ours.projection(keys) != theirs.projection(keys)
    assert not_under(f"{ORG}/") == not_under(f"{ORG}/") != not_under("o-other12345/")
