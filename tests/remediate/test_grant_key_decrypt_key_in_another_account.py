"""A secret may be encrypted with a key of another account (Secrets Manager API Reference,
CreateSecret, KmsKeyId: "To use a KMS key in a different account, use the key ARN or the
alias ARN"). grant-key-decrypt then edits that key's policy, with the remediation role of the
key's account -- and checks that the secret the statement is for is still there
(``secret_exists``) in the secret's own account. Safe-fixes trial round 16: it asked the key
account's role for the secret, which answered "no such secret" (real AWS: AccessDenied), so
every apply of such a grant was refused as "secret_exists changed since the scan", and so was
the plan built from a new scan."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.remediate_estate import (CENTRAL, MEMBER, REGION, REPORTING_ROLE, Scanned,
                                      account_session, root_key_policy, scan)
from scanner.findings import Finding, ResourceRef, Severity, Status, finding_id
from scanner.remediate.engine import apply_plan
from scanner.remediate.journal import read_journal
from scanner.remediate.planfile import estate_of
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.sessions import ClientsFactory
from scanner.remediate.undo import undo_journal


def _secret_on_a_member_key() -> tuple[str, str]:
    """A central secret on a key of MEMBER whose policy lets no central principal decrypt;
    the secret policy grants the central ReportingRole."""
    kms = account_session(MEMBER).client("kms", region_name=REGION)
    key = kms.create_key(Description="member-held key",
                         Policy=root_key_policy(MEMBER))["KeyMetadata"]["Arn"]
    sm = account_session(CENTRAL).client("secretsmanager", region_name=REGION)
    secret = sm.create_secret(Name="app/member-keyed", SecretString="v", KmsKeyId=key)["ARN"]
    sm.put_resource_policy(SecretId=secret, ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "Reporting", "Effect": "Allow", "Principal": {"AWS": REPORTING_ROLE},
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    return secret, key


def _key_policy(key: str) -> str:
    kms = account_session(MEMBER).client("kms", region_name=REGION)
    return str(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])


def test_a_grant_on_a_key_of_another_account_is_applied_and_undone(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    secret, key = _secret_on_a_member_key()
    snapshot = scan(tmp_path / "scan", "scan-member-key")
    rule = "secret-cross-account-access-broken"
    finding = Finding(id=finding_id(rule, secret, REPORTING_ROLE), rule_id=rule, title=rule,
                      severity=Severity.HIGH, status=Status.FAIL,
                      resource=ResourceRef(type="Secret", arn=secret, account_id=CENTRAL,
                                           region=REGION),
                      principal=REPORTING_ROLE, evidence={"key_arn": key, "blocking_gate": "key"},
                      remediation={"id": "grant-key-decrypt"})
    plan = build_plan([finding], snapshot, scanned.config,
                      Selection(rules=("grant-key-decrypt",)))
    (change,) = plan.changes
    assert (change.account_id, change.resource_arn) == (MEMBER, key)  # the key's account
    before = _key_policy(key)

    result = apply_plan(plan, clients, journal_path=str(tmp_path / "j.jsonl"),
                        plan_path="plan.json", max_age_hours=24,
                        current_estate=estate_of(snapshot))

    assert result.ok and result.counts == {"applied": 1}, result
    assert REPORTING_ROLE in _key_policy(key) and secret in _key_policy(key)
    undone = undo_journal(read_journal(tmp_path / "j.jsonl"), clients,
                          undo_journal_path=str(tmp_path / "undo.jsonl"))
    assert undone.ok and undone.counts == {"undone": 1}, undone
    assert _key_policy(key) == before


def test_a_grant_on_a_key_of_another_account_is_refused_when_its_secret_is_deleted(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    import pytest

    from scanner.errors import InputError

    secret, key = _secret_on_a_member_key()
    snapshot = scan(tmp_path / "scan", "scan-member-key")
    rule = "secret-cross-account-access-broken"
    finding = Finding(id=finding_id(rule, secret, REPORTING_ROLE), rule_id=rule, title=rule,
                      severity=Severity.HIGH, status=Status.FAIL,
                      resource=ResourceRef(type="Secret", arn=secret, account_id=CENTRAL,
                                           region=REGION),
                      principal=REPORTING_ROLE, evidence={"key_arn": key, "blocking_gate": "key"},
                      remediation={"id": "grant-key-decrypt"})
    plan = build_plan([finding], snapshot, scanned.config,
                      Selection(rules=("grant-key-decrypt",)))
    before = _key_policy(key)
    account_session(CENTRAL).client("secretsmanager", region_name=REGION).delete_secret(
        SecretId=secret, RecoveryWindowInDays=7)

    with pytest.raises(InputError, match="secret_exists changed since the scan"):
        apply_plan(plan, clients, journal_path=str(tmp_path / "j.jsonl"), plan_path="plan.json",
                   max_age_hours=24, current_estate=estate_of(snapshot))
    assert _key_policy(key) == before
