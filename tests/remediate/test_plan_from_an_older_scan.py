"""A plan is applied with the scan it was built from, never with another scan of the same
estate (safe-fixes trial round 13: a plan built from last night's scan was applied with
`--in` tonight's -- or `--history`, whose latest scan was tonight's -- without a word). What the
plan promises (no reader in the trust zone lost, none let in from outside) was weighed on its
own scan's estate; the re-read before the first change compares only the resources the plan
changes, so a reader that appeared since elsewhere (a key policy, an identity policy) was cut
off unseen. Refused, exit 2, before any AWS call, naming both scans and what to do."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from helpers.remediate_estate import REMEDIATION_ROLE
from helpers.remediate_records import PUBLIC, UNRELATED, finding, snapshot, write_scan_dir
from scanner.changes import RemediationConfig
from scanner.cli import main
from scanner.errors import InputError
from scanner.model import ScanMeta
from scanner.remediate.engine import apply_plan
from scanner.remediate.planfile import Plan, estate_of, write_plan
from scanner.remediate.planner import Selection, build_plan

POLICY = {"Version": "2012-10-17", "Statement": [UNRELATED, PUBLIC]}


def _never(account_id: str) -> Any:
    raise AssertionError(f"asked for clients in {account_id}")


def _plan() -> Plan:
    return build_plan([finding("secret-policy-public", "restrict-public-secret-policy")],
                      snapshot(policy=POLICY), RemediationConfig(), Selection())


def _tonight(tmp_path: Path) -> Path:
    """A newer scan of the same estate: same organization, same accounts, another scan id."""
    snap = snapshot(policy=POLICY)
    newer = replace(snap, meta=replace(snap.meta, scan_id="scan-2",
                                       started_at="2026-11-30T00:00:00Z"))
    assert isinstance(newer.meta, ScanMeta)
    return write_scan_dir(tmp_path / "tonight", newer,
                          [finding("secret-policy-public", "restrict-public-secret-policy")])


def test_a_plan_applied_with_a_newer_scan_of_its_estate_is_refused_naming_both_scans(
        tmp_path: Path, no_aws: list[str]) -> None:
    plan = _plan()
    snap = snapshot(policy=POLICY)
    tonight = estate_of(replace(snap, meta=replace(snap.meta, scan_id="scan-2")))
    assert tonight.account_ids == plan.estate.account_ids
    assert tonight.org_id == plan.estate.org_id

    with pytest.raises(InputError) as refused:
        apply_plan(plan, _never, journal_path=str(tmp_path / "j.jsonl"), plan_path="p.json",
                   max_age_hours=24, current_estate=tonight)

    said = str(refused.value)
    assert "field estate.scan_id" in said, said
    assert "built from scan scan-1" in said and "scan-2" in said, said
    assert "build a new plan from this scan" in said, said
    assert not (tmp_path / "j.jsonl").exists() and no_aws == []


def test_the_command_refuses_it_in_one_line_exit_2_and_sends_nothing(
        tmp_path: Path, no_aws: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    path = write_plan(tmp_path / "plan.json", _plan())

    rc = main(["remediate", "--plan", str(path), "--in", str(_tonight(tmp_path)), "--apply",
               "--yes", "--remediation-role-name", REMEDIATION_ROLE])

    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert "field estate.scan_id" in err and "nothing was changed" in err, err
    assert [p.name for p in tmp_path.iterdir() if "journal" in p.name] == []
    assert no_aws == []


def test_the_scan_the_plan_was_built_from_is_accepted(tmp_path: Path, no_aws: list[str]) -> None:
    plan = _plan()
    own = estate_of(snapshot(policy=POLICY))

    # past the estate check: the next step asks for the accounts' clients
    with pytest.raises(AssertionError, match="asked for clients"):
        apply_plan(plan, _never, journal_path=str(tmp_path / "j.jsonl"), plan_path="p.json",
                   max_age_hours=24, current_estate=own)
