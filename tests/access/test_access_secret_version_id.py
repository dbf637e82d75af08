"""kms:EncryptionContext:SecretVersionId is in every Decrypt Secrets Manager makes for a read,
with a value the snapshot does not know (IAM conformance trial round 13). Secrets Manager User
Guide, "Secret encryption and decryption": the encryption context of its KMS calls is the
pairs SecretARN and SecretVersionId; KMS Developer Guide, kms:EncryptionContextKeys: the keys
of the encryption context -- which the request model already gave as [SecretARN,
SecretVersionId]. So the key is present, its value unknown: ``Null`` on it is decided,
``StringLike "*"`` matches it, any other comparison stays unknown (CONDITIONAL) -- in the
evaluator and in the solver (``--prove``) alike.

The trial: a key policy "Deny kms:Decrypt if Null kms:EncryptionContext:SecretVersionId: true"
made every reader CONDITIONAL ("statement 2 Deny applies only if:
kms:encryptioncontext:secretversionid"), and an Allow under "Null ...: false" or
"StringLike ...: *" too, while "ForAnyValue:StringEquals kms:EncryptionContextKeys
SecretVersionId" was ALLOWED."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, SECRET_ARN, allow_read_identity,
                                   estate, role, secret_policy_for)
from scanner.access import AccessSettings, analyze_access
from scanner.access.graph_io import secret_views
from scanner.access.identity import PrincipalIndex
from scanner.access.scp import Guardrails
from scanner.graph.builder import build_graph
from scanner.model import Snapshot
from scanner.policy.smt.questions import check_pair, principal_of

VERSION = "kms:EncryptionContext:SecretVersionId"
MEMBER_ROOT = f"arn:aws:iam::{MEMBER}:root"
ALLOW_MEMBER = {"Effect": "Allow", "Principal": {"AWS": MEMBER_ROOT}, "Action": "kms:Decrypt",
                "Resource": "*"}


def _snap(*statements: dict[str, Any]) -> Snapshot:
    key_policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
         "Action": "kms:*", "Resource": "*"}, *statements]})
    return estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy,
                  principals=(role(APP_ROLE, allow_read_identity()),))


def _decisions(snap: Snapshot) -> tuple[str, tuple[str, ...], str]:
    """(the access analysis' decision for APP_ROLE's read, its conditions, the solver's)."""
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    graph = build_graph(snap)
    path = {p.principal: p for p in analyze_access(graph, snap, settings)
            .for_secret(SECRET_ARN).paths}[APP_ROLE]
    sv = {s.arn: s for s in secret_views(graph, settings)[0]}[SECRET_ARN]
    who = principal_of(snap, APP_ROLE, MEMBER, path.principal_type, PrincipalIndex(snap),
                       partition="aws")
    solved = check_pair(sv, who, settings, Guardrails(snap.organization, snap.org_membership),
                        timeout_s=20)
    return path.decision, tuple(path.conditions), solved.decision


@pytest.mark.parametrize("condition", [
    {"Null": {VERSION: "false"}},
    {"StringLike": {VERSION: "*"}},
    {"ForAnyValue:StringLike": {VERSION: "*"}},
    {"StringLikeIfExists": {VERSION: "*"}},
], ids=["null-false", "stringlike-star", "foranyvalue-stringlike-star", "ifexists"])
def test_an_allow_needing_the_version_id_present_allows_the_read(
        condition: dict[str, Any]) -> None:
    """IAM conformance trial round 13: "Null ...: false" and "StringLike ...: *" hold of every
    Decrypt Secrets Manager makes -- ALLOWED, not CONDITIONAL; the solver agrees."""
    decision, conditions, solver = _decisions(_snap({**ALLOW_MEMBER, "Condition": condition}))
    assert (decision, conditions, solver) == ("ALLOWED", (), "ALLOWED")


@pytest.mark.parametrize("condition", [
    {"Null": {VERSION: "true"}},
    {"Null": {"kms:EncryptionContext:SecretARN": "true", VERSION: "true"}},
    {"StringNotLike": {VERSION: "*"}},
], ids=["null-true", "null-both", "stringnotlike-star"])
def test_a_deny_unless_the_version_id_is_present_takes_nothing_back(
        condition: dict[str, Any]) -> None:
    """IAM conformance trial round 13, the realistic key policy: Deny kms:Decrypt if the
    Secrets Manager encryption context is missing -- it never is on a read: ALLOWED."""
    decision, conditions, solver = _decisions(_snap(ALLOW_MEMBER, {
        "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
        "Condition": condition}))
    assert (decision, conditions, solver) == ("ALLOWED", (), "ALLOWED")


def test_a_deny_if_the_version_id_is_present_denies_every_read() -> None:
    """IAM conformance trial round 13: the other side of Null -- "Null ...: false" on a Deny
    holds of every read: DENIED, by the evaluator and the solver."""
    decision, _conditions, solver = _decisions(_snap(ALLOW_MEMBER, {
        "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
        "Condition": {"Null": {VERSION: "false"}}}))
    assert (decision, solver) == ("DENIED", "DENIED")


@pytest.mark.parametrize("condition", [
    {"StringEquals": {VERSION: "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE"}},
    {"StringLike": {VERSION: "a*"}},
    {"StringNotEquals": {VERSION: "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE"}},
], ids=["equals", "like-prefix", "not-equals"])
def test_a_comparison_with_a_version_id_value_stays_conditional(
        condition: dict[str, Any]) -> None:
    """IAM conformance trial round 13: the value is what the snapshot cannot know (which
    version a read decrypts) -- only its presence is known: CONDITIONAL on the key."""
    decision, conditions, solver = _decisions(_snap({**ALLOW_MEMBER, "Condition": condition}))
    assert decision == "CONDITIONAL", decision
    assert conditions == ("kms:encryptioncontext:secretversionid",), conditions
    assert solver == "CONDITIONAL", solver
