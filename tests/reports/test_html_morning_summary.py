"""The HTML report's By-account header and drift section read as words, not a data dump
(new-user trial round 6)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from helpers.report_sample import IMG, ROLE_B, SCRIPT, SECRET_A, sample_document
from reports.html import render_html
from reports.html.viewmodel import build_drift
from scanner.history.drift import (AccessChange, Drift, FindingChange, NotAssessed,
                                   ReaderChange, ResourceChange, ScanRef)


def real_drift() -> dict[str, object]:
    """What `secretgraph diff --format json` writes: one new finding, one changed, two readers
    gained, a resource added and one changed, one subject not assessed; the old scan complete,
    the new one not, and a hostile scan id."""
    finding = FindingChange(id="sgf-1", rule_id="secret-policy-public", title="public " + SCRIPT,
                            severity="CRITICAL", status="FAIL", resource_arn=SECRET_A)
    return Drift(
        old=ScanRef(scan_id="scan-2026-12-04T033359Z-aaaa" + IMG,
                    started_at="2026-12-04T03:33:59Z", complete=True),
        new=ScanRef(scan_id="scan-2026-12-05T033408Z-bbbb", started_at="2026-12-05T03:34:08Z",
                    complete=False),
        access=(AccessChange(secret_arn=SECRET_A, gained=(
            ReaderChange(principal=ROLE_B, decision="allow"),
            ReaderChange(principal="arn:aws:iam::444444444444:role/x", decision="allow"))),),
        findings_new=(finding,),
        findings_changed=(FindingChange(id="sgf-2", rule_id="secret-rotation-disabled",
                                        title="t", severity="MEDIUM", status="MUTED",
                                        resource_arn=SECRET_A, old_status="FAIL",
                                        changes=("status",)),),
        resources_added=(ResourceChange(kind="secret", id=SECRET_A, account_id="111111111111",
                                        region="us-east-1", change="added"),),
        resources_changed=(ResourceChange(kind="secret", id=SECRET_A + "2",
                                          account_id="111111111111", region="us-east-1",
                                          change="changed"),),
        not_assessed=(NotAssessed(scope="account", subject="444444444444",
                                  reason="AssumeRole denied", scan="new"),),
    ).to_json()


def _section(html: str, ident: str) -> str:
    start = html.index(f'<section id="{ident}"')
    return html[start:html.index("</section>", start)]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def test_the_by_account_header_names_each_severity_in_words() -> None:
    """New-user trial round 6: the By-account columns read "Crit", "High", "Medi", "Low",
    "Info" (the first four letters of each severity)."""
    html = render_html(sample_document())
    head = re.search(r"<h2 id=\"sum-acct-h\">By account</h2>.*?<thead>(.*?)</thead>", html, re.S)
    assert head is not None
    assert _text(head.group(1)).split() == ["Account", "Critical", "High", "Medium", "Low",
                                            "Info", "Unknown", "Muted"]
    assert 'title="Informational"' in head.group(1)


def test_by_account_counts_what_by_rule_counts_muted_too() -> None:
    """New-user trial round 29's leftover: By rule had a Muted column, By account none -- an
    account whose findings were all suppressed looked clean beside a rule table counting
    them. Each account's Muted count adds up to the rules' Muted counts."""
    from reports.html.viewmodel import build_summary

    doc = sample_document()
    rows = doc["findings"]
    rows[0] = {**rows[0], "status": "MUTED"}
    summary = build_summary(doc)
    assert sum(r["muted"] for r in summary.by_account) == sum(
        r["MUTED"] for r in summary.by_rule) == sum(
            1 for f in rows if f["status"] == "MUTED") >= 1
    html = render_html(doc)
    table = re.search(r"<h2 id=\"sum-acct-h\">By account</h2>.*?</table>", html, re.S)
    assert table is not None
    muted = [r["muted"] for r in summary.by_account if r["muted"]]
    assert muted and all(f'data-label="muted">{n}<' in table.group(0) for n in muted)


def test_the_drift_section_opens_with_one_morning_sentence() -> None:
    """New-user trial round 6: the drift section was a raw dump -- "schema version 1",
    "old · complete True" (a Python bool), the summary as a list of keys. It says, in one
    sentence, what changed since which scan, then names both scans and whether each was
    complete, in words; the tables follow as before."""
    drift = real_drift()
    view = build_drift(drift)
    assert view is not None
    assert view.headline == (
        f"Since scan-2026-12-04T033359Z-aaaa{IMG} (2026-12-04 03:33 UTC): 2 new readers, "
        "0 lost; 1 new finding, 0 resolved, 1 changed; 1 resource added, 0 removed, "
        "1 changed; 1 not assessed.")
    assert view.scans == [
        ("Previous scan", f"scan-2026-12-04T033359Z-aaaa{IMG}", "2026-12-04 03:33 UTC",
         "complete"),
        ("This scan", "scan-2026-12-05T033408Z-bbbb", "2026-12-05 03:34 UTC", "incomplete")]
    assert view.scalars == []
    titles = [t.title for t in view.tables]
    assert titles[:4] == ["access · readers", "findings · new", "findings · resolved",
                          "findings · changed"]
    assert not any("summary" in t or "old" == t or "new" == t for t in titles)

    section = _section(render_html(sample_document(), drift=drift), "drift")
    text = _text(section)
    assert view.headline in text
    assert "schema version" not in text and "True" not in text and "False" not in text
    assert "incomplete" in text and "complete" in text
    assert IMG not in section and SCRIPT not in section  # escaped, as everywhere


def test_a_drift_without_changes_still_says_since_when() -> None:
    """New-user trial round 6: nothing changed reads as a sentence too, with plural words."""
    drift = Drift(old=ScanRef(scan_id="a", started_at="2026-12-04T03:33:59Z", complete=True),
                  new=ScanRef(scan_id="b", started_at="not a time", complete=True)).to_json()
    view = build_drift(drift)
    assert view is not None
    assert view.headline == ("Since a (2026-12-04 03:33 UTC): 0 new readers, 0 lost; "
                             "0 new findings, 0 resolved, 0 changed; 0 resources added, "
                             "0 removed, 0 changed; 0 not assessed.")
    assert view.scans[1] == ("This scan", "b", "not a time", "complete")


def test_the_summary_says_what_changed_since_the_previous_scan() -> None:
    """New-user trial round 17: the drift sentence was only in the last section of the page,
    below coverage; the first screen a morning reader sees (the summary) did not say whether
    anything had changed since last night. The summary now carries the same sentence,
    linking to the drift section; without a drift it has none."""
    drift = real_drift()
    view = build_drift(drift)
    assert view is not None and view.headline
    html = render_html(sample_document(), drift=drift)
    summary = _section(html, "summary")
    assert view.headline in _text(summary)
    link = re.search(r'<a href="#drift"[^>]*>(.*?)</a>', summary, re.S)
    assert link is not None and _text(link.group(1)).strip() == view.headline
    # before the per-account and per-rule tables: on the first screen
    assert summary.index('href="#drift"') < summary.index("<h2 id=\"sum-acct-h\">By account</h2>")
    assert IMG not in summary  # the hostile scan id is escaped here too
    assert 'href="#drift"' not in _section(render_html(sample_document()), "summary")


def test_the_drift_sentence_counts_resources_as_the_terminal_does() -> None:
    """New-user trial round 17: the sentence said "3 resources changed" above a "Resources ·
    Changed 2" table, where `secretgraph diff` said "Resources (1 added, 0 removed, 2
    changed)" for the same drift: it summed the added, removed and changed ones under the
    word changed. It now counts each as the terminal does."""
    drift = real_drift()
    view = build_drift(drift)
    assert view is not None
    assert "; 1 resource added, 0 removed, 1 changed; " in view.headline
    assert "resources changed" not in view.headline


def test_by_rule_lists_the_rules_with_failures_first() -> None:
    """New-user trial round 17: By rule was ordered by severity alone, so three CRITICAL
    rules with no failure (PASS only) filled the top of the first screen of a 100-account
    report, above a HIGH rule failing 7,898 times. Rules with a FAIL or UNKNOWN come first
    (by severity, then count); those that only passed or were muted follow, by severity."""
    from reports.html.viewmodel import build_summary

    doc = sample_document()
    summary = build_summary(doc)
    rows = summary.by_rule
    attention = [bool(r["FAIL"] or r["UNKNOWN"]) for r in rows]
    assert True in attention and False in attention, "the sample has both kinds"
    assert attention == sorted(attention, reverse=True), [
        (r["rule_id"], r["severity"], r["FAIL"], r["UNKNOWN"]) for r in rows]
    rank = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3, "INFORMATIONAL": 4}
    for part in (True, False):
        ranks = [rank.get(r["severity"], 9) for r, a in zip(rows, attention) if a is part]
        assert ranks == sorted(ranks)
    # and so in the page
    passing = dict(next(r for r in rows if not (r["FAIL"] or r["UNKNOWN"])))
    html = render_html(doc)
    by_rule = html[html.index("<h2 id=\"sum-rule-h\">By rule</h2>"):]
    failing_first = next(r for r in rows if r["FAIL"] or r["UNKNOWN"])
    assert by_rule.index(failing_first["rule_id"]) < by_rule.index(passing["rule_id"])
