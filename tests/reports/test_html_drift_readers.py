"""The HTML drift's reader rows say what the terminal says: a lost reader with tonight's
decision and gates and "can no longer read (now deny)", a gained one with "can now read
[allow] (was deny)" -- not the previous scan's ALLOWED verdict and gates for a reader that is
gone (ground-truth organization trial round 9: terminal "- ...role/PayBatch can no longer read
(now deny)", report.html "lost | ... | ALLOWED | identity_policy: ALLOWED, ...")."""

from __future__ import annotations

from typing import Any

from helpers.report_sample import IMG, SCRIPT, sample_document
from helpers.scanfactory import access, secret, secret_arn, snapshot, stored
from reports.html import render_html
from reports.html.viewmodel import build_drift
from scanner.history.diff import diff_scans
from scanner.history.drift import render_drift_text

DB = secret_arn("db")
BATCH = "arn:aws:iam::222222222222:role/PayBatch"
DEV = "arn:aws:iam::222222222222:role/DevApp"
GONE = "arn:aws:iam::222222222222:role/Gone" + SCRIPT + IMG


def _drift() -> dict[str, Any]:
    old = stored(snapshot("a", "2026-11-28T01:00:00Z", [secret("db")]),
                 acc=access({DB: [(BATCH, "allow"), (DEV, "deny"), (GONE, "allow")]}))
    new = stored(snapshot("b", "2026-11-29T01:00:00Z", [secret("db")]),
                 acc=access({DB: [(BATCH, "deny"), (DEV, "allow")]}))
    return diff_scans(old, new).to_json()


def _rows() -> dict[str, dict[str, Any]]:
    view = build_drift(_drift())
    assert view is not None
    (table,) = [t for t in view.tables if t.title == "access · readers"]
    return {row[2]: dict(zip(table.columns, row)) for row in table.rows}


def test_a_lost_reader_shows_tonights_decision_and_gates_and_the_terminals_words() -> None:
    rows = _rows()
    lost = rows[BATCH]
    assert lost["change"] == "lost"
    assert lost["what changed"] == "can no longer read (now deny)"
    assert lost["decision"] == "deny"
    assert "identity_policy: DENIED" in lost["gates"]
    terminal = render_drift_text(_drift())
    assert f"- {BATCH} can no longer read (now deny)" in terminal


def test_a_gained_reader_says_what_it_was() -> None:
    gained = _rows()[DEV]
    assert gained["change"] == "new"
    assert gained["what changed"] == "can now read [allow] (was deny)"
    assert gained["decision"] == "allow"
    assert "identity_policy: ALLOWED" in gained["gates"]


def test_a_reader_absent_tonight_has_no_decision_or_gates_of_last_night() -> None:
    gone = _rows()[GONE]
    assert gone["what changed"] == "can no longer read"
    assert gone["decision"] == "" and gone["gates"] == ""
    html = render_html(sample_document(), drift=_drift())
    section = html[html.index('<section id="drift"'):]
    section = section[:section.index("</section>")]
    assert "can no longer read (now deny)" in section
    assert SCRIPT not in section and IMG not in section  # escaped
