"""Two grant-key-decrypt statements on one key (two secrets it encrypts, each read by a role
the key policy leaves out) are one chain of edits of that key policy, each with its own
condition: the secret its statement is for is still there (``secret_exists``). The re-read
before the first change must check every one of them, not only the first change's: the plan
is refused whole, nothing changed, when either secret is gone, and the refusal names that
secret (the resource it names is the key). Safe-fixes trial round 16: the
second secret, scheduled for deletion since the scan, passed the re-read; the apply wrote the
first statement and stopped on the second (exit 1, half a plan made) -- drift the re-read is
there to refuse before anything is changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.remediate_estate import (CENTRAL, MEMBER_APP_ROLE, REGION, Scanned,
                                      account_session, scan)
from scanner.errors import InputError
from scanner.findings import Finding, ResourceRef, Severity, Status, finding_id
from scanner.remediate.engine import apply_plan
from scanner.remediate.planfile import Plan, estate_of
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.sessions import ClientsFactory
from scanner.model import Snapshot

_RULE = "secret-cross-account-access-broken"


def _broken(secret: str, key: str) -> Finding:
    return Finding(id=finding_id(_RULE, secret, MEMBER_APP_ROLE), rule_id=_RULE, title=_RULE,
                   severity=Severity.HIGH, status=Status.FAIL,
                   resource=ResourceRef(type="Secret", arn=secret, account_id=CENTRAL,
                                        region=REGION),
                   principal=MEMBER_APP_ROLE, evidence={"key_arn": key, "blocking_gate": "key"},
                   remediation={"id": "grant-key-decrypt"})


def _two_grants(s: Scanned, tmp_path: Path) -> tuple[Plan, Snapshot]:
    """A second secret on the shared secret's key, its policy granting the member's role:
    two statements planned on that key."""
    sm = account_session(CENTRAL).client("secretsmanager", region_name=REGION)
    other = sm.create_secret(Name="app/shared-too", SecretString="v",
                             KmsKeyId=s.estate.cmk_arn)["ARN"]
    sm.put_resource_policy(SecretId=other, ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "MemberApp", "Effect": "Allow", "Principal": {"AWS": MEMBER_APP_ROLE},
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    snapshot = scan(tmp_path / "scan", "scan-two-grants")
    findings = [_broken(s.estate.shared_secret, s.estate.cmk_arn),
                _broken(other, s.estate.cmk_arn)]
    plan = build_plan(findings, snapshot, s.config, Selection(rules=("grant-key-decrypt",)))
    assert [c.target for c in plan.changes] == [f"key-policy:{s.estate.cmk_arn}"] * 2
    return plan, snapshot


def _key_policy(s: Scanned) -> str:
    kms = account_session(CENTRAL).client("kms", region_name=REGION)
    return str(kms.get_key_policy(KeyId=s.estate.cmk_arn, PolicyName="default")["Policy"])


@pytest.mark.parametrize("which", [0, 1], ids=["first-change's-secret", "second-change's-secret"])
def test_either_secret_gone_refuses_the_whole_plan_before_any_change(
        which: int, scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    plan, snapshot = _two_grants(scanned, tmp_path)
    before = _key_policy(scanned)
    account_session(CENTRAL).client("secretsmanager", region_name=REGION).delete_secret(
        SecretId=plan.changes[which].details["secret_arn"], RecoveryWindowInDays=7)

    with pytest.raises(InputError) as refused:
        apply_plan(plan, clients, journal_path=str(tmp_path / "j.jsonl"), plan_path="plan.json",
                   max_age_hours=24, current_estate=estate_of(snapshot))

    said = str(refused.value)
    assert f"{plan.changes[which].change_id} (" in said, said
    assert "secret_exists changed since the scan" in said, said
    # which secret: the drifted resource named is the key, and the two statements are for two
    assert f"the secret {plan.changes[which].details['secret_arn']} this statement is for " \
        "is deleted, scheduled for deletion, or re-created" in said, said
    assert "nothing was changed" in said and "rescan and plan again" in said, said
    assert _key_policy(scanned) == before
    assert not (tmp_path / "j.jsonl").exists()  # no change begun, no journal


def test_with_both_secrets_there_both_statements_are_written_and_undone(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    from scanner.remediate.journal import read_journal
    from scanner.remediate.undo import undo_journal

    plan, snapshot = _two_grants(scanned, tmp_path)
    before = _key_policy(scanned)

    result = apply_plan(plan, clients, journal_path=str(tmp_path / "j.jsonl"),
                        plan_path="plan.json", max_age_hours=24,
                        current_estate=estate_of(snapshot))

    assert result.ok and result.counts == {"applied": 2}, result
    policy = _key_policy(scanned)
    assert all(c.details["secret_arn"] in policy for c in plan.changes)
    # the second secret deleted after the apply holds neither statement's undo back
    account_session(CENTRAL).client("secretsmanager", region_name=REGION).delete_secret(
        SecretId=plan.changes[1].details["secret_arn"], RecoveryWindowInDays=7)
    undone = undo_journal(read_journal(tmp_path / "j.jsonl"), clients,
                          undo_journal_path=str(tmp_path / "undo.jsonl"))
    assert undone.ok and undone.counts == {"undone": 2}, undone
    assert _key_policy(scanned) == before
