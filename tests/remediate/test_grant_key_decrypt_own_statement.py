"""grant-key-decrypt reuses a key-policy statement only when it is exactly the one it writes
(Allow kms:Decrypt, Resource *, for principals only, conditioned on kms:ViaService and
kms:EncryptionContext:SecretARN of this secret); a statement that merely carries its Sid is
left alone (safe-fixes trial, defect 1: an admin had removed the conditions from secretgraph's
own statement for secret A; the plan added OtherApp to that unconditioned statement -- OtherApp
could then read secret B of the same key and decrypt with the key directly -- and it was
planned without --accept-access-change).

And the predicted effect treats a reader gained on a secret the change is not for as an access
change that needs --accept-access-change (safe-fixes trial, defect 1)."""

from __future__ import annotations

import json
from typing import Any

from remediations.grant_key_decrypt import statement_sid
from remediations.policy_edit import edit_policy, parse_policy
from scanner.changes import ApiCall, PlannedChange, RemediationConfig, change_id
from scanner.findings import Finding, Status
from scanner.model import Snapshot, from_jsonable
from scanner.pipeline import ScanOptions, analyze, load_inputs
from scanner.remediate.effects import Predictor
from scanner.remediate.planner import Selection, build_plan

from helpers.rule_fixture import _fill

CENTRAL, MEMBER = "111111111111", "222222222222"
APP = f"arn:aws:iam::{MEMBER}:role/AppRole"
OTHER = f"arn:aws:iam::{MEMBER}:role/OtherApp"
KEY = f"arn:aws:kms:us-east-1:{CENTRAL}:key/k6"
SECRET_A = f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:sid-a-AbCdEf"
SECRET_B = f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:sid-b-AbCdEf"
ROOT = {"Sid": "EnableRoot", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
        "Action": "kms:*", "Resource": "*"}
RULE = "secret-cross-account-access-broken"
GET = "secretsmanager:GetSecretValue"
VIA = {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com",
       "kms:EncryptionContext:SecretARN": SECRET_A}


def _secret(arn: str, statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"arn": arn, "kms_key_id": KEY, "rotation_enabled": True, "rotation_days": 30,
            "created": "2026-01-01T00:00:00Z", "last_rotated": "2026-11-01T00:00:00Z",
            "next_rotation": "2026-12-01T00:00:00Z", "primary_region": "us-east-1",
            "resource_policy": json.dumps({"Version": "2012-10-17", "Statement": statements})}


def _estate(key_statements: list[dict[str, Any]]) -> Snapshot:
    """K6 encrypts A (granted to AppRole and OtherApp by name) and B (granted to the
    organization: ``*`` + aws:PrincipalOrgID); both roles may read any secret and use any
    key by their identity policies."""
    read_any = {"read": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [GET, "kms:Decrypt"], "Resource": "*"}]}}
    data = {
        "meta": {"scan_id": "fixture", "started_at": "2026-11-29T00:00:00Z",
                 "finished_at": "2026-11-29T00:05:00Z", "accounts": [CENTRAL, MEMBER],
                 "regions": ["us-east-1"], "central_account": CENTRAL},
        "accounts": [
            {"account_id": CENTRAL, "assumed": True, "regions": [{
                "region": "us-east-1",
                "secrets": [
                    _secret(SECRET_A, [{"Sid": "Two", "Effect": "Allow",
                                        "Principal": {"AWS": [APP, OTHER]}, "Action": GET,
                                        "Resource": "*"}]),
                    _secret(SECRET_B, [{"Sid": "Org", "Effect": "Allow", "Principal": "*",
                                        "Action": GET, "Resource": "*", "Condition": {
                                            "StringEquals": {"aws:PrincipalOrgID": "o-fixture"}}}])],
                "kms_keys": [{"arn": KEY, "key_manager": "CUSTOMER", "key_state": "Enabled",
                              "key_spec": "SYMMETRIC_DEFAULT", "origin": "AWS_KMS",
                              "rotation_enabled": True,
                              "policy": json.dumps({"Version": "2012-10-17",
                                                    "Statement": key_statements})}]}]},
            {"account_id": MEMBER, "assumed": True, "regions": [{"region": "us-east-1"}],
             "iam": {"principals": [
                 {"arn": APP, "principal_type": "role", "inline_policies": read_any},
                 {"arn": OTHER, "principal_type": "role", "inline_policies": read_any}]}}],
        "organization": {"org_id": "o-fixture", "management_account_id": CENTRAL,
                         "root_id": "r-fx", "policies_read": True,
                         "accounts": [{"account_id": CENTRAL, "parent_id": "r-fx"},
                                      {"account_id": MEMBER, "parent_id": "r-fx"}]}}
    return from_jsonable(Snapshot, _fill(data))


def _findings(snap: Snapshot) -> list[Finding]:
    return list(analyze(snap, load_inputs(ScanOptions())).findings)


def _broken_other(findings: list[Finding]) -> Finding:
    (f,) = [f for f in findings if f.rule_id == RULE and f.status is Status.FAIL
            and f.resource.arn == SECRET_A and f.principal == OTHER]
    return f


def _unconditioned() -> dict[str, Any]:
    """secretgraph's statement for A, its conditions removed by an admin."""
    return {"Sid": statement_sid(SECRET_A), "Effect": "Allow", "Principal": {"AWS": APP},
            "Action": "kms:Decrypt", "Resource": "*"}


def test_a_statement_with_our_sid_but_not_our_shape_is_not_widened() -> None:
    """Safe-fixes trial, defect 1: the statement under A's Sid has no conditions; OtherApp is
    granted in a fresh statement of the exact shape (only through Secrets Manager, only for
    A) under a Sid that does not collide, the edited statement stays as it was, and OtherApp
    gains no read of B."""
    snap = _estate([ROOT, _unconditioned()])
    findings = _findings(snap)
    _broken_other(findings)

    plan = build_plan(findings, snap, RemediationConfig(), Selection(rules=(RULE,)))

    (change,) = plan.changes
    assert change.remediation_id == "grant-key-decrypt" and change.resource_arn == KEY
    assert change.policy_diff is not None
    ops = [(s.op, s.sid) for s in change.policy_diff.statements]
    assert ("unchanged", statement_sid(SECRET_A)) in ops, ops
    (added,) = [s.after for s in change.policy_diff.statements if s.op == "added"]
    assert added["Principal"] == {"AWS": OTHER}
    assert added["Condition"] == {"StringEquals": VIA}
    assert added["Sid"] != statement_sid(SECRET_A)
    assert added["Sid"].startswith(statement_sid(SECRET_A))
    sids = [s.get("Sid") for s in json.loads(change.policy_diff.after)["Statement"]]
    assert len(sids) == len(set(sids)), "no two statements share a Sid"
    assert change.effect is not None
    assert [(r["principal"], r["secret_arn"]) for r in change.effect["readers_gained"]] == \
        [(OTHER, SECRET_A)]


def test_a_deny_or_otherwise_changed_statement_under_our_sid_is_left_alone() -> None:
    """Safe-fixes trial, defect 1: a statement under A's Sid that is no longer our Allow (an
    admin turned it into something else) is never edited; the grant is added beside it."""
    odd = dict(_unconditioned(), Action=["kms:Decrypt", "kms:ReEncrypt*"],
               Condition={"StringEquals": VIA})
    snap = _estate([ROOT, odd])
    findings = _findings(snap)
    _broken_other(findings)

    plan = build_plan(findings, snap, RemediationConfig(), Selection(rules=(RULE,)))

    (change,) = plan.changes
    assert change.policy_diff is not None
    assert [s.op for s in change.policy_diff.statements] == ["unchanged", "unchanged", "added"]


def test_our_own_statement_for_the_secret_is_still_widened() -> None:
    """The statement secretgraph wrote for A (the exact shape, this secret's values) gets the
    new principal: one statement per secret, as before."""
    ours = dict(_unconditioned(), Condition={"StringEquals": dict(VIA)})
    snap = _estate([ROOT, ours])
    findings = _findings(snap)
    _broken_other(findings)

    plan = build_plan(findings, snap, RemediationConfig(), Selection(rules=(RULE,)))

    (change,) = plan.changes
    assert change.policy_diff is not None
    (edited,) = [s for s in change.policy_diff.statements if s.op == "changed"]
    assert edited.sid == statement_sid(SECRET_A)
    assert edited.after is not None and edited.after["Principal"] == {"AWS": [APP, OTHER]}
    assert edited.after["Condition"] == {"StringEquals": VIA}
    assert not [s for s in change.policy_diff.statements if s.op == "added"]


def _widening_change(snap: Snapshot) -> PlannedChange:
    """The change the trial's plan made: OtherApp added to the unconditioned statement."""
    (acct,) = [a for a in snap.accounts if a.account_id == CENTRAL]
    (key,) = acct.regions[0].kms_keys
    before = parse_policy(key.policy, "key policy")
    widened = dict(_unconditioned(), Principal={"AWS": [APP, OTHER]})
    after, diff = edit_policy("kms-key-policy", key.policy, before, {1: widened}, (), 32768,
                              use_bytes=True)
    call = ApiCall(service="kms", operation="PutKeyPolicy", region="us-east-1",
                   params={"KeyId": KEY, "PolicyName": "default", "Policy": diff.after})
    return PlannedChange(
        change_id=change_id("grant-key-decrypt", f"key-policy:{KEY}", [call]),
        remediation_id="grant-key-decrypt", finding_ids=("f-1",), rule_id=RULE,
        account_id=CENTRAL, region="us-east-1", resource_arn=KEY, target=f"key-policy:{KEY}",
        summary="allow kms:Decrypt", calls=(call,), pre_state={}, desired_state={},
        details={"secret_arn": SECRET_A, "principals": [OTHER]}, policy_diff=diff)


def test_a_reader_gained_on_another_secret_needs_accept_access_change() -> None:
    """Safe-fixes trial, defect 1: a change for secret A that lets OtherApp read secret B
    (inside the trust zone, but not what the change is for) is refused with the reader named,
    unless that exact change is accepted."""
    snap = _estate([ROOT, _unconditioned()])
    inputs = load_inputs(ScanOptions())
    change = _widening_change(snap)
    from remediations import REMEDIATORS

    admitted, refusal = Predictor(snap, inputs, REMEDIATORS).admit(change)

    assert admitted == [] and refusal is not None
    assert f"{OTHER} gains read access to {SECRET_B}" in refusal.reason
    assert "not what this change is for" in refusal.reason
    assert f"--accept-access-change {change.change_id}" in refusal.reason

    admitted, refusal = Predictor(snap, inputs, REMEDIATORS,
                                  accepted=frozenset({change.change_id})).admit(change)
    assert refusal is None
    (kept,) = admitted
    assert kept.effect is not None and any(SECRET_B in a for a in kept.effect["accepted"])
