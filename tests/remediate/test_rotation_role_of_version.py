"""The rotation function's role that remediation grants is the role the rotation read judged:
for a secret rotated by a version or alias (``...:function:rotate-denied:live``), the role that
version runs as (its ``qualifier_settings``), not $LATEST's. remediations.base.rotation_role
stripped the qualifier, so a secret-rotation-role-cannot-read finding naming the version's
role was refused -- "... is not the role the secret's rotation function runs as in the
snapshot: rescan and plan again", which no rescan changes -- and move-secret-to-cmk's
companion would have granted the rotation statement to $LATEST's role (docs truth round 15:
docs/remediation.md says "for the role the snapshot's rotation function runs as")."""

from __future__ import annotations

from access.test_access_rotation_version_role import (FN_DENIED, ROTATOR, ROTATOR_DENIED, FX,
                                                      estate, judged, secret)
from remediations.base import rotation_role
from scanner.changes import RemediationConfig
from scanner.model import FunctionVersion, Secret, Snapshot
from scanner.remediate.planner import Selection, build_plan

LIVE = {FN_DENIED: {"qualifiers": ("live",),
                    "qualifier_settings": {"live": FunctionVersion(role_arn=ROTATOR)}}}


def _secret(snapshot: Snapshot, name: str) -> Secret:
    return next(s for a in snapshot.accounts for r in a.regions for s in r.secrets
                if s.arn == secret(name))


def test_the_role_remediation_grants_is_the_role_the_rotation_read_judged() -> None:
    for rotated_by, functions in (({"key-closed": FN_DENIED + ":live"}, LIVE),
                                  ({"key-closed": FN_DENIED}, {}),
                                  ({"key-closed": FN_DENIED + ":$LATEST"}, {})):
        snapshot = estate(rotated_by, functions)
        report, _ = judged(snapshot)
        for arn, read in report.rotation.items():
            name = arn.split(":")[-1].rsplit("-", 1)[0]
            assert rotation_role(snapshot, _secret(snapshot, name)) == read.role_arn, (
                rotated_by, name)
    live = estate({"key-closed": FN_DENIED + ":live"}, LIVE)
    assert rotation_role(live, _secret(live, "key-closed")) == ROTATOR  # not rotator-denied
    latest = estate({"key-closed": FN_DENIED}, {})
    assert rotation_role(latest, _secret(latest, "key-closed")) == ROTATOR_DENIED


def test_a_version_s_role_only_the_key_denies_gets_its_key_statement_planned() -> None:
    snapshot = estate({"key-closed": FN_DENIED + ":live"}, LIVE)
    _, findings = judged(snapshot)
    found = findings[secret("key-closed")]
    assert found.status.value == "FAIL" and found.evidence.get("execution_role") == ROTATOR
    plan = build_plan([found], snapshot, RemediationConfig(), Selection(), now=FX.now)
    assert [s.reason for s in plan.skipped] == []
    (change,) = plan.changes
    assert change.remediation_id == "grant-key-decrypt" and ROTATOR in change.summary
