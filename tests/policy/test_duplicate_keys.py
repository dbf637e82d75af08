"""A policy that names a key twice in one JSON object gets no confident answer (IAM
conformance trial round 18).

IAM User Guide, "Grammar of the IAM JSON policy language", policy grammar notes: "Individual
elements must not contain multiple instances of the same key. For example, you cannot include
the Effect block twice in the same statement." IAM Access Analyzer's policy checks, "Error --
Duplicate keys with different case": "The condition key ... appears more than once with
different capitalization in the same condition block. Remove the duplicate condition keys" --
and "Condition key names are not case-sensitive". How AWS evaluates such a document is not
documented. Before, the JSON parser kept the last of the duplicates (``{"Effect": "Allow",
"Effect": "Deny"}`` was a confident Deny, a second "Statement" array silently replaced the
first) and two spellings of one condition key were ANDed: each a confident answer."""

from __future__ import annotations

import pytest

from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy

ROLE = "arn:aws:iam::222222222222:role/App"
SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf"
REQUEST = Request(principal_arn=ROLE, principal_account="222222222222",
                  action="secretsmanager:GetSecretValue", resource=SECRET,
                  context={"aws:principalaccount": ("222222222222",)})
GRANT = '{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}'


def _decide(text: str) -> tuple[str, tuple[str, ...]]:
    result = evaluate_policy(parse_policy(text), REQUEST, PolicyKind.RESOURCE)
    return result.decision.value, result.problems


@pytest.mark.parametrize("text", [
    # the Effect twice in one statement: Allow, then Deny
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Effect": "Deny", '
    '"Principal": "*", "Action": "*", "Resource": "*"}]}',
    # a second Statement array
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", '
    '"Action": "*", "Resource": "*"}], "Statement": [' + GRANT + ']}',
    # a condition key twice in one operator block: another account's id, then ours
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", '
    '"Action": "*", "Resource": "*", "Condition": {"StringEquals": {'
    '"aws:PrincipalAccount": "999999999999", "aws:PrincipalAccount": "222222222222"}}}]}',
    # one condition key in two spellings in one operator block
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", '
    '"Action": "*", "Resource": "*", "Condition": {"StringEquals": {'
    '"aws:PrincipalAccount": "999999999999", "aws:principalaccount": "222222222222"}}}]}',
    # the principal's AWS entry twice
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {'
    '"AWS": "arn:aws:iam::999999999999:root", "AWS": "arn:aws:iam::222222222222:root"}, '
    '"Action": "*", "Resource": "*"}]}',
    # one condition operator in two spellings (IAM conformance trial round 37: the two blocks
    # were ANDed, a confident DENIED -- and ALLOWED with the values swapped)
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", '
    '"Action": "*", "Resource": "*", "Condition": {"StringEquals": {'
    '"aws:PrincipalAccount": "999999999999"}, "stringEquals": {'
    '"aws:PrincipalAccount": "222222222222"}}}]}',
    # ... with its set qualifier
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", '
    '"Action": "*", "Resource": "*", "Condition": {"ForAnyValue:StringLike": {'
    '"aws:PrincipalOrgPaths": "o-a/*"}, "foranyvalue:stringlike": {'
    '"aws:PrincipalOrgPaths": "o-b/*"}}}]}',
], ids=["effect", "statement", "condition-key", "condition-key-case", "principal",
        "condition-operator-case", "condition-operator-qualifier-case"])
def test_a_duplicate_key_gets_no_confident_answer(text: str) -> None:
    decision, problems = _decide(text)
    assert decision == "CONDITIONAL"
    assert problems and any("more than once" in p for p in problems), problems


def test_the_other_statements_are_still_read() -> None:
    """The duplicate is the problem of the statement holding it: a Deny beside it that
    applies still denies."""
    text = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Effect": "Allow", '
            '"Principal": "*", "Action": "*", "Resource": "*"}, {"Effect": "Deny", '
            '"Principal": "*", "Action": "*", "Resource": "*"}]}')
    decision, problems = _decide(text)
    assert decision == "DENIED"
    assert problems == ("statement 0: key 'Effect' more than once in one JSON object",)


def test_the_same_key_under_two_operators_is_no_duplicate() -> None:
    """Each operator has its own block: StringLike and StringNotLike on one key is common."""
    text = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", '
            '"Action": "*", "Resource": "*", "Condition": {"StringLike": {'
            '"aws:PrincipalAccount": "2*"}, "StringNotLike": {'
            '"aws:principalaccount": "9*"}}}]}')
    assert _decide(text) == ("ALLOWED", ())


def test_an_operator_in_two_spellings_is_named_and_a_deny_beside_it_still_denies() -> None:
    """Condition operators are read without case (``stringEquals`` is StringEquals): two
    spellings of one operator in one Condition object are one key twice, as two spellings of
    one condition key are -- the statement's problem, named with both spellings; another
    statement's Deny that applies still denies."""
    bad = ('{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", '
           '"Condition": {"StringEquals": {"aws:PrincipalAccount": "222222222222"}, '
           '"STRINGEQUALS": {"aws:PrincipalAccount": "222222222222"}}}')
    decision, problems = _decide('{"Version": "2012-10-17", "Statement": [' + bad + ']}')
    assert decision == "CONDITIONAL"
    assert problems == ("statement 0: Condition: operator 'StringEquals' and 'STRINGEQUALS' "
                        "more than once, in different capitalization",)
    deny = '{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}'
    assert _decide('{"Version": "2012-10-17", "Statement": [' + bad + ', ' + deny + ']}')[0] \
        == "DENIED"


def test_the_same_key_in_two_statements_is_no_duplicate() -> None:
    text = ('{"Version": "2012-10-17", "Statement": [' + GRANT + ', ' + GRANT + ']}')
    assert _decide(text) == ("ALLOWED", ())
