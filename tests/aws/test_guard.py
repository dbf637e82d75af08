"""The read-only guard: only declared read operations leave the scanner, never a secret value."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from scanner.aws.calls import CallCounter
from scanner.aws.guard import ALWAYS_REFUSED, ReadOnlyGuard
from scanner.aws.permissions import allowed_operations
from scanner.aws.session import AwsSessions
from scanner.errors import ReadOnlyViolation

REGION = "us-east-1"


def scanner_sessions(base: boto3.Session, counter: CallCounter | None = None) -> AwsSessions:
    return AwsSessions(base, guard=ReadOnlyGuard(allowed_operations()), counter=counter,
                       role_name="Audit", sts_region=REGION)


def test_the_secret_value_reads_are_refused_even_when_declared() -> None:
    guard = ReadOnlyGuard({("secretsmanager", "GetSecretValue"),
                           ("secretsmanager", "ListSecrets")})
    with pytest.raises(ReadOnlyViolation, match="never reads secret values"):
        guard.check("secretsmanager", "GetSecretValue")
    with pytest.raises(ReadOnlyViolation):
        guard.check("secretsmanager", "BatchGetSecretValue")
    guard.check("secretsmanager", "ListSecrets")


def test_the_declared_read_set_holds_no_write_and_no_value_read() -> None:
    allowed = allowed_operations()
    assert not allowed & ALWAYS_REFUSED
    readonly_prefixes = ("List", "Get", "Describe", "AssumeRole")
    assert all(op.startswith(readonly_prefixes) for _, op in allowed), sorted(allowed)


def test_get_secret_value_through_a_scanner_client_is_refused_before_it_is_sent(
        mgmt_session: boto3.Session) -> None:
    with mock_aws():
        mgmt_session.client("secretsmanager").create_secret(Name="db", SecretString="pw")
        counter = CallCounter()
        client = scanner_sessions(mgmt_session, counter).client(
            "secretsmanager", account_id="123456789012", region=REGION)
        with pytest.raises(ReadOnlyViolation, match="GetSecretValue"):
            client.get_secret_value(SecretId="db")
        with pytest.raises(ReadOnlyViolation, match="BatchGetSecretValue"):
            client.batch_get_secret_value(SecretIdList=["db"])
        assert "secretsmanager.GetSecretValue" not in counter.counts()
        assert [s["Name"] for s in client.list_secrets()["SecretList"]] == ["db"]


def test_a_write_through_a_scanner_client_is_refused(mgmt_session: boto3.Session) -> None:
    with mock_aws():
        client = scanner_sessions(mgmt_session).client("secretsmanager",
                                                       account_id="123456789012", region=REGION)
        with pytest.raises(ReadOnlyViolation,
                           match="CreateSecret: not one of the declared operations of the scan$"):
            client.create_secret(Name="x", SecretString="y")
        with pytest.raises(ReadOnlyViolation):
            scanner_sessions(mgmt_session).client(
                "ec2", account_id="123456789012", region=REGION).create_vpc(CidrBlock="10.0.0.0/16")
        assert mgmt_session.client("secretsmanager").list_secrets()["SecretList"] == []


def test_the_refusal_names_the_purpose_of_the_guard_that_refused() -> None:
    scan = ReadOnlyGuard({("secretsmanager", "ListSecrets")})
    export = ReadOnlyGuard({("securityhub", "BatchImportFindings")},
                           purpose="Security Hub export")
    with pytest.raises(ReadOnlyViolation, match="declared operations of the scan$"):
        scan.check("secretsmanager", "PutSecretValue")
    with pytest.raises(ReadOnlyViolation,
                       match="refused secretsmanager:ListSecrets: not one of the declared "
                             "operations of the Security Hub export$"):
        export.check("secretsmanager", "ListSecrets")
    export.check("securityhub", "BatchImportFindings")


def test_remediation_clients_name_remediation_in_a_refusal(mgmt_session: boto3.Session) -> None:
    from scanner.remediate.sessions import remediation_clients

    with mock_aws():
        clients = remediation_clients(role_name="Remediate", endpoint_url=None,
                                      base=mgmt_session)
        sm = clients("123456789012").client("secretsmanager", REGION)
        with pytest.raises(ReadOnlyViolation,
                           match="DeleteSecret: not one of the declared operations of the "
                                 "remediation$"):
            sm.delete_secret(SecretId="app/anything")
