"""A finding "changed (evidence)" says which evidence fields moved, old -> new, in the drift's
JSON and its terminal text (new-user trial round 8: enabling SCPs printed six "changed ...
(evidence)" lines that never said what changed)."""

from __future__ import annotations

from scanner.history.diff import diff_scans
from scanner.history.drift import FieldChange, drift_from_json, render_drift_text

from helpers.scanfactory import MEMBER, document, finding, secret, secret_arn, snapshot, stored

DB = secret_arn("db")
APP = f"arn:aws:iam::{MEMBER}:role/app"
T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"


def _drift(old_evidence: dict, new_evidence: dict, *, new_severity: str = "HIGH"):
    snap_a = snapshot("a", T1, [secret("db")])
    snap_b = snapshot("b", T2, [secret("db")])
    old = document(snap_a, [finding("secret-cross-account-access-broken", DB, principal=APP,
                                    evidence=old_evidence)])
    new = document(snap_b, [finding("secret-cross-account-access-broken", DB, principal=APP,
                                    severity=new_severity, evidence=new_evidence)])
    return diff_scans(stored(snap_a, old), stored(snap_b, new))


OLD_EV = {"gates": {"scp": "NOT_APPLICABLE", "key_policy": "DENIED"},
          "facts": ["scp: NOT_APPLICABLE (SCPs are not enabled in the organization)"],
          "blocked_by": ["key_policy"], "trust_zone": {"accounts_count": 6}}
NEW_EV = {"gates": {"scp": "ALLOWED", "key_policy": "DENIED"},
          "facts": ["scp: ALLOWED (FullAWSAccess applies)"],
          "blocked_by": ["key_policy"], "trust_zone": {"accounts_count": 6},
          "conditions": ["aws:PrincipalOrgID"]}


def test_a_changed_evidence_names_the_fields_that_moved_in_json_and_text() -> None:
    """New-user trial round 8: "changed ... (evidence)" never said WHAT evidence changed."""
    drift = _drift(OLD_EV, NEW_EV)
    (change,) = drift.findings_changed
    assert change.changes == ("evidence",)
    assert change.evidence_changes == (
        FieldChange(field="gates.scp", old="NOT_APPLICABLE", new="ALLOWED"),
        FieldChange(field="conditions", old=None, new=["aws:PrincipalOrgID"],
                    note="absent before"),
        FieldChange(field="facts", old=OLD_EV["facts"], new=NEW_EV["facts"]),
    )  # unchanged fields (blocked_by, trust_zone, gates.key_policy) are not listed

    row = drift.to_json()["findings"]["changed"][0]
    assert row["evidence_changes"][0] == {"field": "gates.scp", "old": "NOT_APPLICABLE",
                                          "new": "ALLOWED", "note": None}
    assert drift_from_json(drift.to_json()) == drift_from_json(drift.to_json())
    assert drift_from_json(drift.to_json()).findings_changed[0].evidence_changes == \
        change.evidence_changes

    text = render_drift_text(drift)
    line = next(ln for ln in text.splitlines() if ln.startswith("  changed"))
    assert "(evidence: gates.scp NOT_APPLICABLE -> ALLOWED, conditions (absent) -> " \
        '["aws:PrincipalOrgID"], facts ' in line, line


def test_evidence_beside_a_severity_change_and_many_moved_fields_stay_short() -> None:
    """New-user trial round 8: the terminal line stays one short note -- the first fields moved
    and how many more (the JSON holds them all), values shortened."""
    old = {f"f{i}": "x" * 300 for i in range(6)}
    new = {f"f{i}": "y" * 300 for i in range(6)}
    drift = _drift(old, new, new_severity="LOW")
    (change,) = drift.findings_changed
    assert change.changes == ("severity", "evidence") and len(change.evidence_changes) == 6
    line = next(ln for ln in render_drift_text(drift).splitlines()
                if ln.startswith("  changed"))
    assert "(severity HIGH -> LOW, evidence: f0 " in line and "and 3 more field(s))" in line
    assert len(line) < 600, line


def test_counts_of_what_was_not_assessed_are_no_moved_field() -> None:
    """The 1,000-account trial rule stands: ``unassessed_accounts`` alone is no change, and it
    is not listed among the moved fields beside a real one."""
    drift = _drift({"gates": {"scp": "NOT_APPLICABLE"}, "unassessed_accounts": ["1"]},
                   {"gates": {"scp": "ALLOWED"}, "unassessed_accounts": ["1", "2"]})
    (change,) = drift.findings_changed
    assert [c.field for c in change.evidence_changes] == ["gates.scp"]
