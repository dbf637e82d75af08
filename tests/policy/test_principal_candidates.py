"""A resource policy's statements are looked up by whom their Principal names
(``evaluate.candidates``): the answer is the walk of every statement's, for every kind of
Principal entry and every kind of caller."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy_text
from scanner.policy import evaluate as evaluate_module

SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf"
ROLE = "arn:aws:iam::222222222222:role/App"
USER = "arn:aws:iam::222222222222:user/alice"
OTHER_ROLE = "arn:aws:iam::333333333333:role/App"
GOV_ROLE = "arn:aws-us-gov:iam::222222222222:role/App"

entries = st.sampled_from([
    "222222222222", "333333333333", "arn:aws:iam::222222222222:root",
    "arn:aws:iam::333333333333:root", "arn:aws-us-gov:iam::222222222222:root", ROLE, USER,
    OTHER_ROLE, GOV_ROLE, "arn:aws:sts::222222222222:assumed-role/App/s1",
    "arn:aws:iam::222222222222:role/*", "AROAEXAMPLEEXAMPLE12", "*", "not-a-principal",
])
principal_elements = st.one_of(
    st.just("*"),
    st.lists(entries, min_size=1, max_size=3).map(lambda xs: {"AWS": xs}),
    st.just({"Service": "secretsmanager.amazonaws.com"}),
    st.just({"AWS": ROLE, "Service": "lambda.amazonaws.com"}),
    st.just({"Federated": "cognito-identity.amazonaws.com"}),
    st.just({"AWS": []}),  # a problem: an empty list
)


@st.composite
def statements(draw: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny", "Maybe"])),
                         "Action": draw(st.sampled_from(["secretsmanager:GetSecretValue",
                                                         "kms:Decrypt", "*"])),
                         "Resource": "*"}
    which = draw(st.sampled_from(["Principal", "Principal", "Principal", "NotPrincipal",
                                  None]))
    if which is not None:
        s[which] = draw(principal_elements)
    if draw(st.booleans()):
        s["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}
    return s


callers = st.sampled_from([
    Request(principal_arn=ROLE, principal_account="222222222222",
            action="secretsmanager:GetSecretValue", resource=SECRET),
    Request(principal_arn=USER, principal_account="222222222222", principal_type="user",
            action="secretsmanager:GetSecretValue", resource=SECRET),
    Request(principal_arn="arn:aws:iam::222222222222:root", principal_account="222222222222",
            principal_type="root", action="kms:Decrypt", resource=SECRET),
    Request(principal_arn=OTHER_ROLE, principal_account="333333333333",
            action="kms:Decrypt", resource=SECRET, has_permissions_boundary=True),
    Request(principal_arn=GOV_ROLE, principal_account="222222222222",
            action="secretsmanager:GetSecretValue", resource=SECRET),
    Request(principal_arn="secretsmanager.amazonaws.com", principal_account=None,
            principal_type="service", action="kms:Decrypt", resource=SECRET),
    Request(principal_arn="*", principal_account=None, principal_type="anonymous",
            action="secretsmanager:GetSecretValue", resource=SECRET),
])


def _walked_whole(text: str, request: Request, kind: PolicyKind) -> Any:
    saved = evaluate_module._INDEXED_FROM
    evaluate_module._INDEXED_FROM = 10**9
    try:
        return evaluate_policy(parse_policy_text(text), request, kind)
    finally:
        evaluate_module._INDEXED_FROM = saved


@settings(max_examples=400, deadline=None)
@given(st.lists(statements(), min_size=8, max_size=24), callers,
       st.sampled_from([PolicyKind.RESOURCE, PolicyKind.RCP]))
def test_looking_statements_up_by_principal_answers_as_walking_them_all(
        sts: list[dict[str, Any]], request: Request, kind: PolicyKind) -> None:
    text = json.dumps({"Version": "2012-10-17", "Statement": sts})
    indexed = evaluate_policy(parse_policy_text(text), request, kind)
    assert indexed == _walked_whole(text, request, kind)


def test_a_key_policy_with_a_statement_per_account_visits_only_the_callers() -> None:
    grants = [{"Sid": f"A{i}", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
               "Principal": {"AWS": f"arn:aws:iam::{400000000000 + i}:role/App"}}
              for i in range(40)]
    root = {"Sid": "Root", "Effect": "Allow", "Action": "kms:*", "Resource": "*",
            "Principal": {"AWS": "arn:aws:iam::111111111111:root"}}
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17",
                                           "Statement": [root, *grants]}))
    caller = Request(principal_arn="arn:aws:iam::400000000007:role/App",
                     principal_account="400000000007", action="kms:Decrypt", resource="*")
    assert [st.sid for st in evaluate_module.candidates(policy, caller,
                                                        PolicyKind.RESOURCE)] == ["A7"]
    result = evaluate_policy(policy, caller, PolicyKind.RESOURCE)
    assert result.reasons == ("statement 8 (A7) Allow applies",)
    assert result == _walked_whole(json.dumps({"Version": "2012-10-17",
                                               "Statement": [root, *grants]}),
                                   caller, PolicyKind.RESOURCE)


@pytest.mark.parametrize("kind", [PolicyKind.IDENTITY, PolicyKind.SCP])
def test_policies_without_a_principal_element_are_walked_whole(kind: PolicyKind) -> None:
    sts = [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
            "Principal": {"AWS": f"arn:aws:iam::{400000000000 + i}:role/App"}}
           for i in range(10)]
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": sts}))
    caller = Request(principal_arn=ROLE, principal_account="222222222222",
                     action="kms:Decrypt", resource="*")
    assert evaluate_module.candidates(policy, caller, kind) == policy.statements


def test_a_federated_user_session_names_no_role_user_or_root() -> None:
    # IAM User Guide, Principal element: "arn:aws:sts::AWS-account-ID:federated-user/user-name"
    # is the GetFederationToken session, a principal of its own
    from scanner.policy.principals import Match, match_aws_entry

    entry = "arn:aws:sts::222222222222:federated-user/bob"
    for request in (Request(principal_arn=ROLE, principal_account="222222222222",
                            action="kms:Decrypt", resource=SECRET),
                    Request(principal_arn=USER, principal_account="222222222222",
                            principal_type="user", action="kms:Decrypt", resource=SECRET)):
        assert match_aws_entry(entry, request) == (Match.NONE, None)
    deny = {"Effect": "Deny", "Principal": {"AWS": entry}, "Action": "*", "Resource": "*"}
    allow = {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "*", "Resource": "*"}
    result = evaluate_policy(parse_policy_text(json.dumps({"Version": "2012-10-17",
                                                           "Statement": [allow, deny]})),
                             Request(principal_arn=ROLE, principal_account="222222222222",
                                     action="secretsmanager:GetSecretValue",
                                     resource=SECRET), PolicyKind.RESOURCE)
    assert result.allow.value == "TRUE" and result.deny.value == "FALSE"
    assert not result.unresolved
