"""``Null`` on a key every signed request carries is decided, whatever the snapshot knows of
its value (IAM conformance trial round 17).

IAM User Guide, "AWS global condition context keys": aws:userid, aws:PrincipalArn,
aws:PrincipalAccount and aws:PrincipalType -- "This key is included in the request context for
all signed requests. Anonymous requests do not include this key"; aws:CurrentTime and
aws:EpochTime -- "This key is always included in the request context". And "Condition
operator to check existence of condition keys": "Use a Null condition operator to check if a
condition key is absent at the time of authorization ... true (the key doesn't exist -- it is
null) or false (the key exists and its value is not null)". A Deny "if Null aws:userid true"
never applies to a role's read; an Allow "if Null aws:CurrentTime true" never applies to
anyone. Before: both were CONDITIONAL "if: aws:userid" / "aws:currenttime", and the solver
(--prove) found a witness for the Allow (the time key left absent)."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from scanner.access.context import (PUBLIC_FACTS, PrincipalFacts, build_request,
                                    principal_context, resource_context)
from scanner.access.settings import AccessSettings
from scanner.policy import PolicyKind, evaluate_policy, parse_policy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from access.test_access_prove import prove, public  # noqa: E402
from scanner.policy.smt.solve import PROVEN_NONE, WITNESS

CENTRAL, MEMBER = "111111111111", "222222222222"
SECRET = f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:app/db-AbCdEf"
KEY = f"arn:aws:kms:us-east-1:{CENTRAL}:key/1234abcd-0000"
SETTINGS = AccessSettings(org_account_ids=frozenset({CENTRAL, MEMBER}), org_id="o-abcdefghij",
                          time_floor=1_800_000_000.0)
ROLE = PrincipalFacts(arn=f"arn:aws:iam::{MEMBER}:role/App", account_id=MEMBER,
                      principal_type="role", name="App")
USER = PrincipalFacts(arn=f"arn:aws:iam::{MEMBER}:user/alice", account_id=MEMBER,
                      principal_type="user", name="alice")
FED = PrincipalFacts(arn=f"arn:aws:sts::{MEMBER}:federated-user/bob", account_id=MEMBER,
                     principal_type="role")


def _request(p: PrincipalFacts, kms: bool = False, floor: bool = True) -> Any:
    settings = SETTINGS if floor else replace(SETTINGS, time_floor=None)
    r = resource_context(account_id=CENTRAL, region="us-east-1", tags={}, settings=settings,
                         kms=kms, secret_arn=SECRET)
    return build_request(p, principal_context(p, settings), r,
                         action="kms:Decrypt" if kms else "secretsmanager:GetSecretValue",
                         resource=KEY if kms else SECRET)


def _policy(effect: str, key: str, value: str) -> Any:
    grant = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
    cond = {"Null": {key: value}}
    if effect == "Allow":
        return parse_policy({"Version": "2012-10-17", "Statement": [{**grant, "Condition": cond}]})
    return parse_policy({"Version": "2012-10-17", "Statement": [
        grant, {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
                "Condition": cond}]})


SIGNED = ("aws:userid", "aws:UserId", "aws:PrincipalArn", "aws:PrincipalAccount",
          "aws:PrincipalType")
ALWAYS = ("aws:CurrentTime", "aws:EpochTime")


@pytest.mark.parametrize("who", [ROLE, USER, FED, PUBLIC_FACTS], ids=lambda p: p.arn)
@pytest.mark.parametrize("kms", [False, True], ids=["GetSecretValue", "Decrypt"])
@pytest.mark.parametrize("key", SIGNED + ALWAYS)
def test_deny_if_the_key_is_null_never_applies(who: PrincipalFacts, kms: bool, key: str) -> None:
    result = evaluate_policy(_policy("Deny", key, "true"), _request(who, kms), PolicyKind.RESOURCE)
    assert result.decision.value == "ALLOWED", result.reasons
    assert result.unresolved == ()


@pytest.mark.parametrize("key", SIGNED + ALWAYS)
@pytest.mark.parametrize("value,expect", [("true", "DENIED"), ("false", "ALLOWED")])
def test_allow_if_null_reads_the_key_as_present(key: str, value: str, expect: str) -> None:
    result = evaluate_policy(_policy("Allow", key, value), _request(ROLE), PolicyKind.RESOURCE)
    assert result.decision.value == expect, result.reasons


@pytest.mark.parametrize("key", ALWAYS)
def test_the_time_keys_are_present_without_a_time_floor(key: str) -> None:
    result = evaluate_policy(_policy("Deny", key, "true"), _request(ROLE, floor=False),
                             PolicyKind.RESOURCE)
    assert result.decision.value == "ALLOWED", result.reasons


def test_an_anonymous_request_has_no_userid() -> None:
    """"Anonymous requests do not include this key": Null aws:userid "true" holds for one."""
    from scanner.policy import Request

    anon = Request(principal_arn="*", principal_account=None, principal_type="anonymous",
                   action="secretsmanager:GetSecretValue", resource=SECRET,
                   absent=frozenset({"aws:userid"}))
    result = evaluate_policy(_policy("Allow", "aws:userid", "true"), anon, PolicyKind.RESOURCE)
    assert result.decision.value == "ALLOWED"


def test_a_key_only_some_requests_carry_stays_unknown() -> None:
    """aws:SourceIp is not in the request of a call through a VPC endpoint (IAM User Guide,
    aws:SourceIp): Null on it is not decided."""
    result = evaluate_policy(_policy("Deny", "aws:SourceIp", "true"), _request(ROLE),
                             PolicyKind.RESOURCE)
    assert result.decision.value == "CONDITIONAL"
    assert result.unresolved == ("aws:sourceip",)


def test_the_solver_proves_an_allow_on_a_null_time_key_lets_no_one_in() -> None:
    assert prove(public({"Null": {"aws:CurrentTime": "true"}})).read.status == PROVEN_NONE


def test_the_solver_proves_an_allow_on_a_null_userid_lets_no_one_in() -> None:
    """The Null clause's "true" is no aws:userid value naming a principal (before: UNKNOWN,
    "perhaps one of the principal aws:userid names (true)")."""
    assert prove(public({"Null": {"aws:userid": "true"}})).read.status == PROVEN_NONE


def test_the_solver_finds_the_reader_a_deny_on_null_userid_leaves() -> None:
    policy = public()
    doc = json.loads(policy)
    doc["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "*",
                             "Resource": "*", "Condition": {"Null": {"aws:userid": "true"}}})
    assert prove(json.dumps(doc)).read.status == WITNESS


@pytest.mark.parametrize("op,expect", [("StringLike", "ALLOWED"), ("StringNotLike", "DENIED"),
                                       ("StringLikeIfExists", "ALLOWED"),
                                       ("ForAnyValue:StringLike", "ALLOWED")])
@pytest.mark.parametrize("who", [ROLE, FED], ids=lambda p: p.arn)
def test_a_pattern_of_star_matches_a_key_every_request_carries(op: str, expect: str,
                                                               who: PrincipalFacts) -> None:
    """IAM User Guide, "Condition operators": StringLike takes "multi-character match
    wildcards (*) ... anywhere in the string" -- "*" matches any value the key has, and it has
    one (before: CONDITIONAL "if: aws:userid")."""
    policy = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {op: {"aws:userid": "*", "aws:PrincipalArn": "*"}}}]})
    result = evaluate_policy(policy, _request(who), PolicyKind.RESOURCE)
    assert result.decision.value == expect, result.reasons


def test_another_comparison_of_a_key_every_request_carries_stays_unknown() -> None:
    policy = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"StringLike": {"aws:userid": "AROA*:app"}}}]})
    result = evaluate_policy(policy, _request(ROLE), PolicyKind.RESOURCE)
    assert result.decision.value == "CONDITIONAL"
    assert result.unresolved == ("aws:userid",)


@pytest.mark.parametrize("who", [ROLE, USER, FED, PUBLIC_FACTS], ids=lambda p: p.arn)
@pytest.mark.parametrize("kms", [False, True], ids=["GetSecretValue", "Decrypt"])
def test_the_user_agent_is_in_every_request(who: PrincipalFacts, kms: bool) -> None:
    """IAM User Guide, "AWS global condition context keys", aws:UserAgent: "This key is always
    included in the request context" (IAM conformance trial round 18: "Deny if Null
    aws:UserAgent true" left every read CONDITIONAL "if: aws:useragent"). Its value -- an HTTP
    header the caller chooses -- stays unknown."""
    denied = evaluate_policy(_policy("Deny", "aws:UserAgent", "true"), _request(who, kms),
                             PolicyKind.RESOURCE)
    assert denied.decision.value == "ALLOWED", denied.reasons
    allowed = evaluate_policy(_policy("Allow", "aws:UserAgent", "true"), _request(who, kms),
                              PolicyKind.RESOURCE)
    assert allowed.decision.value == "DENIED"
    compared = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"StringLike": {"aws:UserAgent": "aws-cli/*"}}}]})
    result = evaluate_policy(compared, _request(who, kms), PolicyKind.RESOURCE)
    assert result.decision.value == "CONDITIONAL"
    assert result.unresolved == ("aws:useragent",)


def test_the_solver_proves_an_allow_on_a_null_user_agent_lets_no_one_in() -> None:
    assert prove(public({"Null": {"aws:UserAgent": "true"}})).read.status == PROVEN_NONE
