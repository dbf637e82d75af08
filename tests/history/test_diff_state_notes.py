"""A key's or a peering's state change in `diff` says what it means, not the change again:
"key_state: PendingDeletion -> Enabled (key state PendingDeletion -> Enabled)" repeated itself
(new-user trial round 18, LOW); now "(deletion cancelled)", and no note where there is nothing
to add."""

from __future__ import annotations

import pytest

from helpers.scanfactory import CENTRAL, snapshot, stored
from scanner.history.diff import diff_scans
from scanner.history.drift import resource_change_lines
from scanner.model import KmsKey

T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"


def _key(state: str) -> KmsKey:
    return KmsKey(arn="arn:aws:kms:us-east-1:111111111111:key/k1", key_id="k1",
                  account_id=CENTRAL, region="us-east-1", key_manager="CUSTOMER",
                  key_state=state)


@pytest.mark.parametrize(("old", "new", "note"), [
    ("PendingDeletion", "Enabled", "deletion cancelled"),
    ("PendingDeletion", "Disabled", "deletion cancelled"),
    ("Enabled", "PendingDeletion", "scheduled for deletion"),
    ("Enabled", "Disabled", "key disabled"),
    ("Disabled", "Enabled", "key enabled"),
    # ground-truth trial round 30: imported key material, a custom key store disconnected
    ("PendingImport", "Enabled", "key material imported"),
    ("Enabled", "PendingImport", "no key material (not imported, or deleted): it decrypts "
                                 "nothing"),
    ("Enabled", "Unavailable", "its custom key store is disconnected: it decrypts nothing"),
    ("Unavailable", "Enabled", "its custom key store is connected again"),
    ("Enabled", "Updating", None),
])
def test_a_key_state_change_says_what_it_means(old: str, new: str, note: str | None) -> None:
    drift = diff_scans(stored(snapshot("a", T1, keys=[_key(old)])),
                       stored(snapshot("b", T2, keys=[_key(new)])))
    (rc,) = drift.resources_changed
    assert [(f.field, f.note) for f in rc.fields] == [("key_state", note)]
    (line,) = resource_change_lines(rc)
    assert line.count(f"{old} -> {new}") == 1


@pytest.mark.parametrize(("old", "new", "note"), [
    ("pending-acceptance", "active", "peering now active"),
    ("active", "deleted", "peering no longer active: routes through it carry nothing"),
    ("pending-acceptance", "expired", None),
])
def test_a_peering_status_change_says_what_it_means_for_its_routes(
        old: str, new: str, note: str | None) -> None:
    from scanner.history.diff_resources import _notes

    assert _notes("peering", "status", old, new) == note
