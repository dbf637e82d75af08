"""A Resource pattern whose segment ends in ``*`` reaches beyond the colon (IAM conformance
trial round 11). IAM User Guide, "IAM JSON policy elements: Resource": "If the * wildcard is the
last character of a resource ARN segment, it can expand to match beyond the colon boundaries."
``arn:aws:secretsmanager:*:secret:app/*`` (the account segment left out) names the secret
app/db of every account: an identity Deny or an SCP Deny on it denies the read, an identity
Allow on it allows it -- for the access analysis and for the solver alike."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, MEMBER2, SECRET_ARN, control, doc,
                                   estate, key_policy_for, role, secret_policy_for)
from helpers.prove_crosscheck import cross_check_pairs
from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import Snapshot

SPANNING = "arn:aws:secretsmanager:*:secret:app/*"
READ = ["secretsmanager:GetSecretValue", "kms:Decrypt"]
SP = secret_policy_for(APP_ROLE)
KP = key_policy_for(f"arn:aws:iam::{MEMBER}:root")
SCP = "SERVICE_CONTROL_POLICY"


def _decision(snap: Snapshot) -> str | None:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    report = analyze_access(build_graph(snap), snap, settings)
    paths = {p.principal: p for p in report.for_secret(SECRET_ARN).paths}
    path = paths.get(APP_ROLE)
    return path.decision if path is not None else None


def _agrees(snap: Snapshot, label: str) -> None:
    compared, failures = cross_check_pairs(snap, label)
    assert compared and not failures, failures


def _with(identity: dict[str, Any], scps: Any = None) -> Snapshot:
    return estate(secret_policy=SP, key_policy=KP, principals=(role(APP_ROLE, identity),),
                  scps=scps)


def test_an_identity_deny_on_a_pattern_without_the_account_segment_denies() -> None:
    """concept: IAM conformance trial round 11 -- was ALLOWED (the Deny matched nothing)."""
    snap = _with(doc({"Effect": "Allow", "Action": READ, "Resource": "*"},
                     {"Effect": "Deny", "Action": "secretsmanager:*", "Resource": SPANNING}))
    assert _decision(snap) == "DENIED"
    _agrees(snap, "identity deny")


def test_an_identity_allow_on_a_pattern_without_the_account_segment_allows() -> None:
    """concept: IAM conformance trial round 11 -- was DENIED (the Allow matched nothing, and
    the identity pre-check took "secret" for the pattern's account)."""
    snap = _with(doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                      "Resource": SPANNING},
                     {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}))
    assert _decision(snap) == "ALLOWED"
    _agrees(snap, "identity allow")


def test_an_scp_deny_on_a_pattern_without_the_account_segment_denies() -> None:
    """concept: IAM conformance trial round 11 -- was ALLOWED."""
    scps = (control("full", SCP, ("r-root", CENTRAL, MEMBER, MEMBER2),
                    {"Effect": "Allow", "Action": "*", "Resource": "*"}),
            control("deny-app", SCP, (MEMBER,), {"Effect": "Deny",
                                                 "Action": "secretsmanager:GetSecretValue",
                                                 "Resource": SPANNING}))
    snap = _with(doc({"Effect": "Allow", "Action": READ, "Resource": "*"}), scps)
    assert _decision(snap) == "DENIED"
    _agrees(snap, "scp deny")


def test_a_star_inside_the_region_segment_does_not_reach_the_account() -> None:
    """concept: IAM conformance trial round 11 -- the rule's other half: ``us-*-1`` is a
    Region; the Deny on us-*-2 leaves the us-east-1 secret readable."""
    snap = _with(doc({"Effect": "Allow", "Action": READ, "Resource": "*"},
                     {"Effect": "Deny", "Action": "secretsmanager:*",
                      "Resource": f"arn:aws:secretsmanager:us-*-2:{CENTRAL}:secret:*"}))
    assert _decision(snap) == "ALLOWED"
