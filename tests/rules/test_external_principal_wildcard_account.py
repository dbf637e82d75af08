"""A Principal entry with a wildcard in its account field (``arn:aws:iam::*:root``,
``arn:aws:iam::2222*:role/App``) names no account the snapshot can tell: the external-account
rule answers UNKNOWN, never PASS (IAM conformance trial round 17).

IAM User Guide, "AWS JSON policy elements: Principal": "You cannot use a wildcard to match part
of a principal name or ARN" -- AWS refuses such a policy (MalformedPolicyDocument), so a
snapshot holding one is input the scanner cannot judge: docs/access.md, "malformed or unknown
input is never a confident answer" (the access analysis already leaves the statement
CONDITIONAL: "wildcard inside principal ... is not valid IAM"). Before: PASS "grants only
accounts of the trust zone or the allow-list" -- the grantee may be any account."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, OUTSIDER, SECRET_ARN,
                                   allow_read_identity, estate, key_policy_for, role, text)
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph

NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
READ = "secretsmanager:GetSecretValue"


def _status(principal: object, prove: bool = False) -> tuple[str, tuple[str, ...]]:
    snap = estate(secret_policy=text({"Sid": "Wild", "Effect": "Allow",
                                      "Principal": {"AWS": principal}, "Action": READ,
                                      "Resource": "*"}),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    rule = load_ruleset().get("secret-policy-external-account")
    assert rule is not None
    config = parse_config({"prove": prove, "emit_pass": True}, path="(test)")
    access = analyze_access(build_graph(snap), snap,
                            replace(AccessSettings.from_snapshot(snap), record_denied=True))
    out = evaluate(build_graph(snap), snap, access, Ruleset(rules=(rule,)), config, NOW)
    finding = next(f for f in out if f.resource.arn == SECRET_ARN)
    return finding.status.value, tuple(finding.missing)


@pytest.mark.parametrize("principal", ["arn:aws:iam::*:root", f"arn:aws:iam::{MEMBER[:4]}*:role/App",
                                       "arn:aws:iam::????????????:root"])
@pytest.mark.parametrize("prove", [False, True])
def test_a_wildcard_account_is_not_a_pass(principal: str, prove: bool) -> None:
    if prove:
        pytest.importorskip("z3")
    status, missing = _status(principal, prove)
    assert status == "UNKNOWN"
    assert any(principal in m for m in missing), missing


def test_a_wildcard_beside_an_outside_account_still_fails_for_that_account() -> None:
    status, _ = _status(["arn:aws:iam::*:root", f"arn:aws:iam::{OUTSIDER}:root"])
    assert status == "FAIL"


def test_a_wildcard_in_the_role_name_names_its_account() -> None:
    """``arn:aws:iam::<member>:role/*`` is no valid principal either, but its account is
    literal: a member of the zone, no external grant."""
    status, _ = _status(f"arn:aws:iam::{MEMBER}:role/*")
    assert status == "PASS"


def test_a_deleted_principal_is_no_unknown_account() -> None:
    """A unique id (AROA...) in Principal is a principal that was deleted (IAM User Guide,
    Principal: "the principal ARN in the policy is replaced with the principal ID"): it names
    no one, no external grant."""
    status, _ = _status("AROAABCDEFGHIJKLMNOPQ")
    assert status == "PASS"


def test_the_own_account_is_not_unknown() -> None:
    status, _ = _status(f"arn:aws:iam::{CENTRAL}:root")
    assert status == "PASS"
