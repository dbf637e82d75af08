"""``PrincipalIndex.of`` reuses the last index only for the very same IAM records: remediation
planning re-analyses one estate per change, and a change to a key or a secret leaves IAM as
it was; a change to IAM (or another organization) builds a new index."""

from __future__ import annotations

from dataclasses import replace

from helpers.access_estate import (APP_ROLE, MEMBER, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, secret_policy_for)
from scanner.access import AccessSettings, analyze_access
from scanner.access.identity import PrincipalIndex
from scanner.graph.builder import build_graph
from scanner.model import Snapshot


def _snapshot() -> Snapshot:
    return estate(secret_policy=secret_policy_for(APP_ROLE),
                  key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),))


def _reader(snap: Snapshot) -> str | None:
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    paths = {p.principal: p.decision for p in report.for_secret(SECRET_ARN).paths}
    return paths.get(APP_ROLE)


def test_a_snapshot_with_the_same_iam_records_shares_the_index() -> None:
    snap = _snapshot()
    first = PrincipalIndex.of(snap)
    # a remediation's copy: regions replaced, IAM records the same objects
    edited = replace(snap, accounts=tuple(replace(a, regions=a.regions[:1])
                                          for a in snap.accounts))
    assert PrincipalIndex.of(edited) is first


def test_changed_iam_or_organization_builds_a_new_index() -> None:
    snap = _snapshot()
    first = PrincipalIndex.of(snap)
    equal_copy = replace(snap, accounts=tuple(
        replace(a, iam=replace(a.iam)) if a.iam is not None else a for a in snap.accounts))
    assert PrincipalIndex.of(equal_copy) is not first  # equal, but not the same objects
    assert PrincipalIndex.of(replace(snap, organization=None)) is not PrincipalIndex.of(snap)


def test_an_identity_change_between_analyses_is_seen() -> None:
    snap = _snapshot()
    assert _reader(snap) == "ALLOWED"
    without = replace(snap, accounts=tuple(
        replace(a, iam=replace(a.iam, principals=tuple(
            replace(p, inline_policies={}) for p in a.iam.principals)))
        if a.account_id == MEMBER and a.iam is not None else a for a in snap.accounts))
    assert _reader(without) != "ALLOWED"
    assert _reader(snap) == "ALLOWED"
