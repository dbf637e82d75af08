"""A NotPrincipal entry the evaluator cannot read leaves a Deny with NotPrincipal undecided,
as the same entry does in a Principal element (IAM conformance trial round 18).

IAM User Guide, "Grammar of the IAM JSON policy language", principal_id_string: "you can use
* only to specify "everyone/anonymous." You cannot use it to specify part of a name or ARN";
"AWS JSON policy elements: NotPrincipal": "The syntax for specifying NotPrincipal is the same as
for specifying AWS JSON policy elements: Principal". How AWS reads an entry such as
``arn:aws:iam::*:user/alice`` is not documented: in a Principal element it is UNKNOWN
(principals.match_aws_entry; the solver does not encode it), and so it must be where it may be
the only thing exempting the requester from a Deny. Before: the entry was read as naming no one,
a confident DENIED -- for a user whose account was listed beside it, and for anyone beside a
wildcard root entry."""

from __future__ import annotations

import pytest

from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy

MEMBER = "222222222222"
SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf"


def _request(arn: str, ptype: str) -> Request:
    return Request(principal_arn=arn, principal_account=MEMBER, principal_type=ptype,
                   action="secretsmanager:GetSecretValue", resource=SECRET)


def _decide(not_principal: list[str], request: Request) -> tuple[str, tuple[str, ...]]:
    policy = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "NotPrincipal": {"AWS": not_principal}, "Action": "*",
         "Resource": "*"}]})
    result = evaluate_policy(policy, request, PolicyKind.RESOURCE)
    return result.decision.value, result.unresolved


USER = _request(f"arn:aws:iam::{MEMBER}:user/alice", "user")
ROLE = _request(f"arn:aws:iam::{MEMBER}:role/App", "role")
ROOT = _request(f"arn:aws:iam::{MEMBER}:root", "root")


@pytest.mark.parametrize("entries,request_", [
    (["arn:aws:iam::*:user/alice", MEMBER], USER),
    ([f"arn:aws:iam::{MEMBER}:user/alice", "arn:aws:iam::*:root"], USER),
    (["arn:aws:sts::*:assumed-role/App/app", MEMBER], ROLE),
    (["arn:aws:iam::*:root"], ROOT),
    ([f"arn:aws:iam::{MEMBER}:ROOT"], ROOT),
], ids=["user-wildcard-account", "account-wildcard", "role-session-wildcard-account",
        "root-wildcard-root", "root-in-capitals"])
def test_an_unreadable_entry_that_may_exempt_the_requester_is_unknown(
        entries: list[str], request_: Request) -> None:
    decision, unresolved = _decide(entries, request_)
    assert decision == "CONDITIONAL"
    assert unresolved, decision


def test_an_unreadable_role_entry_exempts_no_session_of_the_role() -> None:
    """Even if ``arn:aws:iam::*:role/App`` named the role, no session of it is listed, and a
    role acts only through its sessions (principals.NOT_PRINCIPAL_NO_SESSION; IAM
    conformance trial round 36): DENIED, as for the role's own ARN."""
    assert _decide(["arn:aws:iam::*:role/App", MEMBER], ROLE)[0] == "DENIED"
    assert _decide([f"arn:aws:iam::{MEMBER}:role/App", MEMBER], ROLE)[0] == "DENIED"


def test_the_same_entry_in_a_principal_element_is_unknown_too() -> None:
    policy = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:user/alice"}, "Action": "*",
         "Resource": "*"}]})
    assert evaluate_policy(policy, USER, PolicyKind.RESOURCE).decision.value == "CONDITIONAL"


def test_a_readable_list_still_decides() -> None:
    """The user and its account listed: exempt; another user of the account: denied."""
    entries = [f"arn:aws:iam::{MEMBER}:user/alice", MEMBER]
    assert _decide(entries, USER)[0] == "ALLOWED"
    assert _decide(entries, _request(f"arn:aws:iam::{MEMBER}:user/bob", "user"))[0] == "DENIED"


def test_an_unreadable_entry_beside_a_listed_user_and_account_exempts_nothing_less() -> None:
    """The requester is exempt whatever the unreadable entry names: ALLOWED."""
    entries = [f"arn:aws:iam::{MEMBER}:user/alice", MEMBER, "arn:aws:iam::*:user/x"]
    assert _decide(entries, USER)[0] == "ALLOWED"


@pytest.mark.parametrize("request_", [USER, ROLE], ids=["user", "role"])
def test_an_unreadable_root_entry_alone_exempts_no_role_or_user(request_: Request) -> None:
    """A role or user escapes only when its own ARN is listed too (principals.
    not_principal_applies); a root entry, read or not, is never that: DENIED."""
    assert _decide(["arn:aws:iam::*:root"], request_)[0] == "DENIED"
