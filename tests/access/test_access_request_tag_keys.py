"""A tag-governance SCP leaves the readers alone (IAM conformance trial round 11). aws:TagKeys
and aws:RequestTag/* are in a request "when tags are passed in the request" (IAM User Guide,
"AWS global condition context keys"); GetSecretValue and the kms:Decrypt Secrets Manager makes
pass none, so the keys are absent: "Deny * if ForAnyValue:StringNotEquals aws:TagKeys [owner,
env]" does not apply to a read (ALLOWED, was CONDITIONAL), "Deny secretsmanager:* if Null
aws:RequestTag/owner" applies to every read (DENIED, was CONDITIONAL) -- the solver agrees."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, MEMBER2, SECRET_ARN,
                                   allow_read_identity, control, estate, key_policy_for, role,
                                   secret_policy_for)
from helpers.prove_crosscheck import cross_check_pairs
from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import Snapshot

SCP = "SERVICE_CONTROL_POLICY"
FULL = control("full", SCP, ("r-root", CENTRAL, MEMBER, MEMBER2),
               {"Effect": "Allow", "Action": "*", "Resource": "*"})


def _snap(*statement: dict[str, Any]) -> Snapshot:
    return estate(secret_policy=secret_policy_for(APP_ROLE),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),),
                  scps=(FULL, control("tags", SCP, ("r-root",), *statement)))


def _path(snap: Snapshot) -> Any:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    report = analyze_access(build_graph(snap), snap, settings)
    return {p.principal: p for p in report.for_secret(SECRET_ARN).paths}[APP_ROLE]


def _agrees(snap: Snapshot, label: str) -> None:
    compared, failures = cross_check_pairs(snap, label)
    assert compared and not failures, failures


def test_a_tag_keys_guardrail_does_not_make_readers_conditional() -> None:
    """concept: IAM conformance trial round 11 -- CONDITIONAL on aws:TagKeys."""
    snap = _snap({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {
        "ForAnyValue:StringNotEquals": {"aws:TagKeys": ["owner", "env"]}}})
    path = _path(snap)
    assert path.decision == "ALLOWED", (path.gate_statuses(), path.conditions)
    assert not path.conditions
    _agrees(snap, "tag keys")


def test_a_guardrail_requiring_a_request_tag_denies_every_read() -> None:
    """concept: IAM conformance trial round 11 -- CONDITIONAL on aws:RequestTag/owner; the
    read passes no tag, so "Null: true" holds and the Deny applies."""
    snap = _snap({"Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*",
                  "Condition": {"Null": {"aws:RequestTag/owner": "true"}}})
    assert _path(snap).decision == "DENIED"
    _agrees(snap, "request tag")


def test_a_request_tag_guardrail_on_the_decrypt_denies_too() -> None:
    """concept: IAM conformance trial round 11 -- the Decrypt Secrets Manager makes passes no
    tags either."""
    snap = _snap({"Effect": "Deny", "Action": "kms:*", "Resource": "*",
                  "Condition": {"StringNotEqualsIfExists": {"aws:RequestTag/env": "prod"},
                                "Null": {"aws:RequestTag/env": "true"}}})
    assert _path(snap).decision == "DENIED"
    _agrees(snap, "decrypt request tag")
