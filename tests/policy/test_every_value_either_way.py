"""A condition whose values match every value its key can hold is decided whether or not the
key is in the request, as StringLike "*" is (IAM conformance trial round 30).

IAM User Guide, "Condition operators", IP address condition operators: IpAddress matches
"The specified IP address or range"; "Conditions with multiple context keys or values": "If a
single condition operator includes multiple values for a context key, those values are
evaluated using a logical OR" -- so 0.0.0.0/0 with ::/0 holds for every address, IPv4 or
IPv6, that aws:SourceIp or aws:VpcSourceIp ("Data type: IP address", "AWS global condition
context keys") can carry. Likewise Bool with both "true" and "false" on a key AWS defines as
Boolean (aws:MultiFactorAuthPresent: "Data type: Boolean"). "...IfExists": "If the key is not
present, evaluate the condition element as true"; ForAllValues is true of a key that is not
there. So IpAddressIfExists aws:SourceIp [0.0.0.0/0, ::/0] holds for every request, and a
role's requests, which always carry aws:MultiFactorAuthPresent (it signs with temporary
credentials), meet Bool [true, false].

Before: the evaluator answered CONDITIONAL "if: aws:sourceip" / "if: aws:multifactorauthpresent"
where the solver (--prove) answered ALLOWED; AWS's answer does not depend on the request."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scanner.access import AccessSettings
from scanner.access.context import (PrincipalFacts, build_request, principal_context,
                                    resource_context)
from scanner.policy import PolicyKind, evaluate_policy, parse_policy_text
from scanner.policy.smt.questions import check_policy

CENTRAL, MEMBER = "111111111111", "222222222222"
SECRET = f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:app/db-AbCdEf"
SETTINGS = AccessSettings(org_account_ids=frozenset({CENTRAL, MEMBER}), org_id="o-abcdefghij")
ROLE = PrincipalFacts(arn=f"arn:aws:iam::{MEMBER}:role/App", account_id=MEMBER,
                      principal_type="role", name="App")
#: an IAM user may sign with long-term keys: aws:MultiFactorAuthPresent may be absent
USER = PrincipalFacts(arn=f"arn:aws:iam::{MEMBER}:user/bob", account_id=MEMBER,
                      principal_type="user", name="bob")
EVERY_ADDRESS = ["0.0.0.0/0", "::/0"]


def _decide(condition: dict[str, Any], who: PrincipalFacts = ROLE,
            effect: str = "Allow") -> tuple[str, tuple[str, ...], str]:
    statements: list[dict[str, Any]] = [
        {"Effect": effect, "Principal": "*", "Action": "secretsmanager:GetSecretValue",
         "Resource": "*", "Condition": condition}]
    if effect == "Deny":
        statements.insert(0, {"Effect": "Allow", "Principal": "*", "Action": "*",
                              "Resource": "*"})
    policy = parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": statements}))
    rctx = resource_context(account_id=CENTRAL, region="us-east-1", tags={},
                            settings=SETTINGS, kms=False, secret_arn=SECRET)
    request = build_request(who, principal_context(who, SETTINGS), rctx,
                            action="secretsmanager:GetSecretValue", resource=SECRET)
    result = evaluate_policy(policy, request, PolicyKind.RESOURCE)
    solver = check_policy(policy, request, PolicyKind.RESOURCE, timeout_s=20)
    return result.decision.value, result.unresolved, solver.decision


@pytest.mark.parametrize("condition", [
    {"IpAddressIfExists": {"aws:SourceIp": EVERY_ADDRESS}},
    {"IpAddressIfExists": {"aws:VpcSourceIp": EVERY_ADDRESS}},
    {"ForAllValues:IpAddress": {"aws:SourceIp": EVERY_ADDRESS}},
    # ranges that add up to every address are every address
    {"IpAddressIfExists": {"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1", "::/0"]}},
], ids=["IfExists", "VpcSourceIp", "ForAllValues", "halves"])
def test_every_address_or_no_address_lets_every_request_in(condition: dict[str, Any]) -> None:
    decision, unresolved, solver = _decide(condition)
    assert decision == "ALLOWED", unresolved
    assert solver == "ALLOWED"


def test_a_deny_unless_some_address_of_every_address_never_applies() -> None:
    """ForAnyValue:NotIpAddress of every address: no address is outside them, and an absent
    key gives ForAnyValue nothing to match."""
    decision, unresolved, solver = _decide(
        {"ForAnyValue:NotIpAddress": {"aws:SourceIp": EVERY_ADDRESS}}, effect="Deny")
    assert decision == "ALLOWED", unresolved
    assert solver == "ALLOWED"


@pytest.mark.parametrize("condition", [
    {"Bool": {"aws:MultiFactorAuthPresent": ["true", "false"]}},
    {"BoolIfExists": {"aws:MultiFactorAuthPresent": ["true", "false"]}},
], ids=["Bool", "BoolIfExists"])
def test_both_booleans_hold_for_a_role_whose_requests_carry_the_key(
        condition: dict[str, Any]) -> None:
    decision, unresolved, solver = _decide(condition)
    assert decision == "ALLOWED", unresolved
    assert solver == "ALLOWED"


def test_both_booleans_if_exists_hold_for_a_user_with_or_without_the_key() -> None:
    decision, unresolved, solver = _decide(
        {"BoolIfExists": {"aws:MultiFactorAuthPresent": ["true", "false"]}}, who=USER)
    assert decision == "ALLOWED", unresolved
    assert solver == "ALLOWED"


@pytest.mark.parametrize("condition,who", [
    # no IfExists: a request through a VPC endpoint carries no aws:SourceIp
    ({"IpAddress": {"aws:SourceIp": EVERY_ADDRESS}}, ROLE),
    # an IPv6 caller is outside 0.0.0.0/0
    ({"IpAddressIfExists": {"aws:SourceIp": ["0.0.0.0/0"]}}, ROLE),
    # present (not through an endpoint): false; absent: true
    ({"NotIpAddressIfExists": {"aws:SourceIp": EVERY_ADDRESS}}, ROLE),
    # a value that is no IP range: never a confident answer
    ({"IpAddressIfExists": {"aws:SourceIp": ["0.0.0.0/0", "::/0", "10.0.0.0/33"]}}, ROLE),
    # aws:SourceVpc holds a VPC id, no address
    ({"IpAddressIfExists": {"aws:SourceVpc": EVERY_ADDRESS}}, ROLE),
    # a user's long-term keys carry no aws:MultiFactorAuthPresent: Bool is false then
    ({"Bool": {"aws:MultiFactorAuthPresent": ["true", "false"]}}, USER),
], ids=["no-IfExists", "IPv4-only", "negated", "malformed", "not-an-IP-key", "user-Bool"])
def test_where_the_request_decides_it_stays_conditional(condition: dict[str, Any],
                                                        who: PrincipalFacts) -> None:
    decision, unresolved, _solver = _decide(condition, who=who)
    assert decision == "CONDITIONAL"
    assert unresolved
