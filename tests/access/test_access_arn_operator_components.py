"""ArnLike / ArnNotLike on a value of fewer than six ARN components (IAM conformance trial round
11). IAM User Guide, "Amazon Resource Name (ARN) condition operators": "Each of the six
colon-delimited components of the ARN is checked separately". ``arn:aws:iam:*:role/
ApplicationRole`` (a colon missing) matches no principal ARN: an Allow ``*`` narrowed to it lets
no one in, a Deny ``*`` unless ArnNotLike it denies everyone -- the access analysis and the
solver alike."""

from __future__ import annotations

from dataclasses import replace

import pytest

from helpers.access_estate import (APP_ROLE, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, text)
from helpers.prove_crosscheck import cross_check_pairs
from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import Snapshot

KP = key_policy_for(f"arn:aws:iam::{APP_ROLE.split(':')[4]}:root")
FIVE = ["arn:aws:iam:*:role/ApplicationRole", "arn:aws:iam::*ApplicationRole"]


def _decision(snap: Snapshot) -> str | None:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    report = analyze_access(build_graph(snap), snap, settings)
    paths = {p.principal: p for p in report.for_secret(SECRET_ARN).paths}
    path = paths.get(APP_ROLE)
    return path.decision if path is not None else None


def _agrees(snap: Snapshot, label: str) -> None:
    compared, failures = cross_check_pairs(snap, label)
    assert compared and not failures, failures


@pytest.mark.parametrize("value", FIVE)
def test_an_allow_star_narrowed_by_arnlike_on_five_components_lets_no_one_in(
        value: str) -> None:
    """concept: IAM conformance trial round 11 -- was ALLOWED."""
    policy = text({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                   "Resource": "*", "Condition": {"ArnLike": {"aws:PrincipalArn": value}}})
    snap = estate(secret_policy=policy, key_policy=KP,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    assert _decision(snap) == "DENIED"
    _agrees(snap, "allow arnlike")


@pytest.mark.parametrize("value", FIVE)
def test_a_deny_unless_arnnotlike_on_five_components_denies_everyone(value: str) -> None:
    """concept: IAM conformance trial round 11 -- the Deny did not apply (ALLOWED)."""
    policy = text({"Effect": "Allow", "Principal": {"AWS": APP_ROLE},
                   "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
                  {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
                   "Condition": {"ArnNotLike": {"aws:PrincipalArn": value}}})
    snap = estate(secret_policy=policy, key_policy=KP,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    assert _decision(snap) == "DENIED"
    _agrees(snap, "deny arnnotlike")


def test_a_six_component_value_still_selects_the_role() -> None:
    """concept: IAM conformance trial round 11 (the control: the same grant spelled with six
    components lets the role in)."""
    policy = text({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                   "Resource": "*", "Condition": {"ArnLike": {
                       "aws:PrincipalArn": "arn:aws:iam::*:role/ApplicationRole"}}})
    snap = estate(secret_policy=policy, key_policy=KP,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    assert _decision(snap) == "ALLOWED"
    _agrees(snap, "allow arnlike six")
