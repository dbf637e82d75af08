"""identity-policy-secret-wildcard and NotResource: IAM User Guide, "IAM JSON policy elements:
NotResource": a statement with NotResource "explicitly matches every resource except those
specified". An Allow with NotResource reads every secret (decrypts with every key) only when its
patterns leave some secret (key) of some account out; one whose NotResource covers every secret
and every key -- ``arn:aws:secretsmanager:*:*:secret:*`` with ``arn:aws:kms:*:*:key/*``, or
``*`` -- allows neither on anything. The access report's ``identity_wildcards`` reads it the
same way.

IAM conformance trial round 13 and concept review round 3 (found by both): Allow
[GetSecretValue, kms:Decrypt] with NotResource [every secret, every key] was FAIL "...
secretsmanager:GetSecretValue, kms:Decrypt on every resource (NotResource)" while ``access``
said the role was DENIED at identity_policy and AccessReport.identity_wildcards was []."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from helpers.access_estate import APP_ROLE, MEMBER, allow_read_identity, doc, estate, \
    key_policy_for, role, secret_policy_for
from scanner.access import AccessSettings, analyze_access
from scanner.access.report import AccessReport
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Finding

RULE = "identity-policy-secret-wildcard"
WILD = f"arn:aws:iam::{MEMBER}:role/NotResourceRole"
READ = "secretsmanager:GetSecretValue"
DECRYPT = "kms:Decrypt"
EVERY_SECRET = "arn:aws:secretsmanager:*:*:secret:*"
EVERY_KEY = "arn:aws:kms:*:*:key/*"


def _run(not_resource: Any) -> tuple[Finding, AccessReport]:
    """The rule's finding for WILD and the access report, WILD's inline policy allowing
    GetSecretValue and kms:Decrypt with ``not_resource`` as its NotResource."""
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),
                              role(WILD, doc({"Effect": "Allow", "Action": [READ, DECRYPT],
                                              "NotResource": not_resource}))))
    from scanner.graph.builder import build_graph

    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get(RULE)
    assert rule is not None
    found = {f.resource.arn: f for f in evaluate(
        graph, snap, access, Ruleset(rules=(rule,)), parse_config({"emit_pass": True},
                                                                   path="(test)"),
        datetime(2026, 12, 5, tzinfo=timezone.utc))}
    return found[WILD], access


def _reported(access: AccessReport) -> set[str]:
    return {w.action for w in access.identity_wildcards if w.principal == WILD}


@pytest.mark.parametrize("not_resource", [[EVERY_SECRET, EVERY_KEY], "*",
                                          ["arn:*:secretsmanager:*:*:*", "arn:aws:kms:*"]])
def test_a_not_resource_covering_every_secret_and_key_is_no_wildcard(not_resource: Any) -> None:
    """The trial's statements: NotResource names every secret and every key (or ``*``) -- the
    Allow matches no secret and no key, so it reads nothing; the rule PASSes and the report
    lists no wildcard, as ``access`` finds the role DENIED."""
    f, access = _run(not_resource)
    assert f.status.value == "PASS", (f.status, f.message)
    assert _reported(access) == set()


def test_a_not_resource_covering_every_secret_only_leaves_the_decrypt_wildcard() -> None:
    """NotResource every secret: GetSecretValue is allowed on nothing, kms:Decrypt on every
    key -- the finding and the report are about kms:Decrypt alone."""
    f, access = _run([EVERY_SECRET])
    assert f.status.value == "FAIL", (f.status, f.message)
    assert READ not in f.message and DECRYPT in f.message, f.message
    assert _reported(access) == {DECRYPT}


@pytest.mark.parametrize("prefix", ["prod/*", "x*", "x"])
def test_a_not_resource_naming_some_secrets_is_still_a_wildcard(prefix: str) -> None:
    """NotResource naming a secret prefix (of every account) or one name: every other secret
    of every account is allowed -- still a wildcard read of secrets, in the rule and in the
    report alike (the report's probe secret was named ``x``: a NotResource sparing it hid
    the wildcard)."""
    f, access = _run([f"arn:aws:secretsmanager:*:*:secret:{prefix}", EVERY_KEY])
    assert f.status.value == "FAIL", (f.status, f.message)
    assert READ in f.message and DECRYPT not in f.message.split(" on ")[0], f.message
    assert "NotResource" in f.message, f.message
    assert _reported(access) == {READ}
