"""The night an alias of a rotation function moves to another version, `diff` names the alias
and the role and VPC it now runs with (ground-truth trial round 29: the line was the whole
``qualifier_settings`` mapping, old and new, shortened to where they first differ -- which
alias moved was not said). A version or alias read on one night only is ``(absent)`` on the
other, with no note."""

from __future__ import annotations

from dataclasses import replace

from helpers.scanfactory import CENTRAL, REGION, snapshot, stored
from scanner.history.diff import diff_scans
from scanner.history.drift import resource_change_lines
from scanner.model import FunctionVersion, LambdaFunction, Snapshot

T1, T2 = "2026-12-07T01:00:00Z", "2026-12-08T01:00:00Z"
FN = f"arn:aws:lambda:{REGION}:{CENTRAL}:function:rotate"
OLD, NEW = (f"arn:aws:iam::{CENTRAL}:role/{n}" for n in ("OldRotator", "NewRotator"))
V1 = FunctionVersion(role_arn=OLD, subnet_ids=("subnet-1",), vpc_id="vpc-old")
V2 = FunctionVersion(role_arn=NEW, subnet_ids=("subnet-2",), vpc_id="vpc-new")


def _night(scan_id: str, started: str, **versions: FunctionVersion) -> Snapshot:
    snap = snapshot(scan_id, started)
    fn = LambdaFunction(arn=FN, name="rotate", account_id=CENTRAL, region=REGION,
                        role_arn=NEW, qualifiers=tuple(sorted(versions)),
                        qualifier_settings=versions)
    accounts = tuple(replace(a, regions=(replace(a.regions[0], lambda_functions=(fn,)),))
                     if a.account_id == CENTRAL else a for a in snap.accounts)
    return replace(snap, accounts=accounts)


def test_an_alias_moved_to_another_version_says_what_it_now_runs_with() -> None:
    drift = diff_scans(stored(_night("a", T1, **{"1": V1, "blue": V2, "live": V1})),
                       stored(_night("b", T2, **{"1": V1, "blue": V1, "live": V1})))
    (rc,) = drift.resources_changed
    assert [(f.field, f.note) for f in rc.fields] == [(
        "qualifier_settings.blue", f"blue now runs as role {OLD} (was {NEW}), in VPC vpc-old "
        "(was vpc-new)")]
    (line,) = resource_change_lines(rc)
    assert line.strip().startswith("qualifier_settings.blue:") and "blue now runs" in line


def test_a_version_read_on_one_night_only_is_absent_on_the_other() -> None:
    drift = diff_scans(stored(_night("a", T1, **{"blue": V2})),
                       stored(_night("b", T2, **{"blue": V2, "live": V1})))
    (rc,) = drift.resources_changed
    assert [(f.field, f.old, f.note) for f in rc.fields] == [
        ("qualifiers", ["blue"], None), ("qualifier_settings.live", None, None)]
