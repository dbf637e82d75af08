"""A finding muted since the previous scan says, in the drift, why and until when: the morning
reader of `secretgraph diff` (and report.html's Drift section, and `diff --format json`) saw
"status FAIL -> MUTED" and had to open the findings to learn the suppression's reason, owner
and expiry (new-user trial round 23: the nightly job's first week, a suppression added on the
second night)."""

from __future__ import annotations

from scanner.history.diff import diff_scans
from scanner.history.drift import drift_from_json, finding_change_note, render_drift_text

from helpers.scanfactory import document, finding, secret, secret_arn, snapshot, stored

DB = secret_arn("db")
T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"
MUTED_BY = {"reason": "rotation Lambda being rebuilt in CHG-4411", "expires": "2026-12-13",
            "entry": 1, "file": "suppressions.yaml", "rule": "secret-rotation-disabled",
            "owner": "secops@example.com", "original_status": "FAIL"}
NOTE = ("status FAIL -> MUTED (muted until 2026-12-13 (owner secops@example.com): rotation "
        "Lambda being rebuilt in CHG-4411)")


def _drift(old_status: str, new_status: str):  # type: ignore[no-untyped-def]
    snap_a = snapshot("a", T1, [secret("db")])
    snap_b = snapshot("b", T2, [secret("db")])
    old = finding("secret-rotation-disabled", DB, old_status, "MEDIUM")
    new = finding("secret-rotation-disabled", DB, new_status, "MEDIUM")
    for f, status in ((old, old_status), (new, new_status)):
        if status == "MUTED":
            f["muted_by"] = MUTED_BY
    return diff_scans(stored(snap_a, document(snap_a, [old])),
                      stored(snap_b, document(snap_b, [new])))


def test_a_finding_muted_since_says_its_reason_owner_and_expiry() -> None:
    drift = _drift("FAIL", "MUTED")
    (change,) = drift.findings_changed
    assert finding_change_note(change, "changed") == NOTE

    row = drift.to_json()["findings"]["changed"][0]
    assert row["muted_by"] == MUTED_BY
    # report --drift and the HTML read the JSON back: the same words
    again = drift_from_json(drift.to_json())
    assert finding_change_note(again.findings_changed[0], "changed") == NOTE

    line = next(ln for ln in render_drift_text(drift).splitlines()
                if ln.startswith("  changed"))
    assert line.endswith(f"({NOTE})"), line


def test_a_finding_muted_no_more_says_its_suppression_was_removed() -> None:
    # the entry expires on 2026-12-13, after tonight: it was taken out of the file or no
    # longer matches the finding
    drift = _drift("MUTED", "FAIL")
    (change,) = drift.findings_changed
    note = "status MUTED -> FAIL (its suppression was removed or no longer matches)"
    assert finding_change_note(change, "changed") == note
    row = drift.to_json()["findings"]["changed"][0]
    assert "muted_by" not in row
    assert row["unmuted"] == "its suppression was removed or no longer matches"
    assert finding_change_note(drift_from_json(drift.to_json()).findings_changed[0],
                               "changed") == note


def test_a_finding_whose_suppression_expired_says_so_with_the_day() -> None:
    """docs/configuration.md: suppressions carry an expiry "so nothing stays hidden by
    accident" -- the morning after it passes, the finding is back and the drift says why
    (new-user trial round 23: "status MUTED -> FAIL" said nothing of the expiry)."""
    snap_a = snapshot("a", T1, [secret("db")])
    snap_b = snapshot("b", "2026-12-14T01:00:00Z", [secret("db")])
    old = finding("secret-rotation-disabled", DB, "MUTED", "MEDIUM")
    old["muted_by"] = MUTED_BY
    new = finding("secret-rotation-disabled", DB, "FAIL", "MEDIUM")
    drift = diff_scans(stored(snap_a, document(snap_a, [old])),
                       stored(snap_b, document(snap_b, [new])))
    (change,) = drift.findings_changed
    assert finding_change_note(change, "changed") == \
        "status MUTED -> FAIL (its suppression expired on 2026-12-13)"
    line = next(ln for ln in render_drift_text(drift).splitlines()
                if ln.startswith("  changed"))
    assert line.endswith("(status MUTED -> FAIL (its suppression expired on 2026-12-13))")


def test_the_expired_entry_tonight_reports_names_the_day_even_on_its_last_day() -> None:
    # tonight's scan judged the entry expired (a suppression-expired finding with the same
    # matchers), though the scan's day is not after the expiry the old row carried
    snap_a = snapshot("a", T1, [secret("db")])
    snap_b = snapshot("b", "2026-12-13T23:00:00Z", [secret("db")])
    old = finding("secret-rotation-disabled", DB, "MUTED", "MEDIUM")
    old["muted_by"] = MUTED_BY
    new = finding("secret-rotation-disabled", DB, "FAIL", "MEDIUM")
    expired = finding("suppression-expired", DB, "FAIL", "LOW")
    expired["evidence"] = {"suppression": {**MUTED_BY, "expires": "2026-12-13T12:00:00Z"}}
    drift = diff_scans(stored(snap_a, document(snap_a, [old])),
                       stored(snap_b, document(snap_b, [new, expired])))
    change = next(c for c in drift.findings_changed if c.rule_id == "secret-rotation-disabled")
    assert change.unmuted == "its suppression expired on 2026-12-13T12:00:00Z"
