"""Keys whose presence AWS documents for the kind of caller or for the action, though their
values are not in the snapshot (IAM conformance trial round 18).

* IAM User Guide, "AWS global condition context keys", aws:TokenIssueTime: "This key is
  included in the request context only when the principal uses temporary credentials to make
  the request"; aws:MultiFactorAuthPresent: "This key is included in the request context only
  when the principal uses temporary credentials to make the request ... Temporary credentials
  are used to authenticate IAM roles, federated users, IAM users with temporary tokens from
  sts:GetSessionToken, and users of the AWS Management Console". A role (and an STS federated
  user session) acts only through temporary credentials: both keys are in every request it
  signs, and in the Decrypt Secrets Manager makes for it with a forward access session ("FAS
  ... passes your identity, permissions, and session attributes"). An IAM user may sign with
  its long-term access keys: for it they stay unknown.
* aws:username: "This key is always included in the request context for IAM users. Anonymous
  requests and requests that are made using the AWS account root user or IAM roles do not
  include this key" -- absent for the root user (it was for roles already). The stand-in of an
  unread account's principals (which may be a user) keeps it unknown.
* secretsmanager:SecretId: Service Authorization Reference, Secrets Manager, GetSecretValue
  lists the key ("Filters access by the SecretID value in the request"); the Secrets Manager
  permissions reference: "callers to Secrets Manager must pass the matching parameter", and
  SecretId is a required parameter of GetSecretValue (API Reference: "Required: Yes") -- in
  every GetSecretValue request, with the value the caller passed (a name, a complete or a
  partial ARN: not known). On the Decrypt it is a key of another service (absent).

Before: each ``Null`` test on these keys left the read CONDITIONAL "if: <key>"."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, SECRET_ARN, doc, estate,
                                   key_policy_for, role, text)

from scanner.access import AccessSettings, analyze_access
from scanner.access.context import (PrincipalFacts, build_request, principal_context,
                                    resource_context)
from scanner.access.identity import account_stand_in
from scanner.graph.builder import build_graph
from scanner.policy import PolicyKind, evaluate_policy, parse_policy
from scanner.policy.smt.solve import PROVEN_NONE, WITNESS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from access.test_access_prove import prove, public  # noqa: E402

GSV = "secretsmanager:GetSecretValue"
KEY = f"arn:aws:kms:us-east-1:{CENTRAL}:key/1234abcd-0000"
SETTINGS = AccessSettings(org_account_ids=frozenset({CENTRAL, MEMBER}), org_id="o-abcdefghij",
                          time_floor=1_800_000_000.0)
ROLE = PrincipalFacts(arn=f"arn:aws:iam::{MEMBER}:role/App", account_id=MEMBER,
                      principal_type="role", name="App")
FED = PrincipalFacts(arn=f"arn:aws:sts::{MEMBER}:federated-user/bob", account_id=MEMBER,
                     principal_type="role")
#: how the access analysis evaluates a federated user session a policy names
#: (secret_eval.named_principal: user-like)
FED_USER = PrincipalFacts(arn=f"arn:aws:sts::{MEMBER}:federated-user/carol", account_id=MEMBER,
                          principal_type="user")
SESSION = PrincipalFacts(arn=f"arn:aws:sts::{MEMBER}:assumed-role/App/s1", account_id=MEMBER,
                         principal_type="assumed-role")
USER = PrincipalFacts(arn=f"arn:aws:iam::{MEMBER}:user/alice", account_id=MEMBER,
                      principal_type="user", name="alice")
ROOT = PrincipalFacts(arn=f"arn:aws:iam::{MEMBER}:root", account_id=MEMBER,
                      principal_type="root")
STAND_IN = account_stand_in(MEMBER, "aws").facts

SESSION_KEYS = ("aws:TokenIssueTime", "aws:MultiFactorAuthPresent")


def _request(p: PrincipalFacts, kms: bool = False) -> Any:
    r = resource_context(account_id=CENTRAL, region="us-east-1", tags={}, settings=SETTINGS,
                         kms=kms, secret_arn=SECRET_ARN)
    return build_request(p, principal_context(p, SETTINGS), r,
                         action="kms:Decrypt" if kms else GSV,
                         resource=KEY if kms else SECRET_ARN)


def _decide(effect: str, condition: dict[str, Any], p: PrincipalFacts,
            kms: bool = False) -> Any:
    grant: dict[str, Any] = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
    if effect == "Allow":
        statements = [{**grant, "Condition": condition}]
    else:
        statements = [grant, {"Effect": "Deny", "Principal": "*", "Action": "*",
                              "Resource": "*", "Condition": condition}]
    policy = parse_policy({"Version": "2012-10-17", "Statement": statements})
    return evaluate_policy(policy, _request(p, kms), PolicyKind.RESOURCE)


@pytest.mark.parametrize("who", [ROLE, FED, FED_USER, SESSION], ids=lambda p: p.arn)
@pytest.mark.parametrize("kms", [False, True], ids=["GetSecretValue", "Decrypt"])
@pytest.mark.parametrize("key", SESSION_KEYS)
def test_a_role_session_carries_the_temporary_credential_keys(who: PrincipalFacts, kms: bool,
                                                              key: str) -> None:
    denied = _decide("Deny", {"Null": {key: "true"}}, who, kms)
    assert denied.decision.value == "ALLOWED", denied.reasons
    assert denied.unresolved == ()
    assert _decide("Allow", {"Null": {key: "true"}}, who, kms).decision.value == "DENIED"
    assert _decide("Allow", {"Null": {key: "false"}}, who, kms).decision.value == "ALLOWED"


@pytest.mark.parametrize("key", SESSION_KEYS)
def test_a_user_may_sign_with_long_term_keys(key: str) -> None:
    """"The key is not present in AWS CLI, AWS API, or AWS SDK requests that are made using
    long-term credentials": for a user it depends on its credentials."""
    result = _decide("Deny", {"Null": {key: "true"}}, USER)
    assert result.decision.value == "CONDITIONAL"
    assert result.unresolved == (key.lower(),)


def test_the_value_of_mfa_present_stays_unknown_for_a_role() -> None:
    """Present, but "false" when the role was assumed without MFA: BoolIfExists compares it."""
    result = _decide("Deny", {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, ROLE)
    assert result.decision.value == "CONDITIONAL"
    assert result.unresolved == ("aws:multifactorauthpresent",)


def test_the_root_user_has_no_user_name() -> None:
    assert _decide("Allow", {"StringLike": {"aws:username": "*"}}, ROOT).decision.value \
        == "DENIED"
    assert _decide("Deny", {"Null": {"aws:username": "false"}}, ROOT).decision.value \
        == "ALLOWED"
    assert _decide("Allow", {"StringNotEquals": {"aws:username": "alice"}},
                   ROOT).decision.value == "ALLOWED"


def test_an_unread_accounts_stand_in_may_be_a_user() -> None:
    result = _decide("Deny", {"Null": {"aws:username": "false"}}, STAND_IN)
    assert result.decision.value == "CONDITIONAL"
    assert result.unresolved == ("aws:username",)


@pytest.mark.parametrize("who", [ROLE, USER, ROOT, STAND_IN], ids=lambda p: p.arn)
def test_get_secret_value_carries_the_secret_id(who: PrincipalFacts) -> None:
    denied = _decide("Deny", {"Null": {"secretsmanager:SecretId": "true"}}, who)
    assert denied.decision.value == "ALLOWED", denied.reasons
    assert _decide("Allow", {"StringLike": {"secretsmanager:SecretId": "*"}},
                   who).decision.value == "ALLOWED"


def test_the_secret_ids_value_is_what_the_caller_passed() -> None:
    """A name, a complete or a partial ARN: a comparison with one of them is not decided."""
    result = _decide("Allow", {"StringEquals": {"secretsmanager:SecretId": SECRET_ARN}}, ROLE)
    assert result.decision.value == "CONDITIONAL"
    assert result.unresolved == ("secretsmanager:secretid",)


def test_the_decrypt_carries_no_secret_id() -> None:
    result = _decide("Allow", {"Null": {"secretsmanager:SecretId": "true"}}, ROLE, kms=True)
    assert result.decision.value == "ALLOWED"


# ---- end to end: the access analysis and its solver


READER = f"arn:aws:iam::{MEMBER}:user/alice"


def _paths(deny_condition: dict[str, Any], action: str = "*") -> dict[str, str]:
    """A role and a user with the same identity policy (one signature: the identity cache
    must not carry one's answer to the other), read through a secret policy that Denies
    under ``deny_condition``."""
    secret_policy = text({"Sid": "Read", "Effect": "Allow",
                          "Principal": {"AWS": [APP_ROLE, READER]}, "Action": GSV,
                          "Resource": "*"},
                         {"Sid": "Guard", "Effect": "Deny", "Principal": "*", "Action": GSV,
                          "Resource": "*", "Condition": deny_condition})
    identity = doc({"Effect": "Allow", "Action": [GSV, "kms:Decrypt"], "Resource": "*"},
                   {"Effect": "Deny", "Action": action, "Resource": "*",
                    "Condition": deny_condition})
    snap = estate(secret_policy=secret_policy,
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, identity), role(READER, identity)))
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    return {p.principal: p.decision for p in sa.paths}


@pytest.mark.parametrize("key", SESSION_KEYS)
def test_a_deny_of_long_term_credentials_leaves_the_role_a_reader(key: str) -> None:
    paths = _paths({"Null": {key: "true"}})
    assert paths[APP_ROLE] == "ALLOWED"
    assert paths[READER] == "CONDITIONAL"


def test_a_deny_of_a_request_without_a_secret_id_denies_no_reader() -> None:
    """(On GetSecretValue: the Decrypt has no such key, so a Deny of every action under the
    same condition denies the Decrypt and the read.)"""
    paths = _paths({"Null": {"secretsmanager:SecretId": "true"}}, action=GSV)
    assert paths[APP_ROLE] == "ALLOWED"
    assert paths[READER] == "ALLOWED"
    paths = _paths({"Null": {"secretsmanager:SecretId": "true"}})
    assert paths[APP_ROLE] == "DENIED"
    assert paths[READER] == "DENIED"


def test_the_solver_proves_an_allow_on_a_null_secret_id_lets_no_one_in() -> None:
    """--prove agrees: "Allow * if Null secretsmanager:SecretId true" grants nothing (before:
    the solver left the key absent and found a witness)."""
    assert prove(public({"Null": {"secretsmanager:SecretId": "true"}})).read.status \
        == PROVEN_NONE


def test_the_solver_finds_the_reader_a_deny_on_a_null_secret_id_leaves() -> None:
    policy = json.loads(public())
    policy["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "*",
                                "Resource": "*",
                                "Condition": {"Null": {"secretsmanager:SecretId": "true"}}})
    assert prove(json.dumps(policy)).read.status == WITNESS


# ---- the root user's own keys


def test_the_root_users_userid_is_its_account_id() -> None:
    """IAM User Guide, "IAM policy elements: Variables and tags", principal key values: for
    the AWS account root user aws:userid is the account ID (aws:username not present,
    aws:PrincipalType Account) -- as the solver encodes the root user (smt.encode). Before:
    unknown, CONDITIONAL "if: aws:userid"."""
    assert _decide("Allow", {"StringEquals": {"aws:userid": MEMBER}}, ROOT).decision.value \
        == "ALLOWED"
    assert _decide("Allow", {"StringLike": {"aws:userid": "AROA*"}}, ROOT).decision.value \
        == "DENIED"
    result = _decide("Allow", {"StringEquals": {"aws:userid": MEMBER}}, STAND_IN)
    assert result.decision.value == "CONDITIONAL"  # a role or user of the account, too


@pytest.mark.parametrize("key", ["aws:PrincipalTag/team", "aws:FederatedProvider", "saml:sub"])
def test_the_root_user_carries_no_principal_tag_and_no_federation_key(key: str) -> None:
    """aws:PrincipalTag: "included in the request context if the principal is using an IAM
    user with attached tags. It is included for a principal using an IAM role with attached
    tags or session tags" -- the root user is neither; the federation keys come with a role
    session assumed through SAML or web identity only (request.federation_key)."""
    assert _decide("Deny", {"Null": {key: "false"}}, ROOT).decision.value == "ALLOWED"
    assert _decide("Allow", {"StringEquals": {key: "x"}}, ROOT).decision.value == "DENIED"
    result = _decide("Deny", {"Null": {key: "false"}}, STAND_IN)
    assert result.decision.value == "CONDITIONAL"


@pytest.mark.parametrize("who", [FED, FED_USER], ids=["role-like", "user-like"])
def test_a_federated_user_sessions_userid_and_user_name(who: PrincipalFacts) -> None:
    """Principal key values, AWS STS federated user (GetFederationToken): aws:username not
    present, aws:userid ``account:caller-specified-name`` -- the name its ARN ends with.
    Before: aws:username and aws:userid unknown for the user-like session the access analysis
    evaluates (secret_eval.named_principal)."""
    name = who.arn.rsplit("/", 1)[1]
    assert _decide("Deny", {"Null": {"aws:username": "false"}}, who).decision.value \
        == "ALLOWED"
    assert _decide("Allow", {"StringEquals": {"aws:userid": f"{MEMBER}:{name}"}},
                   who).decision.value == "ALLOWED"
    assert _decide("Allow", {"StringLike": {"aws:userid": "AIDA*"}}, who).decision.value \
        == "DENIED"
    assert _decide("Allow", {"Null": {"saml:sub": "true"}}, who).decision.value == "ALLOWED"
