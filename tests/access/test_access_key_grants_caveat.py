"""A reader whom only a KMS grant could let decrypt (IAM conformance trial round 22, item 2 of
round 21).

KMS Developer Guide, "KMS key access and permissions": "Grants - You can use grants in
combination with the key policy and IAM policies to allow access to a KMS key". The scan does
not collect grants (docs/access.md, Known limits), so where the key policy does not allow the
Decrypt (an implicit deny: no Allow applies, no Deny does) the key gate says so -- it is the
key policy's answer, not the last word on the key. An explicit Deny of the key policy, a key
that is not usable or a key policy that allows keeps its own reasons only.

Before: "no Allow statement applies (implicit deny)", with nothing said of grants."""

from __future__ import annotations

from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, SECRET_ARN, allow_read_identity,
                                   estate, key_policy_for, role, secret_policy_for, text)

from scanner.access import AccessSettings, analyze_access
from scanner.access.gates import KMS_GRANTS_NOT_COLLECTED
from scanner.graph.builder import build_graph

ROOT = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
        "Action": "kms:*", "Resource": "*"}


def _key_gate(key_policy: str) -> object:
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    settings = AccessSettings.from_snapshot(snap)
    from dataclasses import replace
    sa = analyze_access(build_graph(snap), snap,
                        replace(settings, record_denied=True)).for_secret(SECRET_ARN)
    assert sa is not None
    [path] = [p for p in sa.paths if p.principal == APP_ROLE]
    return path


def test_an_implicit_deny_of_the_key_policy_names_the_grants_not_collected() -> None:
    path = _key_gate(text(ROOT))
    gate = path.gates["key_policy"]  # type: ignore[attr-defined]
    assert gate.status == "DENIED"
    assert KMS_GRANTS_NOT_COLLECTED in gate.reasons


def test_an_explicit_deny_or_an_allow_says_nothing_of_grants() -> None:
    deny = {"Effect": "Deny", "Principal": {"AWS": APP_ROLE}, "Action": "kms:Decrypt",
            "Resource": "*"}
    path = _key_gate(text(ROOT, deny))
    assert KMS_GRANTS_NOT_COLLECTED not in path.gates["key_policy"].reasons  # type: ignore[attr-defined]
    path = _key_gate(key_policy_for(f"arn:aws:iam::{MEMBER}:root"))
    assert path.gates["key_policy"].status == "ALLOWED"  # type: ignore[attr-defined]
    assert KMS_GRANTS_NOT_COLLECTED not in path.gates["key_policy"].reasons  # type: ignore[attr-defined]
