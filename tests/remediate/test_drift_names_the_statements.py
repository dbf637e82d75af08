"""A policy changed since the scan (or the plan, or the apply) refuses the plan, the step or
the undo naming the statements that differ, so the reviewer sees what the console edit was
without diffing the journal by hand: it said only "resource_policy changed since the scan"
(safe-fixes trial round 18: a key statement added in the console a day after the plan)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient

from helpers.remediate_estate import CENTRAL, REMEDIATION_ROLE, Scanned, account_session
from scanner.cli import main
from scanner.remediate.runs import policy_drift

_REAL = BaseClient._make_api_call
RULES = "secret-policy-public,secret-policy-external-account,secret-cross-account-access-broken"
CONSOLE = {"Sid": "Console", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
           "Action": "secretsmanager:DescribeSecret", "Resource": "*"}
SAID = "resource_policy changed since the {} (resource_policy: statement {} (Console) added " \
    "or changed)"


def _console_edit(scanned: Scanned) -> None:
    """A statement added in the console, the policy saved with its own formatting."""
    sm = account_session(CENTRAL).client("secretsmanager")
    doc = json.loads(sm.get_resource_policy(SecretId=scanned.estate.shared_secret)
                     ["ResourcePolicy"])
    doc["Statement"].append(CONSOLE)
    sm.put_resource_policy(SecretId=scanned.estate.shared_secret,
                           ResourcePolicy=json.dumps(doc, indent=4))


def _plan(scanned: Scanned) -> Path:
    assert main(["remediate", "--in", str(scanned.scan_dir), "--config",
                 str(scanned.config_path), "--rule", RULES, "-q"]) == 0
    return scanned.scan_dir / "remediation-plan.json"


def _apply(scanned: Scanned, plan: Path, journal: Path) -> int:
    return main(["remediate", "--in", str(scanned.scan_dir), "--plan", str(plan), "--apply",
                 "--yes", "--remediation-role-name", REMEDIATION_ROLE, "--journal",
                 str(journal)])


def test_a_plan_refused_as_drifted_names_the_statement_added(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    plan = _plan(scanned)
    _console_edit(scanned)

    assert _apply(scanned, plan, tmp_path / "journal.jsonl") == 2

    err = " ".join(capsys.readouterr().err.split())
    assert "refusing the whole plan, nothing was changed" in err, err
    assert SAID.format("scan", 3) in err, err


def test_a_step_refused_mid_run_names_the_statement_added(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone edits the secret policy while the key-policy change is made: the secret
    policy's step is refused, the run stops."""
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    plan = _plan(scanned)

    def call(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        answer = _REAL(self, op, params)
        if op == "PutKeyPolicy":
            _console_edit(scanned)
        return answer

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    assert _apply(scanned, plan, tmp_path / "journal.jsonl") == 1

    out = " ".join(capsys.readouterr().out.split())
    assert "REFUSED" in out and SAID.format("plan", 3) in out, out


def test_an_undo_refused_names_the_statement_added(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    journal = tmp_path / "journal.jsonl"
    assert _apply(scanned, _plan(scanned), journal) == 0
    _console_edit(scanned)  # after restrict-public split its statement: one more
    after = json.loads(account_session(CENTRAL).client("secretsmanager").get_resource_policy(
        SecretId=scanned.estate.shared_secret)["ResourcePolicy"])
    index = after["Statement"].index(CONSOLE)
    capsys.readouterr()

    assert main(["remediate", "--undo", str(journal), "--yes", "--remediation-role-name",
                 REMEDIATION_ROLE]) == 2

    err = " ".join(capsys.readouterr().err.split())
    assert "refusing to undo, nothing was changed" in err, err
    assert SAID.format("apply", index) in err, err


def test_policy_drift_in_words() -> None:
    a = {"Sid": "A", "Effect": "Allow"}
    b = {"Sid": "B", "Effect": "Deny"}
    assert policy_drift({"Statement": [a, b]}, {"Statement": [b]}) == "statement 0 (A) removed"
    assert policy_drift({"Statement": [a]}, {"Statement": a, "Id": "x"}) == "Id changed"
    assert policy_drift({"Statement": [a, b]}, {"Statement": [b, a]}) == "statements reordered"
    assert policy_drift(None, {"Statement": []}) == "a policy was attached"
    assert policy_drift({"Statement": [a]}, None) == "the policy was deleted"
    assert policy_drift("text", {"Statement": []}) is None
    many = {"Statement": [{"Sid": f"S{i}"} for i in range(6)]}
    assert policy_drift({"Statement": []}, many) == (
        "statement 0 (S0) added or changed; statement 1 (S1) added or changed; statement 2 "
        "(S2) added or changed; 3 more")
