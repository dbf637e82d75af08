"""A remediator writes a policy back whole (minified): what it writes must be the policy it
read with only the planned statements changed, in characters the service accepts (safe-fixes
trial round 18).

* A key repeated within one JSON object (a Deny whose Condition names StringNotEquals twice):
  json.loads keeps the last, so the text written dropped the first block from a statement the
  plan showed as "unchanged". Such a policy is not edited: not planned, the reason naming the
  statement and the key.
* A key policy holding a character above U+00FF (only as a JSON escape: KMS accepts no other
  form) was written back with the character itself, which PutKeyPolicy's Policy does not
  accept ([\\u0009\\u000A\\u000D\\u0020-\\u00FF]+): the plan's call would fail at AWS (moto
  takes it). It is written back escaped, the same string to a JSON reader."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from helpers.access_estate import (APP_ROLE, CENTRAL, KEY_ARN, allow_read_identity, estate,
                                   role, secret_policy_for)
from remediations.grant_key_decrypt import decrypt_change
from remediations.policy_edit import parse_policy
from scanner.changes import PlanContext, PlanRefused, RemediationConfig
from scanner.cli import main
from scanner.model import Snapshot
from scanner.snapshot_io import write_snapshot

GUARD_REPEATING = (
    '{"Sid":"Guard","Effect":"Deny","Principal":"*","Action":"secretsmanager:DeleteSecret",'
    '"Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"111111111111"},'
    '"StringNotEquals":{"aws:PrincipalAccount":"222222222222"}}}')
PUBLIC = ('{"Sid":"Pub","Effect":"Allow","Principal":"*",'
          '"Action":"secretsmanager:GetSecretValue","Resource":"*"}')
#: KMS's character set for a key policy (botocore's model of PutKeyPolicy's Policy)
KMS_POLICY_CHARS = re.compile("[\u0009\u000a\u000d\u0020-\u00ff]+")


def _scan_and_plan(tmp_path: Path, snap: Snapshot, rule: str) -> dict[str, Any]:
    write_snapshot(tmp_path / "snapshot.json.gz", snap)
    out = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(tmp_path / "snapshot.json.gz"), "--out", str(out),
                 "--format", "json", "-q"]) in (0, 1)
    assert main(["remediate", "--in", str(out), "--rule", rule]) == 0
    plan = out / "remediation-plan.json"
    if not plan.exists():
        return {"changes": [], "skipped": []}
    doc: dict[str, Any] = json.loads(plan.read_text("utf-8"))
    return doc


def test_a_secret_policy_repeating_a_key_is_not_rewritten(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = estate(secret_policy='{"Version":"2012-10-17","Statement":[' + PUBLIC + ","
                  + GUARD_REPEATING + "]}")

    plan = _scan_and_plan(tmp_path, snap, "secret-policy-public")

    assert plan["changes"] == []
    out = capsys.readouterr().out
    assert "statement 1 (Guard): key 'StringNotEquals' more than once in one JSON object" \
        in " ".join(out.split()), out
    assert "remove the repeated key by hand" in " ".join(out.split())


def test_the_same_policy_without_the_repeat_is_narrowed(tmp_path: Path) -> None:
    """The refusal is the repeat's, not the Deny's: one StringNotEquals block, planned."""
    guard = GUARD_REPEATING.replace(
        ',"StringNotEquals":{"aws:PrincipalAccount":"222222222222"}', "")
    snap = estate(secret_policy='{"Version":"2012-10-17","Statement":[' + PUBLIC + ","
                  + guard + "]}")

    (change,) = _scan_and_plan(tmp_path, snap, "secret-policy-public")["changes"]

    after = json.loads(change["policy_diff"]["after"])["Statement"]
    assert after[1] == json.loads(guard)


def test_a_key_policy_repeating_a_key_is_not_rewritten() -> None:
    """grant-key-decrypt (also the companion of move-secret-to-cmk, planned without the
    key's findings) reads the key policy through the same parse."""
    key_policy = ('{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow",'
                  f'"Principal":{{"AWS":"arn:aws:iam::{CENTRAL}:root"}},"Action":"kms:*",'
                  '"Resource":"*"},{"Sid":"Tagged","Effect":"Allow","Principal":"*",'
                  '"Action":"kms:DescribeKey","Resource":"*","Condition":{"StringEquals":'
                  '{"aws:PrincipalOrgID":"o-abc123"},"StringEquals":{"aws:PrincipalTag/t":"x"}'
                  "}}]}")
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy)
    region = snap.accounts[0].regions[0]

    with pytest.raises(PlanRefused, match=r"statement 1 \(Tagged\): key 'StringEquals' more "
                                          "than once"):
        decrypt_change(region.secrets[0], region.kms_keys[0], [APP_ROLE],
                       PlanContext(config=RemediationConfig()), finding_ids=("f",),
                       rule_id="secret-cross-account-access-broken")


def test_repeats_are_found_in_a_statement_given_as_an_object() -> None:
    text = '{"Version":"2012-10-17","Statement":' + GUARD_REPEATING + "}"
    with pytest.raises(PlanRefused, match=r"statement 0 \(Guard\)"):
        parse_policy(text, "resource policy of s")


def test_a_key_policy_escape_above_latin1_is_written_back_escaped(tmp_path: Path) -> None:
    """KMS API Reference, PutKeyPolicy: "A key policy document can include only the following
    characters: ... (through \\u00FF)". The team tag's value is Japanese, written escaped."""
    key_policy = ('{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow",'
                  f'"Principal":{{"AWS":"arn:aws:iam::{CENTRAL}:root"}},"Action":"kms:*",'
                  '"Resource":"*"},{"Sid":"Caf\\u00e9Team","Effect":"Allow","Principal":"*",'
                  '"Action":"kms:DescribeKey","Resource":"*","Condition":{"StringEquals":'
                  '{"aws:PrincipalOrgID":"o-abc123","aws:PrincipalTag/team":'
                  '"\\u30c7\\u30fc\\u30bf"}}}]}')
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy,
                  principals=(role(APP_ROLE, allow_read_identity()),))

    plan = _scan_and_plan(tmp_path, snap, "secret-cross-account-access-broken")

    (change,) = plan["changes"]
    assert change["resource_arn"] == KEY_ARN
    written = change["calls"][0]["params"]["Policy"]
    assert KMS_POLICY_CHARS.fullmatch(written), [c for c in written if ord(c) > 0xFF]
    # the same policy to a JSON reader: the statement kept as it was, the grant added
    after = json.loads(written)
    assert after["Statement"][:2] == json.loads(key_policy)["Statement"]
    assert after["Statement"][1]["Condition"]["StringEquals"]["aws:PrincipalTag/team"] == \
        "データ"
    assert after["Statement"][1]["Sid"] == "CaféTeam"  # Latin-1: as it is
    assert "CaféTeam" in written
    assert after == change["desired_state"]["key_policy"]
    # the size checked is the size of the text sent
    assert change["policy_diff"]["size_after"] == len(written.encode("utf-8"))
