"""A suppression entry that matched no finding is said, not forgotten (new-user trial round 8:
a resource glob typo ``legacy-app/*`` for ``legacy/app`` left the finding FAIL and the entry
appeared nowhere, even with -v). It is a note -- in findings.json's ``scan.suppressions``, under
the terminal's table, in report.html and on stderr -- never a finding, and the exit code stays
what the findings make it. An entry for a rule, Region or account outside tonight's scope is
not stale."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from reports.html import render_html
from reports.table import render_table
from scanner.engine import exit_code
from scanner.engine.loader import RuleScope
from scanner.pipeline import ScanOptions, analyze, load_inputs, suppression_notes

from helpers.scanfactory import CENTRAL, secret, secret_arn, snapshot

NOW = dt.datetime(2026, 11, 29, tzinfo=dt.timezone.utc)

ENTRIES = f"""suppressions:
  - rule: secret-rotation-disabled
    resource: "arn:aws:secretsmanager:*:{CENTRAL}:secret:legacy-app/*"   # typo: legacy/app
    reason: legacy app retires in Q1
    expires: 2027-03-31
  - rule: secret-rotation-disabled
    resource: "arn:aws:secretsmanager:*:{CENTRAL}:secret:old/*"
    reason: old app, muted on purpose
    expires: 2027-03-31
  - rule: kms-key-rotation-disabled
    reason: scoped out tonight (--rules secret-*)
    expires: 2027-03-31
  - region: eu-*
    reason: no eu Region in tonight's scan
    expires: 2027-03-31
  - account: "999999999999"
    reason: an account this scan did not read
    expires: 2027-03-31
  - resource: "arn:aws:secretsmanager:*:{CENTRAL}:secret:gone/*"
    reason: long expired
    expires: 2026-01-01
"""


def _scan(tmp_path: Path, text: str | None, *, rules: tuple[str, ...] = ("secret-*",)
          ) -> dict[str, Any]:
    path = None
    if text is not None:
        path = tmp_path / "s.yaml"
        path.write_text(text)
    snap = snapshot("s", "2026-11-29T01:00:00Z", [
        secret("legacy/app", rotation=False), secret("old/app", rotation=False)])
    inputs = load_inputs(ScanOptions(suppressions_path=path, scope=RuleScope(include=rules)))
    return analyze(snap, inputs, now=NOW).document


def test_an_entry_that_matched_no_finding_is_listed_with_its_file_and_line(
        tmp_path: Path) -> None:
    """New-user trial round 8: the typo'd entry appeared nowhere."""
    doc = _scan(tmp_path, ENTRIES)
    legacy = next(f for f in doc["findings"] if f["resource"]["arn"] == secret_arn("legacy/app")
                  and f["rule_id"] == "secret-rotation-disabled")
    assert legacy["status"] == "FAIL"  # the typo mutes nothing
    applied = doc["scan"]["suppressions"]
    assert applied["path"].endswith("s.yaml")
    assert (applied["entries"], applied["in_force"], applied["expired"]) == (6, 5, 1)
    # entry 1 (the typo) only: entry 2 muted old/app; 3, 4 and 5 are outside tonight's scope
    # (a rule not run, a Region and an account not scanned); 6 expired (its own finding)
    assert [(u["entry"], u["line"]) for u in applied["unmatched"]] == [(0, 2)]
    assert applied["unmatched"][0]["resource"].endswith(":secret:legacy-app/*")
    (note,) = suppression_notes(doc)
    assert note.startswith(f"suppression 1 ({applied['path']}:2) matched no finding: ")
    assert "legacy-app/*" in note
    for text in (render_table(doc, width=200), render_html(doc)):
        assert " ".join(note.split()) in " ".join(text.split()).replace("&#39;", "'")


def test_it_is_a_note_not_a_finding_and_the_exit_code_stays(tmp_path: Path) -> None:
    """docs/configuration.md: no FAIL, no change of exit code."""
    noted = _scan(tmp_path, ENTRIES)
    kept = _scan(tmp_path, ENTRIES.split("  - rule: kms-key")[0]
                 .replace("legacy-app/*", "legacy/*"))
    assert not any("matched no finding" in str(f.get("message")) for f in noted["findings"])
    muted = kept["summary"]["by_status"]["MUTED"]
    assert muted == 2 and kept["scan"]["suppressions"]["unmatched"] == []
    assert suppression_notes(kept) == []
    assert exit_code(noted, "HIGH") == exit_code(
        _scan(tmp_path, ENTRIES.replace("legacy-app/*", "nothing-here/*")), "HIGH")


def test_a_rule_of_the_pack_not_in_tonight_s_scope_is_not_stale(tmp_path: Path) -> None:
    """New-user trial round 8: mind scoped scans -- the same file, run with every rule, names
    the kms entry too (it matched no finding: no key in this estate)."""
    doc = _scan(tmp_path, ENTRIES, rules=())
    assert [u["entry"] for u in doc["scan"]["suppressions"]["unmatched"]] == [0, 2]


def test_without_a_suppression_file_there_is_nothing_to_say(tmp_path: Path) -> None:
    doc = _scan(tmp_path, None)
    assert "suppressions" not in doc["scan"] and suppression_notes(doc) == []


def test_many_stale_entries_are_counted_after_the_first_five(tmp_path: Path) -> None:
    """New-user trial round 8: the summary line names a few and counts the rest (the JSON
    lists every one)."""
    from reports._common import suppressions_line

    many = "suppressions:\n" + "".join(
        f"  - resource: \"arn:aws:secretsmanager:*:{CENTRAL}:secret:typo{i}/*\"\n"
        "    reason: stale entry\n    expires: 2027-03-31\n" for i in range(8))
    doc = _scan(tmp_path, many)
    assert len(doc["scan"]["suppressions"]["unmatched"]) == 8
    line = suppressions_line(doc)
    assert line is not None and line.count("matched no finding:") == 5
    assert "8 matched no finding" in line and "and 3 more" in line


def test_an_entry_of_tags_alone_is_named_without_a_stray_comma(tmp_path: Path) -> None:
    """docs audit (session 20): docs/configuration.md's own example read "matched no finding:
    , tags environment=sandbox"."""
    doc = _scan(tmp_path, """suppressions:
  - tags: {environment: sandbox}
    reason: sandbox secrets are throwaway
    expires: 2027-03-31
""")
    (note,) = suppression_notes(doc)
    assert "matched no finding: tags environment=sandbox; it mutes nothing" in note


def test_a_resource_glob_of_an_account_or_region_not_scanned_is_not_stale(
        tmp_path: Path) -> None:
    """Docs trial round 8's leftover: an entry whose resource ARN names an account the scan
    did not read (or a Region it did not scan) was "matched no finding ... a typo, or what it
    muted is fixed" -- it is out of tonight's scope, as an ``account:`` entry of that account
    is. Where a wildcard comes before the account field the field is not known (a glob's "*"
    spans ":"), and the entry is judged as before; one of a scanned account and Region that
    matches nothing is still a typo."""
    from helpers.scanfactory import REGION

    entries = f"""suppressions:
  - resource: "arn:aws:secretsmanager:{REGION}:999999999999:secret:db-*"
    reason: an account this scan did not read
    expires: 2027-03-31
  - resource: "arn:aws:secretsmanager:eu-west-3:{CENTRAL}:secret:db-*"
    reason: a Region this scan did not read
    expires: 2027-03-31
  - resource: "arn:aws:secretsmanager:*:999999999999:secret:db-*"
    reason: a wildcard before the account field
    expires: 2027-03-31
  - resource: "arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:db-*"
    reason: scanned account and Region, no such secret
    expires: 2027-03-31
"""
    doc = _scan(tmp_path, entries)
    assert [u["entry"] for u in doc["scan"]["suppressions"]["unmatched"]] == [2, 3]
