"""An apply or undo whose remediation role cannot be assumed in an account of the plan (the
role missing there, its trust not naming these credentials, a throttled or failed call) is
refused before anything is changed, and says so and what to do: the role must exist in each
account and trust the credentials (its policy: `secretgraph iam-policy --for
remediation-role`), then the same command again. Safe-fixes trial round 11: it said 'cannot
act in account 222222222222 with the remediation role: AccessDenied: ...' and nothing else,
where every other refusal before the first change says that nothing was changed and what
next."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from helpers.remediate_estate import MEMBER, REMEDIATION_ROLE, Scanned
from scanner.cli import main

_REAL = BaseClient._make_api_call


def _role_refused_in_member(monkeypatch: pytest.MonkeyPatch) -> None:
    def call(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        if op == "AssumeRole" and f":{MEMBER}:" in str(params.get("RoleArn")):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized "
                                         "to perform sts:AssumeRole"}}, op)
        return _REAL(self, op, params)
    monkeypatch.setattr(BaseClient, "_make_api_call", call)


def test_an_apply_whose_role_cannot_be_assumed_says_nothing_changed_and_what_next(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    plan = tmp_path / "plan.json"
    scanned.plan_into(plan, "enable-key-rotation,add-peering-route")
    capsys.readouterr()
    _role_refused_in_member(monkeypatch)

    rc = main(["remediate", "--plan", str(plan), "--apply", "--yes", "-q",
               "--remediation-role-name", REMEDIATION_ROLE])

    err = capsys.readouterr().err
    assert rc == 2, err
    assert f"cannot act in account {MEMBER} with the remediation role: AccessDenied" in err, err
    assert "nothing was changed" in err, err
    assert "secretgraph iam-policy --for remediation-role" in err, err
    assert err.rstrip().endswith("run the same --apply again"), err


def test_an_undo_whose_role_cannot_be_assumed_says_nothing_changed_and_what_next(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    plan = tmp_path / "plan.json"
    journal = tmp_path / "journal.jsonl"
    scanned.plan_into(plan, "enable-key-rotation,add-peering-route")
    assert main(["remediate", "--plan", str(plan), "--apply", "--yes", "-q",
                 "--remediation-role-name", REMEDIATION_ROLE, "--journal", str(journal)]) == 0
    capsys.readouterr()
    _role_refused_in_member(monkeypatch)

    rc = main(["remediate", "--undo", str(journal), "--yes", "-q",
               "--remediation-role-name", REMEDIATION_ROLE])

    err = capsys.readouterr().err
    assert rc == 2, err
    assert "nothing was changed" in err, err
    assert err.rstrip().endswith("run the same --undo again"), err
