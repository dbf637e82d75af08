"""restrict-public-secret-policy narrows exactly the statements secret-policy-public reports:
not an Allow to everyone that the rule leaves out because no caller outside gets through it
(exposure.public_withheld: its own condition never holds for one -- Bool
aws:PrincipalIsAWSService "true", a grant to AWS services -- or the policy's own Deny takes it
back). Adding ``StringEquals aws:PrincipalOrgID`` to a grant to AWS services breaks it: "This
key is included in the request context only if the principal is a member of an organization"
(IAM User Guide, "AWS global condition context keys", aws:PrincipalOrgID) -- a service
principal is not -- while the rule never said that statement was public. IAM conformance
trial round 28: the plan edited both statements of such a policy, the rule reported one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.access_estate import ORG_ID, estate, key_policy_for, text

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

GET = "secretsmanager:GetSecretValue"
SERVICES = {"Sid": "Services", "Effect": "Allow", "Principal": "*", "Action": GET,
            "Resource": "*", "Condition": {"Bool": {"aws:PrincipalIsAWSService": "true"}}}
EVERYONE = {"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": GET,
            "Resource": "*"}


def _plan(tmp_path: Path, capsys: pytest.CaptureFixture[str],
          *statements: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    write_snapshot(tmp_path / "snapshot.json.gz",
                   estate(secret_policy=text(*statements), key_policy=key_policy_for("*")))
    out = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(tmp_path / "snapshot.json.gz"), "--out", str(out),
                 "-q"]) in (0, 1)
    findings = json.loads((out / "findings.json").read_text("utf-8"))["findings"]
    (public,) = [f for f in findings if f["rule_id"] == "secret-policy-public"
                 and f["status"] == "FAIL"]
    capsys.readouterr()
    assert main(["remediate", "--in", str(out), "--rule", "secret-policy-public"]) == 0
    plan = json.loads((out / "remediation-plan.json").read_text("utf-8"))
    return public["evidence"]["statements"], plan


def test_the_grant_to_aws_services_the_rule_does_not_report_is_left_as_it_was(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reported, plan = _plan(tmp_path, capsys, SERVICES, EVERYONE)
    assert reported == ["statement 1 (Everyone)"]
    (change,) = plan["changes"]
    assert change["details"]["statement_indexes"] == [1]
    services, everyone = json.loads(change["policy_diff"]["after"])["Statement"]
    assert services == SERVICES
    assert everyone["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}


def test_a_trusted_account_outside_the_organization_keeps_its_grant(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Ground-truth trial round 30: a partner account of another organization, trusted by the
    configuration (in the trust zone), read a public secret; the plan limiting the statement
    to the organization was refused ("breaks access: ... loses read access"). Now the
    statement is limited to the organization and a copy of it to the trusted account, and the
    plan is made; an account trusted by no one still loses its read."""
    write_snapshot(tmp_path / "snapshot.json.gz",
                   estate(secret_policy=text(EVERYONE), key_policy=key_policy_for("*")))
    config = tmp_path / "config.yaml"
    config.write_text('trusted_accounts: ["555566667777"]\n')
    out = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(tmp_path / "snapshot.json.gz"), "--out", str(out),
                 "--config", str(config), "-q"]) in (0, 1)
    capsys.readouterr()
    assert main(["remediate", "--in", str(out), "--rule", "secret-policy-public"]) == 0
    plan = json.loads((out / "remediation-plan.json").read_text("utf-8"))
    (change,) = plan["changes"]
    assert not plan["skipped"]
    everyone, trusted = json.loads(change["policy_diff"]["after"])["Statement"]
    assert everyone["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}
    assert trusted == {**EVERYONE, "Sid": "EveryoneTrusted", "Condition": {
        "StringEquals": {"aws:PrincipalAccount": "555566667777"}}}
    assert change["summary"].endswith("and trusted account(s) 555566667777")
    # everyone ("*") loses the read, the trusted account keeps it by name
    assert [x["principal"] for x in change["effect"]["readers_lost"]] == ["*"]
    assert [x["principal"] for x in change["effect"]["readers_gained"]] == [
        "arn:aws:iam::555566667777:root"]
