"""kms-key-policy-excess-grant with some secret policies of the key unread: a policy not read
can only cover more of the key's grants, so with none in excess over the policies read the
answer is a definite PASS; a secret scheduled for deletion grants no one and leaves the
verdict alone (ground-truth trial: UNKNOWN, "see coverage", with no coverage entry)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from helpers.access_estate import APP_ROLE, KEY_ARN, estate, key_policy_for, secret_policy_for

from scanner.pipeline import ScanOptions, analyze, load_inputs


def _verdicts(second: dict[str, Any], first_grants: str = APP_ROLE) -> list[str]:
    snap = estate(secret_policy=secret_policy_for(first_grants),
                  key_policy=key_policy_for(APP_ROLE))
    accounts = []
    for a in snap.accounts:
        regions = []
        for r in a.regions:
            secrets = r.secrets
            if secrets:
                other = replace(secrets[0], arn=secrets[0].arn.replace("app/db", "app/other"),
                                name="app/other", **second)
                secrets = secrets + (other,)
            regions.append(replace(r, secrets=secrets))
        accounts.append(replace(a, regions=tuple(regions)))
    analysis = analyze(replace(snap, accounts=tuple(accounts)), load_inputs(ScanOptions()))
    return [f.status.value for f in analysis.findings
            if f.rule_id == "kms-key-policy-excess-grant" and f.resource.arn == KEY_ARN]


UNREAD = {"resource_policy": None, "unread": ("resource_policy",)}


def test_an_unread_policy_beside_policies_that_cover_every_grant_is_a_pass() -> None:
    assert _verdicts(UNREAD) == []  # PASS (summarised, not itemised)


def test_an_unread_policy_beside_a_grant_nobody_covers_stays_unknown() -> None:
    assert _verdicts(UNREAD, first_grants="arn:aws:iam::222222222222:role/Somebody") == \
        ["UNKNOWN"]


def test_a_secret_scheduled_for_deletion_does_not_make_its_key_unknown() -> None:
    assert _verdicts(dict(UNREAD, deleted_date="2026-12-01T00:00:00Z")) == []
