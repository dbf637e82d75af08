"""A resource deleted since the scan (or since the apply) is not a read the remediation role
lacks: the refusal says it is gone and what to do -- rescan and plan again; for an undo, that
there is nothing of it left to take back. Safe-fixes trial round 11: a route table deleted
and a secret force-deleted between plan and apply refused the plan with 'the remediation role
must be able to read each resource it changes ... run the same --apply again', which can
never succeed."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.remediate_estate import CENTRAL, MEMBER, REGION, REMEDIATION_ROLE, Scanned, \
    account_session
from scanner.cli import main


def _apply(scanned: Scanned, plan: Path, journal: Path) -> int:
    return main(["remediate", "--in", str(scanned.scan_dir), "--plan", str(plan), "--apply",
                 "--yes", "--remediation-role-name", REMEDIATION_ROLE, "--journal",
                 str(journal)])


def _delete_member_route_table(scanned: Scanned) -> None:
    account_session(MEMBER).client("ec2", region_name=REGION).delete_route_table(
        RouteTableId=scanned.estate.member_rtb)


def test_an_apply_after_a_resource_was_deleted_says_it_is_gone_and_to_plan_again(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    plan = tmp_path / "plan.json"
    scanned.plan_into(plan)
    capsys.readouterr()
    _delete_member_route_table(scanned)
    account_session(CENTRAL).client("secretsmanager", region_name=REGION).delete_secret(
        SecretId=scanned.estate.plain_secret, ForceDeleteWithoutRecovery=True)

    rc = _apply(scanned, plan, tmp_path / "journal.jsonl")

    err = capsys.readouterr().err
    assert rc == 2 and not (tmp_path / "journal.jsonl").exists(), err
    assert "nothing was changed" in err, err
    assert f"route-table/{scanned.estate.member_rtb}): no longer exists" in err, err
    assert "app/plain" in err and "rescan and plan again" in err, err
    assert "must be able to read" not in err, err
    # no earlier apply deletes a route table or a secret: its journal is no lead (safe-fixes
    # trial round 14: a plan applied to a moto server restarted empty was told to --undo it)
    assert "earlier apply" not in err and "--undo" not in err, err


def test_an_undo_after_a_resource_was_deleted_says_there_is_nothing_of_it_to_take_back(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    plan = tmp_path / "plan.json"
    journal = tmp_path / "journal.jsonl"
    scanned.plan_into(plan)
    assert _apply(scanned, plan, journal) == 0
    capsys.readouterr()
    ec2 = account_session(MEMBER).client("ec2", region_name=REGION)
    ec2.delete_route(RouteTableId=scanned.estate.member_rtb,
                     DestinationCidrBlock="10.0.0.0/16")
    _delete_member_route_table(scanned)

    rc = main(["remediate", "--undo", str(journal), "--yes", "--remediation-role-name",
               REMEDIATION_ROLE, "--journal", str(tmp_path / "undo.jsonl")])

    err = capsys.readouterr().err
    assert rc == 2 and not (tmp_path / "undo.jsonl").exists(), err
    assert "nothing was changed" in err, err
    assert f"route-table/{scanned.estate.member_rtb}): no longer exists" in err, err
    assert "nothing of it left to take back" in err, err
    assert "must be able to read" not in err, err
