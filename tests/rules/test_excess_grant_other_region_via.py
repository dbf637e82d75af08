"""kms-key-policy-excess-grant: a key statement that lets a principal decrypt only through
Secrets Manager in other Regions than the key's grants nothing (ground-truth trial round 21).

A secret's key is in the secret's Region: "When you create a secret, you can choose any
symmetric encryption customer managed key in the AWS account and Region" (Secrets Manager User
Guide, "Secret encryption and decryption"), and kms:ViaService "limits use of a KMS key to
requests from specified AWS services" (KMS Developer Guide, "AWS KMS condition keys"). So a
us-east-1 key's statement allowing kms:Decrypt only with kms:ViaService
secretsmanager.eu-west-2.amazonaws.com is never met: no request Secrets Manager in eu-west-2
makes is on a us-east-1 key, and no other request carries that value. The access analysis
already read it so (the grantee's read DENIED at the key: "the request's kms:viaservice is
secretsmanager.us-east-1.amazonaws.com"); the excess-grant rule counted the statement as a
standing Decrypt grant to a principal no secret grants, HIGH."""

from __future__ import annotations

from typing import Any

from helpers.access_estate import (APP_ROLE, CENTRAL, KEY_ARN, MEMBER, REGION, estate,
                                   secret_policy_for, text)

from scanner.pipeline import ScanOptions, analyze, load_inputs

SANDBOX = f"arn:aws:iam::{MEMBER}:role/SandboxRole"


def _excess(via: Any) -> list[str]:
    grant: dict[str, Any] = {"Sid": "SandboxThroughSecretsManager", "Effect": "Allow",
                             "Principal": {"AWS": SANDBOX}, "Action": "kms:Decrypt",
                             "Resource": "*"}
    if via is not None:
        grant["Condition"] = via
    key_policy = text({"Sid": "Root", "Effect": "Allow",
                       "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                       "Resource": "*"}, grant)
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy)
    analysis = analyze(snap, load_inputs(ScanOptions()))
    return [f.status.value for f in analysis.findings
            if f.rule_id == "kms-key-policy-excess-grant" and f.resource.arn == KEY_ARN]


def sm(*regions: str) -> list[str]:
    return [f"secretsmanager.{r}.amazonaws.com" for r in regions]


def test_a_decrypt_only_through_secrets_manager_elsewhere_is_no_grant() -> None:
    assert _excess({"StringEquals": {"kms:ViaService": sm("eu-west-2")}}) == []
    assert _excess({"StringLike": {"kms:ViaService": sm("eu-west-2", "ap-northeast-1")}}) == []
    assert _excess({"ForAnyValue:StringEquals": {"kms:ViaService": sm("eu-west-2")}}) == []


def test_a_decrypt_through_secrets_manager_in_the_keys_region_is_still_a_grant() -> None:
    assert _excess({"StringEquals": {"kms:ViaService": sm("eu-west-2", REGION)}}) == ["FAIL"]
    assert _excess({"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}) == \
        ["FAIL"]


def test_a_decrypt_another_route_allows_is_still_a_grant() -> None:
    assert _excess(None) == ["FAIL"]
    # IfExists: a direct call carries no kms:ViaService and passes
    assert _excess({"StringEqualsIfExists": {"kms:ViaService": sm("eu-west-2")}}) == ["FAIL"]
    # another service in the key's Region
    assert _excess({"StringEquals": {"kms:ViaService": [f"s3.{REGION}.amazonaws.com"]}}) == \
        ["FAIL"]
