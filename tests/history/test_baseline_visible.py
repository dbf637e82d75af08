"""A baseline that every reader is within is still visible (new-user trial round 8): scan.rules
had access-outside-baseline, but passed.by_rule had 25 of 27 rules (no access-outside-baseline,
no suppression-expired), report.html and the terminal never mentioned the baseline and junit.xml
had the suite with tests="0". docs/reports.md: "Each enabled rule has one passed.by_rule
entry"."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from reports.html import render_html
from reports.junit import render_junit
from reports.table import render_table
from scanner.history.baseline import init_baseline
from scanner.pipeline import ScanOptions, analyze, load_inputs

from helpers.scanfactory import MEMBER, policy, read_statement, secret, snapshot

NOW = dt.datetime(2026, 11, 29, tzinfo=dt.timezone.utc)
APP = f"arn:aws:iam::{MEMBER}:role/app"


def _night() -> Any:
    return snapshot("s", "2026-11-29T01:00:00Z", [
        secret("prod/db", resource_policy=policy(read_statement(APP))), secret("prod/api")])


def _scan(tmp_path: Path, *, emit_pass: bool = False) -> dict[str, Any]:
    snap = _night()
    first = analyze(snap, load_inputs(ScanOptions()), now=NOW)
    path = tmp_path / "baseline.yaml"
    path.write_text(init_baseline(first.access))  # every reader of tonight accepted
    inputs = load_inputs(ScanOptions(baseline_path=path, emit_pass=emit_pass))
    return analyze(snap, inputs, now=NOW).document


def test_every_evaluated_rule_has_its_pass_summary(tmp_path: Path) -> None:
    """New-user trial round 8: the engine's own rules had no passed.by_rule entry."""
    doc = _scan(tmp_path)
    assert [f for f in doc["findings"] if f["rule_id"] == "access-outside-baseline"] == []
    by_rule = {e["rule_id"]: e for e in doc["passed"]["by_rule"]}
    assert set(doc["scan"]["rules"]) <= set(by_rule), set(doc["scan"]["rules"]) - set(by_rule)
    baseline = by_rule["access-outside-baseline"]
    assert baseline["count"] == 2 and baseline["severity"] == "HIGH"
    assert sorted(baseline["resources"]) == sorted(
        s.arn for a in _night().accounts for r in a.regions for s in r.secrets)
    assert by_rule["suppression-expired"]["count"] == 0  # no suppression file: none expired


def test_the_scan_says_a_baseline_was_applied_and_how_many_readers_it_covers(
        tmp_path: Path) -> None:
    """New-user trial round 8: report.html, the terminal and junit.xml never mentioned the
    baseline when every reader was within it."""
    doc = _scan(tmp_path)
    applied = doc["scan"]["baseline"]
    assert applied["path"].endswith("baseline.yaml")
    assert applied["secrets"] == 2 and applied["outside"] == 0
    assert applied["readers"] >= 1  # APP on prod/db, and whatever reads through the accounts
    words = (f"access baseline {applied['path']}: {applied['readers']} reader(s) of 2 "
             "secret(s) within it, 0 outside (access-outside-baseline)")
    assert words in " ".join(render_table(doc, width=200).split())
    assert words in " ".join(render_html(doc).split())
    junit = render_junit(doc)
    suite = junit[junit.index('<testsuite name="access-outside-baseline"'):]
    assert 'tests="2"' in suite[:suite.index(">")], suite[:200]


def test_with_emit_pass_the_baseline_s_passes_are_rows_too(tmp_path: Path) -> None:
    """--emit-pass itemises every PASS result: the baseline's too, counted alike."""
    doc = _scan(tmp_path, emit_pass=True)
    rows = [f for f in doc["findings"]
            if f["rule_id"] == "access-outside-baseline" and f["status"] == "PASS"]
    assert len(rows) == 2
    assert doc["summary"]["by_status"]["PASS"] == sum(
        1 for f in doc["findings"] if f["status"] == "PASS")
    assert _scan(tmp_path)["summary"]["by_status"]["PASS"] == doc["summary"]["by_status"]["PASS"]
