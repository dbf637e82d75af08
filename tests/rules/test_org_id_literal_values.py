"""A value of aws:PrincipalOrgID that no organization id can be (IAM conformance trial round 23).

Organizations API Reference, Organization ``Id``: "^o-[a-z0-9]{10,32}$". A condition value that
cannot be such an id -- the literal text ``${aws:ResourceOrgID}`` of a Version 2008-10-17 policy
(IAM User Guide, "IAM JSON policy elements: Version": with 2008-10-17 policy variables are
"treated as literal strings"), an id in capitals compared case-sensitively -- equals no
principal's organization id: StringEquals on it is false and StringNotEquals true for every
caller, whichever organization it is in, or none (IAM User Guide, "Condition operators": a
negated operator is true when the key is absent).

Before: for a caller outside our organization (its aws:PrincipalOrgID known only to differ
from ours) such a clause was UNKNOWN -- the data perimeter "Deny * if StringNotEquals
aws:PrincipalOrgID ${aws:ResourceOrgID}" of a 2008-10-17 policy left the `*` path CONDITIONAL
and secret-policy-public FAILed without --prove, PASSed with it (the solver knows the id's
form)."""

from __future__ import annotations

import json

from helpers.access_estate import APP_ROLE, SECRET_ARN, estate, key_policy_for, role

from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy_text

OURS = "o-abc123def4"
ALLOW = {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
         "Resource": "*"}


def _outsider() -> Request:
    return Request(principal_arn="arn:aws:iam::999999999999:role/R",
                   principal_account="999999999999", action="secretsmanager:GetSecretValue",
                   resource=SECRET_ARN, excluded={"aws:principalorgid": frozenset({OURS})})


def _decision(version: str, operator: str, value: str) -> str:
    deny = {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {operator: {"aws:PrincipalOrgID": value}}}
    policy = parse_policy_text(json.dumps({"Version": version, "Statement": [ALLOW, deny]}))
    return evaluate_policy(policy, _outsider(), PolicyKind.RESOURCE).decision.value


def test_a_literal_variable_is_no_organization_id() -> None:
    assert _decision("2008-10-17", "StringNotEquals", "${aws:ResourceOrgID}") == "DENIED"
    assert _decision("2008-10-17", "StringEquals", "${aws:ResourceOrgID}") == "ALLOWED"
    assert _decision("2008-10-17", "StringNotEqualsIfExists", "${aws:ResourceOrgID}") == \
        "DENIED"


def test_an_id_in_capitals_is_none_case_sensitively() -> None:
    assert _decision("2012-10-17", "StringNotEquals", OURS.upper()) == "DENIED"
    assert _decision("2012-10-17", "StringEquals", OURS.upper()) == "ALLOWED"


def test_a_well_formed_other_id_stays_undecided() -> None:
    # the outsider may be in that organization
    assert _decision("2012-10-17", "StringNotEquals", "o-zzz999yyy8") == "CONDITIONAL"
    assert _decision("2012-10-17", "StringEquals", "o-zzz999yyy8") == "CONDITIONAL"


def test_secret_policy_public_reads_the_2008_perimeter_alike_with_and_without_prove() -> None:
    deny = {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}}
    snap = estate(secret_policy=json.dumps({"Version": "2008-10-17", "Statement": [ALLOW, deny]}),
                  key_policy=key_policy_for(APP_ROLE), principals=(role(APP_ROLE, None),))
    from test_exposure_own_conditions_round13 import _same_with_and_without_prove as same

    assert same(snap, "secret-policy-public", SECRET_ARN) == "PASS"
