"""enable-secret-rotation on a secret whose rotation was turned off (CancelRotateSecret keeps
its RotationLambdaARN and RotationRules): RotateSecret replaces them with the configured
function and schedule, and the undo, CancelRotateSecret, turns rotation off without putting
them back -- no call sets them without turning rotation on. The plan said "undo: yes" and
nothing of it (safe-fixes trial round 19); its note now names what the undo leaves."""

from __future__ import annotations

from dataclasses import replace

from helpers.access_estate import SECRET_ARN, estate, secret_policy_for, APP_ROLE
from remediations import enable_secret_rotation
from scanner.changes import PlanContext
from scanner.findings import Finding, ResourceRef, Severity, Status, finding_id
from scanner.model import Snapshot
from scanner.remediate.config import parse_config

OLD = "arn:aws:lambda:us-east-1:111111111111:function:rotate-old"
NEW = "arn:aws:lambda:us-east-1:111111111111:function:rotate-pg"


def _snapshot(**rotation: object) -> Snapshot:
    snap = estate(secret_policy=secret_policy_for(APP_ROLE))
    return replace(snap, accounts=tuple(replace(a, regions=tuple(replace(r, secrets=tuple(
        replace(s, rotation_enabled=False, **rotation) for s in r.secrets))
        for r in a.regions)) for a in snap.accounts))


def _notes(snapshot: Snapshot) -> tuple[str, ...]:
    rule = "secret-rotation-disabled"
    finding = Finding(id=finding_id(rule, SECRET_ARN, None), rule_id=rule, title=rule,
                      severity=Severity.MEDIUM, status=Status.FAIL,
                      resource=ResourceRef(type="Secret", arn=SECRET_ARN,
                                           account_id="111111111111", region="us-east-1"),
                      remediation={"id": "enable-secret-rotation"})
    config = parse_config({"rotation_functions": [{"lambda_arn": NEW}],
                           "remediation": {"rotation_days": 30}}, path="c.yaml")
    (change,) = enable_secret_rotation.plan(finding, snapshot, PlanContext(config=config))
    assert change.calls[0].params["RotationLambdaARN"] == NEW
    return change.notes


def test_a_rotation_turned_off_is_named_as_what_the_undo_leaves_replaced() -> None:
    notes = _notes(_snapshot(rotation_lambda_arn=OLD, rotation_days=7))
    (said,) = [n for n in notes if "--undo" in n]
    assert "rotate-old (every 7 days)" in said, said
    assert "without putting that function and schedule back" in said, said


def test_a_secret_never_rotated_has_nothing_to_put_back() -> None:
    notes = _notes(_snapshot())
    assert not [n for n in notes if "--undo" in n], notes
