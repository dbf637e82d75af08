"""A NotPrincipal element that lists an AWS service principal exempts that service (IAM User
Guide, "AWS JSON policy elements: NotPrincipal": "Use the NotPrincipal element to specify the
IAM user, federated user, IAM role, AWS account, AWS service, or other principal that is not
denied or allowed access to a resource"; its syntax "is the same as for specifying ...
Principal"). A service principal is named by its service entry only: the account and role
entries of the element, which name IAM principals, never name it (IAM conformance trial round
34: a role trust policy's Deny to everyone but lambda.amazonaws.com kept Lambda out)."""

from __future__ import annotations

from typing import Any

from scanner.policy.evaluate import Decision, PolicyKind, evaluate_policy
from scanner.policy.parse import parse_policy
from scanner.policy.request import Request

ROLE = "arn:aws:iam::111111111111:role/rotator"
TRUST_LAMBDA = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole"}


def assume(principal: str, *statements: dict[str, Any]) -> Decision:
    kind = "service" if principal.endswith(".amazonaws.com") else "role"
    request = Request(principal_arn=principal, action="sts:AssumeRole", resource=ROLE,
                      principal_account=None if kind == "service" else "111111111111",
                      principal_type=kind)
    policy = parse_policy({"Version": "2012-10-17", "Statement": list(statements)})
    return evaluate_policy(policy, request, PolicyKind.RESOURCE).decision


def deny_all_but(not_principal: dict[str, Any]) -> dict[str, Any]:
    return {"Effect": "Deny", "NotPrincipal": not_principal, "Action": "sts:AssumeRole"}


def test_the_service_a_deny_excepts_is_not_denied() -> None:
    assert assume("lambda.amazonaws.com", TRUST_LAMBDA,
                  deny_all_but({"Service": "lambda.amazonaws.com"})) is Decision.ALLOWED
    assert assume("lambda.amazonaws.com", TRUST_LAMBDA, deny_all_but(
        {"Service": ["edgelambda.amazonaws.com", "lambda.amazonaws.com"]})) is Decision.ALLOWED


def test_a_service_the_deny_does_not_except_is_denied() -> None:
    assert assume("lambda.amazonaws.com", TRUST_LAMBDA,
                  deny_all_but({"Service": "ec2.amazonaws.com"})) is Decision.DENIED
    # an account or role entry excepts IAM principals, never a service
    assert assume("lambda.amazonaws.com", TRUST_LAMBDA, deny_all_but(
        {"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::*:role/admin"]})) \
        is Decision.DENIED


def test_an_iam_role_is_not_excepted_by_a_service_entry() -> None:
    trust_role = dict(TRUST_LAMBDA, Principal={"AWS": "arn:aws:iam::111111111111:root"})
    assert assume("arn:aws:iam::111111111111:role/app", trust_role,
                  deny_all_but({"Service": "lambda.amazonaws.com"})) is Decision.DENIED


def test_an_allow_with_not_principal_grants_no_service_it_lists() -> None:
    """"Using it with "Effect":"Allow" is not supported": what it grants is not known, except
    that it grants no one it lists."""
    allow_but = {"Effect": "Allow", "NotPrincipal": {"Service": "lambda.amazonaws.com"},
                 "Action": "sts:AssumeRole"}
    assert assume("lambda.amazonaws.com", allow_but) is Decision.DENIED
    assert assume("ec2.amazonaws.com", allow_but) is Decision.CONDITIONAL


def test_an_aws_entry_never_names_a_service_principal() -> None:
    """"Principal": {"AWS": ...} names accounts, roles and users: a wildcard inside one (not
    valid IAM, UNKNOWN for an IAM caller) still names no service."""
    trust = dict(TRUST_LAMBDA, Principal={"AWS": "arn:aws:iam::*:role/ci-*",
                                          "Service": "ec2.amazonaws.com"})
    assert assume("lambda.amazonaws.com", trust) is Decision.DENIED
    assert assume("ec2.amazonaws.com", trust) is Decision.ALLOWED
