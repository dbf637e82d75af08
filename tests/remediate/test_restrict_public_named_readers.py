"""restrict-public-secret-policy narrows the public ``*`` of a statement and nothing else: the
principals the statement also names keep their grant as it was; and the predicted effect
counts an in-zone principal's grant that a change takes out of the secret policy as lost
even while another gate keeps that principal from reading, so the broken-access finding about
it is not "resolved" by deleting the intent (safe-fixes trial, defect 2: with
trusted_accounts ["777777777777"], a statement {"AWS": ["*", "...777777777777:role/Reader"]}
got aws:PrincipalOrgID as a whole; while the key did not let Reader decrypt the plan said
"readers +0 -0; resolved secret-cross-account-access-broken (Reader)" and was applied without
--accept-access-change, leaving Reader blocked at the resource policy as well -- fixing the key
later would not have restored it. With a key that let Reader decrypt, the same change was
refused as "breaks access")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers.access_estate import CENTRAL, ORG_ID, SECRET_ARN, estate, key_policy_for, text
from remediations import REMEDIATORS
from remediations.policy_edit import edit_policy, parse_policy
from remediations.restrict_public_secret_policy import restrict
from scanner.changes import ApiCall, PlannedChange, change_id
from scanner.cli import main
from scanner.model import Snapshot
from scanner.pipeline import ScanOptions, load_inputs
from scanner.remediate.effects import Predictor
from scanner.remediate.render import effect_lines
from scanner.snapshot_io import write_snapshot

TRUSTED = "777777777777"
READER = f"arn:aws:iam::{TRUSTED}:role/Reader"
GET = "secretsmanager:GetSecretValue"
PUBLIC_AND_READER = {"Sid": "PubAndTrusted", "Effect": "Allow",
                     "Principal": {"AWS": ["*", READER]}, "Action": GET, "Resource": "*"}
BROKEN = "secret-cross-account-access-broken"


def _estate(*, key_lets_reader_decrypt: bool) -> Snapshot:
    nobody = f"arn:aws:iam::{CENTRAL}:role/Nobody"
    return estate(secret_policy=text(PUBLIC_AND_READER),
                  key_policy=key_policy_for(READER if key_lets_reader_decrypt else nobody))


def _plan(tmp_path: Path, snap: Snapshot) -> dict[str, Any]:
    write_snapshot(tmp_path / "snapshot.json.gz", snap)
    config = tmp_path / "config.yaml"
    config.write_text(f"trusted_accounts: ['{TRUSTED}']\n", encoding="utf-8")
    out = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(tmp_path / "snapshot.json.gz"), "--config",
                 str(config), "--out", str(out), "-q"]) in (0, 1)
    assert main(["remediate", "--in", str(out), "--config", str(config), "--rule",
                 "secret-policy-public", "-q"]) == 0
    plan: dict[str, Any] = json.loads((out / "remediation-plan.json").read_text("utf-8"))
    return plan


def _failing(tmp_path: Path) -> set[tuple[str, str | None]]:
    doc = json.loads((tmp_path / "scan" / "findings.json").read_text("utf-8"))
    return {(f["rule_id"], f.get("principal")) for f in doc["findings"] if f["status"] == "FAIL"}


@pytest.mark.parametrize("key_lets_reader_decrypt", [False, True])
def test_the_named_trusted_reader_keeps_its_grant_as_it_was(
        tmp_path: Path, key_lets_reader_decrypt: bool) -> None:
    """Safe-fixes trial, defect 2: the statement is split -- Reader keeps its grant with no
    condition added, the ``*`` gets aws:PrincipalOrgID in a statement of its own (and, for the
    trusted account, aws:PrincipalAccount in another) -- whether or not the key lets Reader
    decrypt today; the plan is made, not refused."""
    plan = _plan(tmp_path, _estate(key_lets_reader_decrypt=key_lets_reader_decrypt))
    if not key_lets_reader_decrypt:
        assert (BROKEN, READER) in _failing(tmp_path)

    (change,) = plan["changes"]
    assert change["remediation_id"] == "restrict-public-secret-policy"
    after = json.loads(change["policy_diff"]["after"])["Statement"]
    assert [s["Principal"] for s in after] == [{"AWS": READER}, {"AWS": "*"}, {"AWS": "*"}]
    named, public, trusted = after
    assert "Condition" not in named and named["Sid"] == "PubAndTrusted"
    assert public["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}
    assert public["Sid"] != named["Sid"]
    # the trusted account, outside the organization, keeps what "*" granted it (ground-truth
    # trial round 30)
    assert trusted["Condition"] == {"StringEquals": {"aws:PrincipalAccount": TRUSTED}}
    assert len({named["Sid"], public["Sid"], trusted["Sid"]}) == 3
    effect = change["effect"]
    assert effect["readers_lost"] == [] and effect["accepted"] == []
    assert [f["rule_id"] for f in effect["findings_resolved"]] == ["secret-policy-public"], \
        "the broken read of Reader is still broken: not resolved"


def _whole_statement_change(snap: Snapshot) -> PlannedChange:
    """The change the trial's plan made: aws:PrincipalOrgID on the whole statement, Reader
    included."""
    (acct,) = [a for a in snap.accounts if a.account_id == CENTRAL]
    (secret,) = acct.regions[0].secrets
    before = parse_policy(secret.resource_policy, "secret policy")
    after, diff = edit_policy("secret-resource-policy", secret.resource_policy, before,
                              {0: restrict(PUBLIC_AND_READER, ORG_ID)}, (), 20480,
                              use_bytes=False)
    call = ApiCall(service="secretsmanager", operation="PutResourcePolicy", region="us-east-1",
                   params={"SecretId": SECRET_ARN, "ResourcePolicy": diff.after,
                           "BlockPublicPolicy": True})
    target = f"secret-policy:{SECRET_ARN}"
    return PlannedChange(
        change_id=change_id("restrict-public-secret-policy", target, [call]),
        remediation_id="restrict-public-secret-policy", finding_ids=("f-1",),
        rule_id="secret-policy-public", account_id=CENTRAL, region="us-east-1",
        resource_arn=SECRET_ARN, target=target, summary="limit", calls=(call,),
        pre_state={}, desired_state={}, details={}, policy_diff=diff)


def test_removing_a_blocked_readers_grant_is_an_access_change(tmp_path: Path) -> None:
    """Safe-fixes trial, defect 2: a change that takes Reader's grant out of the secret policy
    while the key blocks Reader is refused unless accepted: the grant is listed as removed,
    and the broken-access finding about Reader is withdrawn (its intent deleted), not
    resolved."""
    config = tmp_path / "config.yaml"
    config.write_text(f"trusted_accounts: ['{TRUSTED}']\n", encoding="utf-8")
    inputs = load_inputs(ScanOptions(config_path=config))
    snap = _estate(key_lets_reader_decrypt=False)
    change = _whole_statement_change(snap)

    admitted, refusal = Predictor(snap, inputs, REMEDIATORS).admit(change)

    assert admitted == [] and refusal is not None and refusal.effect is not None
    assert f"{READER} loses its grant in the secret policy of {SECRET_ARN}" in refusal.reason
    assert "key_policy" in refusal.reason
    (removed,) = refusal.effect["grants_removed"]
    assert removed["principal"] == READER and removed["gates"]["key_policy"] == "DENIED"
    assert BROKEN not in [f["rule_id"] for f in refusal.effect["findings_resolved"]]
    assert [f["rule_id"] for f in refusal.effect["findings_withdrawn"]] == [BROKEN]
    lines = list(effect_lines(refusal.effect))
    assert any(ln.startswith(f"  x grant {READER} -> {SECRET_ARN}") for ln in lines), lines
    assert any(ln.startswith(f"  withdrawn {BROKEN}") for ln in lines), lines

    admitted, refusal = Predictor(snap, inputs, REMEDIATORS,
                                  accepted=frozenset({change.change_id})).admit(change)
    assert refusal is None and admitted[0].effect is not None
    assert any("loses its grant" in a for a in admitted[0].effect["accepted"])
