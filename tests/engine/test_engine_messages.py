"""Plain-language finding messages: a condition's `message` (with {attribute}/{parameter}
placeholders) becomes the finding's message; the technical facts stay in the evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.engine_helpers import NOW, make_secret, make_snapshot, write_rule
from scanner.engine import evaluate, load_ruleset
from scanner.engine.loader import load_rule_file
from scanner.errors import InputError
from scanner.findings import Status
from scanner.graph.builder import build_graph


def run(ruleset_dir: Path | None, *secrets: object) -> list:
    snap = make_snapshot(*secrets)  # type: ignore[arg-type]
    ruleset = load_ruleset([ruleset_dir] if ruleset_dir else [])
    return evaluate(build_graph(snap), snap, None, ruleset, None, NOW)


def test_builtin_rules_speak_plainly_and_keep_the_facts_in_evidence() -> None:
    findings = run(None, make_secret("a", rotation_enabled=False, kms_key_id=None))
    by_rule = {f.rule_id: f for f in findings if f.status is Status.FAIL}
    disabled = by_rule["secret-rotation-disabled"]
    assert disabled.message == "rotation is disabled"
    assert disabled.evidence["facts"] == ["rotation_enabled = False (is_false)"]
    managed = by_rule["secret-uses-aws-managed-key"]
    assert managed.message.startswith("encrypted with the AWS-managed key aws/secretsmanager")
    assert "aws_managed = True (is_true)" in managed.evidence["facts"][0]
    for f in by_rule.values():  # no operator jargon in any message
        assert "(is_" not in f.message and " = " not in f.message, f


def test_placeholders_take_attributes_and_parameters(tmp_path: Path) -> None:
    write_rule(tmp_path, "test-old-secret", """
message: "created {created}; allowed {max_days} days"
attribute: created
op: older_than_days
param: max_days
""", extra="parameters:\n  max_days: {type: integer, default: 30, description: Days.}\n")
    findings = [f for f in run(tmp_path, make_secret("a")) if f.rule_id == "test-old-secret"]
    assert findings and findings[0].status is Status.FAIL
    created = findings[0].evidence["attributes"]["created"]
    assert findings[0].message == f"created {created[:10]}; allowed 30 days"


def test_a_comparison_without_message_reads_as_words(tmp_path: Path) -> None:
    write_rule(tmp_path, "test-no-message", "{attribute: rotation_enabled, op: is_false}")
    findings = [f for f in run(tmp_path, make_secret("a", rotation_enabled=False))
                if f.rule_id == "test-no-message"]
    assert findings[0].message == "rotation enabled is false"


@pytest.mark.parametrize("message,words", [
    ("{no_such_thing} is wrong", "placeholder {no_such_thing} is neither a parameter"),
    ("{created:>10}", "takes no format spec"),
    ("unbalanced {", "malformed message template"),
])
def test_bad_messages_name_rule_and_field(tmp_path: Path, message: str, words: str) -> None:
    path = write_rule(tmp_path, "test-bad-message",
                      f"{{attribute: rotation_enabled, op: is_false, message: '{message}'}}")
    with pytest.raises(InputError) as info:
        load_rule_file(path)
    text = str(info.value)
    assert words in text and "rule test-bad-message" in text and "fail_when.message" in text


def test_a_length_comparison_says_the_length_it_measured() -> None:
    """The fact of a length comparison keeps "<N characters>", not the 20,000-character value:
    the message says N (the demo's near-limit policy once read "18 characters long")."""
    from scanner.engine.conditions import render_plain

    fact = ("attr", "resource_policy", "length_ratio_at_least", {"ratio": 0.8, "limit": 20480},
            "<17500 characters>", False)
    assert render_plain(fact).startswith("resource policy is 17500 characters long")


def test_a_length_ratio_says_the_limit_and_where_it_warns() -> None:
    """User trial round 25: 'resource policy is 17512 characters long' -- a number without
    what it is measured against; the quota rule beside it says 'quota 50, warning at 40'."""
    from scanner.engine.conditions import render_plain

    fact = ("attr", "resource_policy", "length_ratio_at_least", {"ratio": 0.8, "limit": 20480},
            "<20470 characters>", False)
    assert render_plain(fact) == ("resource policy is 20470 characters long: 99% of the "
                                  "20,480-character limit, warning at 80%")


def _five_reasons_rule(tmp_path: Path) -> Path:
    clauses = "\n".join(
        f"  - {{attribute: rotation_enabled, op: is_false, message: 'reason {i}'}}"
        for i in range(1, 6))
    return write_rule(tmp_path, "test-many-reasons", f"all:\n{clauses}")


def test_a_message_with_many_reasons_names_two_and_counts_the_rest(tmp_path: Path) -> None:
    """Organization-scale review (session 12): a shared rotation Lambda peered with 99 VPCs
    failed with a message listing eight of its 99 problems as if they were all, 760 characters
    repeated in each of 80,000 rows. A message names at most three reasons; of more, the first
    two and how many others there are. The evidence keeps the facts."""
    _five_reasons_rule(tmp_path)
    findings = [f for f in run(tmp_path, make_secret("a", rotation_enabled=False))
                if f.rule_id == "test-many-reasons"]
    assert findings[0].message == "reason 1; reason 2; and 3 more"
    assert len(findings[0].evidence["facts"]) == 5
    assert "facts_total" not in findings[0].evidence


def test_three_reasons_are_all_named(tmp_path: Path) -> None:
    clauses = "\n".join(
        f"  - {{attribute: rotation_enabled, op: is_false, message: 'reason {i}'}}"
        for i in range(1, 4))
    write_rule(tmp_path, "test-three-reasons", f"all:\n{clauses}")
    findings = [f for f in run(tmp_path, make_secret("a", rotation_enabled=False))
                if f.rule_id == "test-three-reasons"]
    assert findings[0].message == "reason 1; reason 2; reason 3"


def test_evidence_says_how_many_facts_when_it_keeps_the_first_eight(tmp_path: Path) -> None:
    """The evidence keeps eight facts; ``facts_total`` says how many there were, and the
    message counts them all."""
    clauses = "\n".join(
        f"  - {{attribute: rotation_enabled, op: is_false, message: 'reason {i}'}}"
        for i in range(1, 11))
    write_rule(tmp_path, "test-ten-reasons", f"all:\n{clauses}")
    findings = [f for f in run(tmp_path, make_secret("a", rotation_enabled=False))
                if f.rule_id == "test-ten-reasons"]
    assert findings[0].message == "reason 1; reason 2; and 8 more"
    assert len(findings[0].evidence["facts"]) == 8
    assert findings[0].evidence["facts_total"] == 10
