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


def test_an_unmuted_finding_carries_no_muted_by() -> None:
    drift = _drift("MUTED", "FAIL")
    (change,) = drift.findings_changed
    assert finding_change_note(change, "changed") == "status MUTED -> FAIL"
    assert "muted_by" not in drift.to_json()["findings"]["changed"][0]
