"""A permissions boundary, not the key policy, is why a read fails (IAM conformance trial round
21, item 4 of round 20).

A role of the key's account whose identity policy allows kms:Decrypt on the key, whose
permissions boundary does not, reading a secret of its account through a key policy that
trusts the account (the "Enable IAM policies" root statement) and names no role. IAM User
Guide, "Permissions boundaries for IAM entities": "An entity's permissions boundary allows it
to perform only the actions that are allowed by both its identity-based policies and its
permissions boundaries" -- the Decrypt is denied by the boundary. KMS Developer Guide, "Key
policies": the root statement "allows IAM policies in the account to control access" -- the
key policy does what it says. Before: the key gate DENIED "key policy trusts the account; no
identity policy allows kms:Decrypt on the key" (an identity policy does allow it), the
identity gate ALLOWED, the read "broken at key_policy"; a fix to the key policy (what
grant-key-decrypt would plan) changes nothing."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from helpers.access_estate import (CENTRAL, CENTRAL_ROLE, SECRET_ARN, allow_read_identity,
                                   doc, estate, key_policy_for, role)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import ManagedPolicy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BOUNDARY = f"arn:aws:iam::{CENTRAL}:policy/bound"
ROOT = f"arn:aws:iam::{CENTRAL}:root"


def _path(identity: dict[str, object], boundary_actions: str = "secretsmanager:*") -> object:
    bound = ManagedPolicy(arn=BOUNDARY, name="bound", account_id=CENTRAL,
                          document=doc({"Effect": "Allow", "Action": boundary_actions,
                                        "Resource": "*"}))
    snap = estate(secret_policy=None, key_policy=key_policy_for(ROOT),
                  principals=(role(CENTRAL_ROLE, identity, boundary=BOUNDARY),),
                  managed=(bound,))
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    (path,) = [p for p in sa.paths if p.principal == CENTRAL_ROLE]
    return path


def test_the_boundary_is_named_not_the_key_policy() -> None:
    path = _path(allow_read_identity())
    assert path.decision == "DENIED"
    assert path.gates["key_policy"].status == "ALLOWED"
    assert not any("no identity policy allows" in r for r in path.gates["key_policy"].reasons)
    identity = path.gates["identity_policy"]
    assert identity.status == "DENIED"
    assert any("permissions boundary" in r and BOUNDARY in r for r in identity.reasons[:3])
    assert path.broken_at == ("identity_policy",)


def test_without_an_identity_allow_the_key_reason_stands() -> None:
    """No identity policy allows kms:Decrypt either: the key's trust of the account has nothing
    to rely on (the earlier reason is true)."""
    path = _path(doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                      "Resource": "*"}))
    assert path.decision == "DENIED"
    assert any("no identity policy allows kms:Decrypt" in r
               for r in path.gates["key_policy"].reasons)


def test_a_boundary_that_allows_decrypt_reads() -> None:
    path = _path(allow_read_identity(), "*")
    assert path.decision == "ALLOWED"


def test_the_boundary_is_said_once() -> None:
    """Ground-truth trial round 27: the identity gate said "kms:Decrypt: permissions boundary
    ... does not allow kms:Decrypt: it caps ..." and then "kms:Decrypt: permissions boundary
    ... does not allow kms:Decrypt" again, the first reason's own opening, in the message of
    secret-rotation-role-cannot-read."""
    reasons = _path(allow_read_identity()).gates["identity_policy"].reasons
    said = [r for r in reasons if "does not allow kms:Decrypt" in r]
    assert len(said) == 1, reasons
    assert "it caps the identity policies' kms:Decrypt Allow" in said[0]
