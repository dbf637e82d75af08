"""Two findings one change fixes are both that change's: remove-external-grant of the account
999999999999 takes out its root ARN too (one principal: scanner.policy.arn), so the root
ARN's own finding is resolved by it -- the plan listed it as not planned, "already in the
desired state in the snapshot: nothing to change", which it was not (safe-fixes trial round
18)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers.access_estate import APP_ROLE, allow_read_identity, estate, key_policy_for, role
from scanner.changes import PlanRefused
from scanner.cli import main
from scanner.snapshot_io import write_snapshot

OUTSIDER_ROOT = "arn:aws:iam::999999999999:root"
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "App", "Effect": "Allow", "Principal": {"AWS": APP_ROLE},
     "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
    {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": [OUTSIDER_ROOT, "999999999999"]},
     "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
    {"Sid": "Partner2", "Effect": "Allow",
     "Principal": {"AWS": OUTSIDER_ROOT, "Service": "lambda.amazonaws.com"},
     "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}


def test_both_findings_are_the_one_change_s(tmp_path: Path) -> None:
    snap = estate(secret_policy=json.dumps(POLICY), key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    write_snapshot(tmp_path / "snapshot.json.gz", snap)
    out = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(tmp_path / "snapshot.json.gz"), "--out", str(out),
                 "--format", "json", "-q"]) == 1
    failing = {f["id"]: f.get("principal") for f in json.loads(
        (out / "findings.json").read_text("utf-8"))["findings"]
        if f["rule_id"] == "secret-policy-external-account" and f["status"] == "FAIL"}
    assert sorted(failing.values()) == ["999999999999", OUTSIDER_ROOT]

    assert main(["remediate", "--in", str(out), "--rule", "secret-policy-external-account",
                 "-q"]) == 0

    plan = json.loads((out / "remediation-plan.json").read_text("utf-8"))
    (change,) = plan["changes"]
    assert sorted(change["finding_ids"]) == sorted(failing)
    assert plan["skipped"] == []
    assert {r["id"] for r in change["effect"]["findings_resolved"]} == set(failing)
    after = json.loads(change["policy_diff"]["after"])["Statement"]
    assert [s["Sid"] for s in after] == ["App", "Partner2"]
    assert after[1]["Principal"] == {"Service": "lambda.amazonaws.com"}
    # the saved plan is read back as it is written (its digests, its plan id)
    assert main(["remediate", "--in", str(out), "--plan", str(out / "remediation-plan.json"),
                 "-q"]) == 0


def test_a_finding_its_remediator_refuses_but_an_earlier_change_fixes_is_that_change_s(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same when the remediator refuses the second finding (a replica's finding: "edit
    the primary"): the change that resolves it names it, no "not planned" line says
    otherwise."""
    import remediations.remove_external_grant as module

    real = module.plan

    def plan(finding: Any, snapshot: Any, ctx: Any) -> Any:
        if finding.principal == OUTSIDER_ROOT:
            raise PlanRefused("refused for this test")
        return real(finding, snapshot, ctx)

    monkeypatch.setattr(module, "plan", plan)
    test_both_findings_are_the_one_change_s(tmp_path)
