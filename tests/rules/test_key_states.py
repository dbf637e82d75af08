"""Which KMS key states decrypt: one definition (scanner.model.USABLE_KEY_STATES) for the
access analysis and the rules that fail a secret on its key's state. Conformance round 3
found them apart: a multi-Region replica key still ``Creating`` let readers through in the
access report while secret-key-unusable failed the secret, and an ``Updating`` key failed
the rule while access analysis (rightly) let readers decrypt."""

from __future__ import annotations

from dataclasses import replace

import pytest

from helpers.rule_fixture import load_fixture
from scanner.access.graph_io import SecretView
from scanner.access.settings import AccessSettings
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Status
from scanner.graph.builder import build_graph
from scanner.model import USABLE_KEY_STATES, Snapshot
from scanner.policy.tri import Tri

#: every KeyState of the KMS API reference (DescribeKey, KeyMetadata.KeyState)
ALL_STATES = ("Creating", "Enabled", "Disabled", "PendingDeletion", "PendingImport",
              "PendingReplicaDeletion", "Unavailable", "Updating")
KEY = "arn:aws:kms:us-east-1:111111111111:key/k-main"
SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:ok-AbCdEf"


def _with_state(snapshot: Snapshot, state: str) -> Snapshot:
    return replace(snapshot, accounts=tuple(replace(a, regions=tuple(replace(r, kms_keys=tuple(
        replace(k, key_state=state) if k.arn == KEY else k for k in r.kms_keys))
        for r in a.regions)) for a in snapshot.accounts))


def _rule_status(snapshot: Snapshot, rule_id: str) -> Status:
    graph = build_graph(snapshot)
    rules = Ruleset(rules=(load_ruleset().get(rule_id),))
    config = parse_config({"emit_pass": True}, path="-")
    findings = evaluate(graph, snapshot, None, rules, config,
                        load_fixture("secret-key-unusable").now)
    return next(f.status for f in findings if f.resource.arn == SECRET)


@pytest.mark.parametrize("state", ALL_STATES)
def test_the_rule_fails_exactly_the_states_access_analysis_cannot_decrypt_with(
        state: str) -> None:
    snapshot = _with_state(load_fixture("secret-key-unusable").snapshot, state)
    view = SecretView(SECRET, {"account_id": "111111111111", "kms_key_id": KEY}, KEY,
                      {"account_id": "111111111111", "key_state": state,
                       "policy": '{"Statement": []}'}, AccessSettings())
    decrypts = view.key_facts.usable is Tri.TRUE
    assert decrypts == (state in USABLE_KEY_STATES)
    assert _rule_status(snapshot, "secret-key-unusable") is (
        Status.PASS if decrypts else Status.FAIL)


@pytest.mark.parametrize("rule_id", ["secret-key-unusable", "secret-replica-unhealthy"])
def test_the_rules_name_the_usable_states_of_the_model(rule_id: str) -> None:
    rule = load_ruleset().get(rule_id)
    assert rule is not None
    values = [c["value"] for c in _clauses(rule.fail_when) if c.get("attribute") == "key_state"]
    assert values and all(sorted(v) == sorted(USABLE_KEY_STATES) for v in values)
    # and so does what the rule says it fails (secret-replica-unhealthy said "its key is not
    # Enabled": a replica on an Updating key passes)
    assert all(state in " ".join(rule.description.split()) for state in USABLE_KEY_STATES)


def _clauses(node: object) -> list[dict]:
    if isinstance(node, dict):
        return [node, *(c for v in node.values() for c in _clauses(v))]
    if isinstance(node, (list, tuple)):
        return [c for v in node for c in _clauses(v)]
    return []


def _message(snapshot: Snapshot) -> str:
    graph = build_graph(snapshot)
    findings = evaluate(graph, snapshot, None,
                        Ruleset(rules=(load_ruleset().get("secret-key-unusable"),)),
                        parse_config({}, path="-"), load_fixture("secret-key-unusable").now)
    return next(f.message for f in findings if f.resource.arn == SECRET)


def test_the_message_names_the_key_by_its_alias_and_its_id() -> None:
    """ground-truth trial round 23: 'its KMS key 37e5d60a-... is Disabled' -- the alias the
    team knows the key by (the one `access` shows, customer aliases first) was not said."""
    snapshot = _with_state(load_fixture("secret-key-unusable").snapshot, "Disabled")
    named = replace(snapshot, accounts=tuple(replace(a, regions=tuple(replace(r, kms_keys=tuple(
        replace(k, aliases=("alias/aws/odd", "alias/payments")) if k.arn == KEY else k
        for k in r.kms_keys)) for r in a.regions)) for a in snapshot.accounts))
    assert _message(named) == ("its KMS key alias/payments (k-main) is Disabled, so the secret "
                               "cannot be read")
    # no alias: the id alone, as before
    plain = replace(snapshot, accounts=tuple(replace(a, regions=tuple(replace(r, kms_keys=tuple(
        replace(k, aliases=()) if k.arn == KEY else k for k in r.kms_keys))
        for r in a.regions)) for a in snapshot.accounts))
    assert _message(plain) == "its KMS key k-main is Disabled, so the secret cannot be read"
