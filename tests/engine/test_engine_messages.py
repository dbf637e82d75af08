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
    assert render_plain(fact) == "resource policy is 17500 characters long"
