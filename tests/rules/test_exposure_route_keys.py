"""A grant on a secret is in effect for the requests a caller makes through an AWS service as
well as for its own: a condition or a Deny on the keys of the route (aws:ViaAWSService,
aws:CalledVia, aws:CalledViaFirst / Last) does not withhold a grant from callers outside (IAM
conformance trial round 17).

IAM User Guide, "AWS global condition context keys", aws:ViaAWSService: "Use this key to check
whether an AWS service makes a request to another service on your behalf using forward access
sessions (FAS)"; aws:CalledVia: "Use this key to compare the services in the policy with the
services that made requests on behalf of the IAM principal (user or role)" (CloudFormation,
DynamoDB, Athena, KMS); "Forward access sessions": FAS passes "your identity, permissions, and
session attributes when an AWS service makes a request on your behalf" -- the request is the
caller's, from whatever account, and the secret's resource policy is evaluated for it. So
"Allow * GetSecretValue if Bool aws:ViaAWSService true" lets anyone read through a service, and
"Deny if Bool aws:ViaAWSService false" takes back only the caller's own calls. Before: both
PASSed secret-policy-public (the grant "never holds for a caller outside", the Deny "takes it
back"), asked of the caller's own GetSecretValue only; the same for an outside account's grant
in secret-policy-external-account."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from helpers.rule_results import rule_statuses
from helpers.access_estate import (APP_ROLE, CENTRAL, OUTSIDER, SECRET_ARN,
                                   allow_read_identity, estate, role, text)
from scanner.model import Snapshot

NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
READ = "secretsmanager:GetSecretValue"
OPEN_KEY = text({"Sid": "Root", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                 "Resource": "*"},
                {"Sid": "Any", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                 "Resource": "*"})
VIA_SERVICE = {"Bool": {"aws:ViaAWSService": "true"}}
OWN_CALL = {"Bool": {"aws:ViaAWSService": "false"}}
CFN = {"ForAnyValue:StringEquals": {"aws:CalledVia": "cloudformation.amazonaws.com"}}
FIRST = {"StringEquals": {"aws:CalledViaFirst": "cloudformation.amazonaws.com"}}
NO_SERVICE = {"Null": {"aws:CalledVia": "true"}}


def _grant(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"Sid": "Grant", "Effect": "Allow", "Principal": principal,
                          "Action": READ, "Resource": "*"}
    if condition:
        st["Condition"] = condition
    return st


def _deny(condition: dict[str, Any]) -> dict[str, Any]:
    return {"Sid": "Own", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": condition}


def _snap(*statements: dict[str, Any]) -> Snapshot:
    return estate(secret_policy=text(*statements), key_policy=OPEN_KEY,
                  principals=(role(APP_ROLE, allow_read_identity()),))


def _status(snap: Snapshot, rule_id: str, prove: bool) -> str:
    return rule_statuses(snap, rule_id, prove=prove, record_denied=False,
                         prove_timeout=60)[SECRET_ARN]


def _both(snap: Snapshot, rule_id: str) -> str:
    plain = _status(snap, rule_id, prove=False)
    pytest.importorskip("z3")
    proved = _status(snap, rule_id, prove=True)
    assert plain == proved, f"{plain} without --prove, {proved} with it"
    return plain


@pytest.mark.parametrize("condition", [VIA_SERVICE, CFN, FIRST],
                         ids=["ViaAWSService", "CalledVia", "CalledViaFirst"])
def test_a_public_grant_through_a_service_is_public(condition: dict[str, Any]) -> None:
    assert _both(_snap(_grant("*", condition)), "secret-policy-public") == "FAIL"


@pytest.mark.parametrize("condition", [OWN_CALL, NO_SERVICE], ids=["ViaAWSService", "Null"])
def test_a_deny_of_the_callers_own_calls_leaves_the_public_grant(condition: dict[str, Any]
                                                                 ) -> None:
    assert _both(_snap(_grant("*"), _deny(condition)), "secret-policy-public") == "FAIL"


@pytest.mark.parametrize("condition", [VIA_SERVICE, CFN], ids=["ViaAWSService", "CalledVia"])
def test_an_outside_account_granted_through_a_service_is_external(condition: dict[str, Any]
                                                                  ) -> None:
    snap = _snap(_grant({"AWS": OUTSIDER}, condition))
    assert _both(snap, "secret-policy-external-account") == "FAIL"


def test_a_deny_of_the_callers_own_calls_leaves_the_external_grant() -> None:
    snap = _snap(_grant({"AWS": OUTSIDER}), _deny(OWN_CALL))
    assert _both(snap, "secret-policy-external-account") == "FAIL"


def test_a_grant_no_iam_caller_can_use_is_still_withheld() -> None:
    """Bool aws:PrincipalIsAWSService "true": no IAM caller's request has it, through a
    service or not (FAS keeps the caller's identity): PASS, as since round 13."""
    assert _both(_snap(_grant("*", {"Bool": {"aws:PrincipalIsAWSService": "true"}})),
                 "secret-policy-public") == "PASS"


def test_a_deny_whatever_the_route_still_takes_the_grant_back() -> None:
    snap = _snap(_grant({"AWS": OUTSIDER}), _deny({"StringEquals": {
        "aws:PrincipalAccount": OUTSIDER}}))
    assert _both(snap, "secret-policy-external-account") == "PASS"
