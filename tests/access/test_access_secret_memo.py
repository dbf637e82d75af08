"""Secrets that differ only in their ARN and name share their whole verdict
(scanner.access.secret_memo): the report equals the one evaluating every secret on its own,
over estates whose copies are told apart by identity patterns, a resource-policy pattern,
tags, the name's first path segment, account-wildcard grants, SCPs and an RCP."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from helpers.access_reference import full_report
from helpers.copies_estate import CONTROLS, MEMBERS, copies_estate

from scanner.access import AccessReport, AccessSettings, analyze_access
from scanner.access.secret_memo import SecretMemo
from scanner.graph.builder import build_graph
from scanner.model import Snapshot


def _run(snap: Snapshot, record_denied: bool) -> AccessReport:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=record_denied)
    return analyze_access(build_graph(snap), snap, settings)


@pytest.mark.parametrize("name", sorted(CONTROLS))
@pytest.mark.parametrize("record_denied", [False, True])
def test_secrets_sharing_a_verdict_get_the_report_of_evaluating_each_alone(
        name: str, record_denied: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    snap = copies_estate(CONTROLS[name])
    hits: list[bool] = []
    get = SecretMemo.get

    def spy(self: SecretMemo, *args: Any) -> Any:
        out = get(self, *args)
        hits.append(out is not None)
        return out

    monkeypatch.setattr(SecretMemo, "get", spy)
    memo = full_report(_run(snap, record_denied))
    # the memo is used, except with record_denied (every denied pair is recorded)
    assert any(hits) is (not record_denied)
    monkeypatch.setattr(SecretMemo, "key", lambda self, sv: None)
    alone = full_report(_run(snap, record_denied))
    assert memo == alone
    paths = memo[1].values()
    assert {p["decision"] for p in paths} >= {"ALLOWED", "DENIED"}


def test_what_tells_copies_apart_keeps_their_verdicts_apart() -> None:
    """Copies of one policy document and key get different verdicts where their names
    differ: AppReader's identity grants app/* only, and the second template's org-wide
    statement covers app/a-* only."""
    report = _run(copies_estate(()), record_denied=False)
    by_name = {sa.name: sa for sa in report.secrets.values()}
    reader = f"arn:aws:iam::{MEMBERS[0]}:role/AppReader"

    def decision(name: str) -> str | None:
        return {p.principal: p.decision for p in by_name[name].paths}.get(reader)

    assert decision("app/b-6") == decision("app/b-16") == "ALLOWED"
    assert decision("db/c-12") == decision("db/c-16") == "DENIED"
    org_wide = {n for n, sa in by_name.items() if sa.breadth.organization_wide}
    assert org_wide and all(n and n.startswith("app/a-") for n in org_wide)
    assert "app/b-1" not in org_wide  # the same document, another name


def test_copies_sharing_a_verdict_share_its_paths_rather_than_copying_them() -> None:
    """A path does not name its secret (the SecretAccess holding it does), so a secret whose
    verdict comes from the memo holds the other secret's paths themselves: at 205 accounts
    of bench/grow.py's shape the copies were 88 % of every path the analysis made."""
    report = _run(copies_estate(()), record_denied=False)
    by_paths: dict[int, list[str]] = {}
    for arn, sa in report.secrets.items():
        if sa.paths:
            by_paths.setdefault(id(sa.paths), []).append(arn)
    shared = [arns for arns in by_paths.values() if len(arns) > 1]
    assert shared, "no two copies share a verdict in this estate"
    for arns in shared:
        assert len({report.secrets[a].secret_arn for a in arns}) == len(arns)
        assert len({report.secrets[a].name for a in arns}) == len(arns)
