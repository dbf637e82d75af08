"""move-secret-to-cmk on a rotated secret whose rotation function's role cannot use the new
key: the companion grant-key-decrypt statement kept the role's read (kms:Decrypt), and the
move's own RotateSecret then started a rotation that could not write its new version -- the
role needs kms:GenerateDataKey on the key too (Secrets Manager User Guide, "Lambda rotation
function execution role permissions": "If the secret is encrypted with a KMS key other than
the AWS managed key aws/secretsmanager, then you need to grant the Lambda execution role
permission to use the key", kms:Decrypt and kms:GenerateDataKey). The plan said "readers
+0 -0; findings created 0" and the rotation it started failed (safe-fixes trial round 17)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from moto.moto_api._internal import mock_random

from helpers.remediate_estate import (CENTRAL, REGION, REPORTING_ROLE, account_session,
                                      build_estate, config_for, findings_for, scan)
from scanner.changes import PlannedChange
from scanner.remediate.config import parse_config
from scanner.remediate.planner import Selection, build_plan


def _plan_move_of_a_rotated_secret(tmp_path: Path) -> tuple[list[PlannedChange], str]:
    """app/plain rotated by rotate-postgres, whose role may use only another key (its own
    account's identity policy names no other; the CMK's policy only delegates to IAM)."""
    mock_random.seed(20261207)
    estate = build_estate()
    central = account_session(CENTRAL)
    iam = central.client("iam")
    iam.put_role_policy(RoleName="rotation-lambda", PolicyName="rotate", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": [
                "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"],
             "Resource": f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:app/*"},
            {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
             "Resource": estate.doomed_key_arn}]}))
    role = iam.get_role(RoleName="rotation-lambda")["Role"]["Arn"]
    central.client("secretsmanager", region_name=REGION).rotate_secret(
        SecretId=estate.plain_secret, RotationLambdaARN=estate.rotation_lambda,
        RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    snapshot = scan(tmp_path / "scan", "scan-rotated")
    plan = build_plan(findings_for(estate), snapshot, parse_config(config_for(estate), path="secretgraph.yaml"),
                      Selection(rules=("move-secret-to-cmk",)))
    return list(plan.changes), role


def _names(statement: dict[str, Any]) -> tuple[str, ...]:
    named = statement["Principal"]["AWS"]
    return tuple(sorted([named] if isinstance(named, str) else named))


def test_the_rotation_role_may_also_generate_data_keys_for_the_secret_on_its_new_key(
        aws: None, tmp_path: Path) -> None:
    changes, role = _plan_move_of_a_rotated_secret(tmp_path)
    (grant,) = [c for c in changes if c.remediation_id == "grant-key-decrypt"]
    (move,) = [c for c in changes if c.remediation_id == "move-secret-to-cmk"]
    assert [c.operation for c in move.calls] == ["UpdateSecret", "RotateSecret"]
    assert changes.index(grant) < changes.index(move)
    assert grant.policy_diff is not None
    added = [s for s in json.loads(grant.policy_diff.after)["Statement"]
             if s.get("Sid", "").startswith("Secretgraph")]
    by_principal = {_names(s): s for s in added}
    # the reader keeps its read: kms:Decrypt, as before
    assert by_principal[(REPORTING_ROLE,)]["Action"] == "kms:Decrypt"
    # the rotation role may write the new version rotation makes, for this secret only,
    # through Secrets Manager only
    rotation = by_principal[(role,)]
    assert rotation["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert rotation["Condition"] == {"StringEquals": {
        "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com",
        "kms:EncryptionContext:SecretARN": move.resource_arn}}
    assert "kms:GenerateDataKey" in grant.summary and role in grant.summary
    # and the move still keeps every reader
    assert move.effect is not None and not move.effect.get("readers_lost")
