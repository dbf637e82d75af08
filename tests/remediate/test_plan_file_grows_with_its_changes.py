"""A plan that edits one key policy statement after statement grows with its changes, not with
their square.

At bench/synth.py's 10 accounts x 100 secrets the plan of every FAIL was 409.7 MB (1,770
changes): each grant-key-decrypt repeated every statement the policy kept, twice, in its
statement diff, and each move-secret-to-cmk to that key carried the text of every policy the
plan's grants lead the key to. A kept statement is now named by its index and Sid (its body is
the policy's, before and after, which the diff holds whole), and a policy a change must find
the key in by its digest. Plans and journals written before keep their texts and are read as
they are.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from bench.synth import make_snapshot
from remediations import REMEDIATORS, resolve_remediation_id
from remediations.policy_edit import known_policies, parsed_or_none, policy_digest
from scanner.access import AccessSettings, analyze_access
from scanner.changes import PlannedChange, RemediationConfig
from scanner.engine import evaluate, load_ruleset
from scanner.engine.config import EngineConfig
from scanner.findings import Status
from scanner.graph.builder import build_graph
from scanner.model import Snapshot
from scanner.remediate.planfile import Estate, make_plan_id, plan_from_json
from scanner.remediate.planner import Selection, build_plan

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def synth() -> tuple[Snapshot, dict[str, Any]]:
    snap = make_snapshot(3, 12, 4, day=dt.date(2026, 12, 1))
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    found = evaluate(graph, snap, access, load_ruleset(), EngineConfig(), NOW)
    failing = [f for f in found if f.status is Status.FAIL
               and resolve_remediation_id(f)[0] in REMEDIATORS]
    plan = build_plan(failing, snap, RemediationConfig(org_id="o-synth00001"),
                      Selection(rules=tuple(sorted({f.rule_id for f in failing}))), now=NOW)
    return snap, plan.to_json()


def _key_edits(plan: dict[str, Any], key_arn: str) -> list[dict[str, Any]]:
    return [c for c in plan["changes"] if c["target"] == f"key-policy:{key_arn}"]


def test_a_statement_a_change_keeps_is_named_not_copied(
        synth: tuple[Snapshot, dict[str, Any]]) -> None:
    _, plan = synth
    grants = [c for c in plan["changes"] if c["remediation_id"] == "grant-key-decrypt"]
    assert len(grants) >= 3, [c["remediation_id"] for c in plan["changes"]]
    for change in grants:
        ops = change["policy_diff"]["statements"]
        kept = [s for s in ops if s["op"] == "unchanged"]
        assert kept, ops
        assert all(set(s) == {"op", "index", "sid"} for s in kept), kept
        (edited,) = [s for s in ops if s["op"] != "unchanged"]  # its own statement
        assert edited["op"] in ("added", "changed"), edited
        after = json.loads(change["policy_diff"]["after"])["Statement"]
        assert edited["after"] == after[edited["index"]]
        assert [s["index"] for s in ops] == list(range(len(after)))


def test_a_moves_key_is_known_by_the_digests_of_the_policies_the_plan_leads_it_to(
        synth: tuple[Snapshot, dict[str, Any]]) -> None:
    snap, plan = synth
    moves = [c for c in plan["changes"] if c["remediation_id"] == "move-secret-to-cmk"]
    assert moves
    for move in moves:
        key_arn = move["details"]["key_arn"]
        (key,) = [k for a in snap.accounts for r in a.regions for k in r.kms_keys
                  if k.arn == key_arn]
        expected = [policy_digest(parsed_or_none(key.policy))]
        for edit in _key_edits(plan, key_arn):
            digest = policy_digest(parsed_or_none(edit["policy_diff"]["after"]))
            if digest not in expected:
                expected.append(digest)
        assert move["details"]["key_policy_digests"] == expected
        assert "Statement" not in json.dumps(move)  # no policy text


def test_each_change_carries_its_own_policy_a_bounded_number_of_times(
        synth: tuple[Snapshot, dict[str, Any]]) -> None:
    """The policy before and after, in the pre- and desired state, the PutKeyPolicy call and the
    diff: five copies of a policy of at most 32 KB, however many changes the plan makes to
    it before this one."""
    _, plan = synth
    for change in plan["changes"]:
        diff = change["policy_diff"]
        if diff is None:
            continue
        one = len(diff["after"])
        assert len(json.dumps(change)) < 6 * one + 8_000, (change["change_id"], one)


def _as_written_before(plan: dict[str, Any], snap: Snapshot) -> dict[str, Any]:
    """The plan as a secretgraph from before the digests wrote it: every kept statement's body
    in the diff, the move's known policies as texts."""
    old = json.loads(json.dumps(plan))
    for change in old["changes"]:
        diff = change["policy_diff"]
        if diff is not None:
            before = json.loads(diff["before"])["Statement"] if diff["before"] else []
            for s in diff["statements"]:
                if s["op"] == "unchanged":
                    s["before"] = s["after"] = before[s["index"]]
        if change["remediation_id"] == "move-secret-to-cmk":
            key_arn = change["details"]["key_arn"]
            (key,) = [k for a in snap.accounts for r in a.regions for k in r.kms_keys
                      if k.arn == key_arn]
            texts = [key.policy]
            for edit in _key_edits(plan, key_arn):
                if edit["policy_diff"]["after"] not in texts:
                    texts.append(edit["policy_diff"]["after"])
            del change["details"]["key_policy_digests"]
            change["details"]["key_policies"] = texts
    return old


def test_a_plan_written_before_the_digests_reads_and_knows_the_same_policies(
        synth: tuple[Snapshot, dict[str, Any]]) -> None:
    snap, plan = synth
    old = _as_written_before(plan, snap)
    # its id is the digest of what it holds, as that version computed it
    est = old["estate"]
    estate = Estate(org_id=est["org_id"], account_ids=tuple(est["account_ids"]),
                    scan_id=est["scan_id"], audit_role=est.get("audit_role"))
    changes = tuple(PlannedChange.from_json(c) for c in old["changes"])
    old["plan_id"] = make_plan_id(estate, old["created_at"], changes, old.get("max_age_hours"))

    read = plan_from_json(old, path="old-plan.json")

    assert [c.to_json() for c in read.changes] == old["changes"]  # bodies kept as written
    new_moves = {c["change_id"]: c for c in plan["changes"]
                 if c["remediation_id"] == "move-secret-to-cmk"}
    for change in read.changes:
        if change.change_id in new_moves:
            assert known_policies(change.details) == set(
                new_moves[change.change_id]["details"]["key_policy_digests"])
