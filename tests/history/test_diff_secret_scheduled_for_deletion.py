"""A secret scheduled for deletion between two nights was not fixed, and one restored did not
break: the diff says so beside its findings and its DeletedDate (ground-truth trial round 25).

"When a secret is scheduled for deletion, you cannot retrieve the secret value. You must first
cancel the deletion with RestoreSecret and then you can retrieve the secret" (Secrets Manager
API Reference, DeleteSecret), so no rule judges it (docs/rules.md). The drift listed
``resolved secret-rotation-disabled ...svc/caller-app`` with only "no longer reported" -- it
read as fixed -- ``deleted_date: null -> 2026-12-14...`` with nothing saying what that means,
and "not read: resource_policy" among what was not assessed, as if a call had failed, where
Secrets Manager refuses to read a scheduled secret's policy."""

from __future__ import annotations

from dataclasses import replace

from scanner.history.diff import diff_scans
from scanner.history.drift import finding_change_note, render_drift_text

from helpers.scanfactory import document, finding, secret, snapshot, stored

T1, T2 = "2026-12-06T01:00:00Z", "2026-12-07T01:00:00Z"
OFF = "secret-rotation-disabled"
WHEN = "2026-12-14T01:00:00Z"
SCHEDULED = (f"its secret is scheduled for deletion ({WHEN}): no one can read it, and no "
             "rule judges it, until it is restored")


def _scheduled(name: str) -> object:
    # what the collector records: DeletedDate set, the policy not read (Secrets Manager
    # refuses GetResourcePolicy on it)
    return replace(secret(name, rotation=False, unread=("resource_policy",)),
                   deleted_date=WHEN)


def test_the_findings_of_a_secret_scheduled_for_deletion_say_so() -> None:
    live = secret("svc/caller-app", rotation=False)
    old = snapshot("a", T1, [live])
    new = snapshot("b", T2, [_scheduled("svc/caller-app")])
    drift = diff_scans(stored(old, document(old, [finding(OFF, live.arn)])),
                       stored(new, document(new, [])))
    [resolved] = drift.findings_resolved
    assert finding_change_note(resolved, "resolved") == SCHEDULED
    [changed] = drift.resources_changed
    [field] = changed.fields
    assert (field.field, field.note) == ("deleted_date", "scheduled for deletion")
    # its policy is unread because Secrets Manager refuses it, not because a call failed
    assert [n.reason for n in drift.not_assessed] == [
        "not read: resource_policy (scheduled for deletion: Secrets Manager refuses to read "
        "it until the secret is restored)"]
    assert SCHEDULED in render_drift_text(drift)


def test_the_findings_of_a_restored_secret_say_it_was_restored() -> None:
    live = secret("old/retired", rotation=False)
    old = snapshot("a", T1, [_scheduled("old/retired")])
    new = snapshot("b", T2, [live])
    drift = diff_scans(stored(old, document(old, [])),
                       stored(new, document(new, [finding(OFF, live.arn)])))
    [new_one] = drift.findings_new
    assert finding_change_note(new_one, "new") == (
        "its secret was restored: it was scheduled for deletion, and judged by no rule")
    [changed] = drift.resources_changed
    [field] = changed.fields
    assert (field.field, field.note) == ("deleted_date", "restored (deletion cancelled)")
