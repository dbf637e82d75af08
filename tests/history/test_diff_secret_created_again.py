"""A secret deleted and created again under its name is another secret, and the diff says so
beside its findings (ground-truth trial round 24).

"The ARN includes the name of the secret followed by six random characters. This ensures that
if you create a new secret with the same name as a deleted secret, then users with access to
the old secret don't get access to the new secret because the ARNs are different" (Secrets
Manager API Reference, CreateSecret, response element ARN). So the two are two resources, and their findings two findings. But the drift listed ``resolved
secret-rotation-disabled ...recreated/db-PYCUsR`` beside ``new ... recreated/db-hpqHCP``
with nothing linking them: "resolved" read as fixed, where the secret was deleted and the
same problem came back with its successor."""

from __future__ import annotations

from dataclasses import replace

from scanner.history.diff import diff_scans
from scanner.history.drift import finding_change_note, render_drift_text

from helpers.scanfactory import document, finding, secret, secret_arn, snapshot, stored

T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"
OFF = "secret-rotation-disabled"


def _nights(*, again: bool):  # type: ignore[no-untyped-def]
    first = secret("recreated/db", rotation=False)
    other = secret("other/db", rotation=False)
    second = replace(first, arn=first.arn.replace("-AbCdEf", "-ZyXwVu"))
    old = snapshot("a", T1, [first, other])
    new = snapshot("b", T2, [second, other] if again else [other])
    old_doc = document(old, [finding(OFF, first.arn), finding(OFF, other.arn)])
    new_doc = document(new, [finding(OFF, second.arn), finding(OFF, other.arn)] if again
                       else [finding(OFF, other.arn)])
    return stored(old, old_doc), stored(new, new_doc), first.arn, second.arn


def test_the_findings_of_a_secret_created_again_name_its_predecessor() -> None:
    old, new, first, second = _nights(again=True)
    drift = diff_scans(old, new)
    [resolved] = drift.findings_resolved
    [new_one] = drift.findings_new
    assert (resolved.resource_arn, new_one.resource_arn) == (first, second)
    assert finding_change_note(resolved, "resolved") == (
        f"its secret was deleted, and one of the same name created again: {second}")
    assert finding_change_note(new_one, "new") == (
        f"its secret was created again under the name of a deleted one: {first}")
    text = render_drift_text(drift)
    assert f"created again: {second}" in text and f"deleted one: {first}" in text


def test_the_findings_of_a_deleted_secret_say_it_was_deleted() -> None:
    old, new, first, _ = _nights(again=False)
    drift = diff_scans(old, new)
    [resolved] = drift.findings_resolved
    assert resolved.resource_arn == first
    assert finding_change_note(resolved, "resolved") == "its resource was deleted"
    assert "no longer reported" in resolved.changes


def test_a_finding_resolved_on_a_resource_still_there_says_nothing_more() -> None:
    old, new, _, _ = _nights(again=False)
    other = secret_arn("other/db")
    fixed = stored(new.snapshot, document(new.snapshot, []))
    [resolved] = [f for f in diff_scans(old, fixed).findings_resolved
                  if f.resource_arn == other]
    assert resolved.changes == ("no longer reported",)
    assert finding_change_note(resolved, "resolved") == ""
