"""GetAccountAuthorizationDetails answers in XML, where a list with no entries may be left out:
a page holding only the lists it has entries for is read (a review: the whole account's IAM
had become unread), and a page holding none of them is not an answer."""

from __future__ import annotations

import datetime

import botocore.session
from botocore.stub import Stubber

from scanner.collectors import iam
from scanner.collectors.base import Recorder

ROLE = {"Path": "/", "RoleName": "r", "RoleId": "AROAXXXXXXXXXXXXXXXXX",
        "Arn": "arn:aws:iam::111111111111:role/r", "CreateDate": datetime.datetime(2024, 1, 1),
        "RolePolicyList": [], "AttachedManagedPolicies": []}


def _read(page: dict, *more: dict) -> tuple[object, list]:
    client = botocore.session.get_session().create_client(
        "iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    stub = Stubber(client)
    for one in (page,) + more:
        stub.add_response("get_account_authorization_details", one)
    with stub:
        rec = Recorder(account_id="111111111111", region="global", service="iam")
        raw = iam.fetch_authorization(client, rec)
    return raw["details"], rec.coverage


def test_a_page_with_only_the_lists_it_has_entries_for_is_read() -> None:
    details, coverage = _read({"RoleDetailList": [ROLE], "IsTruncated": False})
    assert coverage == []
    assert details == {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [ROLE],
                       "Policies": []}


def test_a_page_with_none_of_the_lists_is_a_coverage_entry() -> None:
    details, coverage = _read({"IsTruncated": False})
    assert details is None
    [entry] = coverage
    assert entry.operation == "GetAccountAuthorizationDetails"
    assert "without any of UserDetailList" in entry.message


def test_a_page_truncated_without_its_marker_is_a_coverage_entry_not_the_whole_account() -> None:
    # IAM API Reference, GetAccountAuthorizationDetails: IsTruncated "indicates whether there
    # are more items to return", Marker is "the value to use for the Marker parameter in a
    # subsequent pagination request" -- a page that says there is more and gives no way to it
    # is not all of the account's IAM. botocore's paginator stops there without a word, and
    # the roles of the pages never read were missing (fault-injection trial round 14)
    details, coverage = _read({"RoleDetailList": [ROLE], "IsTruncated": True})
    assert details is None
    [entry] = coverage
    assert entry.operation == "GetAccountAuthorizationDetails"
    assert "IsTruncated true without Marker" in entry.message


def test_a_marker_that_comes_back_is_a_loop_given_up_at_once() -> None:
    # botocore sees only a marker repeated on the very next page: A, B, A, ... went on for
    # MAX_PAGES (10,000) pages (fault-injection trial round 14)
    pages = [{"RoleDetailList": [ROLE], "IsTruncated": True, "Marker": m} for m in "ABA"]
    details, coverage = _read(*pages)
    assert details is None
    [entry] = coverage
    assert entry.error_code == "PaginationError"
    assert "answered the Marker of page 1 again on page 3" in entry.message


def test_a_role_answered_again_on_a_later_page_is_one_role() -> None:
    # fault-injection trial round 19: a listing repeating an entry held it twice
    again = dict(ROLE, Path="/moved/")
    details, coverage = _read({"RoleDetailList": [ROLE], "IsTruncated": True, "Marker": "A"},
                              {"RoleDetailList": [again], "IsTruncated": False})
    assert coverage == []
    assert details["RoleDetailList"] == [again]


def test_the_same_page_answered_under_ever_fresh_markers_is_given_up_not_read_10000_times(
        ) -> None:
    # an endpoint ignoring the Marker answers its first page again under a new marker each
    # time: it went on for MAX_PAGES (10,000) calls, keeping the page's roles each time -- a
    # page of 1,000 roles held ten million times (fault-injection trial round 19)
    from scanner.collectors.base import STALE_PAGES

    pages = [{"RoleDetailList": [ROLE], "IsTruncated": True, "Marker": f"m{n}"}
             for n in range(STALE_PAGES + 1)]
    details, coverage = _read(*pages)
    assert details is None
    [entry] = coverage
    assert entry.error_code == "PaginationError"
    assert entry.message.endswith(
        f"answered only entries of earlier pages on {STALE_PAGES} pages in a row (pages 2 "
        f"to {STALE_PAGES + 1}) with more to follow: the listing does not advance; it was "
        "given up")


def test_pages_of_new_entries_and_empty_pages_are_read_however_many() -> None:
    # an empty page with a marker is no sign of a stuck listing (AWS may answer one)
    roles = [dict(ROLE, RoleName=f"r{n}", Arn=f"arn:aws:iam::111111111111:role/r{n}")
             for n in range(15)]
    pages = [{"RoleDetailList": [role], "IsTruncated": True, "Marker": f"m{n}"}
             for n, role in enumerate(roles)]
    empty = [{"RoleDetailList": [], "IsTruncated": True, "Marker": f"e{n}"} for n in range(15)]
    details, coverage = _read(*pages, *empty, {"RoleDetailList": [], "IsTruncated": False})
    assert coverage == []
    assert [r["RoleName"] for r in details["RoleDetailList"]] == [f"r{n}" for n in range(15)]


def test_a_policy_document_cut_short_is_that_policy_unread_not_the_whole_account() -> None:
    """Fault-injection trial round 21: one role's inline policy document cut short in the
    answer (not JSON, URL-encoded or not: botocore leaves such a document as its text) raised
    JSONDecodeError in the transform, and the whole account's IAM was lost ('iam collector
    failed on JSONDecodeError', every principal's identity gate unread). That policy is kept
    as a document the policy parser refuses (its principal's reads undecided, never allowed
    or denied by it); the account's other principals are read."""
    from scanner.policy.parse import parse_policy

    cut = dict(ROLE, RoleName="cut", Arn="arn:aws:iam::111111111111:role/cut",
               RolePolicyList=[{"PolicyName": "read",
                                "PolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%7B"}])
    details, coverage = _read({"RoleDetailList": [ROLE, cut], "IsTruncated": False})
    assert coverage == []
    snapshot = iam.transform_authorization({"details": details}, account_id="111111111111")
    assert snapshot is not None
    roles = {p.name: p for p in snapshot.principals}
    assert set(roles) == {"r", "cut"}
    [document] = roles["cut"].inline_policies.values()
    assert parse_policy(document).problems


def test_a_principal_whose_policy_was_cut_short_is_unknown_to_the_rules() -> None:
    """What the document cut short reads as: identity-policy-secret-wildcard answers UNKNOWN
    for its role (the document could not be read), FAIL for the account's readable '*' grant."""
    from dataclasses import replace

    from helpers.rule_results import rule_statuses
    from helpers.scanfactory import CENTRAL, secret, snapshot
    from scanner.collectors.base import policy_document
    from scanner.model import IamPrincipal, IamSnapshot

    def role(name: str, document: object) -> IamPrincipal:
        return IamPrincipal(arn=f"arn:aws:iam::{CENTRAL}:role/{name}", name=name,
                            account_id=CENTRAL, principal_type="role", path="/",
                            inline_policies={"read": policy_document(document) or {}})

    star = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    iam_read = IamSnapshot(principals=(role("cut", "%7B%22Version%22%3A"), role("star", star)))
    snap = snapshot("s1", "2026-11-27T01:00:00Z", [secret("db")])
    snap = replace(snap, accounts=tuple(replace(a, iam=iam_read) if a.account_id == CENTRAL
                                        else a for a in snap.accounts))
    assert rule_statuses(snap, "identity-policy-secret-wildcard") == {
        f"arn:aws:iam::{CENTRAL}:role/cut": "UNKNOWN",
        f"arn:aws:iam::{CENTRAL}:role/star": "FAIL"}
