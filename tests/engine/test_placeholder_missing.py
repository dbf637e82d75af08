"""A key the graph knows only from a secret's KmsKeyId (a placeholder node) says why it was not
collected, once (ground-truth round 3: "policy (not read: see coverage)" for a key in a Region
the scan was not given, where no coverage entry exists; and the same missing input listed
twice when two clauses of a rule missed it)."""

from __future__ import annotations

from dataclasses import replace

from helpers.rule_fixture import load_fixture
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.findings import Finding, Status
from scanner.graph.builder import build_graph
from scanner.model import Snapshot

SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:ok-AbCdEf"


def _findings(snapshot: Snapshot, key: str) -> dict[str, Finding]:
    fx = load_fixture("secret-key-unusable")
    found = evaluate(build_graph(snapshot), snapshot, None, load_ruleset(),
                     parse_config({}, path="-"), fx.now)
    return {f.rule_id: f for f in found if f.resource.arn == key}


def test_a_key_in_a_region_not_scanned_says_so_once() -> None:
    key = "arn:aws:kms:eu-west-1:111111111111:key/k-far"
    snap = load_fixture("secret-key-unusable").snapshot
    snap = replace(snap, accounts=tuple(replace(a, regions=tuple(replace(r, secrets=tuple(
        replace(s, kms_key_id=key) if s.arn == SECRET else s for s in r.secrets))
        for r in a.regions)) for a in snap.accounts))

    found = _findings(snap, key)

    why = "region eu-west-1 of account 111111111111 (not scanned)"
    for rule in ("kms-key-policy-public", "kms-key-rotation-disabled"):
        f = found[rule]
        assert f.status is Status.UNKNOWN
        assert len(f.missing) == 1 and why in f.missing[0], f.missing
        assert "see coverage" not in f.message and f.message.count(why) == 1


def test_a_key_whose_listing_failed_points_at_coverage() -> None:
    key = "arn:aws:kms:us-east-1:222222222222:key/k-b"
    found = _findings(load_fixture("secret-key-unusable").snapshot, key)
    assert "kms in 222222222222/us-east-1 (listing failed: see coverage)" in \
        found["kms-key-rotation-disabled"].missing[0]
