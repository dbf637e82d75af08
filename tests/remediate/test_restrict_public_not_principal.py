"""restrict-public-secret-policy on an ``Allow`` statement with ``NotPrincipal`` (public: it
allows everyone the element does not list). IAM User Guide, "AWS JSON policy elements:
NotPrincipal": "NotPrincipal must be used with "Effect":"Deny". Using it with
"Effect":"Allow" is not supported", and "We recommend using the aws:PrincipalArn context key
with ARN condition operators instead". Ground-truth trial round 11: the plan for
policy/allow-notprincipal kept the Allow + NotPrincipal statement and only added
aws:PrincipalOrgID, writing a statement AWS does not support. The narrowed statement is
``Principal: "*"`` with aws:PrincipalOrgID, and the principals NotPrincipal excepted stay
excepted through ``ArnNotEquals aws:PrincipalArn`` (an assumed-role session's
aws:PrincipalArn is its role's ARN); entries that condition cannot express (an account, a
service) make the plan refused with what to do by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.access_estate import MEMBER, ORG_ID, estate, key_policy_for, text

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

GET = "secretsmanager:GetSecretValue"
EXCEPT = f"arn:aws:iam::{MEMBER}:role/AppRole"


def _remediate(tmp_path: Path, not_principal: Any,
               capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any] | None, str]:
    stmt = {"Sid": "AllBut", "Effect": "Allow", "NotPrincipal": not_principal, "Action": GET,
            "Resource": "*"}
    write_snapshot(tmp_path / "snapshot.json.gz",
                   estate(secret_policy=text(stmt), key_policy=key_policy_for("*")))
    out = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(tmp_path / "snapshot.json.gz"), "--out", str(out),
                 "-q"]) in (0, 1)
    findings = json.loads((out / "findings.json").read_text("utf-8"))["findings"]
    assert any(f["rule_id"] == "secret-policy-public" and f["status"] == "FAIL"
               for f in findings)
    capsys.readouterr()
    assert main(["remediate", "--in", str(out), "--rule", "secret-policy-public"]) == 0
    said = " ".join(capsys.readouterr().out.split())
    path = out / "remediation-plan.json"
    plan = json.loads(path.read_text("utf-8")) if path.exists() else None
    return plan, said


def test_allow_not_principal_becomes_star_with_the_exceptions_in_a_condition(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan, _ = _remediate(tmp_path, {"AWS": EXCEPT}, capsys)
    assert plan is not None
    (change,) = plan["changes"]
    (after,) = json.loads(change["policy_diff"]["after"])["Statement"]
    assert "NotPrincipal" not in after
    assert after["Principal"] == "*" and after["Effect"] == "Allow"
    assert after["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG_ID},
                                  "ArnNotEquals": {"aws:PrincipalArn": [EXCEPT]}}


def test_an_account_in_not_principal_is_refused_with_the_way_to_do_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan, said = _remediate(tmp_path, {"AWS": [EXCEPT, f"arn:aws:iam::{MEMBER}:root"]}, capsys)
    assert plan is None or plan["changes"] == []
    assert "AWS does not support NotPrincipal with Allow" in said
    assert "ArnNotEquals aws:PrincipalArn" in said
