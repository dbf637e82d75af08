"""A principal's unique id (IamPrincipal.unique_id, collected since ground-truth trial round 22)
in `diff`: a snapshot from before it was collected has none, so the first night after the
upgrade is no change of every role and user; a role deleted and created again under the same
name has a new id -- a change, said as such (IAM User Guide, "IAM identifiers": a new role with
the name of a deleted one "has a different unique ID", and a policy naming the old one by its
id does not apply to it)."""

from __future__ import annotations

from dataclasses import replace

from helpers.scanfactory import MEMBER, snapshot, stored
from scanner.history.diff import diff_scans
from scanner.model import IamPrincipal, IamSnapshot, Snapshot

T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"
APP = IamPrincipal(arn=f"arn:aws:iam::{MEMBER}:role/App", name="App", account_id=MEMBER,
                   principal_type="role")


def _snap(scan_id: str, started: str, unique_id: str | None) -> Snapshot:
    snap = snapshot(scan_id, started)
    app = replace(APP, unique_id=unique_id)
    return replace(snap, accounts=tuple(
        replace(a, iam=IamSnapshot(principals=(app,) if a.account_id == MEMBER else ()))
        for a in snap.accounts))


def test_an_id_collected_for_the_first_time_is_no_change() -> None:
    drift = diff_scans(stored(_snap("a", T1, None)), stored(_snap("b", T2, "AROA5APP0ID")))
    assert drift.resources_changed == ()


def test_a_role_created_again_under_its_name_is_a_change() -> None:
    drift = diff_scans(stored(_snap("a", T1, "AROA5APP0ID")), stored(_snap("b", T2, "AROA5NEW0ID")))
    (rc,) = drift.resources_changed
    assert [(f.field, f.old, f.new, f.note) for f in rc.fields] == [
        ("unique_id", "AROA5APP0ID", "AROA5NEW0ID",
         "deleted and created again: a policy naming the old unique id does not apply to it")]
