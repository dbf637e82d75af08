"""The network keys of the kms:Decrypt Secrets Manager makes for its caller (IAM conformance
trial round 21, item 2 of round 20).

IAM User Guide, "AWS global condition context keys": aws:SourceVpc, aws:SourceVpce (and
aws:SourceVpcArn, aws:VpcSourceIp, aws:VpceAccount, aws:VpceOrgID, aws:VpceOrgPaths) --
"This key is included in the request context only if the requester uses a VPC endpoint to
make the request". The Decrypt of a GetSecretValue is a forward access session request that
Secrets Manager sends to AWS KMS ("Forward access sessions": "FAS requests are only made to
AWS services on behalf of an IAM principal after a service has received a request"): it goes
from the service to KMS, not through the caller's VPC endpoint. KMS Developer Guide, "Use VPC
endpoints to control access to AWS KMS resources": "If a policy statement requires that
requests come from a particular VPC or VPC endpoint, requests from integrated AWS services
that use an AWS KMS resource on your behalf might fail." So on that Decrypt the keys are
absent: a key policy Allow that requires them does not apply, a Deny "unless" them
(StringNotEquals) applies. On the caller's own GetSecretValue they stay unknown (the caller
may use an endpoint). Before: CONDITIONAL "if: aws:sourcevpce" on the Decrypt."""

from __future__ import annotations

from typing import Any

import pytest
from helpers.access_estate import CENTRAL, MEMBER, SECRET_ARN

from scanner.access import AccessSettings
from scanner.access.context import (PrincipalFacts, build_request, principal_context,
                                    resource_context)
from scanner.policy import PolicyKind, evaluate_policy, parse_policy

KEY = f"arn:aws:kms:us-east-1:{CENTRAL}:key/1234abcd-0000"
SETTINGS = AccessSettings(org_account_ids=frozenset({CENTRAL, MEMBER}), org_id="o-abcdefghij")
ROLE = PrincipalFacts(arn=f"arn:aws:iam::{MEMBER}:role/App", account_id=MEMBER,
                      principal_type="role", name="App")
NETWORK_KEYS = ("aws:SourceVpc", "aws:SourceVpce", "aws:SourceVpcArn", "aws:VpcSourceIp",
                "aws:VpceAccount", "aws:VpceOrgID", "aws:VpceOrgPaths")


def _decide(statement: dict[str, Any], kms: bool) -> Any:
    rctx = resource_context(account_id=CENTRAL, region="us-east-1", tags={},
                            settings=SETTINGS, kms=kms, secret_arn=SECRET_ARN)
    request = build_request(ROLE, principal_context(ROLE, SETTINGS), rctx,
                            action="kms:Decrypt" if kms else "secretsmanager:GetSecretValue",
                            resource=KEY if kms else SECRET_ARN)
    grant = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
    policy = parse_policy({"Version": "2012-10-17", "Statement": [grant, statement]}
                          if statement["Effect"] == "Deny" else
                          {"Version": "2012-10-17", "Statement": [statement]})
    return evaluate_policy(policy, request, PolicyKind.RESOURCE)


@pytest.mark.parametrize("key", NETWORK_KEYS)
def test_the_decrypt_secrets_manager_makes_carries_no_network_key(key: str) -> None:
    allow = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
             "Condition": {"StringEquals": {key: "vpce-1"}}}
    assert _decide(allow, kms=True).decision.value == "DENIED"
    deny = {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {"StringNotEquals": {key: "vpce-1"}}}
    assert _decide(deny, kms=True).decision.value == "DENIED"
    null = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {"Null": {key: "true"}}}
    assert _decide(null, kms=True).decision.value == "ALLOWED"


@pytest.mark.parametrize("key", NETWORK_KEYS)
def test_the_callers_own_request_may_come_through_an_endpoint(key: str) -> None:
    allow = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
             "Condition": {"StringEquals": {key: "vpce-1"}}}
    result = _decide(allow, kms=False)
    assert result.decision.value == "CONDITIONAL"
    assert result.unresolved == (key.lower(),)
