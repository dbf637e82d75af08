"""findings.json against its shipped schema, and the exit codes with --fail-on."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

from helpers.engine_helpers import NOW, coverage_entry, make_secret, make_snapshot
from scanner.engine import (
    evaluate,
    exit_code,
    findings_document,
    load_ruleset,
    parse_config,
    suppress,
)
from scanner.engine.suppressions import Suppression, Suppressions
from scanner.findings import Severity, Status
from scanner.graph.builder import build_graph


def schema() -> dict[str, Any]:
    text = resources.files("scanner").joinpath("schemas/findings.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def document(*secrets: Any, coverage: tuple[Any, ...] = ()) -> dict[str, Any]:
    snap = make_snapshot(*secrets, coverage=coverage)
    findings = evaluate(build_graph(snap), snap, None, load_ruleset(), None, NOW)
    return findings_document(snap, findings)


def test_document_follows_the_contract_and_validates() -> None:
    doc = document(make_secret("a"), make_secret("b", kms_key_id=None, rotation_enabled=False),
                   coverage=(coverage_entry(),))
    jsonschema.Draft202012Validator(schema()).validate(json.loads(json.dumps(doc)))
    assert doc["schema_version"] == 1
    assert doc["tool"]["name"] == "secretgraph"
    assert set(doc["scan"]) >= {"id", "started_at", "finished_at", "accounts", "regions",
                                "complete"}
    assert doc["scan"]["complete"] is False
    assert doc["coverage"][0]["operation"] == "ListFunctions"
    assert doc["summary"]["total"] == len(doc["findings"])
    assert doc["summary"]["failing_by_severity"]["MEDIUM"] >= 2
    first = doc["findings"][0]
    assert set(first) >= {"id", "rule_id", "title", "severity", "status", "resource", "evidence",
                          "remediation", "compliance"}
    assert set(first["resource"]) == {"type", "arn", "account_id", "region", "account_name"}
    assert first["resource"]["account_name"] is None  # the snapshot read no name


def test_resource_account_name_comes_from_the_snapshot_and_organization() -> None:
    from scanner.model import OrgAccount, Organization

    snap = make_snapshot(make_secret("a", rotation_enabled=False))
    account = snap.accounts[0].account_id
    named = dataclasses.replace(snap, organization=Organization(
        org_id="o-1", management_account_id=account,
        accounts=(OrgAccount(account_id=account, name="security-central"),)))
    findings = evaluate(build_graph(named), named, None, load_ruleset(), None, NOW)
    doc = findings_document(named, findings, rules=("secret-rotation-disabled",),
                            scope={"severities": ["MEDIUM"]})
    jsonschema.Draft202012Validator(schema()).validate(json.loads(json.dumps(doc)))
    assert {f["resource"]["account_name"] for f in doc["findings"]} == {"security-central"}
    assert doc["scan"]["rules"] == ["secret-rotation-disabled"]
    assert doc["scan"]["scope"] == {"severities": ["MEDIUM"]}
    # the name read with the account wins over the Organizations name
    own = dataclasses.replace(named, accounts=(dataclasses.replace(named.accounts[0],
                                                                   name="own-name"),))
    assert own.account_names() == {account: "own-name"}


def test_findings_are_ordered_most_severe_first_and_deterministically() -> None:
    doc = document(make_secret("a", kms_key_id=None), make_secret("b", rotation_enabled=False))
    ranks = [Severity(f["severity"]).rank for f in doc["findings"]]
    assert ranks == sorted(ranks, reverse=True)
    assert doc == document(make_secret("a", kms_key_id=None),
                           make_secret("b", rotation_enabled=False))


def test_schema_rejects_a_finding_without_resource_account() -> None:
    doc = document(make_secret("a"))
    del doc["findings"][0]["resource"]["account_id"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema())


def test_exit_0_when_complete_and_nothing_at_or_above_fail_on() -> None:
    doc = document(make_secret("a"))
    assert exit_code(doc, Severity.HIGH) == 0


def test_exit_1_when_a_fail_is_at_or_above_fail_on() -> None:
    doc = document(make_secret("a", rotation_enabled=False))  # MEDIUM rules fail
    assert exit_code(doc, "MEDIUM") == 1
    assert exit_code(doc, "low") == 1
    assert exit_code(doc, Severity.HIGH) == 0


def test_exit_3_when_incomplete_and_nothing_worse() -> None:
    doc = document(make_secret("a"), coverage=(coverage_entry(),))
    assert exit_code(doc, Severity.CRITICAL) == 3
    worse = document(make_secret("a", rotation_enabled=False), coverage=(coverage_entry(),))
    assert exit_code(worse, Severity.MEDIUM) == 1


def test_muted_findings_do_not_fail_the_run() -> None:
    snap = make_snapshot(make_secret("a", rotation_enabled=False))
    findings = evaluate(build_graph(snap), snap, None, load_ruleset(), None, NOW)
    sup = Suppressions(entries=(Suppression(index=0, reason="accepted risk", expires=NOW.date(),
                                            rule="secret-rotation-*"),), path="m.yaml")
    doc = findings_document(snap, suppress(findings, sup, NOW, meta=snap.meta))
    assert exit_code(doc, Severity.MEDIUM) == 0
    assert doc["summary"]["by_status"]["MUTED"] >= 1
    jsonschema.validate(doc, schema())


def test_unknown_fail_on_severity_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown severity"):
        exit_code(document(make_secret("a")), "SEVERE")


def test_pass_findings_share_rule_metadata_not_copies() -> None:
    snap = make_snapshot(make_secret("a"), make_secret("b"))
    emit_pass = parse_config({"emit_pass": True}, path="c.yaml")
    findings = [f for f in evaluate(build_graph(snap), snap, None, load_ruleset(), emit_pass,
                                    NOW) if f.rule_id == "secret-rotation-disabled"]
    assert [f.status for f in findings] == [Status.PASS, Status.PASS]
    assert findings[0].compliance is findings[1].compliance
    assert dataclasses.asdict(findings[0])["compliance"]["aws-fsbp"] == ("SecretsManager.1",)


def test_make_finding_builds_the_same_frozen_finding_as_the_class() -> None:
    from scanner.findings import Finding, ResourceRef, Severity, Status, make_finding

    ref = ResourceRef(type="Secret", arn="arn:x", account_id="111111111111", region="us-east-1")
    fast = make_finding("sgf-1", "r", "t", Severity.HIGH, Status.PASS, ref, "", None, None,
                        {"id": "fix"}, {"nist-800-53-r5": ("AC-3",)})
    slow = Finding(id="sgf-1", rule_id="r", title="t", severity=Severity.HIGH,
                   status=Status.PASS, resource=ref, remediation={"id": "fix"},
                   compliance={"nist-800-53-r5": ("AC-3",)})
    assert type(fast) is Finding and fast == slow and repr(fast) == repr(slow)
    assert fast.to_json() == slow.to_json()
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.message = "changed"  # type: ignore[misc]
    muted = dataclasses.replace(fast, status=Status.MUTED)
    assert muted.status is Status.MUTED and muted.id == fast.id


def test_finding_ids_are_stable_and_distinct() -> None:
    from scanner.findings import finding_id

    a = finding_id("secret-policy-public", "arn:aws:secretsmanager:us-east-1:1:secret:a")
    assert a == finding_id("secret-policy-public", "arn:aws:secretsmanager:us-east-1:1:secret:a")
    # the format is part of the contract (Security Hub and history key on it): pinned
    assert a == "sgf-0f0a21d389e6eab472e074cd07572188"
    assert a != finding_id("secret-policy-public", "arn:aws:secretsmanager:us-east-1:1:secret:a",
                           "arn:aws:iam::2:root")
    assert a != finding_id("secret-unused", "arn:aws:secretsmanager:us-east-1:1:secret:a")


def test_finding_id_maker_gives_finding_id() -> None:
    from scanner.findings import finding_id, finding_id_maker

    make = finding_id_maker("secret-unused")
    for arn in ("arn:aws:secretsmanager:us-east-1:1:secret:a", "", "x\x1fy"):
        assert make(arn) == finding_id("secret-unused", arn)


def test_document_says_which_trust_zone_was_used_and_where_it_came_from() -> None:
    from scanner.policy.trust_zone import trust_zone

    snap = make_snapshot(make_secret("a"))
    findings = evaluate(build_graph(snap), snap, None, load_ruleset(), None, NOW)
    plain = findings_document(snap, findings)["scan"]["trust_zone"]
    assert plain["sources"][-1] == "scanned_accounts" and "config" not in plain["sources"]
    assert plain["accounts_count"] == len(trust_zone(snap).accounts)
    doc = findings_document(snap, findings,
                            trust_zone=trust_zone(snap, ("999999999999", "888888888888")))
    jsonschema.Draft202012Validator(schema()).validate(json.loads(json.dumps(doc)))
    zone = doc["scan"]["trust_zone"]
    assert zone["sources"][-1] == "config"
    assert zone["trusted_accounts"] == ["888888888888", "999999999999"]
    assert zone["accounts_count"] == plain["accounts_count"] + 2
