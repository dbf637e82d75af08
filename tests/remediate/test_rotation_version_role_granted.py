"""A secret rotated by a version or alias of its function is rotated by the role that
version runs as (Lambda API Reference, GetFunctionConfiguration: "Returns the
version-specific settings of a Lambda function or version"), and secret-rotation-role-cannot-read
names that role since the rule reads the version's own settings. The planner took the role of
the unqualified function ($LATEST) instead (remediations.base.rotation_role stripped the
qualifier): the version's role the finding named was refused as "not the role the secret's
rotation function runs as in the snapshot: rescan and plan again", however often one
rescanned, and a move-secret-to-cmk's companion gave kms:GenerateDataKey to $LATEST's role,
leaving the role that rotates with kms:Decrypt alone (safe-fixes trial round 19)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "access"))

from test_access_rotation_version_role import (  # noqa: E402
    FN, FN_DENIED, RULE, ROTATOR, ROTATOR_DENIED, estate, judged, secret)

from remediations.base import rotation_role, find_secret  # noqa: E402
from scanner.model import FunctionVersion  # noqa: E402
from scanner.remediate.config import parse_config  # noqa: E402
from scanner.remediate.planner import Selection, build_plan  # noqa: E402


def _added(change: Any) -> list[dict[str, Any]]:
    return [s.after for s in change.policy_diff.statements if s.op == "added"]


def test_the_role_of_the_alias_that_rotates_is_granted_not_latests() -> None:
    """key-closed is rotated by rotate-denied:live; live runs as rotator (whose own policy
    reads it; the key policy alone denies), $LATEST as rotator-denied."""
    snapshot = estate({"key-closed": FN_DENIED + ":live"},
                      {FN_DENIED: {"qualifiers": ("live",),
                                   "qualifier_settings": {"live": FunctionVersion(
                                       role_arn=ROTATOR)}}})
    _, findings = judged(snapshot)
    found = findings[secret("key-closed")]
    assert found.status.value == "FAIL" and found.evidence["execution_role"] == ROTATOR
    assert found.evidence["denied_by"] == ["key_policy"]

    plan = build_plan(list(findings.values()), snapshot, parse_config({}, path="x.yaml"),
                      Selection(findings=(found.id,)))

    assert not plan.skipped, plan.skipped
    (change,) = plan.changes
    assert change.remediation_id == "grant-key-decrypt"
    (added,) = _added(change)
    assert added["Principal"] == {"AWS": ROTATOR}
    assert added["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert found.id in {f["id"] for f in (change.effect or {}).get("findings_resolved") or ()}


def test_the_planners_rotation_role_is_the_versions_own() -> None:
    """The one answer (graph.schema.rotation_execution_role): a version's own role; $LATEST
    and the unqualified ARN the function's; a version whose settings were not kept: none."""
    version = estate({"key-closed": FN + ":blue", "reads": FN + ":$LATEST"},
                     {FN: {"qualifiers": ("blue", "green"),
                           "qualifier_settings": {"blue": FunctionVersion(
                               role_arn=ROTATOR_DENIED)}}})
    assert rotation_role(version, find_secret(version, secret("key-closed"))) == ROTATOR_DENIED
    assert rotation_role(version, find_secret(version, secret("reads"))) == ROTATOR
    unkept = estate({"key-closed": FN + ":green"},
                    {FN: {"qualifiers": ("blue", "green"),
                          "qualifier_settings": {"blue": FunctionVersion(
                              role_arn=ROTATOR_DENIED)}}})
    assert rotation_role(unkept, find_secret(unkept, secret("key-closed"))) is None
