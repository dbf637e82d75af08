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

FOUND = ("rotation function rotate-generic runs as role SecretsRotationRole, which cannot "
         "read the secret: denied by key_policy (key policy trusts the account; no identity "
         "policy allows kms:Decrypt on the key)")
STEPS = ("Let the execution role read the secret: secretsmanager:GetSecretValue in its "
         "identity policy; remove the Deny, SCP or RCP the finding names.\n")


def test_a_manual_step_says_what_its_finding_found_before_the_steps() -> None:
    rotation = dataclasses.replace(
        finding("secret-rotation-role-cannot-read", "grant-rotation-role-read"),
        message=FOUND, remediation={"id": "grant-rotation-role-read", "description": STEPS})

    plan = build_plan([rotation], snapshot(), RemediationConfig(), Selection())

    (skipped,) = plan.skipped
    assert skipped.reason == (f"grant-rotation-role-read has no automated remediator; "
                              f"found: {FOUND}; manual steps: {STEPS.strip()}")


def test_a_finding_without_a_message_keeps_the_steps_alone() -> None:
    silent = dataclasses.replace(
        finding("secret-rotation-role-cannot-read", "grant-rotation-role-read"),
        remediation={"id": "grant-rotation-role-read", "description": STEPS})

    plan = build_plan([silent], snapshot(), RemediationConfig(), Selection())

    (skipped,) = plan.skipped
    assert skipped.reason == ("grant-rotation-role-read has no automated remediator; "
                              f"manual steps: {STEPS.strip()}")
