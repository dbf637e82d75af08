"""A scan of some accounts of an organization (`--accounts`): what lies in an account it did not
scan is not assessed. A new user's trial scanned one member and got FAIL "requester VPC ...
(<central account>) has no route", about an account it never read: the graph held an empty
Account node for it, made by the edge from the peering to its owner, and the rule context took
that for a scanned account."""

from __future__ import annotations

from dataclasses import replace

from helpers.rule_fixture import load_fixture

from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.findings import Status
from scanner.graph.builder import build_graph

RULESET = load_ruleset()


def test_the_side_of_a_peering_in_an_account_the_scan_did_not_read_is_unknown() -> None:
    fx = load_fixture("vpc-peering-route-missing")
    gone = "222222222222"
    snap = fx.snapshot
    snap = replace(snap, accounts=tuple(a for a in snap.accounts if a.account_id != gone),
                   meta=replace(snap.meta, accounts=tuple(a for a in snap.meta.accounts
                                                          if a != gone)))
    graph = build_graph(snap)
    findings = [f for f in evaluate(graph, snap, None, RULESET, parse_config({}, path="x"), fx.now)
                if f.rule_id == "vpc-peering-route-missing"]
    assert findings
    about_gone = [f for f in findings if gone in f.message]
    assert about_gone, "the fixture peers with the account left out"
    assert all(f.status is not Status.FAIL or f"({gone})" not in f.message for f in findings)
    assert any(f.status is Status.UNKNOWN and f"account {gone} (not in the scan)" in f.message
               for f in findings)
