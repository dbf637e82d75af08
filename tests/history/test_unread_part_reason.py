"""An account of a sharded run whose shard wrote no snapshot part is said to be unread for
that reason -- in the rules' UNKNOWN findings, drift's "not assessed" lines and the HTML
network cards -- not as "the audit role could not be assumed", which sent a reader to debug a
trust policy that was fine (new-user trial round 18, MEDIUM: `collect --shard 1/2` only, then
`scan --from-parts`)."""

from __future__ import annotations

from dataclasses import replace

from helpers.scanfactory import MEMBER, document, finding, secret, snapshot, stored
from reports.html.network import _unseen
from scanner.engine.context import GraphIndex
from scanner.graph.builder import build_graph
from scanner.history.assessed import assess, assess_document
from scanner.history.diff import diff_scans
from scanner.history.drift import render_drift_text
from scanner.model import Snapshot, to_jsonable
from scanner.shards import missing_entry
from scanner.unread_account import NO_PART

REGION = "us-east-1"
T1, T2 = "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z"


def _part_missing() -> Snapshot:
    snap = snapshot("b", T2, [secret("db")], not_assumed=(MEMBER,))
    return replace(snap, coverage=(missing_entry(MEMBER, "run-1", None),))


def test_the_rules_say_the_part_is_missing() -> None:
    snap = _part_missing()
    graph = build_graph(snap)
    said = GraphIndex(graph, snap).service_readable(MEMBER, REGION, "ec2")
    assert said == f"account {MEMBER} ({NO_PART})"
    assert _unseen(graph, (MEMBER, REGION, "vpc-member"), {}) == f" · not read: {NO_PART}"


def test_drift_says_the_part_is_missing_once() -> None:
    member = secret("member-db", account=MEMBER)
    old = snapshot("a", T1, [secret("db"), member])
    new = _part_missing()
    drift = diff_scans(
        stored(old, document(old, [finding("secret-rotation-disabled", member.arn,
                                           account=MEMBER)])),
        stored(new, document(new, [])))
    text = render_drift_text(drift)
    assert "could not be assumed" not in text
    assert drift.findings_resolved == ()
    reasons = [n.reason for n in drift.not_assessed]
    assert any(NO_PART in r for r in reasons), reasons
    assert sum("PartMissing" in r for r in reasons) == 1, reasons


def test_what_was_assessed_says_the_part_is_missing() -> None:
    snap = _part_missing()
    why = f"account {MEMBER}: {NO_PART}"
    doc = document(snap)
    doc["coverage"] = [to_jsonable(c) for c in snap.coverage]
    for assessment in (assess(snap), assess_document(doc)):
        assert assessment.why_not(account_id=MEMBER, region=REGION, kind="Secret") == why
