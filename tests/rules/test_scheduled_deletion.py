"""A secret scheduled for deletion is not judged: Secrets Manager refuses to read it or its
policy ("marked for deletion"), so the collector does not ask, and its rules answered UNKNOWN
("not read: see coverage", with no coverage entry) and FAIL every night (new-user trial)."""

from __future__ import annotations

from dataclasses import replace

from helpers.access_estate import SECRET_ARN, estate

from scanner.pipeline import ScanOptions, analyze, load_inputs


def _findings_of_the_secret(deleted: bool) -> list[tuple[str, str]]:
    snap = estate(secret_policy=None, kms_key_id=None)
    accounts = tuple(replace(a, regions=tuple(replace(r, secrets=tuple(
        replace(s, deleted_date="2026-12-01T00:00:00Z", unread=("resource_policy",))
        if deleted else s for s in r.secrets)) for r in a.regions)) for a in snap.accounts)
    analysis = analyze(replace(snap, accounts=accounts), load_inputs(ScanOptions()))
    return sorted((f.rule_id, f.status.value) for f in analysis.findings
                  if f.resource.arn == SECRET_ARN)


def test_a_secret_scheduled_for_deletion_has_no_findings() -> None:
    assert _findings_of_the_secret(deleted=False)  # the same secret, alive, is judged
    assert _findings_of_the_secret(deleted=True) == []
