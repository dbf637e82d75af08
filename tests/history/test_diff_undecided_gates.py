"""A finding reported both nights whose evidence moved only because one scan could not decide a
gate (UNKNOWN: the key's grants unread after the audit role lost kms:ListGrants) is "not
assessed", not "changed": the estate did not change, the scan's view of it did (new-user trial
round 24: "changed (evidence: blocked_by ["key_policy"] -> [], gates.key_policy DENIED ->
UNKNOWN)" on that night, beside the coverage gap that was its cause)."""

from __future__ import annotations

from typing import Any

from scanner.history.diff import diff_scans
from scanner.history.drift import render_drift_text

from helpers.scanfactory import MEMBER, finding, document, secret, secret_arn, snapshot, stored

DB = secret_arn("db")
APP = f"arn:aws:iam::{MEMBER}:role/App"
T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"


def _external(key_gate: str, blocked: list[str], resource_gate: str = "ALLOWED") -> Any:
    """secret-policy-external-account's evidence: the gates of the external grant and the
    ones that block it."""
    f = finding("secret-policy-external-account", DB, "FAIL", "HIGH")
    f["evidence"] = {"external_principal": "999999999999",
                     "gates": {"resource_policy": resource_gate, "key_policy": key_gate,
                               "identity_policy": "NOT_APPLICABLE", "scp": "NOT_APPLICABLE"},
                     "blocked_by": blocked}
    return f


def _broken(key_gate: str, denied: list[str]) -> Any:
    """secret-cross-account-access-broken's evidence: per principal."""
    f = finding("secret-cross-account-access-broken", DB, "FAIL", "MEDIUM")
    f["principal"] = APP
    f["evidence"] = {"gates": {APP: {"resource_policy": "ALLOWED", "key_policy": key_gate,
                                     "identity_policy": "DENIED", "scp": "NOT_APPLICABLE"}},
                     "denied_by": denied}
    return f


def _drift(old: Any, new: Any) -> Any:
    a = snapshot("a", T1, [secret("db")])
    b = snapshot("b", T2, [secret("db")])
    return diff_scans(stored(a, document(a, [old])), stored(b, document(b, [new])))


def test_a_key_gate_undecided_tonight_is_not_a_change_of_an_external_grant() -> None:
    drift = _drift(_external("DENIED", ["key_policy"]), _external("UNKNOWN", []))
    assert not drift.findings_changed
    [na] = [n for n in drift.not_assessed if n.scope == "finding"]
    assert na.scan == "new"
    assert na.subject == f"secret-policy-external-account {DB}"
    assert na.reason == ("its evidence moved only because key_policy could not be decided "
                         "(UNKNOWN) in the new scan")
    assert "changed " not in render_drift_text(drift)


def test_a_readers_key_gate_undecided_tonight_is_not_a_change_either() -> None:
    drift = _drift(_broken("DENIED", ["key_policy", "identity_policy"]),
                   _broken("UNKNOWN", ["identity_policy"]))
    assert not drift.findings_changed
    [na] = [n for n in drift.not_assessed if n.scope == "finding"]
    assert na.subject.endswith(f"principal {APP}") and na.scan == "new"


def test_decided_again_the_next_night_is_said_of_the_old_scan() -> None:
    drift = _drift(_external("UNKNOWN", []), _external("DENIED", ["key_policy"]))
    assert not drift.findings_changed
    [na] = [n for n in drift.not_assessed if n.scope == "finding"]
    assert na.scan == "old" and "in the old scan" in na.reason


def test_a_gate_that_changed_besides_one_undecided_is_still_a_change() -> None:
    # the resource policy now denies: that is the estate, whatever the key gate says
    drift = _drift(_external("DENIED", ["key_policy"]),
                   _external("UNKNOWN", ["resource_policy"], resource_gate="DENIED"))
    [change] = drift.findings_changed
    assert change.rule_id == "secret-policy-external-account"
    assert [n for n in drift.not_assessed if n.scope == "finding"] == []


def test_a_gate_decided_both_nights_differently_is_a_change() -> None:
    drift = _drift(_external("DENIED", ["key_policy"]), _external("ALLOWED", []))
    [change] = drift.findings_changed
    assert {c.field for c in change.evidence_changes} == {"gates.key_policy", "blocked_by"}
