"""Condition keys the secret itself answers: secretsmanager:resource/AllowRotationLambdaArn is
the secret's rotation function (Secrets Manager UG, condition keys: "Secrets that do not have
rotation enabled or that have a different rotation Lambda ARN do not match")."""

from __future__ import annotations

from dataclasses import replace

import pytest

from helpers.access_estate import (CENTRAL, REGION, SECRET_ARN, doc, estate, key_policy_for,
                                   role)
from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import Snapshot

ROTATION_FN = f"arn:aws:lambda:{REGION}:{CENTRAL}:function:SecretsManagerRotation"
ROTATION_ROLE = f"arn:aws:iam::{CENTRAL}:role/RotationRole"
#: the identity policy of AWS's rotation function templates
TEMPLATE = doc({"Effect": "Allow", "Action": ["secretsmanager:DescribeSecret",
                                              "secretsmanager:GetSecretValue",
                                              "secretsmanager:PutSecretValue",
                                              "secretsmanager:UpdateSecretVersionStage"],
                "Resource": "*", "Condition": {"StringEquals": {
                    "secretsmanager:resource/AllowRotationLambdaArn": ROTATION_FN}}},
               {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})


def _rotated_by(snap: Snapshot, enabled: bool, function: str | None) -> Snapshot:
    return replace(snap, accounts=tuple(
        replace(a, regions=tuple(replace(r, secrets=tuple(
            replace(s, rotation_enabled=enabled, rotation_lambda_arn=function)
            for s in r.secrets)) for r in a.regions)) for a in snap.accounts))


@pytest.mark.parametrize("enabled,function,expected", [
    (True, ROTATION_FN, "ALLOWED"),
    (True, f"arn:aws:lambda:{REGION}:{CENTRAL}:function:Other", None),
    (False, None, None),
    (False, ROTATION_FN, None),  # rotation turned off: the function is still listed
])
def test_the_rotation_template_reads_only_the_secrets_its_function_rotates(
        enabled: bool, function: str | None, expected: str | None) -> None:
    snap = _rotated_by(estate(secret_policy=None,
                              key_policy=key_policy_for(f"arn:aws:iam::{CENTRAL}:root"),
                              principals=(role(ROTATION_ROLE, TEMPLATE),)), enabled, function)
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    paths = {p.principal: p for p in report.for_secret(SECRET_ARN).paths}
    path = paths.get(ROTATION_ROLE)
    assert (path.decision if path is not None else None) == expected
    if path is not None:
        assert not path.conditions


def test_a_grant_whose_time_window_closed_before_the_scan_lets_no_one_in() -> None:
    # aws:CurrentTime is unknown, but no request a verdict speaks of is older than the scan
    # (the snapshot's started_at, 2026-11-29): a window that closed in 2020 never opens again
    from helpers.access_estate import text

    def public_until(moment: str) -> Snapshot:
        return estate(secret_policy=text({
            "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
            "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": moment}}}),
            key_policy=key_policy_for("*"))

    def decisions(snap: Snapshot) -> dict[str, str]:
        report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
        return {p.principal: p.decision for p in report.for_secret(SECRET_ARN).paths}

    assert decisions(public_until("2020-01-01T00:00:00Z")).get("*") is None
    assert decisions(public_until("2030-01-01T00:00:00Z")).get("*") == "CONDITIONAL"


def test_the_solver_knows_the_time_floor_for_the_key_question_too() -> None:
    # a review: the key question's request template had no floor, so kms-key-policy-public
    # with prove got a WITNESS dated 1970 for a grant whose window closed in 2020
    from helpers.access_estate import KEY_ARN, text
    from scanner.policy.parse import parse_policy
    from scanner.policy.smt.use import RuleProver

    window = {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}
    root = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
            "Action": "kms:*", "Resource": "*"}
    public = {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
              "Resource": "*", "Condition": window}
    snap = estate(secret_policy=None, key_policy=text(root, public))
    prover = RuleProver(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    proof = prover.key_policy(KEY_ARN, parse_policy(text(root, public)), [1], CENTRAL, REGION)
    assert proof.answer.status == "PROVEN_NONE"


def test_a_replica_is_read_with_the_tags_its_node_carries() -> None:
    """Concept review round 2: a replica's tags were read three ways (the rules and
    suppressions: none; the access analysis: its primary's). "Secrets Manager replicates the
    encrypted secret data and metadata such as tags and resource policies across the specified
    Regions" (Secrets Manager User Guide): the access analysis reads the replica node's tags,
    the listing's own when its Region lists it -- the same ones rules and suppressions see."""
    from helpers.access_estate import REPLICA_ARN, replica_estate
    from scanner.access.graph_io import secret_views

    snap = replica_estate()
    snap = replace(snap, accounts=tuple(
        replace(a, regions=tuple(replace(r, secrets=tuple(
            replace(s, tags={"copy": "listed" if s.is_replica else "primary"})
            for s in r.secrets)) for r in a.regions)) for a in snap.accounts))
    graph = build_graph(snap)
    _, replicas = secret_views(graph, AccessSettings.from_snapshot(snap))
    (replica,) = replicas
    assert replica.arn == REPLICA_ARN
    assert replica.tags == {"copy": "listed"}
    assert dict(graph.nodes[f"{SECRET_ARN}#eu-west-1"]["tags"]) == replica.tags
