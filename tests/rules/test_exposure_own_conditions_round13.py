"""A public or external Allow whose own conditions can never hold for a caller outside grants
that caller nothing (IAM conformance trial round 13). IAM User Guide, "IAM JSON policy
elements: Condition": "The Condition element (or Condition block) lets you specify conditions
for when a policy is in effect" -- a statement whose condition is false for every outside
caller is in effect for none of them. secret-policy-public, kms-key-policy-public,
secret-policy-external-account and the access report read it once (scanner.policy.exposure.
never_holds), the same with --prove and without. A condition the snapshot cannot decide
(UNKNOWN) still counts as exposure."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import pytest

from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, OUTSIDER, SECRET_ARN, KEY_ARN,
                                   allow_read_identity, estate, key_policy_for, role,
                                   secret_policy_for, text)
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph
from scanner.model import Snapshot

READ = "secretsmanager:GetSecretValue"
NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
MEMBER_ROOT = f"arn:aws:iam::{MEMBER}:root"

#: conditions no outside IAM caller's GetSecretValue meets (IAM conformance trial round 13).
#: Not aws:ViaAWSService "true" nor aws:CalledVia, which round 13 listed here: they hold for
#: the caller's GetSecretValue made through a service with its forward access session
#: (CloudFormation reads "a secret in a different AWS account" by its ARN) -- the caller's
#: request, from any account (IAM conformance trial round 17:
#: tests/rules/test_exposure_route_keys.py)
NEVER = {
    "principal-is-aws-service": {"Bool": {"aws:PrincipalIsAWSService": "true"}},
    "principal-type-service": {"StringEquals": {"aws:PrincipalType": "Service"}},
    "tls-off": {"Bool": {"aws:SecureTransport": "false"}},
}
#: conditions a kms:Decrypt by any route from outside never meets
KEY_NEVER = {k: NEVER[k] for k in ("principal-is-aws-service", "tls-off")}


def _access(snap: Snapshot) -> Any:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    return analyze_access(build_graph(snap), snap, settings)


def _findings(snap: Snapshot, rule_id: str, *, prove: bool) -> dict[str, tuple[str, str]]:
    rule = load_ruleset().get(rule_id)
    assert rule is not None
    config = parse_config({"prove": prove, "emit_pass": True, "prove_timeout": 120},
                          path="(test)")
    out = evaluate(build_graph(snap), snap, _access(snap), Ruleset(rules=(rule,)), config, NOW)
    return {f.resource.arn: (f.status.value, f.message or "") for f in out}


def _same_with_and_without_prove(snap: Snapshot, rule_id: str, arn: str) -> str:
    plain = _findings(snap, rule_id, prove=False)[arn][0]
    pytest.importorskip("z3")
    proved = _findings(snap, rule_id, prove=True)[arn][0]
    assert plain == proved, f"{rule_id}: {plain} without --prove, {proved} with it"
    return plain


def _public_secret(condition: dict[str, Any]) -> Snapshot:
    policy = text({"Effect": "Allow", "Principal": {"AWS": APP_ROLE}, "Action": READ,
                   "Resource": "*"},
                  {"Sid": "AwsServicesOnly", "Effect": "Allow", "Principal": "*",
                   "Action": READ, "Resource": "*", "Condition": condition})
    return estate(secret_policy=policy, key_policy=key_policy_for(MEMBER_ROOT),
                  principals=(role(APP_ROLE, allow_read_identity()),))


@pytest.mark.parametrize("case", sorted(NEVER))
def test_a_public_grant_whose_own_condition_never_holds_outside_is_not_public(
        case: str) -> None:
    """IAM conformance trial round 13: Allow * GetSecretValue under Bool
    aws:PrincipalIsAWSService "true" (aws:PrincipalType Service, aws:SecureTransport false)
    FAILed CRITICAL without --prove and PASSed with it,
    and `access` printed "PUBLIC grant" next to "reach: everyone -> DENIED"."""
    snap = _public_secret(NEVER[case])
    sa = _access(snap).for_secret(SECRET_ARN)
    assert {p.principal: p.decision for p in sa.paths}["*"] == "DENIED"
    assert not sa.breadth.public
    assert not [g for g in sa.unintended if g.unintended == "public"]
    assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "PASS"
    status, message = _findings(snap, "secret-policy-public", prove=False)[SECRET_ARN]
    assert status == "PASS"


def test_a_public_grant_under_a_condition_the_snapshot_cannot_decide_stays_public() -> None:
    """IAM conformance trial round 13: only a DEFINITELY false condition removes the
    statement; aws:SourceIp is unknown for an outside caller -- the grant stays public."""
    snap = _public_secret({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})
    assert _access(snap).for_secret(SECRET_ARN).breadth.public
    assert _findings(snap, "secret-policy-public", prove=False)[SECRET_ARN][0] == "FAIL"


def _public_key(condition: dict[str, Any]) -> Snapshot:
    key = text({"Sid": "Root", "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                "Resource": "*"},
               {"Sid": "M", "Effect": "Allow", "Principal": {"AWS": MEMBER_ROOT},
                "Action": "kms:Decrypt", "Resource": "*"},
               {"Sid": "TlsOffOnly", "Effect": "Allow", "Principal": "*",
                "Action": "kms:Decrypt", "Resource": "*", "Condition": condition})
    return estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key,
                  principals=(role(APP_ROLE, allow_read_identity()),))


@pytest.mark.parametrize("case", sorted(KEY_NEVER))
def test_a_public_key_grant_whose_own_condition_never_holds_outside_is_not_public(
        case: str) -> None:
    """IAM conformance trial round 13: key policy Allow * kms:Decrypt under Bool
    aws:SecureTransport "false" (or aws:PrincipalIsAWSService "true"): kms-key-policy-public
    FAILed "statement 2 (TlsOffOnly)" without --prove, PASSed with it."""
    snap = _public_key(KEY_NEVER[case])
    assert _same_with_and_without_prove(snap, "kms-key-policy-public", KEY_ARN) == "PASS"
    # and the access report's key side says the same (KeyAccess.public_grants)
    assert not _access(snap).keys[KEY_ARN].public_grants


def test_a_public_key_grant_the_snapshot_cannot_decide_stays_public_in_the_report() -> None:
    """IAM conformance trial round 13, the other side: aws:ViaAWSService on a Decrypt by any
    route is unknown (a service may call the key for the caller): still public."""
    snap = _public_key({"Bool": {"aws:ViaAWSService": "true"}})
    assert [g.statement for g in _access(snap).keys[KEY_ARN].public_grants] == \
        ["statement 2 (TlsOffOnly)"]
    assert _findings(snap, "kms-key-policy-public", prove=False)[KEY_ARN][0] == "FAIL"


def test_an_external_grant_whose_own_condition_never_holds_is_not_reported() -> None:
    """IAM conformance trial round 13: Allow {"AWS": "999999999999"} under Bool
    aws:PrincipalIsAWSService "true": secret-policy-external-account FAILed "grants
    999999999999 ... currently blocked by key_policy, resource_policy" without --prove and
    PASSed with it; the access report called it unintended."""
    policy = text({"Effect": "Allow", "Principal": {"AWS": APP_ROLE}, "Action": READ,
                   "Resource": "*"},
                  {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": OUTSIDER},
                   "Action": READ, "Resource": "*",
                   "Condition": NEVER["principal-is-aws-service"]})
    snap = estate(secret_policy=policy, key_policy=key_policy_for(MEMBER_ROOT),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    assert _same_with_and_without_prove(snap, "secret-policy-external-account",
                                        SECRET_ARN) == "PASS"
    assert not _access(snap).for_secret(SECRET_ARN).unintended
