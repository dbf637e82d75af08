"""A finding whose remediation is a manual step is listed as not planned with what its
finding found, then the steps: the steps are the rule's text for every finding of it ("Let
the execution role read the secret ... remove the Deny, SCP or RCP the finding names"), and
the plan -- terminal, remediation-plan.md / .html / .json -- did not show the finding, so
which role, which key and which gate were nowhere in it (new-user trial round 34: the demo's
secret-rotation-role-cannot-read, fixed by hand from the plan)."""

from __future__ import annotations

import dataclasses

from helpers.remediate_records import finding, snapshot
from scanner.changes import RemediationConfig
from scanner.remediate.planner import Selection, build_plan

FOUND = ("AWSPENDING is on version 3f2a..., not AWSCURRENT, since 2026-12-01: the last "
         "rotation did not finish")
STEPS = ("Look at the rotation function's CloudWatch logs for the failed step, fix it, then "
         "finish or cancel the rotation.\n")
ROLE_MISSING = ("rotation function rotate-generic runs as role SecretsRotationRole, which "
                "its account's IAM does not hold")


def test_a_manual_step_says_what_its_finding_found_before_the_steps() -> None:
    stuck = dataclasses.replace(
        finding("secret-rotation-failing", "fix-stuck-rotation"),
        message=FOUND, remediation={"id": "fix-stuck-rotation", "description": STEPS})

    plan = build_plan([stuck], snapshot(), RemediationConfig(), Selection())

    (skipped,) = plan.skipped
    assert skipped.reason == (f"fix-stuck-rotation has no automated remediator; "
                              f"found: {FOUND}; manual steps: {STEPS.strip()}")


def test_a_reason_that_points_at_the_findings_message_carries_it() -> None:
    """grant-rotation-role-read is planned when the key policy alone denies the role; for a
    role that is missing (no gate to blame) the reason defers to the finding's message, which
    the plan then shows."""
    missing = dataclasses.replace(
        finding("secret-rotation-role-cannot-read", "grant-rotation-role-read"),
        message=ROLE_MISSING, remediation={"id": "grant-rotation-role-read",
                                           "description": "Let the role read the secret.\n"})

    plan = build_plan([missing], snapshot(), RemediationConfig(), Selection())

    (skipped,) = plan.skipped
    assert skipped.reason.endswith(f"(the finding's message says which): fix the role by hand;"
                                   f" found: {ROLE_MISSING}")


def test_a_finding_without_a_message_keeps_the_steps_alone() -> None:
    silent = dataclasses.replace(
        finding("secret-rotation-failing", "fix-stuck-rotation"),
        remediation={"id": "fix-stuck-rotation", "description": STEPS})

    plan = build_plan([silent], snapshot(), RemediationConfig(), Selection())

    (skipped,) = plan.skipped
    assert skipped.reason == ("fix-stuck-rotation has no automated remediator; "
                              f"manual steps: {STEPS.strip()}")
