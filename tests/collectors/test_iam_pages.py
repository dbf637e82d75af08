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
