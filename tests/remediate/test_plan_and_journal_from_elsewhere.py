"""A plan or journal that is intact (its digests agree) but that this version cannot carry
out, and an undo with the scan's audit role: refused with one line naming the file and the
field, exit 2, before any AWS call (safe-fixes trial round 9)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient

from helpers.remediate_records import PUBLIC, UNRELATED, applied_journal, finding, snapshot
from scanner.changes import RemediationConfig
from scanner.cli import main
from scanner.errors import InputError
from scanner.remediate.planfile import Plan, make_plan_id, read_plan, write_plan
from scanner.remediate.planner import Selection, build_plan


def _plan() -> Plan:
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [UNRELATED, PUBLIC]})
    return build_plan([finding("secret-policy-public", "restrict-public-secret-policy")], snap,
                      RemediationConfig(), Selection())


def _from_another_version(plan: Plan) -> Plan:
    """The plan as a version with a remediator this one lacks writes it: every digest and the
    plan id agree with its contents."""
    (change,) = plan.changes
    changes = (replace(change, remediation_id="narrow-secret-policy-actions"),)
    return replace(plan, changes=changes,
                   plan_id=make_plan_id(plan.estate, plan.created_at, changes,
                                        plan.max_age_hours))


def test_a_plan_naming_a_remediator_this_version_lacks_is_refused_naming_the_field(
        tmp_path: Path) -> None:
    path = write_plan(tmp_path / "plan.json", _from_another_version(_plan()))

    with pytest.raises(InputError) as refused:
        read_plan(path)

    said = str(refused.value)
    assert "field changes[0].remediation_id" in said, said
    assert "'narrow-secret-policy-actions' is not a remediator of this version" in said, said
    assert "plan again" in said, said


def test_applying_such_a_plan_is_one_line_exit_2_and_no_call(
        tmp_path: Path, no_aws: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    path = write_plan(tmp_path / "plan.json", _from_another_version(_plan()))

    rc = main(["remediate", "--plan", str(path), "--apply", "--yes",
               "--remediation-role-name", "SecretgraphRemediation"])

    err = capsys.readouterr().err
    assert rc == 2, err
    assert "internal error" not in err and "remediation_id" in err, err
    assert no_aws == []


def test_undo_with_the_scans_audit_role_is_refused_before_any_call(
        tmp_path: Path, no_aws: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """The journal records the audit role the scan read with (the plan's estate), as
    --plan PLAN --apply refuses it; --undo took it as the write role."""
    plan = _plan()
    assert plan.estate.audit_role == "SecretgraphAudit"
    journal = applied_journal(tmp_path / "journal.jsonl", plan)

    rc = main(["remediate", "--undo", str(journal), "--yes",
               "--remediation-role-name", "SecretgraphAudit"])

    out, err = capsys.readouterr()
    assert rc == 2, err
    assert "--remediation-role-name SecretgraphAudit is the audit role of the scan" in err, err
    assert out == "" and no_aws == []


@pytest.mark.parametrize("command", ["apply", "undo"])
# the re-read of a secret policy asks DescribeSecret first (a secret scheduled for deletion
# is not changed: safe-fixes trial round 11), then GetResourcePolicy
@pytest.mark.parametrize("operation", ["GetCallerIdentity", "DescribeSecret"])
def test_ctrl_c_while_the_resources_are_re_read_before_any_change_says_nothing_was_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        command: str, operation: str) -> None:
    """Before the first change an apply (and an undo) checks the identity in every account
    and re-reads every resource of the plan -- minutes on a large plan. Ctrl-C there said only
    'interrupted', where the confirmation's and the planning's say nothing was changed."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    account = "123456789012"

    def call(self: BaseClient, name: str, params: Any) -> Any:
        if name == operation:
            raise KeyboardInterrupt
        if name == "GetCallerIdentity":
            return {"Account": account, "Arn": f"arn:aws:iam::{account}:user/me",
                    "UserId": "AIDA"}
        if name == "DescribeOrganization":
            return {"Organization": {"Id": "o-abcdef1234"}}
        raise AssertionError(f"unexpected AWS call {name}")

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    plan = _plan()
    account = plan.changes[0].account_id
    if command == "apply":
        path = write_plan(tmp_path / "plan.json", plan)
        argv = ["remediate", "--plan", str(path), "--apply", "--yes"]
    else:
        path = applied_journal(tmp_path / "journal.jsonl", plan)
        argv = ["remediate", "--undo", str(path), "--yes"]

    rc = main(argv)

    err = capsys.readouterr().err
    assert rc == 130, err
    assert "nothing was changed" in err and "no journal was written" in err, err
    assert [p.name for p in tmp_path.iterdir() if "journal" in p.name and p != path] == []


@pytest.mark.parametrize("command,step", [
    ("apply", "scanner.commands.remediate.read_plan"),
    ("apply", "scanner.commands.remediate.render_plan"),
    ("undo", "scanner.commands.remediate.read_journal"),
])
def test_ctrl_c_while_the_plan_or_journal_is_read_or_shown_says_nothing_was_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        command: str, step: str) -> None:
    """Safe-fixes trial round 10: a SIGTERM while a saved plan was read and shown, before the
    first change, said 'secretgraph remediate: terminated' alone -- whether anything was
    changed is what the person who stopped it needs to know."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    plan = _plan()
    asked: list[str] = []

    def call(self: BaseClient, name: str, params: Any) -> Any:
        asked.append(name)
        if name == "GetCallerIdentity":  # which account the credentials are of
            account = plan.changes[0].account_id
            return {"Account": account, "Arn": f"arn:aws:iam::{account}:user/me",
                    "UserId": "AIDA"}
        raise AssertionError(f"unexpected AWS call {name}")

    def stop(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    if command == "apply":
        path = write_plan(tmp_path / "plan.json", plan)
        argv = ["remediate", "--plan", str(path), "--apply", "--yes"]
    else:
        path = applied_journal(tmp_path / "journal.jsonl", plan)
        argv = ["remediate", "--undo", str(path), "--yes"]
    monkeypatch.setattr(step, stop)

    rc = main(argv)

    err = capsys.readouterr().err
    assert rc == 130, err
    done = "applied" if command == "apply" else "undone"
    assert f"interrupted before anything was {done}; nothing was changed and no journal was " \
        "written" in err, err
    assert set(asked) <= {"GetCallerIdentity"}
