"""Lambda assumes a rotation function's execution role as the service principal
lambda.amazonaws.com, and that AssumeRole request carries what a service principal's request
carries (scanner.access.context.service_requests): aws:PrincipalIsAWSService true and
aws:PrincipalServiceName lambda.amazonaws.com, no organization key, no principal tag, no
username; and aws:SourceAccount either absent or the function's own account -- whether Lambda
passes it is not documented, so a trust policy is held against the role only where both
readings deny (IAM conformance trial round 34: a trust policy with the organization's data
perimeter Deny, or an aws:SourceAccount naming another account, was a rotation that reads)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from helpers.rule_fixture import load_fixture

from scanner.access import AccessSettings, analyze_access
from scanner.access.verdicts import RotationRead
from scanner.graph.builder import build_graph

FX = load_fixture("secret-rotation-role-cannot-read")
A, M = "111111111111", "222222222222"
SECRET = f"arn:aws:secretsmanager:us-east-1:{A}:secret:reads-AbCdEf"
LAMBDA = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
          "Action": "sts:AssumeRole"}


def read_with_trust(*statements: dict[str, Any]) -> RotationRead:
    """The rotation read of the fixture's "reads" secret, its rotator role trusting as given."""
    accounts = list(FX.snapshot.accounts)
    iam = accounts[0].iam
    assert iam is not None
    trust = {"Version": "2012-10-17", "Statement": list(statements)}
    principals = tuple(replace(p, trust_policy=trust) if p.name == "rotator" else p
                       for p in iam.principals)
    accounts[0] = replace(accounts[0], iam=replace(iam, principals=principals))
    snapshot = replace(FX.snapshot, accounts=tuple(accounts))
    graph = build_graph(snapshot)
    return analyze_access(graph, snapshot, AccessSettings.from_snapshot(snapshot)).rotation[SECRET]


def deny_all_unless(condition: dict[str, Any]) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
            "Condition": condition}


def test_an_organization_perimeter_deny_in_the_trust_policy_keeps_lambda_out() -> None:
    """IAM User Guide, "AWS global condition context keys", aws:PrincipalOrgID: "This key is
    included in the request context only if the principal is a member of an organization" --
    a service principal is none; and "If the key that you specify in a policy condition is not
    present in the request context, the values do not match": StringNotEquals on it is true,
    the Deny applies to Lambda's AssumeRole."""
    read = read_with_trust(LAMBDA, deny_all_unless(
        {"StringNotEquals": {"aws:PrincipalOrgID": "o-fixture"}}))
    assert "does not let lambda.amazonaws.com sts:AssumeRole it" in read.untrusted
    assert "statement 1 Deny applies" in read.untrusted
    assert read.decision == "DENIED"


def test_the_perimeter_that_exempts_service_principals_lets_lambda_in() -> None:
    """The data-perimeter form AWS gives: the Deny holds only if BoolIfExists
    aws:PrincipalIsAWSService "false" -- "Use this key to check whether the call to your
    resource is being made directly by an AWS service principal": true for Lambda."""
    read = read_with_trust(LAMBDA, deny_all_unless({
        "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-fixture"},
        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}))
    assert read.untrusted == ""
    assert read.decision == "ALLOWED"


def test_a_trust_open_to_everyone_under_the_service_name_is_decided_by_that_name() -> None:
    """aws:PrincipalServiceName: "This key is present in the request when the call is made by
    an AWS service principal", its value the service principal's name."""
    assert read_with_trust({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {
                                "aws:PrincipalServiceName": "lambda.amazonaws.com"}}}
                           ).untrusted == ""
    other = read_with_trust({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                             "Condition": {"StringEquals": {
                                 "aws:PrincipalServiceName": "ec2.amazonaws.com"}}})
    assert "does not let lambda.amazonaws.com sts:AssumeRole it" in other.untrusted


def test_a_source_account_of_another_account_never_matches_lambdas_request() -> None:
    """aws:SourceAccount is in the request "only if accessing a resource triggers an AWS
    service to call another service on behalf of the resource owner", and then it is the
    function's account (Lambda's execution role is a role of the function's account): absent
    or the function's account, neither is another account."""
    read = read_with_trust(dict(LAMBDA, Condition={"StringEquals": {"aws:SourceAccount": M}}))
    assert "does not let lambda.amazonaws.com sts:AssumeRole it" in read.untrusted
    assert read.decision == "DENIED"


def test_a_source_account_of_the_functions_account_is_not_held_against_it() -> None:
    """Whether Lambda passes aws:SourceAccount when it assumes the execution role is not
    documented: StringEquals the function's own account holds if it does, not if it does not --
    the snapshot cannot tell, so no claim (as before)."""
    read = read_with_trust(dict(LAMBDA, Condition={"StringEquals": {"aws:SourceAccount": A}}))
    assert read.untrusted == ""
    # a Deny unless that account, IfExists: it denies Lambda's request without the key ("If the
    # key is not present, evaluate the condition element as true"), not the one with it
    assert read_with_trust(LAMBDA, deny_all_unless(
        {"StringNotEqualsIfExists": {"aws:SourceAccount": A}})).untrusted == ""


def test_an_explicit_deny_of_service_principals_keeps_lambda_out() -> None:
    read = read_with_trust(LAMBDA, deny_all_unless(
        {"Bool": {"aws:PrincipalIsAWSService": "true"}}))
    assert "statement 1 Deny applies" in read.untrusted


def test_a_deny_to_everyone_but_lambda_lets_lambda_in() -> None:
    """NotPrincipal "Service": lambda.amazonaws.com with Deny: everyone but Lambda is denied
    (scanner.policy.principals.not_principal_applies)."""
    read = read_with_trust(LAMBDA, {"Effect": "Deny", "NotPrincipal": {
        "Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    assert read.untrusted == ""
    assert read.decision == "ALLOWED"


FUNCTION = f"arn:aws:lambda:us-east-1:{A}:function:rotate"  # the fixture's rotator runs it


def test_a_source_arn_naming_another_function_never_matches_lambdas_request() -> None:
    """aws:SourceArn, if Lambda passes it, is "the ARN of the resource making a service-to-
    service request": the function's (perhaps with its version or alias after a colon). A
    trust pinned to another function's ARN holds in neither reading."""
    pinned = read_with_trust(dict(LAMBDA, Condition={"StringEquals": {
        "aws:SourceArn": f"arn:aws:lambda:us-east-1:{A}:function:other"}}))
    assert "does not let lambda.amazonaws.com sts:AssumeRole it" in pinned.untrusted
    # its own function's ARN: held if Lambda passes the key, not if not -- no claim
    assert read_with_trust(dict(LAMBDA, Condition={"StringEquals": {
        "aws:SourceArn": FUNCTION}})).untrusted == ""
    assert read_with_trust(dict(LAMBDA, Condition={"StringEqualsIgnoreCase": {
        "aws:SourceArn": FUNCTION.replace("rotate", "ROTATE")}})).untrusted == ""
    assert read_with_trust(dict(LAMBDA, Condition={"StringLike": {
        "aws:SourceArn": f"arn:aws:lambda:*:{A}:function:rot*"}})).untrusted == ""
