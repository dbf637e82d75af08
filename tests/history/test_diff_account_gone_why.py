"""An account in one scan only says why when the organization does: it left the organization,
it joined it, or it is SUSPENDED (ground-truth trial round 24).

An `--org` scan covers the organization's accounts; the night an account left it (or was
closed), `secretgraph diff` said only ``account 993204158472: not in the new scan``, beside
``removed org_account 993204158472 (leaver)`` under Resources -- a reader had to put the two
together to learn why its readers and resources were no longer assessed."""

from __future__ import annotations

from dataclasses import replace

from scanner.history.diff import diff_scans
from scanner.model import Organization, OrgAccount, Snapshot

from helpers.scanfactory import CENTRAL, MEMBER, snapshot, stored

T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"
MANAGEMENT, ROOT = "333333333333", "r-ab12"


def _night(scan_id: str, started: str, *, member: str | None) -> Snapshot:
    """``member``: the member account's status in the organization (None: not in it); an
    --org scan scans the ACTIVE accounts."""
    accounts = [OrgAccount(account_id=a, parent_id=ROOT) for a in (MANAGEMENT, CENTRAL)]
    if member is not None:
        accounts.append(OrgAccount(account_id=MEMBER, parent_id=ROOT, status=member))
    snap = snapshot(scan_id, started, accounts=(CENTRAL, MEMBER) if member == "ACTIVE"
                    else (CENTRAL,))
    return replace(snap, organization=Organization(
        org_id="o-abc", management_account_id=MANAGEMENT, root_id=ROOT,
        accounts=tuple(accounts), policies_read=True, rcps_read=True))


def _why(old: Snapshot, new: Snapshot) -> list[tuple[str, str, str]]:
    drift = diff_scans(stored(old), stored(new))
    return [(n.subject, n.reason, n.scan) for n in drift.not_assessed if n.scope == "account"]


def test_an_account_that_left_the_organization_says_so() -> None:
    assert _why(_night("a", T1, member="ACTIVE"), _night("b", T2, member=None)) == [
        (MEMBER, "not in the new scan: it left the organization", "new")]


def test_an_account_closed_since_says_its_status() -> None:
    assert _why(_night("a", T1, member="ACTIVE"), _night("b", T2, member="SUSPENDED")) == [
        (MEMBER, "not in the new scan: its organization status is SUSPENDED", "new")]


def test_an_account_that_joined_the_organization_says_so() -> None:
    assert _why(_night("a", T1, member=None), _night("b", T2, member="ACTIVE")) == [
        (MEMBER, "not in the old scan: it joined the organization", "old")]


def test_without_the_organization_in_both_scans_nothing_is_guessed() -> None:
    old = replace(_night("a", T1, member="ACTIVE"), organization=None)
    assert _why(old, _night("b", T2, member=None)) == [(MEMBER, "not in the new scan", "new")]
