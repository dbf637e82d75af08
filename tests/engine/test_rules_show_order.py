"""`rules show RULE` gives a newcomer what they need first, in that order: what fails in
short, why it matters, what to do; every case the rule fails and when it answers UNKNOWN only
with --details, each in a paragraph of its own (new-user trial round 37:
`rules show secret-rotation-no-network-path` printed ~770 words, its "What it checks"
paragraph mixing the check with the cases it answers UNKNOWN; the excess-grant and
external-account rules ~550)."""

from __future__ import annotations

import json

import pytest

from scanner.cli import main
from scanner.engine import load_ruleset

RULES = load_ruleset().rules
#: the default view of the longest rule: a screen or two of an 80-column terminal
MOST_WORDS = 260


def _show(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[list[str], str]:
    assert main(["rules", "show", *args]) == 0
    out = capsys.readouterr().out
    return out.splitlines(), " ".join(out.split())


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_the_default_view_is_short_and_in_the_order_a_newcomer_reads(
        rule: object, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    rid = rule.id  # type: ignore[attr-defined]
    lines, flat = _show(capsys, rid)

    headings = [line for line in lines if line and not line.startswith(" ")
                and line.endswith(":")]
    assert headings[:3] == ["In short:", "Why it matters:", "What to do:"], headings
    assert len(flat.split()) <= MOST_WORDS
    assert "UNKNOWN when" not in flat and "UNKNOWN for" not in flat
    assert f"secretgraph rules show {rid} --details" in lines[-1]
    assert all(len(line) <= 80 for line in lines if not line.strip().startswith("https://"))


def test_details_add_what_fails_and_when_unknown_apart(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    rule = load_ruleset().get("secret-rotation-no-network-path")
    assert rule is not None and rule.unknown_when
    lines, flat = _show(capsys, rule.id, "--details")

    detail, unknown = lines.index("What fails, in detail:"), \
        lines.index("When it answers UNKNOWN:")
    assert lines.index("What to do:") < detail < unknown
    what_fails = " ".join(" ".join(lines[detail + 1:unknown]).split())
    assert what_fails == " ".join(rule.description.split())
    assert "UNKNOWN" not in what_fails
    assert "a route names a NAT gateway the NAT gateway listing did not have" in flat
    assert "--details" not in flat.split("References:")[-1]


def test_json_carries_summary_and_unknown_when(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "show", "kms-key-policy-excess-grant", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"].startswith("A key that encrypts secrets")
    assert data["unknown_when"].startswith("when the key policy was not read")
    assert "UNKNOWN when" not in data["description"]


def test_every_built_in_rule_has_a_short_summary_and_no_unknown_cases_in_it() -> None:
    for rule in RULES:
        assert rule.summary, rule.id
        assert len(rule.summary.split()) <= 50, rule.id
        assert "UNKNOWN when" not in rule.description, rule.id
